//! OpenSanctions FollowTheMoney entities, one JSON object per line.
//!
//! Records of the schemas Person, Organization, Company, PublicBody,
//! LegalEntity, Vessel and Airplane become entities when they are
//! targets. A CryptoWallet becomes a wallet address of its holder when
//! the holder is loaded, and an entity of its own when its holder is not
//! in the file. The other schemas add to the entities they point at:
//! Sanction (programs and listing date), Address (through the entity's
//! `addressEntity`), Identification and Passport (identifiers), and the
//! relations such as Ownership or Family (`linked_to`, by caption).
//! A reference may name a record by its id or by one of its `referents`.
//!
//! Records that are not targets and records of other schemas are counted
//! and reported in one warning at the end of the load. A line that is not
//! valid JSON, or not an entity, is a warning with its line number.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::text::push_unique;
use crate::error::ListError;
use crate::model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts,
    NameType, PartialDate, WalletAddress,
};
use crate::source::{decode_text, InputFile, LoadContext, MAX_FIELD_BYTES};

const FORMAT: &str = "FollowTheMoney JSON lines";

/// Relation schemas and the two properties that name their ends.
const RELATIONS: [(&str, &str, &str); 9] = [
    ("Ownership", "owner", "asset"),
    ("Directorship", "director", "organization"),
    ("Family", "person", "relative"),
    ("Associate", "person", "associate"),
    ("Employment", "employer", "employee"),
    ("Membership", "member", "organization"),
    ("UnknownLink", "subject", "object"),
    ("Representation", "agent", "client"),
    ("Succession", "predecessor", "successor"),
];

/// Properties read as identifiers.
const IDENTIFIER_PROPERTIES: [&str; 10] = [
    "passportNumber",
    "idNumber",
    "imoNumber",
    "leiCode",
    "swiftBic",
    "innCode",
    "taxNumber",
    "registrationNumber",
    "ogrnCode",
    "callSign",
];

/// Returns the identifier kind of a property in [`IDENTIFIER_PROPERTIES`].
fn identifier_kind(property: &str) -> IdentifierKind {
    match property {
        "passportNumber" => IdentifierKind::Passport,
        "idNumber" => IdentifierKind::NationalId,
        "imoNumber" => IdentifierKind::Imo,
        "leiCode" => IdentifierKind::Lei,
        "swiftBic" => IdentifierKind::Bic,
        "innCode" | "taxNumber" => IdentifierKind::TaxId,
        "registrationNumber" | "ogrnCode" => IdentifierKind::RegistrationNumber,
        "callSign" => IdentifierKind::Other("call sign".into()),
        other => IdentifierKind::Other(other.to_string()),
    }
}

/// Checks whether the first non-blank line is a JSON object with a schema and
/// properties.
pub fn sniff(file: &InputFile) -> bool {
    let head = decode_text(&file.bytes[..file.bytes.len().min(64 * 1024)]);
    let first = head
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    first.trim_start().starts_with('{')
        && first.contains("\"schema\"")
        && first.contains("\"properties\"")
}

/// Reads FollowTheMoney JSON lines into entities.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let records = read_records(file, context)?;
    let mut graph = Graph::new(&records, file, context);
    let mut built = graph.build_things(list_id, context);
    graph.add_wallets(&mut built, list_id, context);
    graph.enrich(&mut built, context);
    graph.report_unused(context);
    Ok(built.into_iter().map(|b| b.entity).collect())
}

/// One line of the file.
#[derive(Debug)]
struct Record {
    line: usize,
    id: String,
    schema: String,
    caption: Option<String>,
    /// `true` when the line has no `target` field.
    target: bool,
    referents: Vec<String>,
    properties: BTreeMap<String, Vec<String>>,
}

