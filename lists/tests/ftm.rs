//! The FollowTheMoney JSON lines loader, on two OpenSanctions samples and
//! on small files made for each schema and fault.

mod common;

use std::path::{Path, PathBuf};

use screener_lists::{
    load, Entity, EntityKind, Format, IdentifierKind, ListError, LoadOptions, LoadedList, NameType,
};

const THINGS: [&str; 6] = [
    "Person",
    "Organization",
    "Company",
    "LegalEntity",
    "Vessel",
    "Airplane",
];

fn sample(name: &str) -> Option<PathBuf> {
    let path = common::data_dir()?
        .join("lists/opensanctions_samples")
        .join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("data missing, skipping");
        None
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        format: Some(Format::FtmJson),
        list_id: None,
    }
}

fn load_text(dir: &Path, text: &str) -> Result<LoadedList, ListError> {
    let path = dir.join("entities.ftm.json");
    std::fs::write(&path, text).expect("write test file");
    load(&path, &options())
}

fn by_id<'a>(list: &'a LoadedList, id: &str) -> &'a Entity {
    list.entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id} is loaded"))
}

/// Lines whose schema is a thing schema, split by their `target` flag.
fn independent_counts(path: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).expect("read sample");
    let mut targets = 0;
    let mut others = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
        let schema = value["schema"].as_str().expect("schema");
        if !THINGS.contains(&schema) {
            continue;
        }
        if value["target"].as_bool() == Some(true) {
            targets += 1;
        } else {
            others += 1;
        }
    }
    (targets, others)
}

#[test]
fn eu_sample_counts_match_scan() {
    let Some(path) = sample("eu_fsf_sample.ftm.json") else {
        return;
    };
    let list = load(&path, &options()).expect("sample loads");
    let (targets, _) = independent_counts(&path);

    assert_eq!(list.entities.len(), targets);
    let person = by_id(&list, "NK-2Ka3UvopqbpZmVDFjWd4LA");
    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.names[0].full, "Vitaly Yurievich KUZMENKO");
    assert_eq!(person.names[0].parts.given.as_deref(), Some("Vitaly"));
    assert_eq!(person.names[0].parts.family.as_deref(), Some("KUZMENKO"));
    assert_eq!(person.birth_dates[0].from.to_string(), "1971-01-22");
    assert_eq!(person.nationalities, vec!["RU"]);
    assert!(person
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::TaxId && id.value == "366510784303"));
    let cyrillic = person
        .names
        .iter()
        .find(|n| n.full == "Виталий Юрьевич КУЗЬМЕНКО")
        .expect("Cyrillic name");
    assert_eq!(cyrillic.parts.given.as_deref(), Some("Виталий"));
}

#[test]
fn eu_sample_warns_of_missing_addresses() {
    let Some(path) = sample("eu_fsf_sample.ftm.json") else {
        return;
    };
    let list = load(&path, &options()).expect("sample loads");
    let company = by_id(&list, "NK-2GdmHtZTeNXjNVrBGEXZNj");
    assert_eq!(company.kind, EntityKind::Organization);
    assert_eq!(company.names.len(), 12);
    assert!(company
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::RegistrationNumber && id.value == "808000714"));

    // The sample contains one Address, and not the ones its entities name.
    let first = &list.report.warnings[0];
    assert_eq!(first.location, "line 1");
    assert!(
        first
            .message
            .contains("addr-125caec37c3486d3a71de8ae943eec47f420b38a"),
        "{first}"
    );
    let note = list.report.warnings.last().expect("note");
    assert!(
        note.message
            .contains("1 Address records no loaded entity refers to"),
        "{note}"
    );
}

