//! The sdn_advanced.xml loader on OFAC's published file of 2025-11-19.
//!
//! The file is 121 MB uncompressed, so the tests share one load.

mod common;

use std::sync::OnceLock;

use screener_lists::source::InputFile;
use screener_lists::{load, EntityKind, Gender, IdentifierKind, LoadOptions, LoadedList, NameType};

const ADVANCED_FILE: &str = "lists/ofac_sdn_advanced_2025/sdn_advanced_2025-11-19.xml.bz2";

/// The file loaded once for all tests, with its decompressed text.
struct Loaded {
    list: LoadedList,
    xml: Vec<u8>,
}

fn loaded() -> Option<&'static Loaded> {
    static LOADED: OnceLock<Option<Loaded>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let path = common::data_path(ADVANCED_FILE)?;
            let list = load(&path, &LoadOptions::default()).expect("sdn_advanced loads");
            let xml = InputFile::read(&path).expect("file reads").bytes;
            Some(Loaded { list, xml })
        })
        .as_ref()
}

#[test]
fn advanced_counts_match_the_file() {
    let Some(loaded) = loaded() else {
        return;
    };
    let report = &loaded.list.report;
    let count = |needle: &str| common::count_occurrences(&loaded.xml, needle.as_bytes());

    assert_eq!(report.format, "ofac_advanced_xml");
    assert_eq!(report.list, "ofac_sdn");
    assert_eq!(report.published.as_deref(), Some("2025-11-19"));
    assert_eq!(report.counts.entities, count("<DistinctParty "));
    // A Profile tag ends with its PartySubTypeID: 1 vessel, 2 aircraft,
    // 3 entity, 4 individual in this file's reference values.
    assert_eq!(
        report.counts.by_kind["vessel"],
        count(" PartySubTypeID=\"1\">")
    );
    assert_eq!(
        report.counts.by_kind["aircraft"],
        count(" PartySubTypeID=\"2\">")
    );
    assert_eq!(
        report.counts.by_kind["organization"],
        count(" PartySubTypeID=\"3\">")
    );
    assert_eq!(
        report.counts.by_kind["person"],
        count(" PartySubTypeID=\"4\">")
    );
    assert!(
        report.warnings.is_empty(),
        "{:?}",
        &report.warnings[..report.warnings.len().min(5)]
    );
}

#[test]
fn advanced_wallets_match_the_file() {
    let Some(loaded) = loaded() else {
        return;
    };
    let text = std::str::from_utf8(&loaded.xml).expect("UTF-8");
    // Every feature whose type is "Digital Currency Address - <ASSET>".
    let wallet_types: Vec<String> = text
        .match_indices("<FeatureType ID=\"")
        .filter_map(|(at, _)| {
            let tag = &text[at..at + text[at..].find("</FeatureType>")?];
            let id = tag["<FeatureType ID=\"".len()..].split('"').next()?;
            tag.contains(">Digital Currency Address - ")
                .then(|| id.to_string())
        })
        .collect();
    assert!(wallet_types.len() >= 10);
    let openings: Vec<String> = wallet_types
        .iter()
        .map(|id| format!(" FeatureTypeID=\"{id}\">"))
        .collect();

    // Distinct addresses per party: one party lists an address twice.
    let mut wallets = 0;
    for party in text.split("<DistinctParty ").skip(1) {
        let mut addresses = std::collections::HashSet::new();
        for opening in &openings {
            for (at, _) in party.match_indices(opening.as_str()) {
                let feature = &party[at..];
                let feature = &feature[..feature.find("</Feature>").expect("closed")];
                let detail = feature
                    .split("DetailTypeID=\"1432\">")
                    .nth(1)
                    .expect("address");
                addresses.insert((opening, detail.split('<').next().expect("text")));
            }
        }
        wallets += addresses.len();
    }
    assert_eq!(loaded.list.report.counts.wallets, wallets);
}

#[test]
fn advanced_lazarus_group_has_eth_address() {
    let Some(loaded) = loaded() else {
        return;
    };
    let lazarus = loaded
        .list
        .entities
        .iter()
        .find(|e| {
            e.primary_name()
                .is_some_and(|n| n.full.eq_ignore_ascii_case("LAZARUS GROUP"))
        })
        .expect("LAZARUS GROUP is listed");
    assert_eq!(lazarus.id, "27307");
    assert_eq!(lazarus.kind, EntityKind::Organization);
    assert!(lazarus
        .wallets
        .iter()
        .any(|w| w.asset == "ETH" && w.address == "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"));
    let hidden_cobra = lazarus
        .names
        .iter()
        .find(|n| n.full == "Hidden Cobra")
        .expect("a.k.a. Hidden Cobra");
    assert_eq!(hidden_cobra.name_type, NameType::WeakAlias);
    assert_eq!(lazarus.programs, vec!["DPRK3"]);
    assert!(lazarus
        .addresses
        .iter()
        .any(|a| a.country.as_deref() == Some("KP")));
}

