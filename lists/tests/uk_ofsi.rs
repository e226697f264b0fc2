//! The UK OFSI consolidated list loader, on the published file of
//! 2025-04-10 and on small files made for each fault.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use screener_lists::{
    load, Entity, EntityKind, Format, IdentifierKind, ListError, LoadOptions, LoadedList, NameType,
};

const HEADER: &str = "Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,\
Non-Latin Script Type,Non-Latin Script Language,DOB,Town of Birth,Country of Birth,Nationality,\
Passport Number,Passport Details,National Identification Number,National Identification Details,\
Position,Address 1,Address 2,Address 3,Address 4,Address 5,Address 6,Post/Zip Code,Country,\
Other Information,Group Type,Alias Type,Alias Quality,Regime,Listed On,\
UK Sanctions List Date Designated,Last Updated,Group ID";

fn real_file() -> Option<PathBuf> {
    let path = common::data_dir()?.join("lists/uk_ofsi_conlist_2025/ConList_2025-04-10.csv");
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
        format: Some(Format::UkOfsiCsv),
        list_id: None,
    }
}

fn load_text(dir: &Path, text: &str) -> Result<LoadedList, ListError> {
    let path = dir.join("conlist.csv");
    std::fs::write(&path, text).expect("write test file");
    load(&path, &options())
}

fn by_id<'a>(list: &'a LoadedList, id: &str) -> &'a Entity {
    list.entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("group {id} is loaded"))
}

/// Counts distinct Group IDs per Group Type with a plain CSV scan.
fn independent_counts(path: &Path) -> BTreeMap<String, HashSet<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .expect("open file");
    let mut records = reader.records().map(|r| r.expect("record"));
    let _last_updated = records.next();
    let header = records.next().expect("header");
    let column = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (id, kind) = (column("Group ID"), column("Group Type"));
    let mut groups: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for record in records {
        groups
            .entry(record[kind].to_string())
            .or_default()
            .insert(record[id].to_string());
    }
    groups
}

#[test]
fn real_file_counts_match_scan() {
    let Some(list) = real_list() else { return };
    let groups = independent_counts(&real_file().expect("file is there"));
    let total: usize = groups.values().map(HashSet::len).sum();

    assert_eq!(list.entities.len(), total);
    let count = |kind: EntityKind| list.entities.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count(EntityKind::Person), groups["Individual"].len());
    assert_eq!(count(EntityKind::Organization), groups["Entity"].len());
    assert_eq!(count(EntityKind::Vessel), groups["Ship"].len());
    assert_eq!(list.report.published.as_deref(), Some("2025-04-10"));
    assert_eq!(list.report.list, "uk_ofsi");
    for warning in &list.report.warnings {
        assert!(
            warning.file.ends_with("ConList_2025-04-10.csv"),
            "{warning}"
        );
        assert!(warning.location.starts_with("line "), "{warning}");
    }
}

#[test]
fn real_file_every_target_has_a_primary_first() {
    let Some(list) = real_list() else { return };
    for entity in &list.entities {
        let first = entity.names.first().expect("every group has a name");
        let has_primary = entity
            .names
            .iter()
            .any(|n| n.name_type == NameType::Primary);
        if has_primary {
            assert_eq!(first.name_type, NameType::Primary, "group {}", entity.id);
        }
        assert!(
            !entity.programs.is_empty(),
            "group {} has a regime",
            entity.id
        );
    }
}

#[test]
fn real_file_bank_with_aliases() {
    let Some(list) = real_list() else { return };
    let vtb = by_id(list, "14195");
    let names: Vec<&str> = vtb.names.iter().map(|n| n.full.as_str()).collect();

    assert_eq!(vtb.kind, EntityKind::Organization);
    assert_eq!(names[0], "VTB BANK (PUBLIC JOINT-STOCK COMPANY)");
    assert!(names.contains(&"VTB"), "{names:?}");
    assert!(names.contains(&"VTB BANK (PJSC)"), "{names:?}");
    let cyrillic = vtb
        .names
        .iter()
        .find(|n| n.full == "Банк ВТБ (публичное акционерное общество)")
        .expect("the Cyrillic name is kept");
    assert_eq!(cyrillic.name_type, NameType::Primary);
    assert_eq!(vtb.programs, vec!["Russia"]);
    assert!(vtb.countries.contains(&"RU".to_string()));
    assert!(vtb.identifiers.iter().any(|id| id.value == "RUS0250"));
}