impl Record {
    fn values(&self, property: &str) -> &[String] {
        self.properties
            .get(property)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn display_name(&self) -> String {
        self.caption
            .clone()
            .or_else(|| self.values("name").first().cloned())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// Reads every line; a line that is not an entity is a warning, and a
/// file where no line is one is an error.
fn read_records(file: &InputFile, context: &mut LoadContext) -> Result<Vec<Record>, ListError> {
    let text = decode_text(&file.bytes);
    let mut records = Vec::new();
    let mut lines = 0;
    let mut first_problem = None;
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        match read_record(index + 1, line, file)? {
            Ok(record) => records.push(record),
            Err(message) => {
                first_problem.get_or_insert_with(|| format!("line {}: {message}", index + 1));
                context.warn(&file.name, format!("line {}", index + 1), message);
            }
        }
    }
    if lines == 0 {
        return Err(ListError::Empty {
            path: file.path.clone(),
        });
    }
    if records.is_empty() {
        return Err(ListError::Invalid {
            path: file.path.clone(),
            format: FORMAT,
            reason: format!(
                "none of its {lines} lines is a FollowTheMoney entity ({})",
                first_problem.unwrap_or_default()
            ),
        });
    }
    Ok(records)
}

/// Parses one line: `Err` for a whole-file problem (an oversized value),
/// `Ok(Err(message))` for a line to skip.
fn read_record(
    line_number: usize,
    line: &str,
    file: &InputFile,
) -> Result<Result<Record, String>, ListError> {
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(error) => return Ok(Err(format!("invalid JSON: {error}; line skipped"))),
    };
    let Some(object) = value.as_object() else {
        return Ok(Err("line is JSON but not an object; skipped".into()));
    };
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let (Some(id), Some(schema)) = (text("id"), text("schema")) else {
        return Ok(Err("entity has no \"id\" or no \"schema\"; skipped".into()));
    };
    let mut properties = BTreeMap::new();
    if let Some(props) = object.get("properties").and_then(Value::as_object) {
        for (name, values) in props {
            let values = string_values(values);
            if let Some(long) = values.iter().find(|v| v.len() > MAX_FIELD_BYTES) {
                return Err(ListError::Oversized {
                    path: file.path.clone(),
                    location: format!("line {line_number}, property {name}"),
                    len: long.len(),
                    limit: MAX_FIELD_BYTES,
                });
            }
            properties.insert(name.clone(), values);
        }
    }
    let referents = object
        .get("referents")
        .map(string_values)
        .unwrap_or_default();
    Ok(Ok(Record {
        line: line_number,
        id,
        schema,
        caption: text("caption"),
        target: object
            .get("target")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        referents,
        properties,
    }))
}

/// Strings of a property: an array of strings, or a single string.
/// Numbers are written out; other values are left out.
fn string_values(value: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// The part a record of each schema plays in the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Thing(EntityKind),
    Wallet,
    Sanction,
    Address,
    Identification,
    Relation(&'static str, &'static str),
    Unused,
}

fn role_of(schema: &str) -> Role {
    match schema {
        "Person" => Role::Thing(EntityKind::Person),
        "Organization" | "Company" | "PublicBody" => Role::Thing(EntityKind::Organization),
        // A LegalEntity may be a person or an organization.
        "LegalEntity" => Role::Thing(EntityKind::Unknown),
        "Vessel" => Role::Thing(EntityKind::Vessel),
        "Airplane" => Role::Thing(EntityKind::Aircraft),
        "CryptoWallet" => Role::Wallet,
        "Sanction" => Role::Sanction,
        "Address" => Role::Address,
        "Identification" | "Passport" => Role::Identification,
        _ => RELATIONS
            .iter()
            .find(|(name, _, _)| *name == schema)
            .map_or(Role::Unused, |&(_, a, b)| Role::Relation(a, b)),
    }
}

/// An entity being built.
struct Built {
    entity: Entity,
}

/// The records of a file, indexed by id and referent, and what becomes of
/// each.
struct Graph<'r> {
    records: Vec<&'r Record>,
    by_reference: HashMap<&'r str, usize>,
    /// Record index to the index of the entity built from it.
    loaded: HashMap<usize, usize>,
    /// Address records that a loaded entity used.
    used_addresses: HashSet<usize>,
    file: String,
    unused: BTreeMap<String, usize>,
}

impl<'r> Graph<'r> {
    fn new(records: &'r [Record], file: &InputFile, context: &mut LoadContext) -> Graph<'r> {
        let mut kept = Vec::new();
        let mut by_reference = HashMap::new();
        for record in records {
            if by_reference.contains_key(record.id.as_str()) {
                context.warn(
                    &file.name,
                    format!("line {}", record.line),
                    format!(
                        "id {} appears on an earlier line; this line is skipped",
                        record.id
                    ),
                );
                continue;
            }
            by_reference.insert(record.id.as_str(), kept.len());
            kept.push(record);
        }
        for (index, record) in kept.iter().enumerate() {
            for referent in &record.referents {
                by_reference.entry(referent.as_str()).or_insert(index);
            }
        }
        Graph {
            records: kept,
            by_reference,
            loaded: HashMap::new(),
            used_addresses: HashSet::new(),
            file: file.name.clone(),
            unused: BTreeMap::new(),
        }
    }

    fn find(&self, reference: &str) -> Option<usize> {
        self.by_reference.get(reference).copied()
    }

    fn count_unused(&mut self, what: String) {
        *self.unused.entry(what).or_default() += 1;
    }
}

impl Graph<'_> {
    fn warn(&self, context: &mut LoadContext, line: usize, message: String) {
        context.warn(&self.file, format!("line {line}"), message);
    }

