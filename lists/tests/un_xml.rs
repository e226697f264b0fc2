//! The UN Security Council consolidated list loader on the published file
//! of 2026-02-27.

mod common;

use std::collections::HashSet;

use screener_lists::{load, EntityKind, Format, Gender, IdentifierKind, LoadOptions, NameType};

const UN_FILE: &str = "lists/un_consolidated/un_consolidated_2026-02-27.xml";

#[test]
fn un_counts_match_the_file() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let raw = std::fs::read(&path).expect("read UN file");
    let individuals = common::count_occurrences(&raw, b"<INDIVIDUAL>");
    let entities = common::count_occurrences(&raw, b"<ENTITY>");

    let loaded = load(&path, &LoadOptions::default()).expect("UN list loads");
    let report = &loaded.report;
    assert_eq!(report.format, "un_xml");
    assert_eq!(report.list, "un_sc");
    assert_eq!(report.counts.by_kind["person"], individuals);
    assert_eq!(report.counts.by_kind["organization"], entities);
    assert_eq!(report.counts.entities, individuals + entities);
    assert_eq!(report.published.as_deref(), Some("2026-02-27"));

    // Every record has its own reference number.
    let ids: HashSet<&str> = loaded.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), loaded.entities.len());
    for warning in &report.warnings {
        eprintln!("{warning}");
    }
}

#[test]
fn un_names_match_the_file() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read UN file");
    let loaded = load(&path, &LoadOptions::default()).expect("UN list loads");

    // Per record: every non-empty ALIAS_NAME and NAME_ORIGINAL_SCRIPT is
    // an alias, once, unless it repeats the primary name.
    let mut aliases = 0;
    let mut weak = 0;
    for record in text
        .split("<INDIVIDUAL>")
        .chain(text.split("<ENTITY>"))
        .skip(1)
    {
        let record = &record[..record
            .find("</INDIVIDUAL>")
            .or_else(|| record.find("</ENTITY>"))
            .unwrap_or(record.len())];
        let primary: Vec<String> = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
            .iter()
            .filter_map(|tag| element_text(record, tag))
            .collect();
        let mut names: HashSet<String> = HashSet::from([primary.join(" ")]);
        for tag in ["ALIAS_NAME", "NAME_ORIGINAL_SCRIPT"] {
            for value in element_texts(record, tag) {
                if names.insert(value) {
                    aliases += 1;
                }
            }
        }
        weak += record.matches("<QUALITY>Low</QUALITY>").count();
    }
    assert_eq!(loaded.report.counts.aliases, aliases);
    let loaded_weak = loaded
        .entities
        .iter()
        .flat_map(|e| &e.names)
        .filter(|n| n.name_type == NameType::WeakAlias)
        .count();
    assert!(loaded_weak > 0);
    assert!(loaded_weak <= weak);
}

/// The trimmed, unescaped text of every `<tag>...</tag>` in `record`.
fn element_texts(record: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    record
        .split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split(close.as_str()).next())
        .map(|value| {
            value
                .trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .filter(|value| !value.is_empty())
        .collect()
}

fn element_text(record: &str, tag: &str) -> Option<String> {
    element_texts(record, tag).into_iter().next()
}

#[test]
fn un_person_with_birth_date_and_passport() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let loaded = load(&path, &LoadOptions::default()).expect("UN list loads");
    let person = loaded
        .entities
        .iter()
        .find(|e| e.id == "CDi.021")
        .expect("CDi.021 is listed");
    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.names[0].full, "FLORIBERT NGABU NJABU");
    assert_eq!(person.names[0].parts.family.as_deref(), Some("NJABU"));
    assert!(person.names.iter().any(|n| n.full == "Floribert Ndjabu"));
    assert_eq!(person.birth_dates[0].from.to_string(), "1971-05-23");
    assert_eq!(person.nationalities, vec!["CD"]);
    let passport = &person.identifiers[0];
    assert_eq!(passport.kind, IdentifierKind::Passport);
    assert_eq!(passport.value, "OB 0243318");
    assert_eq!(passport.country.as_deref(), Some("CD"));
    assert_eq!(person.programs, vec!["DRC"]);
    assert_eq!(person.listed_on.as_deref(), Some("2005-11-01"));
    assert_eq!(person.gender, Some(Gender::Male));
}

#[test]
fn un_bank_with_alias_and_address() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let loaded = load(&path, &LoadOptions::default()).expect("UN list loads");
    let bank = loaded
        .entities
        .iter()
        .find(|e| e.id == "KPe.025")
        .expect("KPe.025 is listed");
    assert_eq!(bank.kind, EntityKind::Organization);
    assert_eq!(
        bank.names[0].full,
        "KOREA KWANGSON BANKING CORPORATION (KKBC)"
    );
    assert_eq!(bank.names[1].full, "KKBC");
    assert_eq!(bank.names[1].name_type, NameType::Alias);
    assert_eq!(bank.addresses[0].city.as_deref(), Some("Pyongyang"));
    assert_eq!(bank.addresses[0].country.as_deref(), Some("KP"));
}

#[test]
fn un_original_script_names_carry_their_script() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let loaded = load(&path, &LoadOptions::default()).expect("UN list loads");
    let scripted: Vec<_> = loaded
        .entities
        .iter()
        .flat_map(|e| &e.names)
        .filter(|n| n.script.is_some())
        .collect();
    assert!(!scripted.is_empty());
    assert!(scripted.iter().any(|n| n.script.as_deref() == Some("Arab")));
    assert!(scripted
        .iter()
        .all(|n| n.script.as_deref() != Some("Latn") || n.full.is_ascii()));
}

#[test]
fn un_load_twice_is_identical() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let options = LoadOptions {
        format: Some(Format::UnXml),
        list_id: Some("un".into()),
    };
    let first = load(&path, &options).expect("first load");
    let second = load(&path, &options).expect("second load");
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
    assert!(first.entities.iter().all(|e| e.list == "un"));
}
