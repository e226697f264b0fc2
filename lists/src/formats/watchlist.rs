//! A user's own watch list (blocked customers, known mule accounts) in a
//! plain CSV layout of screener's own. The repository's
//! docs/watchlist.md describes it for list owners, with an example file.
//!
//! The file is UTF-8 (Windows-1252 is also read), comma-separated, with
//! double quotes around cells that contain a comma, a quote or a line
//! break. Lines that start with `#` are comments. The first other line is
//! the header:
//!
//! ```text
//! id,kind,name,aliases,countries,birth_date,identifiers,wallets,programs,remarks
//! ```
//!
//! `id` and `name` are required columns; the others may be left out, and
//! columns may come in any order. A column of another name is reported
//! once and ignored. Cells that hold several values separate them with
//! `;`:
//!
//! | column | content |
//! |---|---|
//! | id | required, unique in the file |
//! | kind | person, organization, vessel, aircraft or wallet; empty for unknown |
//! | name | required: the main name |
//! | aliases | other names |
//! | countries | ISO 3166-1 alpha-2 codes such as `GB` |
//! | birth_date | `YYYY`, `YYYY-MM` or `YYYY-MM-DD` |
//! | identifiers | `type:value` or `type:value:CC`; type is passport, national_id, tax_id, registration_number, imo, bic, lei, aircraft, or another word kept as written |
//! | wallets | `ASSET:address`, such as `ETH:0x...` |
//! | programs | the internal lists or reasons, such as `blocked-customer` |
//! | remarks | free text |
//!
//! What the loader does with a bad row or cell, each time with a warning
//! that names the line, the column and what to write instead:
//!
//! - an empty or repeated `id`, or an empty `name`: the row is skipped;
//! - a row with more cells than the header: the row is skipped, because
//!   a cell with a comma needs quotes. A row with fewer cells reads the
//!   missing ones as empty, without a warning;
//! - an unknown `kind`: the row is used with kind unknown;
//! - a bad value in a list cell (a country that is not two letters, a
//!   date that is not ISO, an identifier without a value, a wallet without
//!   an asset or with spaces): that value is left out and the rest of the
//!   row is used. A country written as a name that screener knows, such as
//!   "United Kingdom", is used as its code.
//! - an identifier's country that is not two letters: the identifier is
//!   kept without a country.

use std::collections::HashMap;

use csv::StringRecord;

use super::country_shim::country_code;
use super::csv_table::{self, Columns, Row};
use super::text::{non_empty, push_unique, split_list};
use crate::error::ListError;
use crate::model::{
    BirthDate, Entity, EntityKind, Identifier, IdentifierKind, Name, NameType, PartialDate,
    WalletAddress,
};
use crate::source::{decode_text, InputFile, LoadContext};

const FORMAT: &str = "watch list CSV";
const REQUIRED: [&str; 2] = ["id", "name"];
const COLUMNS: [&str; 10] = [
    "id",
    "kind",
    "name",
    "aliases",
    "countries",
    "birth_date",
    "identifiers",
    "wallets",
    "programs",
    "remarks",
];

/// Checks whether the first line that is not a comment is a watch list header.
pub fn sniff(file: &InputFile) -> bool {
    let head = decode_text(&file.bytes[..file.bytes.len().min(4096)]);
    let Some(header) = head
        .lines()
        .find(|line| !line.trim().is_empty() && !line.starts_with('#'))
    else {
        return false;
    };
    let names: Vec<&str> = header
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .collect();
    names.contains(&"id")
        && names.contains(&"name")
        && names.iter().all(|name| COLUMNS.contains(name))
}

/// Reads a watch list CSV: one entity per row.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let text = csv_table::text_of(file)?;
    csv_table::check_quotes_closed(&text, b',', Some(b'#'), file, FORMAT)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut record = StringRecord::new();
    let columns = csv_table::read_header(&mut reader, &mut record, file, FORMAT, &REQUIRED)?;
    warn_unknown_columns(&columns, &record, &file.name, context);
    let header = record.clone();

    let mut entities = Vec::new();
    let mut lines_by_id: HashMap<String, u64> = HashMap::new();
    while csv_table::next_record(&mut reader, &mut record, file, FORMAT)? {
        check_single_line(&record, &header, file)?;
        let row = Row::new(&record, &columns, &file.name);
        if let Some(entity) = read_row(&row, list_id, &mut lines_by_id, context) {
            entities.push(entity);
        }
    }
    Ok(entities)
}

/// Fails the file when a cell other than remarks runs over several lines.
/// No id, name or code contains a line break, so such a cell means a quote
/// that closes rows later than it should, and the rows in between would be
/// read into the cell and lost.
fn check_single_line(
    record: &StringRecord,
    header: &StringRecord,
    file: &InputFile,
) -> Result<(), ListError> {
    for (position, cell) in record.iter().enumerate() {
        let column = header.get(position).map_or("", str::trim);
        if column == "remarks" || !cell.contains('\n') {
            continue;
        }
        let first = csv_table::line_of(record);
        let last = first + cell.matches('\n').count() as u64;
        return Err(ListError::Invalid {
            path: file.path.clone(),
            format: FORMAT,
            reason: format!(
                "lines {first} to {last}: the {column:?} cell (column {}) runs over several \
                 lines, so a quote is probably not closed where it should be and the rows \
                 in between would be lost; close the quote",
                position + 1
            ),
        });
    }
    Ok(())
}