    /// Builds an entity from each target record of a thing schema.
    fn build_things(&mut self, list_id: &str, context: &mut LoadContext) -> Vec<Built> {
        let mut built = Vec::new();
        for index in 0..self.records.len() {
            let record = self.records[index];
            let Role::Thing(kind) = role_of(&record.schema) else {
                continue;
            };
            if !record.target {
                self.count_unused(format!("{} records that are not targets", record.schema));
                continue;
            }
            let mut entity = Entity::new(list_id, record.id.clone(), kind);
            add_names(&mut entity, record);
            add_facts(&mut entity, record);
            self.add_address_entities(&mut entity, record, context);
            self.loaded.insert(index, built.len());
            built.push(Built { entity });
        }
        built
    }

    /// Resolves `addressEntity` references to the Address records.
    fn add_address_entities(
        &mut self,
        entity: &mut Entity,
        record: &Record,
        context: &mut LoadContext,
    ) {
        for reference in record.values("addressEntity") {
            let Some(index) = self.find(reference) else {
                let message =
                    format!("addressEntity {reference} is not in this file; address left out");
                self.warn(context, record.line, message);
                continue;
            };
            let address = self.records[index];
            if role_of(&address.schema) != Role::Address {
                let message = format!(
                    "addressEntity {reference} is a {} record, not an Address; left out",
                    address.schema
                );
                self.warn(context, record.line, message);
                continue;
            }
            self.used_addresses.insert(index);
            push_address(entity, address_of(address));
        }
    }

    /// Attaches each CryptoWallet to its loaded holder, or loads it as a
    /// wallet entity when its holder is not in the file.
    fn add_wallets(&mut self, built: &mut Vec<Built>, list_id: &str, context: &mut LoadContext) {
        for index in 0..self.records.len() {
            let record = self.records[index];
            if role_of(&record.schema) != Role::Wallet {
                continue;
            }
            let Some(wallet) = wallet_of(record) else {
                let message = "CryptoWallet has no publicKey; skipped".to_string();
                self.warn(context, record.line, message);
                continue;
            };
            let holders: Vec<usize> = record
                .values("holder")
                .iter()
                .filter_map(|holder| self.find(holder))
                .collect();
            let loaded_holder = holders.iter().find_map(|h| self.loaded.get(h).copied());
            match (loaded_holder, holders.is_empty()) {
                (Some(at), _) => push_unique(&mut built[at].entity.wallets, wallet),
                (None, false) => {
                    self.count_unused("CryptoWallet records whose holder is not loaded".into())
                }
                (None, true) => {
                    let mut entity = Entity::new(list_id, record.id.clone(), EntityKind::Wallet);
                    entity
                        .names
                        .push(Name::new(record.display_name(), NameType::Primary));
                    entity.wallets.push(wallet);
                    add_facts(&mut entity, record);
                    self.loaded.insert(index, built.len());
                    built.push(Built { entity });
                }
            }
        }
    }

    /// Adds sanctions, identifications and relations to the entities they
    /// name.
    fn enrich(&mut self, built: &mut [Built], context: &mut LoadContext) {
        for index in 0..self.records.len() {
            let record = self.records[index];
            match role_of(&record.schema) {
                Role::Sanction => {
                    self.for_each_loaded(record, "entity", context, built, |entity| {
                        add_sanction(entity, record)
                    })
                }
                Role::Identification => {
                    if identification_of(record).is_none() {
                        self.count_unused(format!("{} records without a number", record.schema));
                        continue;
                    }
                    self.for_each_loaded(record, "holder", context, built, |entity| {
                        if let Some(identifier) = identification_of(record) {
                            push_unique(&mut entity.identifiers, identifier);
                        }
                    })
                }
                Role::Relation(from, to) => self.link(record, from, to, built),
                Role::Address if !self.used_addresses.contains(&index) => {
                    self.count_unused("Address records no loaded entity refers to".into())
                }
                Role::Unused => self.count_unused(format!("{} records", record.schema)),
                _ => {}
            }
        }
    }