#[test]
fn zala_cluster_counts_and_links() {
    let Some(path) = sample("zala_cluster.ftm.json") else {
        return;
    };
    let list = load(&path, &options()).expect("sample loads");
    let (targets, not_targets) = independent_counts(&path);

    assert_eq!(list.entities.len(), targets);
    let note = list
        .report
        .warnings
        .iter()
        .find(|w| w.location == "whole file")
        .expect("a note counts the records not loaded");
    assert!(
        note.message.contains(&format!(
            "{not_targets} Company records that are not targets"
        )),
        "{note}"
    );

    let zakharov = by_id(&list, "NK-aU5ybkbRFJucf8YMwsJvDw");
    assert!(
        zakharov.linked_to.contains(&"LLC CST".to_string()),
        "{:?}",
        zakharov.linked_to
    );
    assert!(
        zakharov.programs.contains(&"EU-UKR".to_string()),
        "{:?}",
        zakharov.programs
    );
    assert!(zakharov.listed_on.is_some());
    let cst = by_id(&list, "NK-abdzbEBkqyT29GyREbiURZ");
    assert!(
        cst.programs.contains(&"Autonomous (Russia)".to_string()),
        "{:?}",
        cst.programs
    );
    assert!(!cst.addresses.is_empty());
}

#[test]
fn samples_load_the_same_twice() {
    for name in ["eu_fsf_sample.ftm.json", "zala_cluster.ftm.json"] {
        let Some(path) = sample(name) else { return };
        let first = load(&path, &options()).expect("first load");
        let second = load(&path, &options()).expect("second load");
        assert_eq!(first.report.digest, second.report.digest);
        assert_eq!(first.entities, second.entities);
        assert_eq!(first.report.warnings, second.report.warnings);
    }
}

const SMALL: &str = r#"{"id":"p1","schema":"Person","caption":"Ivan Petrov","target":true,"properties":{"name":["Ivan Petrov"],"firstName":["Ivan"],"lastName":["Petrov"],"weakAlias":["Vanya"],"previousName":["Ivan Sidorov"],"birthDate":["1970-05"],"gender":["male"],"passportNumber":["P123"],"citizenship":["ru"],"address":["1 Red Square, Moscow"],"addressEntity":["addr-old"]}}
{"id":"v1","schema":"Vessel","caption":"SEA STAR","target":true,"properties":{"name":["SEA STAR"],"imoNumber":["9123456"],"flag":["pa"]}}
{"id":"a1","schema":"Airplane","caption":"EP-ABC","target":true,"properties":{"name":["EP-ABC"],"registrationNumber":["EP-ABC"]}}
{"id":"w1","schema":"CryptoWallet","target":false,"properties":{"publicKey":["0xdeadbeef"],"currency":["eth"],"holder":["p1"]}}
{"id":"w2","schema":"CryptoWallet","target":true,"properties":{"publicKey":["bc1qxyz"],"currency":["btc"],"holder":["nobody"]}}
{"id":"s1","schema":"Sanction","target":false,"properties":{"entity":["p1"],"program":["RUSSIA-EO14024"],"listingDate":["2022-03-01"]}}
{"id":"s2","schema":"Sanction","target":false,"properties":{"entity":["missing"],"program":["X"]}}
{"id":"i1","schema":"Passport","target":false,"properties":{"holder":["p1"],"number":["P999"],"country":["ru"]}}
{"id":"f1","schema":"Family","target":false,"properties":{"person":["p1"],"relative":["c1"]}}
{"id":"c1","schema":"Company","caption":"Side Co","target":false,"properties":{"name":["Side Co"]}}
{"id":"n1","schema":"Note","target":false,"properties":{"description":["x"]}}
{"id": "broken"
{"id":"o1","schema":"Organization","target":true,"properties":{"name":["Acme"],"leiCode":["5299008ONRYZRO61SY92"],"swiftBic":["ACMEGB22"]}}
{"id":"ad1","schema":"Address","target":false,"referents":["addr-old"],"properties":{"full":["1 Red Square, Moscow"],"country":["ru"]}}
"#;

#[test]
fn every_schema_maps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = load_text(dir.path(), SMALL).expect("loads");
    let ids: Vec<&str> = list.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["p1", "v1", "a1", "o1", "w2"]);

    let ivan = by_id(&list, "p1");
    let names: Vec<(&str, NameType)> = ivan
        .names
        .iter()
        .map(|n| (n.full.as_str(), n.name_type))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Ivan Petrov", NameType::Primary),
            ("Vanya", NameType::WeakAlias),
            ("Ivan Sidorov", NameType::Former),
        ]
    );
    assert_eq!(ivan.names[2].parts.given.as_deref(), Some("Ivan"));
    assert_eq!(ivan.names[2].parts.family, None);
    assert_eq!(ivan.birth_dates[0].from.to_string(), "1970-05");
    assert_eq!(ivan.wallets.len(), 1);
    assert_eq!(ivan.wallets[0].asset, "ETH");
    assert_eq!(ivan.programs, vec!["RUSSIA-EO14024"]);
    assert_eq!(ivan.listed_on.as_deref(), Some("2022-03-01"));
    assert_eq!(ivan.linked_to, vec!["Side Co"]);
    assert_eq!(ivan.nationalities, vec!["RU"]);
    assert_eq!(
        ivan.addresses.len(),
        1,
        "addressEntity resolves through referents"
    );
    assert_eq!(
        ivan.addresses[0].full.as_deref(),
        Some("1 Red Square, Moscow")
    );
    assert_eq!(ivan.countries, vec!["RU"]);
    let passport = ivan
        .identifiers
        .iter()
        .find(|i| i.value == "P999")
        .expect("Passport record");
    assert_eq!(passport.kind, IdentifierKind::Passport);
    assert_eq!(passport.country.as_deref(), Some("RU"));

    let vessel = by_id(&list, "v1");
    assert_eq!(vessel.kind, EntityKind::Vessel);
    assert_eq!(vessel.identifiers[0].kind, IdentifierKind::Imo);
    assert_eq!(vessel.countries, vec!["PA"]);
    let plane = by_id(&list, "a1");
    assert_eq!(plane.kind, EntityKind::Aircraft);
    assert_eq!(plane.identifiers[0].kind, IdentifierKind::Aircraft);
    let wallet = by_id(&list, "w2");
    assert_eq!(wallet.kind, EntityKind::Wallet);
    assert_eq!(wallet.wallets[0].address, "bc1qxyz");
    let acme = by_id(&list, "o1");
    let kinds: Vec<&IdentifierKind> = acme.identifiers.iter().map(|i| &i.kind).collect();
    assert_eq!(kinds, vec![&IdentifierKind::Lei, &IdentifierKind::Bic]);
}