#[test]
fn real_file_person_with_passport() {
    let Some(list) = real_list() else { return };
    let person = by_id(list, "16748");

    assert_eq!(person.kind, EntityKind::Person);
    let primary = &person.names[0];
    assert_eq!(primary.full, "Aleksandr Sergeyevich BOLSHAKOV");
    assert_eq!(primary.parts.given.as_deref(), Some("Aleksandr"));
    assert_eq!(primary.parts.middle.as_deref(), Some("Sergeyevich"));
    assert_eq!(primary.parts.family.as_deref(), Some("BOLSHAKOV"));
    assert!(person
        .names
        .iter()
        .any(|n| n.full == "WTLFNT" && n.name_type == NameType::Alias));
    assert_eq!(person.birth_dates.len(), 1);
    assert_eq!(person.birth_dates[0].from.to_string(), "1994-07-23");
    assert_eq!(person.birth_places, vec!["Kazakhstan"]);
    assert_eq!(person.nationalities, vec!["RU"]);
    assert!(person
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::Passport && id.value == "756311712"));
    assert_eq!(person.listed_on.as_deref(), Some("2025-02-11"));
    assert_eq!(person.programs, vec!["Cyber"]);
}

#[test]
fn real_file_vessel_with_imo() {
    let Some(list) = real_list() else { return };
    let ship = by_id(list, "13651");

    assert_eq!(ship.kind, EntityKind::Vessel);
    assert_eq!(ship.names[0].full, "SAM JONG 2");
    assert_eq!(ship.names.len(), 9);
    assert!(ship
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::Imo && id.value == "7408873"));
    assert!(ship.countries.contains(&"KP".to_string()));
}

#[test]
fn real_file_loads_the_same_twice() {
    let Some(path) = real_file() else { return };
    let first = load(&path, &options()).expect("first load");
    let second = load(&path, &options()).expect("second load");
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
    assert_eq!(first.report.warnings, second.report.warnings);
}

