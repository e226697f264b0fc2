//! US Consolidated Screening List CSV: the export lists of Commerce,
//! State and Treasury in one file, one row per party, with columns found
//! by header name.
//!
//! Each row keeps the list it comes from (the `source` column, such as
//! "Entity List (EL) - Bureau of Industry and Security") as a program
//! beside the codes of the `programs` column, so a hit names the list it
//! is on. Treasury parties on several Treasury lists appear once per list
//! with the same `_id`; those rows merge into one entity. The `ids` column
//! holds "type, number, country" entries separated by ";". Known document
//! and registry types become identifiers, "Digital Currency Address - X"
//! entries become wallets, and the other entries (website, directives,
//! listing dates) go to the remarks as "type: value".

use std::collections::HashMap;

use csv::StringRecord;
use sha2::{Digest, Sha256};

use super::country_shim::country;
use super::csv_table::{self, Row};
use super::dates::parse_english_date;
use super::text::{non_empty, push_unique, split_list};
use crate::error::ListError;
use crate::model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts,
    NameType, PartialDate, WalletAddress,
};
use crate::source::{decode_text, InputFile, LoadContext};

const FORMAT: &str = "US Consolidated Screening List CSV";
const REQUIRED: [&str; 4] = ["source", "type", "name", "alt_names"];

/// Columns copied into the remarks as "label: value".
const REMARK_COLUMNS: [(&str, &str); 12] = [
    ("title", "Title"),
    ("remarks", "Remarks"),
    ("federal_register_notice", "Federal Register"),
    ("end_date", "End date"),
    ("standard_order", "Standard order"),
    ("license_requirement", "License requirement"),
    ("license_policy", "License policy"),
    ("vessel_type", "Vessel type"),
    ("gross_tonnage", "Gross tonnage"),
    ("gross_registered_tonnage", "Gross registered tonnage"),
    ("vessel_owner", "Vessel owner"),
    ("source_information_url", "Source information"),
];

/// Checks whether the first line is the Consolidated Screening List header.
pub fn sniff(file: &InputFile) -> bool {
    let head = decode_text(&file.bytes[..file.bytes.len().min(2048)]);
    let first = head.lines().next().unwrap_or("");
    [
        "source",
        "entity_number",
        "alt_names",
        "federal_register_notice",
    ]
    .iter()
    .all(|column| first.contains(column))
}

/// Reads the Consolidated Screening List: one entity per row, rows with
/// the same `_id` merged.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let text = csv_table::text_of(file)?;
    csv_table::check_quotes_closed(&text, b',', None, file, FORMAT)?;
    let mut reader = csv_table::reader(&text, b',');
    let mut record = StringRecord::new();
    let columns = csv_table::read_header(&mut reader, &mut record, file, FORMAT, &REQUIRED)?;

    let mut parties = Parties::default();
    while csv_table::next_record(&mut reader, &mut record, file, FORMAT)? {
        let row = Row::new(&record, &columns, &file.name);
        read_row(&row, list_id, context, &mut parties);
    }
    Ok(parties.finish())
}

#[derive(Default)]
struct Parties {
    entities: Vec<Entity>,
    remarks: Vec<Vec<String>>,
    by_id: HashMap<String, usize>,
}

impl Parties {
    fn get_or_insert(&mut self, list_id: &str, id: String, kind: EntityKind) -> usize {
        *self.by_id.entry(id.clone()).or_insert_with(|| {
            self.entities.push(Entity::new(list_id, id, kind));
            self.remarks.push(Vec::new());
            self.entities.len() - 1
        })
    }

    fn finish(self) -> Vec<Entity> {
        self.entities
            .into_iter()
            .zip(self.remarks)
            .map(|(mut entity, remarks)| {
                entity.remarks = non_empty(&remarks.join("\n"));
                entity
            })
            .collect()
    }
}