fn warn_unknown_columns(
    columns: &Columns,
    header: &StringRecord,
    file: &str,
    context: &mut LoadContext,
) {
    let unknown: Vec<&str> = columns
        .names()
        .iter()
        .map(String::as_str)
        .filter(|name| !COLUMNS.contains(name))
        .collect();
    if unknown.is_empty() {
        return;
    }
    context.warn(
        file,
        format!("line {}", csv_table::line_of(header)),
        format!(
            "column(s) {} are not part of the watch list layout and are ignored; the columns are {}",
            unknown.join(", "),
            COLUMNS.join(", ")
        ),
    );
}

/// Warns about a cell of `column`: what is wrong and what to write.
fn warn_cell(row: &Row, context: &mut LoadContext, column: &str, message: impl Into<String>) {
    let location = format!("line {}, column {column}", row.line);
    context.warn(row.file, location, message);
}

fn read_row(
    row: &Row,
    list_id: &str,
    lines_by_id: &mut HashMap<String, u64>,
    context: &mut LoadContext,
) -> Option<Entity> {
    if csv_table::is_blank(row.record) {
        return None;
    }
    if row.record.len() > row.columns.len() {
        let message = format!(
            "row has {} cells but the header has {}; put quotes around cells that contain a comma; row skipped",
            row.record.len(),
            row.columns.len()
        );
        context.warn(row.file, format!("line {}", row.line), message);
        return None;
    }
    let id = row.cell("id");
    let name = row.cell("name");
    if id.is_empty() {
        warn_cell(
            row,
            context,
            "id",
            "id is empty; give every row a unique id; row skipped",
        );
        return None;
    }
    if let Some(first) = lines_by_id.get(id) {
        let message = format!(
            "id '{id}' is already used on line {first}; give every row its own id; row skipped"
        );
        warn_cell(row, context, "id", message);
        return None;
    }
    if name.is_empty() {
        warn_cell(
            row,
            context,
            "name",
            "name is empty; write the main name; row skipped",
        );
        return None;
    }
    lines_by_id.insert(id.to_string(), row.line);

    let mut entity = Entity::new(list_id, id, kind_of(row, context));
    entity.names.push(Name::new(name, NameType::Primary));
    for alias in split_list(row.cell("aliases"), ';') {
        push_unique(&mut entity.names, Name::new(alias, NameType::Alias));
    }
    read_countries(&mut entity, row, context);
    read_birth_dates(&mut entity, row, context);
    read_identifiers(&mut entity, row, context);
    read_wallets(&mut entity, row, context);
    for program in split_list(row.cell("programs"), ';') {
        push_unique(&mut entity.programs, program.to_string());
    }
    entity.remarks = non_empty(row.cell("remarks"));
    Some(entity)
}

fn kind_of(row: &Row, context: &mut LoadContext) -> EntityKind {
    let text = row.cell("kind");
    match text.to_ascii_lowercase().as_str() {
        "" => EntityKind::Unknown,
        "person" => EntityKind::Person,
        "organization" => EntityKind::Organization,
        "vessel" => EntityKind::Vessel,
        "aircraft" => EntityKind::Aircraft,
        "wallet" => EntityKind::Wallet,
        _ => {
            let message = format!(
                "kind '{text}' is not one of person, organization, vessel, aircraft, wallet; the row is read with kind unknown"
            );
            warn_cell(row, context, "kind", message);
            EntityKind::Unknown
        }
    }
}

/// Returns the upper-cased ISO alpha-2 code, or `None` unless `text` is two ASCII
/// letters.
fn alpha2(text: &str) -> Option<String> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| text.to_ascii_uppercase())
}

fn read_countries(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    for value in split_list(row.cell("countries"), ';') {
        if let Some(code) = alpha2(value) {
            push_unique(&mut entity.countries, code);
        } else if let Some(code) = country_code(value) {
            let message = format!("country '{value}' is read as {code}; write the code {code}");
            warn_cell(row, context, "countries", message);
            push_unique(&mut entity.countries, code.to_string());
        } else {
            let message = format!(
                "country '{value}' is not an ISO 3166-1 alpha-2 code such as GB; value left out"
            );
            warn_cell(row, context, "countries", message);
        }
    }
}

fn read_birth_dates(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    for value in split_list(row.cell("birth_date"), ';') {
        match PartialDate::parse_iso(value) {
            Some(date) => push_unique(&mut entity.birth_dates, BirthDate::exact(date)),
            None => {
                let message = format!(
                    "birth date '{value}' is not YYYY, YYYY-MM or YYYY-MM-DD; value left out"
                );
                warn_cell(row, context, "birth_date", message);
            }
        }
    }
}

