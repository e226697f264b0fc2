//! Screening against real published data: the UN list with the exact
//! positives of the evaluation set, and OFAC's sanctioned crypto addresses.
//! Skipped, with "data missing, skipping", when the data folder is absent.

mod common;

use std::collections::BTreeMap;

use screener_lists::accuracy::read_rows;
use screener_lists::{
    load, ChainFamily, Entity, EntityKind, LoadOptions, Snapshot, Validity, WalletAddress,
    DEFAULT_THRESHOLD,
};

/// Upper case with single spaces: an independent way to say that an
/// evaluation row names an entry, without the matcher's normalizer.
fn plain(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

#[test]
fn un_exact_positives_found() {
    let Some(list) = common::data_path("lists/un_consolidated/un_consolidated_2026-02-27.xml")
    else {
        return;
    };
    let Some(eval) = common::data_path("eval/un_persons_positive_exact.csv") else {
        return;
    };
    let loaded = load(&list, &LoadOptions::default()).expect("UN list loads");
    let snapshot = Snapshot::build(vec![loaded]);
    let mut by_primary: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entity in snapshot.entities() {
        if let Some(name) = entity.primary_name() {
            by_primary
                .entry(plain(&name.full))
                .or_default()
                .push(entity.id.clone());
        }
    }
    let rows = read_rows(&eval).expect("evaluation file reads");
    let mut checked = 0;
    for row in &rows {
        let Some(ids) = by_primary.get(&plain(&row.full_name)) else {
            continue;
        };
        checked += 1;
        let result = snapshot.screen_name(&row.query(DEFAULT_THRESHOLD));
        assert!(
            result.hits().iter().any(|h| ids.contains(&h.entity_id)),
            "row {} {:?} should hit {ids:?}, got {:?}",
            row.row,
            row.full_name,
            result
                .hits()
                .iter()
                .map(|h| (&h.entity_id, h.score))
                .collect::<Vec<_>>()
        );
    }
    // Most rows name a primary name exactly; the rest differ in spacing
    // or punctuation and are left to the accuracy example.
    assert!(
        checked * 10 >= rows.len() * 9,
        "only {checked} of {} rows checked",
        rows.len()
    );
}

#[test]
fn ofac_crypto_addresses_found() {
    let Some(folder) = common::data_path("lists/ofac_crypto_addresses_2025") else {
        return;
    };
    let mut entities = Vec::new();
    let mut addresses = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("folder reads")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    for path in files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name");
        let asset = name.rsplit('_').next().expect("asset ticker").to_string();
        let text = std::fs::read_to_string(&path).expect("file reads");
        let mut entity = Entity::new("ofac_crypto", &asset, EntityKind::Wallet);
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            entity.wallets.push(WalletAddress {
                asset: asset.clone(),
                address: line.to_string(),
            });
            addresses.push((asset.clone(), line.to_string()));
        }
        entities.push(entity);
    }
    // Counted with: cat sanctioned_addresses_*.txt | grep -c .
    assert_eq!(addresses.len(), 758);
    let snapshot = Snapshot::from_entities(entities);
    for (asset, address) in &addresses {
        let result = snapshot.screen_wallet(address, Some(asset));
        assert!(
            result.hits.iter().any(|h| &h.entity_id == asset),
            "{asset} {address} not found"
        );
        if result.family == ChainFamily::Evm {
            assert_eq!(result.validity, Validity::Valid, "{address}");
            let lower = snapshot.screen_wallet(&address.to_ascii_lowercase(), None);
            assert!(
                lower.hits.iter().any(|h| &h.entity_id == asset),
                "{address} in lower case"
            );
        }
        if asset == "XBT" {
            assert!(
                !matches!(result.validity, Validity::Invalid(_)),
                "{address}: {:?}",
                result.validity
            );
        }
    }
    let tron_usdt = addresses
        .iter()
        .filter(|(asset, address)| asset == "USDT" && address.starts_with('T'))
        .count();
    assert!(tron_usdt > 0);
    let (_, first_tron) = addresses
        .iter()
        .find(|(asset, address)| asset == "USDT" && address.starts_with('T'))
        .expect("a TRON USDT address");
    let result = snapshot.screen_wallet(first_tron, Some("TRX"));
    assert_eq!(result.family, ChainFamily::Tron);
    assert!(result.hits.iter().any(|h| h.note.is_some()));
}