fn read_row(row: &Row, list_id: &str, context: &mut LoadContext, parties: &mut Parties) {
    if !row.is_data(context) {
        return;
    }
    let name = row.cell("name");
    if name.is_empty() {
        row.warn(context, "name is empty; row skipped");
        return;
    }
    let kind = kind_of(row, context);
    let index = parties.get_or_insert(list_id, id_of(row), kind);
    let entity = &mut parties.entities[index];
    let remarks = &mut parties.remarks[index];

    add_names(entity, row);
    add_programs(entity, row);
    add_people_facts(entity, row, context);
    for address in split_list(row.cell("addresses"), ';') {
        add_address(entity, address);
    }
    add_vessel_facts(entity, row);
    for entry in split_list(row.cell("ids"), ';') {
        add_id_entry(entity, remarks, entry);
    }
    for (column, label) in REMARK_COLUMNS {
        if let Some(value) = non_empty(row.cell(column)) {
            push_unique(remarks, format!("{label}: {value}"));
        }
    }
    add_start_date(entity, row, context);
}

/// Returns `_id`, else `entity_number`, else a digest of source and name.
fn id_of(row: &Row) -> String {
    for column in ["_id", "entity_number"] {
        if let Some(id) = non_empty(row.cell(column)) {
            return id;
        }
    }
    let key = format!("{}\t{}", row.cell("source"), row.cell("name"));
    format!("csl-{}", &hex::encode(Sha256::digest(key.as_bytes()))[..16])
}

fn kind_of(row: &Row, context: &mut LoadContext) -> EntityKind {
    match row.cell("type") {
        "Individual" => EntityKind::Person,
        "Entity" => EntityKind::Organization,
        "Vessel" => EntityKind::Vessel,
        "Aircraft" => EntityKind::Aircraft,
        "" => EntityKind::Unknown,
        other => {
            row.warn(
                context,
                format!("type '{other}' is not Individual, Entity, Vessel or Aircraft; kind set to unknown"),
            );
            EntityKind::Unknown
        }
    }
}

fn add_names(entity: &mut Entity, row: &Row) {
    let name_type = if entity.names.is_empty() {
        NameType::Primary
    } else {
        NameType::Alias
    };
    let is_person = entity.kind == EntityKind::Person;
    push_unique(
        &mut entity.names,
        name_with_parts(row.cell("name"), name_type, is_person),
    );
    for alias in split_list(row.cell("alt_names"), ';') {
        push_unique(
            &mut entity.names,
            name_with_parts(alias, NameType::Alias, is_person),
        );
    }
}

/// Builds a name. A person's name written "FAMILY, Given" gets its parts.
fn name_with_parts(full: &str, name_type: NameType, is_person: bool) -> Name {
    let mut name = Name::new(full, name_type);
    if is_person {
        if let Some((family, given)) = full.split_once(", ") {
            name.parts = NameParts {
                given: non_empty(given),
                family: non_empty(family),
                ..NameParts::default()
            };
        }
    }
    name
}

fn add_programs(entity: &mut Entity, row: &Row) {
    if let Some(source) = non_empty(row.cell("source")) {
        push_unique(&mut entity.programs, source);
    }
    for program in split_list(row.cell("programs"), ';') {
        push_unique(&mut entity.programs, program.to_string());
    }
}

fn add_people_facts(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    for column in ["citizenships", "nationalities"] {
        for code in split_list(row.cell(column), ';') {
            push_unique(&mut entity.nationalities, country(code));
        }
    }
    for place in split_list(row.cell("places_of_birth"), ';') {
        push_unique(&mut entity.birth_places, place.to_string());
    }
    for text in split_list(row.cell("dates_of_birth"), ';') {
        match parse_birth_date(text) {
            Some(date) => push_unique(&mut entity.birth_dates, date),
            None => row.warn(
                context,
                format!("dates_of_birth entry '{text}' is not a date such as 1970-05-01, 1970, May 1970 or circa 1970; ignored"),
            ),
        }
    }
}

