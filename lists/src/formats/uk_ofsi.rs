//! UK OFSI consolidated list CSV.
//!
//! The file opens with a "Last Updated,dd/mm/yyyy" line (the publication
//! date), then a header, then one row per name variant. Rows that share a
//! `Group ID` are one target. A target with several addresses or birth
//! dates repeats each name once per address or date, so names, dates,
//! addresses and identifiers are merged without duplicates. Columns are
//! found by header name. Other facts sit in the `Other Information` cell
//! as "(Tag):value" pairs; the loader reads the UK Sanctions List Ref,
//! gender, IMO number, ship flag and business registration numbers from
//! there, and keeps the whole cell as the remarks.

use std::collections::HashMap;

use csv::StringRecord;

use super::country_shim::{country, country_code};
use super::csv_table::{self, Columns, Row};
use super::dates::{full_iso, parse_slash_date, SlashOrder};
use super::registry_numbers::registry_numbers;
use super::text::{non_empty, push_unique, split_enumerated};
use crate::error::ListError;
use crate::model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts,
    NameType,
};
use crate::source::{decode_text, InputFile, LoadContext};

const FORMAT: &str = "UK OFSI consolidated list CSV";
const REQUIRED: [&str; 4] = ["Name 6", "Group Type", "Alias Type", "Group ID"];
const GIVEN_NAMES: [&str; 5] = ["Name 1", "Name 2", "Name 3", "Name 4", "Name 5"];
const ADDRESS_LINES: [&str; 6] = [
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
];

/// Checks whether the file looks like the OFSI consolidated list: a "Last
/// Updated" first line or a header with "Name 6" and "Group ID".
pub fn sniff(file: &InputFile) -> bool {
    let head = &file.bytes[..file.bytes.len().min(4096)];
    let text = decode_text(head);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let header = if first.starts_with("Last Updated") {
        lines.next().unwrap_or("")
    } else {
        first
    };
    header.contains("Name 6") && header.contains("Group ID")
}

/// Reads the OFSI consolidated list CSV: one entity per `Group ID`.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let text = csv_table::text_of(file)?;
    csv_table::check_quotes_closed(&text, b',', None, file, FORMAT)?;
    let mut reader = csv_table::reader(&text, b',');
    let mut record = StringRecord::new();
    let columns = read_header(&mut reader, &mut record, file, context)?;

    let mut groups = Groups::default();
    while csv_table::next_record(&mut reader, &mut record, file, FORMAT)? {
        let row = Row::new(&record, &columns, &file.name);
        read_row(&row, list_id, context, &mut groups);
    }
    Ok(groups.finish())
}

/// Reads the optional "Last Updated" line and the header.
fn read_header(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut StringRecord,
    file: &InputFile,
    context: &mut LoadContext,
) -> Result<Columns, ListError> {
    let missing_header = || ListError::Invalid {
        path: file.path.clone(),
        format: FORMAT,
        reason: "the file ends before the header row".into(),
    };
    if !csv_table::next_record(reader, record, file, FORMAT)? {
        return Err(missing_header());
    }
    let first_cell = record.get(0).unwrap_or("").trim_start_matches('\u{feff}');
    if first_cell.trim() == "Last Updated" {
        let date = record.get(1).unwrap_or("");
        match parse_slash_date(date, SlashOrder::DayFirst).and_then(full_iso) {
            Some(iso) => context.published = Some(iso),
            None => context.warn(
                &file.name,
                "line 1",
                format!("Last Updated date '{date}' is not dd/mm/yyyy; the publication date is left unknown"),
            ),
        }
        if !csv_table::next_record(reader, record, file, FORMAT)? {
            return Err(missing_header());
        }
    }
    let columns = Columns::new(record);
    columns.require(file, FORMAT, &REQUIRED)?;
    Ok(columns)
}

/// Targets in the order of their first row, with what rows add to them.
#[derive(Default)]
struct Groups {
    targets: Vec<Target>,
    by_id: HashMap<String, usize>,
}

struct Target {
    entity: Entity,
    remarks: Vec<String>,
}

impl Groups {
    fn get_or_insert(&mut self, list_id: &str, id: &str, kind: EntityKind) -> &mut Target {
        let index = *self.by_id.entry(id.to_string()).or_insert_with(|| {
            self.targets.push(Target {
                entity: Entity::new(list_id, id, kind),
                remarks: Vec::new(),
            });
            self.targets.len() - 1
        });
        &mut self.targets[index]
    }

