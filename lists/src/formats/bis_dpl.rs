//! BIS Denied Persons List, tab-separated with a header row.
//!
//! The file has one row per denial order and address: Name,
//! Street_Address, City, State, Country, Postal_Code, Effective_Date,
//! Expiration_Date, Standard_Order, Last_Update, Action, FR_Citation.
//! Rows with the same name (spaces collapsed) and the same effective date
//! are one party with several addresses. The file has no entry numbers,
//! so an entity's id is "dpl-" and the first 16 hex digits of the SHA-256
//! of that name and date, which stays the same across editions.
//!
//! The file does not say whether a party is a person or an organization.
//! A name with a legal-form or business word (INC, LTD, LLC, GMBH, S.A.,
//! COMPANY, AIRLINES, TRADING, ...) is an organization. Every other name
//! is of unknown kind rather than a guessed person.

use std::collections::HashMap;

use csv::StringRecord;
use sha2::{Digest, Sha256};

use super::csv_table::{self, Row};
use super::dates::{full_iso, parse_slash_date, SlashOrder};
use super::text::{non_empty, push_unique};
use crate::error::ListError;
use crate::model::{Address, Entity, EntityKind, Name, NameType};
use crate::source::{decode_text, InputFile, LoadContext};

const FORMAT: &str = "BIS Denied Persons List";
const REQUIRED: [&str; 4] = ["Name", "Street_Address", "Effective_Date", "FR_Citation"];

/// The program name given to every entity, as the Consolidated Screening
/// List names this list.
pub const PROGRAM: &str = "Denied Persons List (DPL) - Bureau of Industry and Security";

/// Words that mark a name as an organization's.
const ORGANIZATION_WORDS: &[&str] = &[
    "AG",
    "AIRLINE",
    "AIRLINES",
    "AVIATION",
    "BV",
    "CO",
    "COMPANY",
    "CORP",
    "CORPORATION",
    "ELECTRONICS",
    "ENTERPRISE",
    "ENTERPRISES",
    "FZC",
    "FZCO",
    "FZE",
    "GMBH",
    "GROUP",
    "INC",
    "INDUSTRIES",
    "INTERNATIONAL",
    "JSC",
    "LIMITED",
    "LLC",
    "LLP",
    "LTD",
    "OOO",
    "PLC",
    "PJSC",
    "SA",
    "SARL",
    "SERVICES",
    "SHIPPING",
    "SRL",
    "TECHNOLOGIES",
    "TECHNOLOGY",
    "TRADING",
];

/// Checks whether the file's first line is the Denied Persons List header.
pub fn sniff(file: &InputFile) -> bool {
    let head = decode_text(&file.bytes[..file.bytes.len().min(1024)]);
    let first = head.lines().next().unwrap_or("");
    first.contains('\t')
        && REQUIRED
            .iter()
            .all(|column| first.contains(&format!("\"{column}\"")) || first.contains(column))
}

/// Reads the Denied Persons List: one entity per name and effective date.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let text = csv_table::text_of(file)?;
    csv_table::check_quotes_closed(&text, b'\t', None, file, FORMAT)?;
    let mut reader = csv_table::reader(&text, b'\t');
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
    by_key: HashMap<String, usize>,
}

impl Parties {
    fn get_or_insert(&mut self, list_id: &str, name: &str, effective: &str) -> usize {
        let key = format!(
            "{}\t{effective}",
            name.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        if let Some(&index) = self.by_key.get(&key) {
            return index;
        }
        let digest = Sha256::digest(key.as_bytes());
        let id = format!("dpl-{}", &hex::encode(digest)[..16]);
        let mut entity = Entity::new(list_id, id, kind_of(name));
        entity.names.push(Name::new(name, NameType::Primary));
        entity.programs.push(PROGRAM.to_string());
        self.entities.push(entity);
        self.remarks.push(Vec::new());
        self.by_key.insert(key, self.entities.len() - 1);
        self.entities.len() - 1
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
    let name = row.cell("Name");
    if name.is_empty() {
        row.warn(context, "Name is empty; row skipped");
        return;
    }
    let effective = row.cell("Effective_Date");
    let index = parties.get_or_insert(list_id, name, effective);
    let entity = &mut parties.entities[index];

    match parse_slash_date(effective, SlashOrder::MonthFirst).and_then(full_iso) {
        Some(iso) => entity.listed_on = Some(iso),
        None => row.warn(
            context,
            format!("Effective_Date '{effective}' is not a date in the form mm/dd/yyyy; listing date left unknown"),
        ),
    }
    add_address(entity, row);
    let remarks = &mut parties.remarks[index];
    for (column, label) in [
        ("Expiration_Date", "Expiration date"),
        ("Standard_Order", "Standard order"),
        ("Action", "Action"),
        ("FR_Citation", "Federal Register"),
    ] {
        if let Some(value) = non_empty(row.cell(column)) {
            push_unique(remarks, format!("{label}: {value}"));
        }
    }
}

fn add_address(entity: &mut Entity, row: &Row) {
    let cell = |name: &str| non_empty(row.cell(name));
    let address = Address {
        street: cell("Street_Address"),
        city: cell("City"),
        region: cell("State"),
        postal_code: cell("Postal_Code"),
        country: cell("Country").map(|c| c.to_ascii_uppercase()),
        full: None,
    };
    if address == Address::default() {
        return;
    }
    if let Some(country) = &address.country {
        push_unique(&mut entity.countries, country.clone());
    }
    push_unique(&mut entity.addresses, address);
}

/// Returns organization when a word of the name is a legal form or business word,
/// else unknown.
fn kind_of(name: &str) -> EntityKind {
    let is_organization = name
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|word| word.replace('.', "").to_ascii_uppercase())
        .any(|word| ORGANIZATION_WORDS.contains(&word.as_str()));
    if is_organization {
        EntityKind::Organization
    } else {
        EntityKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_forms_mark_organizations() {
        assert_eq!(kind_of("COTRICOM S.A."), EntityKind::Organization);
        assert_eq!(kind_of("ANNEXFIELD , LTD."), EntityKind::Organization);
        assert_eq!(kind_of("AL NASER WINGS AIRLINES"), EntityKind::Organization);
        assert_eq!(kind_of("AARON ABRAHAM VILLA"), EntityKind::Unknown);
        assert_eq!(kind_of("COSTA"), EntityKind::Unknown);
    }
}