/// Parses "1968-02-11", "1962", "Feb 1952", "circa 01 Jul 1960" or
/// "1960 to 1962".
fn parse_birth_date(text: &str) -> Option<BirthDate> {
    let (approximate, text) = match text.strip_prefix("circa ") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (from, to) = match text.split_once(" to ") {
        Some((from, to)) => (parse_english_date(from)?, Some(parse_english_date(to)?)),
        None => (parse_english_date(text)?, None),
    };
    Some(BirthDate {
        from,
        to,
        approximate,
    })
}

/// Reads "street, city, postal code, CC": the last part is the country
/// when it is a two-letter code.
fn add_address(entity: &mut Entity, text: &str) {
    let country = text
        .rsplit(',')
        .next()
        .map(str::trim)
        .filter(|last| last.len() == 2 && last.bytes().all(|b| b.is_ascii_uppercase()))
        .map(str::to_string);
    if let Some(code) = &country {
        push_unique(&mut entity.countries, code.clone());
    }
    let address = Address {
        country,
        full: Some(text.to_string()),
        ..Address::default()
    };
    push_unique(&mut entity.addresses, address);
}

fn add_vessel_facts(entity: &mut Entity, row: &Row) {
    if let Some(flag) = non_empty(row.cell("vessel_flag")) {
        push_unique(&mut entity.countries, country(&flag));
    }
    if let Some(call_sign) = non_empty(row.cell("call_sign")) {
        let identifier = Identifier {
            kind: IdentifierKind::Other("call sign".into()),
            value: call_sign,
            country: None,
        };
        push_unique(&mut entity.identifiers, identifier);
    }
}

/// The use the loader makes of one entry of the `ids` column.
enum IdEntry {
    Document(IdentifierKind),
    Wallet(String),
    Gender,
    Country,
    Name,
    Remark,
}

/// Reads one "type, number, country" entry of the `ids` column.
fn add_id_entry(entity: &mut Entity, remarks: &mut Vec<String>, entry: &str) {
    let mut parts: Vec<&str> = entry.split(", ").map(str::trim).collect();
    let id_type = parts.remove(0);
    let issuer = match parts.as_slice() {
        [_, .., last] if last.len() == 2 && last.bytes().all(|b| b.is_ascii_uppercase()) => {
            parts.pop().map(str::to_string)
        }
        _ => None,
    };
    let value = parts.join(", ");
    if value.is_empty() {
        push_unique(remarks, entry.to_string());
        return;
    }
    match id_entry_of(id_type) {
        IdEntry::Document(kind) => {
            let value = match kind {
                IdentifierKind::Imo => value.trim_start_matches("IMO ").to_string(),
                _ => value,
            };
            push_unique(
                &mut entity.identifiers,
                Identifier {
                    kind,
                    value,
                    country: issuer,
                },
            );
        }
        IdEntry::Wallet(asset) => push_unique(
            &mut entity.wallets,
            WalletAddress {
                asset,
                address: value,
            },
        ),
        IdEntry::Gender => match value.to_ascii_lowercase().as_str() {
            "male" => entity.gender = Some(Gender::Male),
            "female" => entity.gender = Some(Gender::Female),
            _ => push_unique(remarks, format!("{id_type}: {value}")),
        },
        IdEntry::Country => push_unique(&mut entity.countries, country(&value)),
        IdEntry::Name => push_unique(&mut entity.names, Name::new(value, NameType::Alias)),
        IdEntry::Remark => push_unique(remarks, format!("{id_type}: {value}")),
    }
}