    fn finish(self) -> Vec<Entity> {
        self.targets
            .into_iter()
            .map(|mut target| {
                // The primary name goes first; the sort is stable.
                target
                    .entity
                    .names
                    .sort_by_key(|name| name.name_type != NameType::Primary);
                if !target.remarks.is_empty() {
                    target.entity.remarks = Some(target.remarks.join("\n"));
                }
                target.entity
            })
            .collect()
    }
}

fn read_row(row: &Row, list_id: &str, context: &mut LoadContext, groups: &mut Groups) {
    if !row.is_data(context) {
        return;
    }
    let group_id = row.cell("Group ID");
    if group_id.is_empty() {
        row.warn(context, "Group ID is empty; row skipped");
        return;
    }
    let kind = kind_of(row, context);
    let target = groups.get_or_insert(list_id, group_id, kind);
    if target.entity.kind != kind {
        row.warn(
            context,
            format!(
                "Group Type '{}' differs from earlier rows of group {group_id}; kept {}",
                row.cell("Group Type"),
                target.entity.kind.as_str()
            ),
        );
    }
    add_row(target, row, context);
}

fn kind_of(row: &Row, context: &mut LoadContext) -> EntityKind {
    match row.cell("Group Type") {
        "Individual" => EntityKind::Person,
        "Entity" => EntityKind::Organization,
        "Ship" => EntityKind::Vessel,
        other => {
            row.warn(
                context,
                format!(
                    "Group Type '{other}' is not Individual, Entity or Ship; kind set to unknown"
                ),
            );
            EntityKind::Unknown
        }
    }
}

/// Adds what one row states to its target.
fn add_row(target: &mut Target, row: &Row, context: &mut LoadContext) {
    add_names(&mut target.entity, row, context);
    add_birth(&mut target.entity, row, context);
    for code in countries_of(row.cell("Nationality")) {
        push_unique(&mut target.entity.nationalities, code);
    }
    add_documents(target, row, "Passport", IdentifierKind::Passport);
    add_documents(
        target,
        row,
        "National Identification",
        IdentifierKind::NationalId,
    );
    add_address(&mut target.entity, row);
    if let Some(program) = non_empty(row.cell("Regime")) {
        push_unique(&mut target.entity.programs, program);
    }
    add_listing_date(&mut target.entity, row, context);
    add_other_information(target, row);
    if let Some(position) = non_empty(row.cell("Position")) {
        push_unique(&mut target.remarks, format!("Position: {position}"));
    }
}

fn add_names(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    let name_type = name_type_of(row, context);
    let latin = latin_name(row, entity.kind, name_type);
    let non_latin = non_empty(row.cell("Name Non-Latin Script")).map(|full| Name {
        full,
        name_type,
        parts: NameParts::default(),
        script: non_empty(row.cell("Non-Latin Script Type")),
    });
    if latin.is_none() && non_latin.is_none() {
        row.warn(
            context,
            "row has no name in Name 1 to Name 6 or Name Non-Latin Script; other cells used",
        );
    }
    for name in latin.into_iter().chain(non_latin) {
        push_unique(&mut entity.names, name);
    }
}

fn name_type_of(row: &Row, context: &mut LoadContext) -> NameType {
    let low_quality = row
        .cell("Alias Quality")
        .eq_ignore_ascii_case("Low quality");
    match row.cell("Alias Type") {
        "Primary name" => NameType::Primary,
        "FKA" => NameType::Former,
        "AKA" | "Primary name variation" if low_quality => NameType::WeakAlias,
        "AKA" | "Primary name variation" => NameType::Alias,
        other => {
            row.warn(
                context,
                format!("Alias Type '{other}' is not known; the name is read as an alias"),
            );
            NameType::Alias
        }
    }
}

/// Builds the name in Name 1 to Name 6 (Name 6 is the surname or the whole name
/// of an entity), with its parts for a person and the Title cell's titles.
fn latin_name(row: &Row, kind: EntityKind, name_type: NameType) -> Option<Name> {
    let given: Vec<&str> = GIVEN_NAMES
        .iter()
        .map(|column| row.cell(column))
        .filter(|part| !part.is_empty())
        .collect();
    let family = row.cell("Name 6");
    let full = given
        .iter()
        .copied()
        .chain((!family.is_empty()).then_some(family))
        .collect::<Vec<_>>()
        .join(" ");
    if full.is_empty() {
        return None;
    }
    let mut parts = NameParts::default();
    if kind == EntityKind::Person {
        parts.given = given.first().map(|part| part.to_string());
        parts.middle = non_empty(&given.get(1..).unwrap_or_default().join(" "));
        parts.family = non_empty(family);
        parts.other = split_enumerated(row.cell("Title"))
            .into_iter()
            .filter(|title| !title.is_empty())
            .collect();
    }
    Some(Name {
        full,
        name_type,
        parts,
        script: None,
    })
}