    /// Runs `apply` on each loaded entity that `property` of `record`
    /// names; a reference to a record missing from the file is a warning.
    fn for_each_loaded(
        &mut self,
        record: &Record,
        property: &str,
        context: &mut LoadContext,
        built: &mut [Built],
        mut apply: impl FnMut(&mut Entity),
    ) {
        let mut applied = false;
        for reference in record.values(property) {
            match self.find(reference).map(|i| self.loaded.get(&i).copied()) {
                Some(Some(at)) => {
                    apply(&mut built[at].entity);
                    applied = true;
                }
                Some(None) => {}
                None => {
                    let message = format!(
                        "{} refers to {reference}, which is not in this file; skipped",
                        record.schema
                    );
                    self.warn(context, record.line, message);
                    applied = true;
                }
            }
        }
        if !applied {
            self.count_unused(format!(
                "{} records of entities that are not loaded",
                record.schema
            ));
        }
    }

    /// Adds each end of a relation to the other end's `linked_to`.
    fn link(&mut self, record: &Record, from: &str, to: &str, built: &mut [Built]) {
        let mut linked = false;
        for a in record.values(from) {
            for b in record.values(to) {
                for (here, there) in [(a, b), (b, a)] {
                    let Some(&at) = self.find(here).and_then(|i| self.loaded.get(&i)) else {
                        continue;
                    };
                    let name = self
                        .find(there)
                        .map_or_else(|| there.clone(), |i| self.records[i].display_name());
                    push_unique(&mut built[at].entity.linked_to, name);
                    linked = true;
                }
            }
        }
        if !linked {
            self.count_unused(format!(
                "{} records between entities that are not loaded",
                record.schema
            ));
        }
    }

    /// Reports in one warning the records that added nothing.
    fn report_unused(&self, context: &mut LoadContext) {
        if self.unused.is_empty() {
            return;
        }
        let counts: Vec<String> = self
            .unused
            .iter()
            .map(|(what, count)| format!("{count} {what}"))
            .collect();
        context.warn(
            &self.file,
            "whole file",
            format!("records not loaded: {}", counts.join("; ")),
        );
    }
}

/// Names in order: the caption (or the first `name`) as primary, the
/// other names and aliases after it; parts for a person's names.
fn add_names(entity: &mut Entity, record: &Record) {
    let names = record.values("name");
    let primary = record
        .caption
        .as_ref()
        .filter(|caption| names.contains(caption))
        .or(names.first());
    if let Some(primary) = primary {
        entity
            .names
            .push(Name::new(primary.clone(), NameType::Primary));
    }
    for (property, name_type) in [
        ("name", NameType::Alias),
        ("alias", NameType::Alias),
        ("weakAlias", NameType::WeakAlias),
        ("abbreviation", NameType::WeakAlias),
        ("previousName", NameType::Former),
    ] {
        for value in record.values(property) {
            if !entity.names.iter().any(|n| n.full == *value) {
                entity.names.push(Name::new(value.clone(), name_type));
            }
        }
    }
    if entity.names.is_empty() {
        entity
            .names
            .push(Name::new(record.display_name(), NameType::Primary));
    }
    if entity.kind == EntityKind::Person {
        for name in &mut entity.names {
            name.parts = parts_within(&name.full, record);
        }
    }
}

/// Finds the name-part values of `record` that occur in `full`, compared
/// without case. FollowTheMoney lists parts apart from the names, in every
/// script the names use.
fn parts_within(full: &str, record: &Record) -> NameParts {
    let lower = full.to_lowercase();
    // Of the values that occur in the name, one written in the name's own
    // case wins over one that matches only without case, then the longer.
    let part = |property: &str| {
        record
            .values(property)
            .iter()
            .filter(|value| lower.contains(&value.to_lowercase()))
            .max_by_key(|value| (full.contains(value.as_str()), value.len()))
            .cloned()
    };
    NameParts {
        given: part("firstName"),
        middle: part("middleName").or_else(|| part("secondName")),
        family: part("lastName"),
        patronymic: part("fatherName"),
        other: record
            .values("title")
            .iter()
            .filter(|title| lower.contains(&title.to_lowercase()))
            .cloned()
            .collect(),
    }
}

/// Facts that sit on the record itself.
fn add_facts(entity: &mut Entity, record: &Record) {
    for value in record.values("birthDate") {
        if let Some(date) = PartialDate::parse_iso(value.get(..10).unwrap_or(value)) {
            push_unique(&mut entity.birth_dates, BirthDate::exact(date));
        }
    }
    for value in record.values("birthPlace") {
        push_unique(&mut entity.birth_places, value.clone());
    }
    for property in ["nationality", "citizenship"] {
        for value in record.values(property) {
            push_unique(&mut entity.nationalities, value.to_uppercase());
        }
    }
    for property in ["country", "jurisdiction", "flag"] {
        for value in record.values(property) {
            push_unique(&mut entity.countries, value.to_uppercase());
        }
    }
    entity.gender = record
        .values("gender")
        .iter()
        .find_map(|g| match g.as_str() {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            _ => None,
        });
    add_identifiers(entity, record);
    for value in record.values("address") {
        push_address(
            entity,
            Address {
                full: Some(value.clone()),
                ..Address::default()
            },
        );
    }
    for value in record.values("program") {
        push_unique(&mut entity.programs, value.clone());
    }
    add_remarks(entity, record);
}