#[test]
fn advanced_bank_with_aliases_and_addresses() {
    let Some(loaded) = loaded() else {
        return;
    };
    let bank = find(loaded, "306");
    assert_eq!(bank.names[0].full, "BANCO NACIONAL DE CUBA");
    assert_eq!(bank.names[0].name_type, NameType::Primary);
    let alias = bank
        .names
        .iter()
        .find(|n| n.full == "NATIONAL BANK OF CUBA")
        .expect("alias");
    assert_eq!(alias.name_type, NameType::Alias);
    let weak = bank
        .names
        .iter()
        .find(|n| n.full == "BNC")
        .expect("weak alias");
    assert_eq!(weak.name_type, NameType::WeakAlias);
    let cities: Vec<&str> = bank
        .addresses
        .iter()
        .filter_map(|a| a.city.as_deref())
        .collect();
    assert!(cities.contains(&"Zurich"), "{cities:?}");
    assert!(bank.countries.contains(&"CH".to_string()));
    assert_eq!(bank.programs, vec!["CUBA"]);
}

#[test]
fn advanced_person_with_birth_date_and_passport() {
    let Some(loaded) = loaded() else {
        return;
    };
    let person = find(loaded, "15002");
    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.names[0].full, "FLORES APODACA, Agustin");
    assert_eq!(
        person.names[0].parts.family.as_deref(),
        Some("FLORES APODACA")
    );
    assert_eq!(person.names[0].parts.given.as_deref(), Some("Agustin"));
    assert_eq!(person.birth_dates.len(), 1);
    assert_eq!(person.birth_dates[0].from.to_string(), "1964-06-09");
    assert_eq!(person.birth_dates[0].to, None);
    assert_eq!(person.birth_places, vec!["Sinaloa, Mexico"]);
    assert_eq!(person.nationalities, vec!["MX"]);
    assert_eq!(person.gender, Some(Gender::Male));
    let passport = person
        .identifiers
        .iter()
        .find(|i| i.kind == IdentifierKind::Passport)
        .expect("passport");
    assert_eq!(passport.value, "040070827");
    assert_eq!(passport.country.as_deref(), Some("MX"));
    assert!(person
        .identifiers
        .iter()
        .any(|i| i.kind == IdentifierKind::TaxId));
    assert_eq!(person.programs, vec!["SDNTK"]);
    assert_eq!(person.listed_on.as_deref(), Some("2013-01-17"));
}

#[test]
fn advanced_vessel_with_imo_number() {
    let Some(loaded) = loaded() else {
        return;
    };
    let vessel = find(loaded, "15036");
    assert_eq!(vessel.kind, EntityKind::Vessel);
    assert_eq!(vessel.names[0].full, "ARTAVIL");
    assert!(vessel
        .identifiers
        .iter()
        .any(|i| i.kind == IdentifierKind::Imo && i.value == "9187629"));
    let former = vessel
        .names
        .iter()
        .find(|n| n.full == "ABADAN")
        .expect("f.k.a. ABADAN");
    assert_eq!(former.name_type, NameType::Former);
    assert!(
        vessel.countries.contains(&"IR".to_string()),
        "{:?}",
        vessel.countries
    );
    assert!(vessel
        .linked_to
        .iter()
        .any(|l| l.contains("NATIONAL IRANIAN TANKER")));
}

#[test]
fn advanced_non_latin_names_carry_script() {
    let Some(loaded) = loaded() else {
        return;
    };
    let cyrillic = loaded
        .list
        .entities
        .iter()
        .flat_map(|e| &e.names)
        .filter(|n| n.script.as_deref() == Some("Cyrl"))
        .count();
    assert!(cyrillic > 0);
    assert!(loaded
        .list
        .entities
        .iter()
        .flat_map(|e| &e.names)
        .all(|n| n.script.as_deref() != Some("Latn")));
}

#[test]
fn advanced_load_twice_is_identical() {
    let Some(first) = loaded() else {
        return;
    };
    let path = common::data_path(ADVANCED_FILE).expect("present for the first load");
    let second = load(&path, &LoadOptions::default()).expect("second load");
    assert_eq!(first.list.report.digest, second.report.digest);
    assert_eq!(first.list.entities, second.entities);
}

fn find<'l>(loaded: &'l Loaded, id: &str) -> &'l screener_lists::Entity {
    loaded
        .list
        .entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("entry {id} is listed"))
}