fn add_birth(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    let dob = row.cell("DOB");
    if !dob.is_empty() {
        match parse_slash_date(dob, SlashOrder::DayFirst) {
            Some(date) => push_unique(&mut entity.birth_dates, BirthDate::exact(date)),
            None => row.warn(
                context,
                format!(
                    "DOB '{dob}' is not a date in the form dd/mm/yyyy, mm/yyyy or yyyy; ignored"
                ),
            ),
        }
    }
    for place in birth_places(row.cell("Town of Birth"), row.cell("Country of Birth")) {
        push_unique(&mut entity.birth_places, place);
    }
}

/// Pairs numbered towns with numbered countries of birth when both lists
/// have the same length; otherwise each is a place of its own.
fn birth_places(towns: &str, countries: &str) -> Vec<String> {
    let towns = split_enumerated(towns);
    let countries = split_enumerated(countries);
    let joined = |town: &str, country: &str| match (town.is_empty(), country.is_empty()) {
        (false, false) => format!("{town}, {country}"),
        (false, true) => town.to_string(),
        _ => country.to_string(),
    };
    let places: Vec<String> = if towns.len() == countries.len() {
        towns
            .iter()
            .zip(&countries)
            .map(|(town, country)| joined(town, country))
            .collect()
    } else {
        towns.into_iter().chain(countries).collect()
    };
    places
        .into_iter()
        .filter(|place| !place.is_empty())
        .collect()
}

/// ISO codes for a Nationality cell such as "(1) Germany. (2) Morocco" or
/// "Estonia, Russia"; a name the table does not know is kept as written.
fn countries_of(text: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for item in split_enumerated(text) {
        if item.is_empty() {
            continue;
        }
        if let Some(code) = country_code(&item) {
            codes.push(code.to_string());
            continue;
        }
        let pieces: Vec<Option<&str>> = item
            .split([',', '.'])
            .filter(|piece| !piece.trim().is_empty())
            .map(country_code)
            .collect();
        if pieces.len() > 1 && pieces.iter().all(Option::is_some) {
            codes.extend(pieces.into_iter().flatten().map(str::to_string));
        } else {
            codes.push(item);
        }
    }
    codes
}

/// Reads "<prefix> Number" with "<prefix> Details": numbered lists paired
/// by position. The issuing country is read from the start of the
/// details ("Libya number", "Syria"); the details go to the remarks.
fn add_documents(target: &mut Target, row: &Row, prefix: &str, kind: IdentifierKind) {
    let numbers = split_enumerated(row.cell(&format!("{prefix} Number")));
    let details = split_enumerated(row.cell(&format!("{prefix} Details")));
    for (i, number) in numbers.iter().enumerate() {
        if number.is_empty() {
            continue;
        }
        let detail = details
            .get(i)
            .or(if details.len() == 1 {
                details.first()
            } else {
                None
            })
            .map(String::as_str)
            .unwrap_or("");
        let identifier = Identifier {
            kind: kind.clone(),
            value: number.clone(),
            country: leading_country(detail),
        };
        push_unique(&mut target.entity.identifiers, identifier);
        if !detail.is_empty() {
            push_unique(&mut target.remarks, format!("{prefix} {number}: {detail}"));
        }
    }
}

/// Returns the country named by the first one to three words of `text`.
fn leading_country(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '.' || c == ',')
        .filter(|word| !word.is_empty())
        .collect();
    (1..=words.len().min(3))
        .rev()
        .find_map(|n| country_code(&words[..n].join(" ")))
        .map(str::to_string)
}

fn add_address(entity: &mut Entity, row: &Row) {
    let lines: Vec<&str> = ADDRESS_LINES
        .iter()
        .map(|column| row.cell(column))
        .filter(|line| !line.is_empty())
        .collect();
    let postal_code = non_empty(row.cell("Post/Zip Code"));
    let country_text = row.cell("Country");
    if lines.is_empty() && postal_code.is_none() && country_text.is_empty() {
        return;
    }
    let country = non_empty(country_text).map(|text| country(&text));
    if let Some(code) = &country {
        push_unique(&mut entity.countries, code.clone());
    }
    let address = Address {
        full: non_empty(&lines.join(", ")),
        postal_code,
        country,
        ..Address::default()
    };
    push_unique(&mut entity.addresses, address);
}