#[test]
fn problems_warn_with_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = load_text(dir.path(), SMALL).expect("loads");
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();

    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(warnings[0].contains("line 12"), "{warnings:#?}");
    assert!(warnings[0].contains("invalid JSON"), "{warnings:#?}");
    assert!(warnings[1].contains("line 7"), "{warnings:#?}");
    assert!(warnings[1].contains("missing"), "{warnings:#?}");
    assert!(warnings[2].contains("whole file"), "{warnings:#?}");
    assert!(
        warnings[2].contains("1 Company records that are not targets"),
        "{warnings:#?}"
    );
    assert!(warnings[2].contains("1 Note records"), "{warnings:#?}");
}

#[test]
fn foreign_empty_and_oversized_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_text(dir.path(), "id,kind,name\n1,person,X\n").expect_err("CSV");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
    assert!(error.to_string().contains("none of its 2 lines"), "{error}");

    let error = load_text(dir.path(), "\n \n").expect_err("empty");
    assert!(matches!(error, ListError::Empty { .. }), "{error}");

    let huge = "x".repeat(screener_lists::source::MAX_FIELD_BYTES + 1);
    let line = format!(
        "{{\"id\":\"p\",\"schema\":\"Person\",\"properties\":{{\"notes\":[\"{huge}\"]}}}}\n"
    );
    let error = load_text(dir.path(), &line).expect_err("oversized");
    assert!(matches!(error, ListError::Oversized { .. }), "{error}");
    assert!(
        error.to_string().contains("line 1, property notes"),
        "{error}"
    );
}