fn row(cells: &[(&str, &str)]) -> String {
    let header: Vec<&str> = HEADER.split(',').collect();
    header
        .iter()
        .map(|column| {
            let value = cells
                .iter()
                .find(|(name, _)| name == column)
                .map_or("", |(_, v)| *v);
            format!("\"{}\"", value.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn rows_group_and_merge_without_duplicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let person = [
        ("Name 6", "DOE"),
        ("Name 1", "John"),
        ("Title", "(1) General (2) Doctor"),
        ("DOB", "00/00/1970"),
        ("Group Type", "Individual"),
        ("Alias Type", "Primary name"),
        ("Regime", "Russia"),
        ("Listed On", "05/06/2022"),
        ("Group ID", "1"),
    ];
    let mut alias = person;
    alias[0] = ("Name 6", "DOUGH");
    alias[5] = ("Alias Type", "AKA");
    let mut weak = alias;
    weak[0] = ("Name 6", "DO");
    let text = format!(
        "Last Updated,10/04/2025\n{HEADER}\n{}\n{}\n{}\n{}\n",
        row(&alias),
        row(&person),
        row(&person),
        row(&[weak.as_slice(), &[("Alias Quality", "Low quality")]].concat()),
    );
    let list = load_text(dir.path(), &text).expect("loads");

    assert_eq!(list.entities.len(), 1);
    let entity = &list.entities[0];
    let names: Vec<(&str, NameType)> = entity
        .names
        .iter()
        .map(|n| (n.full.as_str(), n.name_type))
        .collect();
    assert_eq!(
        names,
        vec![
            ("John DOE", NameType::Primary),
            ("John DOUGH", NameType::Alias),
            ("John DO", NameType::WeakAlias),
        ]
    );
    assert_eq!(entity.names[0].parts.other, vec!["General", "Doctor"]);
    assert_eq!(entity.birth_dates.len(), 1);
    assert_eq!(entity.birth_dates[0].from.to_string(), "1970");
    assert_eq!(entity.listed_on.as_deref(), Some("2022-06-05"));
    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
}

#[test]
fn bad_cells_warn_with_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "Last Updated,10/04/2025\n{HEADER}\n{}\n{}\n{}\nshort,row\n",
        row(&[
            ("Name 6", "ACME"),
            ("DOB", "31/31/1970"),
            ("Group Type", "Entity"),
            ("Alias Type", "Primary name"),
            ("Group ID", "7"),
        ]),
        row(&[
            ("Name 6", "NOBODY"),
            ("Group Type", "Entity"),
            ("Alias Type", "AKA")
        ]),
        row(&[
            ("Name 6", "THING"),
            ("Group Type", "Spaceship"),
            ("Alias Type", "Primary name"),
            ("Group ID", "8"),
        ]),
    );
    let list = load_text(dir.path(), &text).expect("loads");
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();

    assert_eq!(list.entities.len(), 2);
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
    assert!(warnings[0].contains("line 3"), "{warnings:#?}");
    assert!(warnings[0].contains("DOB '31/31/1970'"), "{warnings:#?}");
    assert!(warnings[1].contains("line 4"), "{warnings:#?}");
    assert!(warnings[1].contains("Group ID is empty"), "{warnings:#?}");
    assert!(warnings[2].contains("line 5"), "{warnings:#?}");
    assert!(warnings[2].contains("Spaceship"), "{warnings:#?}");
    assert!(warnings[3].contains("line 6"), "{warnings:#?}");
    assert!(warnings[3].contains("2 cells"), "{warnings:#?}");
    assert_eq!(list.entities[1].kind, EntityKind::Unknown);
}

#[test]
fn missing_column_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = HEADER.replace(",Group ID", "");
    let error = load_text(dir.path(), &format!("Last Updated,10/04/2025\n{header}\n"))
        .expect_err("no Group ID column");
    let message = error.to_string();
    assert!(matches!(error, ListError::Invalid { .. }), "{message}");
    assert!(message.contains("Group ID"), "{message}");
    assert!(message.contains("conlist.csv"), "{message}");
}

#[test]
fn empty_and_foreign_files_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_text(dir.path(), "\n\n").expect_err("empty");
    assert!(matches!(error, ListError::Empty { .. }), "{error}");

    let error = load_text(dir.path(), "{\"id\": \"x\", \"schema\": \"Person\"}\n")
        .expect_err("JSON is not the OFSI CSV");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
}

#[test]
fn oversized_field_fails_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let huge = "x".repeat(screener_lists::source::MAX_FIELD_BYTES + 1);
    let text = format!(
        "{HEADER}\n{}\n",
        row(&[
            ("Name 6", &huge),
            ("Group Type", "Entity"),
            ("Alias Type", "Primary name"),
            ("Group ID", "9"),
        ])
    );
    let error = load_text(dir.path(), &text).expect_err("oversized");
    assert!(matches!(error, ListError::Oversized { .. }), "{error}");
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn sniff_knows_its_own_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("conlist.csv");
    std::fs::write(&path, format!("Last Updated,10/04/2025\n{HEADER}\n")).expect("write");
    let file = screener_lists::source::InputFile::read(&path).expect("read");
    assert!(screener_lists::formats::uk_ofsi::sniff(&file));
    std::fs::write(&path, "id,kind,name\n").expect("write");
    let file = screener_lists::source::InputFile::read(&path).expect("read");
    assert!(!screener_lists::formats::uk_ofsi::sniff(&file));
}

#[test]
#[ignore = "prints the warnings of the published file"]
fn print_real_warnings() {
    let Some(list) = real_list() else { return };
    for warning in &list.report.warnings {
        println!("{warning}");
    }
    println!("{:?}", list.report.counts);
}