/// Keeps the earliest "Listed On" date of the group.
fn add_listing_date(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    let text = row.cell("Listed On");
    if text.is_empty() {
        return;
    }
    let Some(iso) = parse_slash_date(text, SlashOrder::DayFirst).and_then(full_iso) else {
        row.warn(
            context,
            format!("Listed On '{text}' is not a date in the form dd/mm/yyyy; ignored"),
        );
        return;
    };
    if entity.listed_on.as_ref().is_none_or(|known| iso < *known) {
        entity.listed_on = Some(iso);
    }
}

/// Reads the "(Tag):value" facts of Other Information and keeps the cell
/// as remarks.
fn add_other_information(target: &mut Target, row: &Row) {
    let text = row.cell("Other Information");
    if text.is_empty() {
        return;
    }
    push_unique(&mut target.remarks, text.to_string());
    let entity = &mut target.entity;
    for (tag, value) in tagged_values(text) {
        match tag {
            "UK Sanctions List Ref" => push_unique(
                &mut entity.identifiers,
                Identifier {
                    kind: IdentifierKind::Other("UK Sanctions List Ref".into()),
                    value: first_word(value).to_string(),
                    country: Some("GB".into()),
                },
            ),
            "Gender" => entity.gender = gender_of(value).or(entity.gender),
            "IMO number" => push_unique(
                &mut entity.identifiers,
                Identifier {
                    kind: IdentifierKind::Imo,
                    value: first_word(value).to_string(),
                    country: None,
                },
            ),
            "Flag of ship" => push_unique(&mut entity.countries, country(value)),
            "Business Reg No" => {
                for identifier in registry_numbers(value) {
                    push_unique(&mut entity.identifiers, identifier);
                }
            }
            _ => {}
        }
    }
}

/// Returns the first word of a tag's value: the reference itself, without the
/// sentences that may follow it in the same value.
fn first_word(value: &str) -> &str {
    value
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(['.', ','])
}

fn gender_of(text: &str) -> Option<Gender> {
    match text.to_ascii_lowercase().as_str() {
        "male" => Some(Gender::Male),
        "female" => Some(Gender::Female),
        _ => None,
    }
}

/// Splits "(Tag one):value one (Tag two):value two" into pairs. A tag is
/// a parenthesised run of letters, spaces, '/' and '-' that starts with a
/// capital letter and is followed by ':'.
fn tagged_values(text: &str) -> Vec<(&str, &str)> {
    let mut tags = Vec::new();
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find("):") {
        let close = search_from + found;
        if let Some(open) = text[..close].rfind('(') {
            let tag = &text[open + 1..close];
            if is_tag(tag) {
                tags.push((open, close + 2, tag));
            }
        }
        search_from = close + 2;
    }
    tags.iter()
        .enumerate()
        .map(|(i, &(_, value_start, tag))| {
            let value_end = tags.get(i + 1).map_or(text.len(), |next| next.0);
            let value = text[value_start..value_end].trim().trim_end_matches('.');
            (tag, value.trim())
        })
        .collect()
}

fn is_tag(tag: &str) -> bool {
    tag.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && tag
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '/' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_into_values() {
        let text = "(UK Sanctions List Ref):DPR0100. Listed as asset (OFSI ID: 13635) \
                    (IMO number):7408873 (Flag of ship):North Korea (Year built):1975";
        let tags = tagged_values(text);
        assert_eq!(
            tags[0],
            (
                "UK Sanctions List Ref",
                "DPR0100. Listed as asset (OFSI ID: 13635)"
            )
        );
        assert_eq!(tags[1], ("IMO number", "7408873"));
        assert_eq!(tags[2], ("Flag of ship", "North Korea"));
        assert_eq!(tags.len(), 4);
    }

    #[test]
    fn birth_places_pair_by_position() {
        let places = birth_places("(1) Tunis (2) - (3) -", "(1) Tunisia (2) Morocco (3) Egypt");
        assert_eq!(places, vec!["Tunis, Tunisia", "Morocco", "Egypt"]);
        let places = birth_places("Zanzibar", "");
        assert_eq!(places, vec!["Zanzibar"]);
    }

    #[test]
    fn nationalities_split_on_commas_when_all_known() {
        assert_eq!(countries_of("Estonia, Russia"), vec!["EE", "RU"]);
        assert_eq!(countries_of("(1) Germany. (2) Morocco"), vec!["DE", "MA"]);
        assert_eq!(countries_of("Belrus"), vec!["Belrus"]);
    }

    #[test]
    fn leading_country_reads_details() {
        assert_eq!(leading_country("Libya number").as_deref(), Some("LY"));
        assert_eq!(
            leading_country("Syrian Arab Republic national identification card").as_deref(),
            Some("SY")
        );
        assert_eq!(leading_country("Issued in Jordan"), None);
    }
}
