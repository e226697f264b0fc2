//! The default bundle in `bundle/` at the repository root: its manifest
//! loads, every list matches its manifest entry, and the copies are the
//! publishers' files.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use screener_lists::source::InputFile;
use screener_lists::{formats, load_bundle, BundleManifest, Format};

fn bundle_dir() -> PathBuf {
    screener_lists::source_root().join("bundle")
}

#[test]
fn bundle_loads_every_available_list() {
    let manifest_path = bundle_dir().join("bundle.toml");
    let manifest = BundleManifest::read(&manifest_path).expect("manifest reads");
    let lists = load_bundle(&manifest_path).expect("bundle loads");

    let available: Vec<_> = manifest
        .lists
        .iter()
        .filter(|l| Format::parse(&l.format).is_some_and(formats::parser_available))
        .collect();
    assert!(available.len() >= 3);
    assert_eq!(lists.len(), available.len());
    for (entry, list) in available.iter().zip(&lists) {
        let report = &list.report;
        assert_eq!(report.list, entry.id);
        assert_eq!(report.format, entry.format);
        assert_eq!(report.files.len(), entry.paths.len(), "{}", entry.id);
        assert!(report.counts.entities > 0, "{}", entry.id);
        assert!(
            list.entities.iter().all(|e| e.list == entry.id),
            "{}",
            entry.id
        );
        if let Some(published) = &entry.published {
            assert_eq!(report.published.as_ref(), Some(published), "{}", entry.id);
        }
        assert!(
            !report
                .warnings
                .iter()
                .any(|w| w.location == "bundle manifest"),
            "{}: {:?}",
            entry.id,
            report.warnings
        );
    }
}

#[test]
fn bundle_sdn_copy_is_ofacs_file() {
    let path = bundle_dir().join("ofac_sdn/sdn_advanced_2025-11-19.xml.gz");
    let file = InputFile::read(&path).expect("bundled SDN file reads");
    // The SHA-256 OFAC published for sdn_advanced.xml of 2025-11-19.
    assert_eq!(
        hex::encode(Sha256::digest(&file.bytes)),
        "36c517bd264d8d97eff353eadd8d84427d5eb293505a8ce07271a5bc258c3117"
    );
}

#[test]
fn bundle_paths_all_exist() {
    let manifest = BundleManifest::read(&bundle_dir().join("bundle.toml")).expect("manifest");
    for list in &manifest.lists {
        for path in &list.paths {
            assert!(
                bundle_dir().join(path).is_file(),
                "{}: {}",
                list.id,
                path.display()
            );
        }
    }
}