fn add_identifiers(entity: &mut Entity, record: &Record) {
    let mut identifiers: Vec<(IdentifierKind, &String)> = IDENTIFIER_PROPERTIES
        .iter()
        .flat_map(|property| {
            record
                .values(property)
                .iter()
                .map(move |v| (identifier_kind(property), v))
        })
        .collect();
    if record.schema == "Airplane" {
        for property in ["registrationNumber", "serialNumber"] {
            identifiers.extend(
                record
                    .values(property)
                    .iter()
                    .map(|v| (IdentifierKind::Aircraft, v)),
            );
        }
        identifiers.retain(|(kind, _)| *kind != IdentifierKind::RegistrationNumber);
    }
    for (kind, value) in identifiers {
        let identifier = Identifier {
            kind,
            value: value.clone(),
            country: None,
        };
        push_unique(&mut entity.identifiers, identifier);
    }
}

fn add_remarks(entity: &mut Entity, record: &Record) {
    let mut remarks: Vec<String> = record.values("notes").to_vec();
    for (property, label) in [("position", "Position"), ("topics", "Topics")] {
        let values = record.values(property);
        if !values.is_empty() {
            remarks.push(format!("{label}: {}", values.join(", ")));
        }
    }
    if !remarks.is_empty() {
        entity.remarks = Some(remarks.join("\n"));
    }
}

/// Adds an address; one whose `full` text is already there fills in the
/// parts the earlier one lacks, because FollowTheMoney often states an
/// address both as an `address` string and as an Address record.
fn push_address(entity: &mut Entity, address: Address) {
    if let Some(country) = &address.country {
        push_unique(&mut entity.countries, country.clone());
    }
    let same = entity
        .addresses
        .iter_mut()
        .find(|known| address.full.is_some() && known.full == address.full);
    let Some(known) = same else {
        push_unique(&mut entity.addresses, address);
        return;
    };
    known.street = known.street.take().or(address.street);
    known.city = known.city.take().or(address.city);
    known.region = known.region.take().or(address.region);
    known.postal_code = known.postal_code.take().or(address.postal_code);
    known.country = known.country.take().or(address.country);
}

fn address_of(record: &Record) -> Address {
    let first = |property: &str| record.values(property).first().cloned();
    Address {
        street: first("street"),
        city: first("city"),
        region: first("region"),
        postal_code: first("postalCode"),
        country: first("country").map(|c| c.to_uppercase()),
        full: first("full"),
    }
}

fn wallet_of(record: &Record) -> Option<WalletAddress> {
    let address = record.values("publicKey").first()?.clone();
    let asset = record
        .values("currency")
        .first()
        .map_or_else(|| "UNKNOWN".to_string(), |c| c.to_uppercase());
    Some(WalletAddress { asset, address })
}

fn identification_of(record: &Record) -> Option<Identifier> {
    let value = record
        .values("number")
        .first()
        .or(record.values("passportNumber").first())?
        .clone();
    let kind = if record.schema == "Passport"
        || record
            .values("type")
            .iter()
            .any(|t| t.to_lowercase().contains("passport"))
    {
        IdentifierKind::Passport
    } else {
        IdentifierKind::NationalId
    };
    let country = record.values("country").first().map(|c| c.to_uppercase());
    Some(Identifier {
        kind,
        value,
        country,
    })
}

/// Adds a Sanction's program and its earliest listing or start date.
fn add_sanction(entity: &mut Entity, record: &Record) {
    let program = ["program", "programId", "authority"]
        .iter()
        .find_map(|property| record.values(property).first());
    if let Some(program) = program {
        push_unique(&mut entity.programs, program.clone());
    }
    let dates = record
        .values("listingDate")
        .iter()
        .chain(record.values("startDate"));
    for value in dates {
        let Some(date) = PartialDate::parse_iso(value.get(..10).unwrap_or(value)) else {
            continue;
        };
        if date.day.is_none() {
            continue;
        }
        let iso = date.to_string();
        if entity.listed_on.as_ref().is_none_or(|known| iso < *known) {
            entity.listed_on = Some(iso);
        }
    }
}
