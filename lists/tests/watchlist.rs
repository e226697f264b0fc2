//! The watch list CSV loader, on the example file in docs/ and on small
//! files made for each fault.

use std::path::{Path, PathBuf};

use screener_lists::{
    load, EntityKind, Format, IdentifierKind, ListError, LoadOptions, LoadedList, NameType,
};

fn options() -> LoadOptions {
    LoadOptions {
        format: Some(Format::WatchlistCsv),
        list_id: Some("internal".into()),
    }
}

fn load_text(dir: &Path, text: &str) -> Result<LoadedList, ListError> {
    let path = dir.join("watchlist.csv");
    std::fs::write(&path, text).expect("write test file");
    load(&path, &options())
}

fn example() -> PathBuf {
    screener_lists::source_root().join("docs/watchlist.example.csv")
}

const HEADER: &str =
    "id,kind,name,aliases,countries,birth_date,identifiers,wallets,programs,remarks";

#[test]
fn example_file_loads_cleanly() {
    let list = load(&example(), &options()).expect("the example loads");
    let text = std::fs::read_to_string(example()).expect("read example");
    let rows = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .count()
        - 1;

    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
    assert_eq!(list.entities.len(), rows);
    assert!(list.entities.iter().all(|e| e.list == "internal"));

    let smith = &list.entities[0];
    assert_eq!(smith.id, "C-1001");
    assert_eq!(smith.kind, EntityKind::Person);
    assert_eq!(smith.names.len(), 3);
    assert_eq!(smith.names[1].name_type, NameType::Alias);
    assert_eq!(smith.countries, vec!["GB", "IE"]);
    assert_eq!(smith.birth_dates[0].from.to_string(), "1971-03-14");
    assert_eq!(smith.identifiers[0].kind, IdentifierKind::Passport);
    assert_eq!(smith.identifiers[0].country.as_deref(), Some("GB"));
    assert_eq!(smith.programs, vec!["blocked-customer"]);

    let company = &list.entities[1];
    assert_eq!(company.kind, EntityKind::Organization);
    assert_eq!(company.identifiers[1].kind, IdentifierKind::Bic);
    assert!(company.remarks.as_deref().unwrap_or("").contains(';'));

    let wallet = list
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::Wallet)
        .expect("a wallet row");
    assert_eq!(wallet.wallets.len(), 2);
    assert_eq!(wallet.wallets[1].asset, "USDT");
    for listed in list.entities.iter().flat_map(|e| e.wallets.iter()) {
        let (_, family) = screener_lists::wallet::canonicalize(&listed.address);
        assert_eq!(
            screener_lists::wallet::validate(&listed.address, family),
            screener_lists::Validity::Valid,
            "example address {} is not valid for its chain",
            listed.address
        );
    }

    let vessel = list
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::Vessel)
        .expect("vessel");
    assert_eq!(vessel.identifiers[0].kind, IdentifierKind::Imo);
}

#[test]
fn example_sniffs_as_watchlist() {
    let file = screener_lists::source::InputFile::read(&example()).expect("read example");
    assert!(screener_lists::formats::watchlist::sniff(&file));
    assert!(!screener_lists::formats::us_csl::sniff(&file));
    assert!(!screener_lists::formats::uk_ofsi::sniff(&file));
}