fn read_identifiers(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    for value in split_list(row.cell("identifiers"), ';') {
        match parse_identifier(value) {
            Ok((identifier, problem)) => {
                if let Some(problem) = problem {
                    warn_cell(row, context, "identifiers", problem);
                }
                push_unique(&mut entity.identifiers, identifier);
            }
            Err(problem) => warn_cell(row, context, "identifiers", problem),
        }
    }
}

/// Parses `type:value` or `type:value:CC`. A last part of two characters
/// after a second ':' is the country; a value may itself contain ':'.
fn parse_identifier(text: &str) -> Result<(Identifier, Option<String>), String> {
    let Some((kind_text, rest)) = text.split_once(':') else {
        return Err(format!(
            "identifier '{text}' has no type; write it as type:value or type:value:CC, such as passport:123456789:GB; value left out"
        ));
    };
    let (value, country_text) = match rest.rsplit_once(':') {
        Some((value, last)) if last.trim().len() == 2 => (value.trim(), Some(last.trim())),
        _ => (rest.trim(), None),
    };
    if value.is_empty() {
        return Err(format!(
            "identifier '{text}' has no value after the type; write it as type:value; value left out"
        ));
    }
    let country = country_text.and_then(alpha2);
    let problem = match (country_text, &country) {
        (Some(written), None) => Some(format!(
            "identifier '{text}': country '{written}' is not two letters such as GB; identifier kept without a country"
        )),
        _ => None,
    };
    let identifier = Identifier {
        kind: identifier_kind(kind_text.trim()),
        value: value.to_string(),
        country,
    };
    Ok((identifier, problem))
}

fn identifier_kind(text: &str) -> IdentifierKind {
    match text.to_ascii_lowercase().as_str() {
        "passport" => IdentifierKind::Passport,
        "national_id" => IdentifierKind::NationalId,
        "tax_id" => IdentifierKind::TaxId,
        "registration_number" => IdentifierKind::RegistrationNumber,
        "imo" => IdentifierKind::Imo,
        "bic" => IdentifierKind::Bic,
        "lei" => IdentifierKind::Lei,
        "aircraft" => IdentifierKind::Aircraft,
        _ => IdentifierKind::Other(text.to_string()),
    }
}

fn read_wallets(entity: &mut Entity, row: &Row, context: &mut LoadContext) {
    for value in split_list(row.cell("wallets"), ';') {
        match parse_wallet(value) {
            Ok(wallet) => push_unique(&mut entity.wallets, wallet),
            Err(problem) => warn_cell(row, context, "wallets", problem),
        }
    }
    if entity.kind == EntityKind::Wallet && entity.wallets.is_empty() {
        warn_cell(
            row,
            context,
            "wallets",
            "kind is wallet but no wallet address was read; add one as ASSET:address",
        );
    }
}

/// Parses `ASSET:address`; the asset is 2 to 10 letters or digits.
fn parse_wallet(text: &str) -> Result<WalletAddress, String> {
    let fix = "write it as ASSET:address, such as ETH:0x00000000000000000000000000000000deadbeef";
    let Some((asset, address)) = text.split_once(':') else {
        return Err(format!(
            "wallet '{text}' has no asset; {fix}; value left out"
        ));
    };
    let asset = asset.trim();
    let address = address.trim();
    if !(2..=10).contains(&asset.len()) || !asset.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "wallet '{text}': asset '{asset}' is not 2 to 10 letters or digits; {fix}; value left out"
        ));
    }
    if address.is_empty() || address.chars().any(char::is_whitespace) {
        return Err(format!(
            "wallet '{text}': the address is empty or contains spaces; {fix}; value left out"
        ));
    }
    Ok(WalletAddress {
        asset: asset.to_ascii_uppercase(),
        address: address.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_forms_parse() {
        let (id, problem) = parse_identifier("passport:123456789:gb").expect("valid");
        assert_eq!(id.kind, IdentifierKind::Passport);
        assert_eq!(id.value, "123456789");
        assert_eq!(id.country.as_deref(), Some("GB"));
        assert!(problem.is_none());

        let (id, _) = parse_identifier("registration_number:HRB 123:456").expect("valid");
        assert_eq!(id.value, "HRB 123:456");
        assert_eq!(id.country, None);

        let (id, problem) = parse_identifier("customer_no:77:1X").expect("kept");
        assert_eq!(id.kind, IdentifierKind::Other("customer_no".into()));
        assert!(problem.is_some());

        assert!(parse_identifier("123456").is_err());
        assert!(parse_identifier("passport:").is_err());
    }

    #[test]
    fn wallet_forms_parse() {
        let wallet = parse_wallet("eth:0xabc").expect("valid");
        assert_eq!(wallet.asset, "ETH");
        assert_eq!(wallet.address, "0xabc");
        let wallet = parse_wallet("BCH:bitcoincash:qq123").expect("address with ':'");
        assert_eq!(wallet.address, "bitcoincash:qq123");
        assert!(parse_wallet("0xabc").is_err());
        assert!(parse_wallet("ETH:0x a").is_err());
        assert!(parse_wallet("E:0xabc").is_err());
    }
}
