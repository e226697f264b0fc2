//! The US Consolidated Screening List loader, on a partial copy of the
//! 2023 file (its header repeats on line 2 and its last row is cut short)
//! and on small files made for each fault.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use screener_lists::{
    load, Entity, EntityKind, Format, IdentifierKind, ListError, LoadOptions, LoadedList, NameType,
};

const HEADER: &str = "_id,source,entity_number,type,programs,name,title,addresses,\
federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,\
call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,\
source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,\
source_information_url,ids";

fn real_file() -> Option<PathBuf> {
    let path = common::data_dir()?.join("lists/us_csl_2023/csl.csv");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("data missing, skipping");
        None
    }
}

/// Loads the published file once for the tests that only read it.
fn real_list() -> Option<&'static LoadedList> {
    static LIST: OnceLock<Option<LoadedList>> = OnceLock::new();
    LIST.get_or_init(|| {
        let path = real_file()?;
        Some(load(&path, &options()).expect("the published file loads"))
    })
    .as_ref()
}

fn options() -> LoadOptions {
    LoadOptions {
        format: Some(Format::UsCsl),
        list_id: None,
    }
}

fn load_text(dir: &Path, text: &str) -> Result<LoadedList, ListError> {
    let path = dir.join("csl.csv");
    std::fs::write(&path, text).expect("write test file");
    load(&path, &options())
}

fn by_id<'a>(list: &'a LoadedList, id: &str) -> &'a Entity {
    list.entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("entry {id} is loaded"))
}

/// Distinct `_id` values of the complete rows that are not a repeated
/// header, from a plain CSV scan.
fn independent_ids(path: &Path) -> HashSet<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .expect("open file");
    let width = reader.headers().expect("header").len();
    let mut ids = HashSet::new();
    for record in reader.records() {
        let record = record.expect("record");
        if record.len() == width && &record[0] != "_id" {
            ids.insert(record[0].to_string());
        }
    }
    ids
}

#[test]
fn real_file_counts_match_scan() {
    let Some(list) = real_list() else { return };
    let ids = independent_ids(&real_file().expect("file is there"));
    assert_eq!(list.entities.len(), ids.len());
    let loaded: HashSet<String> = list.entities.iter().map(|e| e.id.clone()).collect();
    assert_eq!(loaded, ids);
}

#[test]
fn real_file_warns_of_header_and_cut_row() {
    let Some(list) = real_list() else { return };
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings[0].contains("line 2"), "{warnings:#?}");
    assert!(warnings[0].contains("header row repeats"), "{warnings:#?}");
    assert!(warnings[1].contains("8 cells"), "{warnings:#?}");
    assert!(warnings[1].contains("cut short"), "{warnings:#?}");
}

#[test]
fn real_file_bank_with_aliases() {
    let Some(list) = real_list() else { return };
    let vtb = by_id(list, "17013");

    assert_eq!(vtb.kind, EntityKind::Organization);
    assert_eq!(vtb.names[0].full, "VTB BANK PUBLIC JOINT STOCK COMPANY");
    assert_eq!(vtb.names[0].name_type, NameType::Primary);
    assert!(vtb.names.iter().any(|n| n.full == "VNESHTORGBANK"));
    assert!(vtb.names.len() > 20, "{}", vtb.names.len());
    assert!(vtb
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::Bic && id.value == "VTBRRUMM"));
    assert!(vtb
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::Lei && id.value == "253400V1H6ART1UQ0N98"));
    assert!(vtb.programs.contains(&"RUSSIA-EO14024".to_string()));
    assert_eq!(vtb.addresses.len(), 9);
    assert_eq!(vtb.countries, vec!["RU"]);
    let remarks = vtb.remarks.as_deref().unwrap_or("");
    assert!(remarks.contains("Website: www.vtb.com"), "{remarks}");
}

#[test]
fn real_file_merges_rows_of_one_id() {
    let Some(list) = real_list() else { return };
    let bank = by_id(list, "17014");
    let programs = &bank.programs;
    assert!(
        programs.iter().any(|p| p.starts_with("Sectoral Sanctions")),
        "{programs:?}"
    );
    assert!(
        programs.iter().any(|p| p.starts_with("Non-SDN Menu-Based")),
        "{programs:?}"
    );
    assert_eq!(bank.names[0].name_type, NameType::Primary);
}

#[test]
fn real_file_person_with_passport() {
    let Some(list) = real_list() else { return };
    let person = by_id(list, "2676");

    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.names[0].full, "AL ZAWAHIRI, Dr. Ayman");
    assert_eq!(person.names[0].parts.family.as_deref(), Some("AL ZAWAHIRI"));
    assert_eq!(person.birth_dates[0].from.to_string(), "1951-06-19");
    assert_eq!(person.birth_places, vec!["Giza, Egypt"]);
    let passport = person
        .identifiers
        .iter()
        .find(|id| id.value == "1084010")
        .expect("passport 1084010");
    assert_eq!(passport.kind, IdentifierKind::Passport);
    assert_eq!(passport.country.as_deref(), Some("EG"));
}

