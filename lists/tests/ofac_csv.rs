//! The OFAC legacy CSV loader on published sets: the SDN set of July 2021
//! (sdn, alt, add, sdn_comments), sdn.csv alone of 2024-04-26, and the
//! consolidated non-SDN set of 2025. Counts are taken with the csv crate,
//! independently of the loader's own record splitter.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use screener_lists::{load, EntityKind, Gender, IdentifierKind, LoadOptions, LoadedList, NameType};

const SET_2021: &str = "lists/ofac_sdn_csv_2021";
const SDN_2024: &str = "lists/ofac_sdn_csv_2024/sdn_2024-04-26.csv";
const CONSOLIDATED: &str = "lists/ofac_consolidated_2025";

/// The rows of an OFAC CSV file as read by the csv crate, decoded from
/// Windows-1252, with the trailing 0x1A byte and `-0-` markers removed.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("read CSV file");
    let bytes = bytes.strip_suffix(b"\x1a").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    reader
        .byte_records()
        .map(|record| {
            record
                .expect("csv record")
                .iter()
                .map(|field| {
                    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(field);
                    let text = text.trim();
                    if text == "-0-" {
                        String::new()
                    } else {
                        text.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

fn load_path(path: &Path) -> LoadedList {
    load(path, &LoadOptions::default()).expect("OFAC CSV loads")
}

fn entity<'l>(list: &'l LoadedList, id: &str) -> &'l screener_lists::Entity {
    list.entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("entry {id} is listed"))
}

#[test]
fn csv_2021_counts_match_the_files() {
    let Some(dir) = common::data_path(SET_2021) else {
        return;
    };
    let list = load_path(&dir);
    let report = &list.report;
    assert_eq!(report.format, "ofac_csv");
    assert_eq!(report.files.len(), 4);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let main = csv_rows(&dir.join("sdn.csv"));
    let ids: HashSet<&str> = main.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(report.counts.entities, ids.len());
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for row in &main {
        let kind = match row[2].as_str() {
            "individual" => "person",
            "vessel" => "vessel",
            "aircraft" => "aircraft",
            _ => "organization",
        };
        *kinds.entry(kind).or_default() += 1;
    }
    for (kind, count) in kinds {
        assert_eq!(report.counts.by_kind[kind], count, "{kind}");
    }

    // Digital currency addresses sit in the remarks, which continue in the
    // comments file (sometimes mid-word).
    let mut remarks: HashMap<&str, String> = main
        .iter()
        .map(|r| (r[0].as_str(), r[11].clone()))
        .collect();
    let comments = csv_rows(&dir.join("sdn_comments.csv"));
    for row in &comments {
        remarks
            .get_mut(row[0].as_str())
            .expect("known entry")
            .push_str(&row[1]);
    }
    let wallets: usize = remarks
        .values()
        .map(|text| text.matches("Digital Currency Address - ").count())
        .sum();
    assert_eq!(report.counts.wallets, wallets);
}

#[test]
fn csv_2021_every_alias_and_address_loads() {
    let Some(dir) = common::data_path(SET_2021) else {
        return;
    };
    let list = load_path(&dir);
    let by_id: HashMap<&str, &screener_lists::Entity> =
        list.entities.iter().map(|e| (e.id.as_str(), e)).collect();

    for row in csv_rows(&dir.join("alt.csv")) {
        let entity = by_id[row[0].as_str()];
        let name = entity
            .names
            .iter()
            .find(|n| n.full == row[3])
            .unwrap_or_else(|| panic!("alias {} of {}", row[3], row[0]));
        // An alias that repeats the primary name is that name.
        let expected = match row[2].as_str() {
            _ if entity.names[0].full == row[3] => NameType::Primary,
            "fka" => NameType::Former,
            _ => NameType::Alias,
        };
        assert_eq!(name.name_type, expected, "{}", row[3]);
    }

    let mut addresses = HashSet::new();
    for row in csv_rows(&dir.join("add.csv")) {
        if row[2..5].iter().all(String::is_empty) {
            continue;
        }
        let entity = by_id[row[0].as_str()];
        let street = Some(row[2].as_str()).filter(|s| !s.is_empty());
        assert!(
            entity.addresses.iter().any(|a| a.street.as_deref() == street
                && a.city.as_deref().unwrap_or("") == row[3]),
            "address {:?} of {}",
            row,
            row[0]
        );
        addresses.insert((
            row[0].clone(),
            row[2].clone(),
            row[3].clone(),
            row[4].clone(),
        ));
    }
    assert_eq!(list.report.counts.addresses, addresses.len());
}

#[test]
fn csv_2021_bank_with_aliases() {
    let Some(dir) = common::data_path(SET_2021) else {
        return;
    };
    let list = load_path(&dir);
    let bank = entity(&list, "306");
    assert_eq!(bank.kind, EntityKind::Organization);
    assert_eq!(bank.names[0].full, "BANCO NACIONAL DE CUBA");
    assert_eq!(bank.names[1].full, "NATIONAL BANK OF CUBA");
    assert_eq!(bank.names[1].name_type, NameType::Alias);
    assert_eq!(bank.names[2].full, "BNC");
    assert_eq!(bank.names[2].name_type, NameType::WeakAlias);
    assert_eq!(bank.addresses.len(), 4);
    assert!(bank.countries.contains(&"JP".to_string()));
    assert_eq!(bank.programs, vec!["CUBA"]);
}

#[test]
fn csv_2021_person_with_birth_date_and_passport() {
    let Some(dir) = common::data_path(SET_2021) else {
        return;
    };
    let list = load_path(&dir);
    let person = entity(&list, "15002");
    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.names[0].full, "FLORES APODACA, Agustin");
    assert_eq!(
        person.names[0].parts.family.as_deref(),
        Some("FLORES APODACA")
    );
    assert_eq!(person.names[0].parts.given.as_deref(), Some("Agustin"));
    assert_eq!(person.birth_dates[0].from.to_string(), "1964-06-09");
    assert_eq!(person.birth_places, vec!["Sinaloa, Mexico"]);
    assert_eq!(person.nationalities, vec!["MX"]);
    assert_eq!(person.gender, Some(Gender::Male));
    let passport = &person.identifiers[0];
    assert_eq!(passport.kind, IdentifierKind::Passport);
    assert_eq!(passport.value, "040070827");
    assert_eq!(passport.country.as_deref(), Some("MX"));
    let weak: Vec<&str> = person
        .names
        .iter()
        .filter(|n| n.name_type == NameType::WeakAlias)
        .map(|n| n.full.as_str())
        .collect();
    assert_eq!(weak, vec!["EL NINO", "EL BARBON", "EL INGENIERO"]);
}

#[test]
fn csv_2021_vessel_with_imo_number() {
    let Some(dir) = common::data_path(SET_2021) else {
        return;
    };
    let list = load_path(&dir);
    let vessel = entity(&list, "15036");
    assert_eq!(vessel.kind, EntityKind::Vessel);
    assert!(vessel
        .identifiers
        .iter()
        .any(|i| i.kind == IdentifierKind::Imo && i.value == "9187629"));
    assert!(vessel
        .identifiers
        .iter()
        .any(|i| i.kind == IdentifierKind::Other("Vessel Call Sign".into()) && i.value == "T2EU4"));
    let abadan = vessel
        .names
        .iter()
        .find(|n| n.full == "ABADAN")
        .expect("f.k.a. ABADAN");
    assert_eq!(abadan.name_type, NameType::Former);
    assert_eq!(vessel.countries.first().map(String::as_str), Some("IR"));
    assert_eq!(vessel.linked_to, vec!["NATIONAL IRANIAN TANKER COMPANY"]);
}

#[test]
fn csv_2024_alone_loads_with_remarks() {
    let Some(path) = common::data_path(SDN_2024) else {
        return;
    };
    let list = load_path(&path);
    assert_eq!(list.report.files.len(), 1);
    let rows = csv_rows(&path);
    assert_eq!(list.report.counts.entities, rows.len());

    let lazarus = entity(&list, "27307");
    assert_eq!(lazarus.names[0].full, "LAZARUS GROUP");
    assert!(lazarus
        .wallets
        .iter()
        .any(|w| w.asset == "ETH" && w.address == "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"));
    assert!(lazarus.names.iter().any(|n| n.full == "HIDDEN COBRA"));
    // The remark is cut at 1000 characters inside an alias, and the
    // comments file that continues it is absent: the part is reported.
    assert!(!lazarus
        .names
        .iter()
        .any(|n| n.full.starts_with("WHOIS HACKIN")));
    assert!(list
        .report
        .warnings
        .iter()
        .any(|w| w.location == "entry 27307" && w.message.contains("cut off")));
}

#[test]
fn csv_consolidated_set_loads() {
    let Some(dir) = common::data_path(CONSOLIDATED) else {
        return;
    };
    let list = load_path(&dir);
    assert_eq!(list.report.list, "ofac_cons");
    assert_eq!(list.report.files.len(), 4);
    let rows = csv_rows(&dir.join("cons_prim.csv"));
    let ids: HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(list.report.counts.entities, ids.len());
    let persons = rows.iter().filter(|r| r[2] == "individual").count();
    assert_eq!(list.report.counts.by_kind["person"], persons);
    let alt_rows = csv_rows(&dir.join("cons_alt.csv")).len();
    assert!(list.report.counts.aliases >= alt_rows);
    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
}

#[test]
fn csv_load_twice_is_identical() {
    let Some(dir) = common::data_path(SET_2021) else {
        return;
    };
    let first = load_path(&dir);
    let second = load_path(&dir);
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
}