#[test]
fn bad_cells_warn_with_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\n\
         1,robot,Ann Lee,,United Kingdom;XYZ,1970-13;1970,passport;passport:P1:G1,ETH 0x1;ETH:0xab,,\n\
         1,person,Dup Id,,,,,,,\n\
         ,person,No Id,,,,,,,\n\
         3,person,,,,,,,,\n\
         4,wallet,Empty wallet,,,,,,,\n\
         5,person,Too,Many,,,,,,,,,\n"
    );
    let list = load_text(dir.path(), &text).expect("loads");
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();
    let expected = [
        ("line 2, column kind", "'robot'"),
        ("line 2, column countries", "read as GB"),
        ("line 2, column countries", "'XYZ'"),
        ("line 2, column birth_date", "'1970-13'"),
        ("line 2, column identifiers", "'passport' has no type"),
        ("line 2, column identifiers", "kept without a country"),
        ("line 2, column wallets", "'ETH 0x1' has no asset"),
        ("line 3, column id", "already used on line 2"),
        ("line 4, column id", "id is empty"),
        ("line 5, column name", "name is empty"),
        ("line 6, column wallets", "kind is wallet"),
        ("line 7", "13 cells"),
    ];

    assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
    for (warning, (location, text)) in warnings.iter().zip(expected) {
        assert!(warning.contains(location), "{warning} lacks {location}");
        assert!(warning.contains(text), "{warning} lacks {text}");
    }
    assert_eq!(list.entities.len(), 2);
    let ann = &list.entities[0];
    assert_eq!(ann.kind, EntityKind::Unknown);
    assert_eq!(ann.countries, vec!["GB"]);
    assert_eq!(ann.birth_dates.len(), 1);
    assert_eq!(ann.identifiers.len(), 1);
    assert_eq!(ann.identifiers[0].country, None);
    assert_eq!(ann.wallets.len(), 1);
}

#[test]
fn short_rows_and_comments_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "# internal list\nid,name,kind\n# a comment between rows\nA1,Acme Ltd\n\"#2\",Hash Corp,organization\n";
    let list = load_text(dir.path(), text).expect("loads");
    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
    assert_eq!(list.entities.len(), 2);
    assert_eq!(list.entities[0].kind, EntityKind::Unknown);
    assert_eq!(list.entities[1].id, "#2");
}

#[test]
fn unknown_column_is_reported_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = load_text(dir.path(), "id,name,alias\n1,X,Y\n2,Z,W\n").expect("loads");
    assert_eq!(list.report.warnings.len(), 1);
    let warning = &list.report.warnings[0];
    assert_eq!(warning.location, "line 1");
    assert!(warning.message.contains("alias"), "{warning}");
}

#[test]
fn whole_file_problems_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_text(dir.path(), "kind,name\nperson,X\n").expect_err("no id column");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
    assert!(error.to_string().contains("id"), "{error}");

    let error = load_text(dir.path(), "# only a comment\n").expect_err("no header");
    assert!(matches!(error, ListError::Empty { .. }), "{error}");

    let huge = "x".repeat(screener_lists::source::MAX_FIELD_BYTES + 1);
    let error = load_text(dir.path(), &format!("id,name\n1,\"{huge}\"\n")).expect_err("oversized");
    assert!(matches!(error, ListError::Oversized { .. }), "{error}");
}

#[test]
fn loads_the_same_twice() {
    let first = load(&example(), &options()).expect("first load");
    let second = load(&example(), &options()).expect("second load");
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
}

#[test]
fn unclosed_quote_fails_with_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\nM-1,person,\"Alice Quote,,GB,,,,,\nM-2,person,Bob Mule,,GB,,,,,\nM-3,person,Carol Mule,,GB,,,,,\n"
    );
    let error = load_text(dir.path(), &text).expect_err("unclosed quote");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("watchlist.csv"), "{message}");
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("never closed"), "{message}");
}

#[test]
fn quoted_line_breaks_and_quotes_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\n# a comment with a stray \" quote\n\
         Q-1,person,\"Anna \"\"Nan\"\" Quinn\",,GB,,,,,\"first line\nsecond line\"\n\
         Q-2,person,Ben O\"Hara,,IE,,,,,\n\
         Q-3,person,Cara Quinn,,GB,,,,,\n"
    );
    let list = load_text(dir.path(), &text).expect("loads");
    let ids: Vec<&str> = list.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["Q-1", "Q-2", "Q-3"]);
    assert_eq!(list.entities[0].names[0].full, "Anna \"Nan\" Quinn");
}

#[test]
fn quote_closed_rows_later_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER}\nM-1,person,\"Alice Quote,,GB,,,,,\nM-2,person,Bob Mule,,GB,,,,,\nM-3,person,\"Carol Mule\",,GB,,,,,\n"
    );
    let error = load_text(dir.path(), &text).expect_err("quote closed two rows later");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("lines 2 to 4"), "{message}");
    assert!(message.contains("\"name\""), "{message}");
}