#[test]
fn real_file_vessel_with_imo() {
    let Some(list) = real_list() else { return };
    let ship = by_id(list, "4243");

    assert_eq!(ship.kind, EntityKind::Vessel);
    assert_eq!(ship.names[0].full, "EBANO");
    assert!(ship
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::Imo && id.value == "7406784"));
    assert!(ship.countries.contains(&"PA".to_string()));
}

#[test]
fn real_file_loads_the_same_twice() {
    let Some(path) = real_file() else { return };
    let first = load(&path, &options()).expect("first load");
    let second = load(&path, &options()).expect("second load");
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
}

/// Builds a row with the given cells, the rest empty.
fn row(cells: &[(&str, &str)]) -> String {
    HEADER
        .split(',')
        .map(|column| {
            let value = cells
                .iter()
                .find(|(c, _)| *c == column)
                .map_or("", |(_, v)| *v);
            format!("\"{}\"", value.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn small_file_reads_every_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\n{}\n",
        row(&[
            ("_id", "1"),
            (
                "source",
                "Specially Designated Nationals (SDN) - Treasury Department"
            ),
            ("type", "Individual"),
            ("programs", "CYBER2; SDGT"),
            ("name", "DOE, John"),
            ("addresses", "1 Main St, Moscow, RU"),
            ("start_date", "2020-01-02"),
            ("alt_names", "DOE, Johnny; DOH, John"),
            ("citizenships", "RU"),
            ("nationalities", "BY"),
            ("dates_of_birth", "circa 1970; 01 Jul 1971"),
            ("places_of_birth", "Minsk, Belarus"),
            (
                "ids",
                "Digital Currency Address - ETH, 0xabc; Gender, Male; Tax ID No., 77, RU"
            ),
        ])
    );
    let list = load_text(dir.path(), &text).expect("loads");
    let john = &list.entities[0];

    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
    assert_eq!(john.names.len(), 3);
    assert_eq!(john.names[1].name_type, NameType::Alias);
    assert_eq!(john.names[1].parts.given.as_deref(), Some("Johnny"));
    assert_eq!(john.programs.len(), 3);
    assert_eq!(john.nationalities, vec!["RU", "BY"]);
    assert_eq!(john.birth_dates.len(), 2);
    assert!(john.birth_dates[0].approximate);
    assert_eq!(john.wallets[0].asset, "ETH");
    assert_eq!(john.wallets[0].address, "0xabc");
    assert_eq!(john.gender, Some(screener_lists::Gender::Male));
    assert_eq!(john.identifiers[0].kind, IdentifierKind::TaxId);
    assert_eq!(john.listed_on.as_deref(), Some("2020-01-02"));
    assert_eq!(john.addresses[0].country.as_deref(), Some("RU"));
}

#[test]
fn bad_cells_warn_with_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        row(&[
            ("_id", "1"),
            ("name", "X"),
            ("type", "Robot"),
            ("dates_of_birth", "soon")
        ]),
        row(&[("_id", "2"), ("name", ""), ("type", "Entity")]),
        row(&[("_id", "3"), ("name", "Y"), ("start_date", "02/01/2020")]),
    );
    let list = load_text(dir.path(), &text).expect("loads");
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();

    assert_eq!(list.entities.len(), 2);
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
    assert!(warnings[0].contains("line 2"), "{warnings:#?}");
    assert!(warnings[0].contains("Robot"), "{warnings:#?}");
    assert!(warnings[1].contains("'soon'"), "{warnings:#?}");
    assert!(warnings[2].contains("line 3"), "{warnings:#?}");
    assert!(warnings[3].contains("line 4"), "{warnings:#?}");
    assert!(warnings[3].contains("02/01/2020"), "{warnings:#?}");
}

#[test]
fn missing_column_and_foreign_file_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_text(dir.path(), "source,name\nx,y\n").expect_err("no type column");
    let message = error.to_string();
    assert!(matches!(error, ListError::Invalid { .. }), "{message}");
    assert!(message.contains("type, alt_names"), "{message}");

    let error =
        load_text(dir.path(), "Last Updated,10/04/2025\nName 6,Group ID\n").expect_err("OFSI file");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
}

#[test]
fn oversized_field_fails_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let huge = "x".repeat(screener_lists::source::MAX_FIELD_BYTES + 1);
    let text = format!("{HEADER}\n{}\n", row(&[("_id", "1"), ("name", &huge)]));
    let error = load_text(dir.path(), &text).expect_err("oversized");
    assert!(matches!(error, ListError::Oversized { .. }), "{error}");
}

#[test]
fn unclosed_quote_fails_with_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = row(&[("_id", "1"), ("name", "FIRST TRADING")]);
    let text = format!("{HEADER}\n{good}\n2,x,,,,\"SECOND TRADING\n3,x,,,,THIRD TRADING\n");
    let error = load_text(dir.path(), &text).expect_err("unclosed quote");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("never closed"), "{message}");
}

#[test]
fn open_quote_on_last_line_warns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = row(&[("_id", "1"), ("name", "FIRST TRADING")]);
    let text = format!("{HEADER}\n{good}\n2,x,,,,\"SECOND TRAD");
    let list = load_text(dir.path(), &text).expect("a cut last row only warns");
    assert_eq!(list.entities.len(), 1);
    assert!(
        list.report
            .warnings
            .iter()
            .any(|w| w.location.contains("line 3")),
        "{:?}",
        list.report.warnings
    );
}