fn id_entry_of(id_type: &str) -> IdEntry {
    if let Some(asset) = id_type.strip_prefix("Digital Currency Address - ") {
        return IdEntry::Wallet(asset.trim().to_string());
    }
    let kind = match id_type {
        "Passport"
        | "Diplomatic Passport"
        | "British National Overseas Passport"
        | "Travel Document Number" => IdentifierKind::Passport,
        "National ID No."
        | "Cedula No."
        | "D.N.I."
        | "C.U.R.P."
        | "Personal ID Card"
        | "Identification Number"
        | "Kenyan ID No."
        | "Moroccan Personal ID No."
        | "Bosnian Personal ID No."
        | "National Foreign ID Number"
        | "Electoral Registry No."
        | "Credencial electoral"
        | "SSN"
        | "Immigration No."
        | "Public Security and Immigration No." => IdentifierKind::NationalId,
        "Tax ID No."
        | "NIT #"
        | "R.F.C."
        | "RFC"
        | "RUC #"
        | "US FEIN"
        | "Italian Fiscal Code"
        | "C.U.I.T."
        | "V.A.T. Number"
        | "Paraguayan tax identification number" => IdentifierKind::TaxId,
        "Registration ID"
        | "Registration Number"
        | "Business Registration Document #"
        | "C.R. No."
        | "Public Registration Number"
        | "Certificate of Incorporation Number"
        | "Company Number"
        | "UK Company Number"
        | "Business Registration Number"
        | "Unified Social Credit Code (USCC)"
        | "Government Gazette Number"
        | "Registered Charity No."
        | "License" => IdentifierKind::RegistrationNumber,
        "SWIFT/BIC" => IdentifierKind::Bic,
        "Legal Entity Number" | "LE Number" => IdentifierKind::Lei,
        "IMO" | "Vessel Registration Identification" => IdentifierKind::Imo,
        "Aircraft Tail Number" | "Aircraft Manufacturer's Serial Number (MSN)" => {
            IdentifierKind::Aircraft
        }
        "ISIN" | "BIK (RU)" | "Driver's License No." | "VisaNumberID" | "Serial No." => {
            IdentifierKind::Other(id_type.to_string())
        }
        "Gender" => return IdEntry::Gender,
        "Nationality of Registration" | "Nationality Country" => return IdEntry::Country,
        "Issuer Name" => return IdEntry::Name,
        _ => return IdEntry::Remark,
    };
    IdEntry::Document(kind)
}

/// Reads `start_date` (ISO) as the listing date.
fn add_start_date(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    let text = row.cell("start_date");
    if text.is_empty() {
        return;
    }
    match PartialDate::parse_iso(text).filter(|d| d.day.is_some()) {
        Some(date) => {
            let iso = date.to_string();
            if entity.listed_on.as_ref().is_none_or(|known| iso < *known) {
                entity.listed_on = Some(iso);
            }
        }
        None => row.warn(
            context,
            format!("start_date '{text}' is not a date in the form YYYY-MM-DD; ignored"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_read_circa_and_ranges() {
        let date = parse_birth_date("circa 01 Jul 1960").expect("circa");
        assert!(date.approximate);
        assert_eq!(date.from.to_string(), "1960-07-01");
        let date = parse_birth_date("1960 to 1962").expect("range");
        assert_eq!(date.to.map(|d| d.to_string()).as_deref(), Some("1962"));
        assert!(parse_birth_date("sometime").is_none());
    }

    #[test]
    fn id_entries_split_country() {
        let mut entity = Entity::new("us_csl", "1", EntityKind::Person);
        let mut remarks = Vec::new();
        add_id_entry(&mut entity, &mut remarks, "Passport, U00242309, TR");
        add_id_entry(&mut entity, &mut remarks, "Website, www.vtb.com");
        add_id_entry(
            &mut entity,
            &mut remarks,
            "Digital Currency Address - XBT, 1abc",
        );
        assert_eq!(entity.identifiers[0].value, "U00242309");
        assert_eq!(entity.identifiers[0].country.as_deref(), Some("TR"));
        assert_eq!(remarks, vec!["Website: www.vtb.com"]);
        assert_eq!(entity.wallets[0].asset, "XBT");
        assert_eq!(entity.wallets[0].address, "1abc");
    }
}
