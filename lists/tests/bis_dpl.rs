//! The BIS Denied Persons List loader, on the published tab-separated
//! file and on small files made for each fault.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use screener_lists::{load, EntityKind, Format, ListError, LoadOptions, LoadedList};

const HEADER: &str = "\"Name\"\t\"Street_Address\"\t\"City\"\t\"State\"\t\"Country\"\t\"Postal_Code\"\t\
\"Effective_Date\"\t\"Expiration_Date\"\t\"Standard_Order\"\t\"Last_Update\"\t\"Action\"\t\"FR_Citation\"";

fn real_file() -> Option<PathBuf> {
    let path = common::data_dir()?.join("lists/us_csl_2023/dpl.txt");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("data missing, skipping");
        None
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        format: Some(Format::BisDpl),
        list_id: None,
    }
}

fn load_text(dir: &Path, text: &str) -> Result<LoadedList, ListError> {
    let path = dir.join("dpl.txt");
    std::fs::write(&path, text).expect("write test file");
    load(&path, &options())
}

/// Distinct (name with spaces collapsed, effective date) pairs, and the
/// row count, from a plain tab-separated scan.
fn independent_counts(path: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).expect("read file");
    let mut rows = 0;
    let mut parties = HashSet::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').map(|c| c.trim_matches('"')).collect();
        rows += 1;
        let name = cells[0].split_whitespace().collect::<Vec<_>>().join(" ");
        parties.insert((name, cells[6].to_string()));
    }
    (rows, parties.len())
}

#[test]
fn real_file_counts_match_scan() {
    let Some(path) = real_file() else { return };
    let list = load(&path, &options()).expect("the published file loads");
    let (rows, parties) = independent_counts(&path);

    assert_eq!(rows, 665);
    assert_eq!(list.entities.len(), parties);
    let addresses: usize = list.entities.iter().map(|e| e.addresses.len()).sum();
    assert!(addresses <= rows, "at most one address per row");
    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
    for entity in &list.entities {
        assert!(
            matches!(entity.kind, EntityKind::Organization | EntityKind::Unknown),
            "{} is {:?}",
            entity.id,
            entity.kind
        );
    }
}

#[test]
fn real_file_spot_checks() {
    let Some(path) = real_file() else { return };
    let list = load(&path, &options()).expect("the published file loads");
    let find = |name: &str| {
        list.entities
            .iter()
            .find(|e| e.names[0].full == name)
            .unwrap_or_else(|| panic!("{name} is loaded"))
    };

    let person = find("AARON ABRAHAM VILLA");
    assert_eq!(person.kind, EntityKind::Unknown);
    assert_eq!(person.listed_on.as_deref(), Some("2022-08-24"));
    assert_eq!(person.addresses.len(), 1);
    assert_eq!(person.addresses[0].city.as_deref(), Some("EL PASO"));
    assert_eq!(person.addresses[0].region.as_deref(), Some("TX"));
    assert_eq!(person.addresses[0].postal_code.as_deref(), Some("79905"));

    let company = find("AIR FREIGHT LTD");
    assert_eq!(company.kind, EntityKind::Organization);
    assert_eq!(company.addresses.len(), 4);
    assert_eq!(company.countries, vec!["IQ", "AE", "JO"]);
    assert!(company.id.starts_with("dpl-"), "{}", company.id);
}

#[test]
fn real_file_loads_the_same_twice() {
    let Some(path) = real_file() else { return };
    let first = load(&path, &options()).expect("first load");
    let second = load(&path, &options()).expect("second load");
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
}

#[test]
fn bad_rows_warn_with_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\n\
         \"ACME TRADING LLC\"\t\"1 MAIN ST\"\t\"DUBAI\"\t\"\"\t\"AE\"\t\"\"\t\"13/45/2020\"\t\"\"\t\"Y\"\t\"\"\t\"\"\t\"\"\n\
         \"\"\t\"2 MAIN ST\"\t\"DUBAI\"\t\"\"\t\"AE\"\t\"\"\t\"01/02/2020\"\t\"\"\t\"Y\"\t\"\"\t\"\"\t\"\"\n\
         \"SHORT ROW\"\t\"x\"\n"
    );
    let list = load_text(dir.path(), &text).expect("loads");
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();

    assert_eq!(list.entities.len(), 1);
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(warnings[0].contains("line 2"), "{warnings:#?}");
    assert!(warnings[0].contains("13/45/2020"), "{warnings:#?}");
    assert!(warnings[1].contains("line 3"), "{warnings:#?}");
    assert!(warnings[1].contains("Name is empty"), "{warnings:#?}");
    assert!(warnings[2].contains("line 4"), "{warnings:#?}");
    assert!(warnings[2].contains("2 cells"), "{warnings:#?}");
}

#[test]
fn missing_column_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_text(dir.path(), "\"Name\"\t\"City\"\n\"X\"\t\"Y\"\n").expect_err("no dates");
    let message = error.to_string();
    assert!(matches!(error, ListError::Invalid { .. }), "{message}");
    assert!(message.contains("Effective_Date"), "{message}");
    assert!(message.contains("dpl.txt"), "{message}");
}

#[test]
fn foreign_and_oversized_files_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_text(dir.path(), "<export generationDate=\"2024\"/>\n").expect_err("XML");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");

    let huge = "x".repeat(screener_lists::source::MAX_FIELD_BYTES + 1);
    let error = load_text(dir.path(), &format!("{HEADER}\n\"{huge}\"\n")).expect_err("oversized");
    assert!(matches!(error, ListError::Oversized { .. }), "{error}");
}
