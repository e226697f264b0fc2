//! EU financial sanctions consolidated list XML (the "FSF" export).
//!
//! The root `export` carries `generationDate`. Each `sanctionEntity`
//! (`logicalId`, `euReferenceNumber`, `designationDate`) contains a
//! `subjectType` (person or enterprise), `regulation` elements with the
//! `programme`, `nameAlias` elements with the name in attributes,
//! `citizenship`, `birthdate`, `identification`, `address` and `remark`
//! elements. Elements and attributes are matched by local name, so any
//! namespace prefix reads the same. The EU writes country code "00" for an
//! unknown country; such codes are left out.
//!
//! The first strong `nameAlias` is the primary name, the other strong ones
//! are aliases, and those with `strong="false"` are weak aliases.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::text::{non_empty, push_unique};
use crate::error::ListError;
use crate::model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts,
    NameType, PartialDate,
};
use crate::source::{decode_text, InputFile, LoadContext, MAX_FIELD_BYTES};

const FORMAT: &str = "EU consolidated list XML";

/// Checks whether the start of the file has an `export` root of the EU list.
pub fn sniff(file: &InputFile) -> bool {
    let head = decode_text(&file.bytes[..file.bytes.len().min(4096)]);
    head.contains("export") && (head.contains("generationDate") || head.contains("sanctionEntity"))
}

/// Reads the EU consolidated list: one entity per `sanctionEntity`.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let text = decode_text(&file.bytes);
    if text.trim().is_empty() {
        return Err(ListError::Empty {
            path: file.path.clone(),
        });
    }
    let mut parser = Parser {
        file,
        list_id,
        open: Vec::new(),
        root_seen: false,
        current: None,
        entity_count: 0,
        entities: Vec::new(),
    };
    parser.run(&text, context)?;
    Ok(parser.entities)
}

/// Attributes of one element by local name.
type Attributes = HashMap<String, String>;

/// The streaming state of one parse.
struct Parser<'a> {
    file: &'a InputFile,
    list_id: &'a str,
    /// Local names of the open elements, root first.
    open: Vec<String>,
    root_seen: bool,
    current: Option<Current>,
    /// `sanctionEntity` elements seen so far, for element paths.
    entity_count: usize,
    entities: Vec<Entity>,
}

/// The `sanctionEntity` being read.
struct Current {
    entity: Entity,
    location: String,
    remarks: Vec<String>,
    /// Text of the open `remark` element.
    remark: Option<String>,
    has_primary: bool,
    /// Whether `designationDate` gave the listing date.
    designated: bool,
}

impl Parser<'_> {
    fn run(&mut self, text: &str, context: &mut LoadContext) -> Result<(), ListError> {
        let mut reader = Reader::from_str(text);
        loop {
            let event = reader.read_event().map_err(|error| {
                self.invalid(format!(
                    "XML error at byte {}: {error}",
                    reader.error_position()
                ))
            })?;
            match event {
                Event::Start(element) => {
                    let name = self.open_element(&element, context)?;
                    self.open.push(name);
                }
                Event::Empty(element) => {
                    let name = self.open_element(&element, context)?;
                    self.open.push(name);
                    self.close_element(context);
                }
                Event::End(_) => self.close_element(context),
                Event::Text(content) => {
                    let decoded = content.decode().map_err(|e| self.invalid(e.to_string()))?;
                    self.append_text(&decoded)?;
                }
                Event::CData(content) => {
                    let decoded = content.decode().map_err(|e| self.invalid(e.to_string()))?;
                    self.append_text(&decoded)?;
                }
                Event::GeneralRef(reference) => {
                    let resolved = resolve_reference(&reference)
                        .ok_or_else(|| self.invalid("unknown entity reference".into()))?;
                    self.append_text(&resolved)?;
                }
                Event::Eof => break,
                _ => {}
            }
        }
        self.check_complete()
    }

    fn invalid(&self, reason: String) -> ListError {
        ListError::Invalid {
            path: self.file.path.clone(),
            format: FORMAT,
            reason,
        }
    }

    fn check_complete(&self) -> Result<(), ListError> {
        if let Some(open) = self.open.last() {
            return Err(self.invalid(format!(
                "the file ends inside <{open}> at /{}; it is truncated, download it again",
                self.open.join("/")
            )));
        }
        if !self.root_seen {
            return Err(self.invalid(
                "the file has no XML element; this is not the EU consolidated list".into(),
            ));
        }
        Ok(())
    }

    /// Handles an opening tag and returns its local name.
    fn open_element(
        &mut self,
        element: &BytesStart,
        context: &mut LoadContext,
    ) -> Result<String, ListError> {
        let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
        if self.open.is_empty() && name != "export" {
            return Err(self.invalid(format!(
                "the root element is <{name}>, not <export>; this is not the EU consolidated list"
            )));
        }
        self.root_seen = true;
        let attributes = self.attributes(element, &name)?;
        match (self.open.len(), name.as_str()) {
            (0, _) => self.read_export(&attributes, context),
            (1, "sanctionEntity") => self.start_entity(&attributes),
            (2, _) => self.read_child(&name, &attributes, context),
            _ => {}
        }
        if name == "remark" {
            if let Some(current) = &mut self.current {
                current.remark = Some(String::new());
            }
        }
        Ok(name)
    }

    fn close_element(&mut self, context: &mut LoadContext) {
        let Some(name) = self.open.pop() else {
            return;
        };
        if name == "remark" {
            if let Some(current) = &mut self.current {
                if let Some(remark) = current.remark.take().as_deref().and_then(non_empty) {
                    push_unique(&mut current.remarks, remark);
                }
            }
        }
        if self.open.len() == 1 && name == "sanctionEntity" {
            self.finish_entity(context);
        }
    }

    fn append_text(&mut self, text: &str) -> Result<(), ListError> {
        let Some(remark) = self.current.as_mut().and_then(|c| c.remark.as_mut()) else {
            return Ok(());
        };
        remark.push_str(text);
        if remark.len() > MAX_FIELD_BYTES {
            return Err(ListError::Oversized {
                path: self.file.path.clone(),
                location: format!("/{}", self.open.join("/")),
                len: remark.len(),
                limit: MAX_FIELD_BYTES,
            });
        }
        Ok(())
    }

    /// Reads the attributes of `element` by local name.
    fn attributes(&self, element: &BytesStart, name: &str) -> Result<Attributes, ListError> {
        let mut attributes = HashMap::new();
        for attribute in element.attributes() {
            let attribute = attribute
                .map_err(|e| self.invalid(format!("invalid attribute in <{name}>: {e}")))?;
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            let value = attribute
                .unescape_value()
                .map_err(|e| self.invalid(format!("invalid value of {key} in <{name}>: {e}")))?;
            if value.len() > MAX_FIELD_BYTES {
                return Err(ListError::Oversized {
                    path: self.file.path.clone(),
                    location: format!("/{}/{name}/@{key}", self.open.join("/")),
                    len: value.len(),
                    limit: MAX_FIELD_BYTES,
                });
            }
            attributes.insert(key, value.trim().to_string());
        }
        Ok(attributes)
    }

    fn read_export(&mut self, attributes: &Attributes, context: &mut LoadContext) {
        let Some(generated) = attributes.get("generationDate") else {
            return;
        };
        match date_attribute(generated) {
            Some(date) => context.published = Some(date),
            None => context.warn(
                &self.file.name,
                "/export",
                format!("generationDate '{generated}' is not a date; the publication date is left unknown"),
            ),
        }
    }

    fn start_entity(&mut self, attributes: &Attributes) {
        self.entity_count += 1;
        let get = |key: &str| attributes.get(key).and_then(|v| non_empty(v));
        let id = get("logicalId")
            .or_else(|| get("euReferenceNumber"))
            .unwrap_or_default();
        let mut location = format!("/export/sanctionEntity[{}]", self.entity_count);
        if !id.is_empty() {
            location.push_str(&format!(" (logicalId {id})"));
        }
        let mut entity = Entity::new(self.list_id, id, EntityKind::Unknown);
        entity.listed_on = get("designationDate").and_then(|d| date_attribute(&d));
        let mut remarks = Vec::new();
        for (key, label) in [
            ("euReferenceNumber", "EU reference number"),
            ("unitedNationId", "UN reference"),
            ("designationDetails", "Designation details"),
        ] {
            if let Some(value) = get(key) {
                remarks.push(format!("{label}: {value}"));
            }
        }
        let designated = entity.listed_on.is_some();
        self.current = Some(Current {
            entity,
            location,
            remarks,
            remark: None,
            has_primary: false,
            designated,
        });
    }

    fn finish_entity(&mut self, context: &mut LoadContext) {
        let Some(mut current) = self.current.take() else {
            return;
        };
        if current.entity.id.is_empty() {
            let message = "sanctionEntity has no logicalId or euReferenceNumber; skipped";
            context.warn(&self.file.name, current.location, message);
            return;
        }
        if current.entity.names.is_empty() {
            let message = "sanctionEntity has no nameAlias with a name; skipped";
            context.warn(&self.file.name, current.location, message);
            return;
        }
        current.entity.remarks = non_empty(&current.remarks.join("\n"));
        self.entities.push(current.entity);
    }

    /// Reads a direct child of `sanctionEntity`.
    fn read_child(&mut self, name: &str, attributes: &Attributes, context: &mut LoadContext) {
        let Some(current) = &mut self.current else {
            return;
        };
        let mut problems = Vec::new();
        match name {
            "subjectType" => read_subject_type(current, attributes, &mut problems),
            "regulation" => read_regulation(current, attributes),
            "nameAlias" => read_name_alias(current, attributes, &mut problems),
            "citizenship" => {
                if let Some(code) = country_attribute(attributes) {
                    push_unique(&mut current.entity.nationalities, code);
                }
            }
            "birthdate" => read_birthdate(current, attributes, &mut problems),
            "identification" => read_identification(current, attributes, &mut problems),
            "address" => read_address(current, attributes),
            _ => {}
        }
        for problem in problems {
            let location = format!("{}/{name}", current.location);
            context.warn(&self.file.name, location, problem);
        }
    }
}

fn resolve_reference(reference: &quick_xml::events::BytesRef) -> Option<String> {
    if reference.is_char_ref() {
        return reference
            .resolve_char_ref()
            .ok()
            .flatten()
            .map(String::from);
    }
    let name = reference.decode().ok()?;
    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
}

/// "YYYY-MM-DD" from an attribute such as "2024-01-15T17:44:48.427+01:00".
fn date_attribute(text: &str) -> Option<String> {
    let date = PartialDate::parse_iso(text.get(..10)?)?;
    date.day.map(|_| date.to_string())
}

/// `countryIso2Code` upper-cased, or `None` when absent or "00".
fn country_attribute(attributes: &Attributes) -> Option<String> {
    let code = attributes.get("countryIso2Code")?.to_ascii_uppercase();
    (code.len() == 2 && code != "00").then_some(code)
}

fn read_subject_type(current: &mut Current, attributes: &Attributes, problems: &mut Vec<String>) {
    let code = attributes.get("code").map(String::as_str).unwrap_or("");
    current.entity.kind = match code {
        "person" => EntityKind::Person,
        "enterprise" => EntityKind::Organization,
        other => {
            problems.push(format!(
                "subjectType code '{other}' is not person or enterprise; kind set to unknown"
            ));
            EntityKind::Unknown
        }
    };
}

fn read_regulation(current: &mut Current, attributes: &Attributes) {
    if let Some(programme) = attributes.get("programme").and_then(|p| non_empty(p)) {
        push_unique(&mut current.entity.programs, programme);
    }
    if current.designated {
        return;
    }
    // Without a designationDate, the earliest regulation is the listing.
    let Some(date) = attributes
        .get("publicationDate")
        .and_then(|d| date_attribute(d))
    else {
        return;
    };
    if current
        .entity
        .listed_on
        .as_ref()
        .is_none_or(|known| date < *known)
    {
        current.entity.listed_on = Some(date);
    }
}

fn read_name_alias(current: &mut Current, attributes: &Attributes, problems: &mut Vec<String>) {
    let get = |key: &str| attributes.get(key).and_then(|v| non_empty(v));
    let parts = NameParts {
        given: get("firstName"),
        middle: get("middleName"),
        family: get("lastName"),
        patronymic: None,
        other: get("title").into_iter().collect(),
    };
    let composed = [&parts.given, &parts.middle, &parts.family]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let Some(full) = get("wholeName").or_else(|| non_empty(&composed)) else {
        problems.push("nameAlias has no wholeName, firstName or lastName; skipped".into());
        return;
    };
    let weak = attributes.get("strong").is_some_and(|s| s == "false");
    let name_type = match (weak, current.has_primary) {
        (true, _) => NameType::WeakAlias,
        (false, false) => NameType::Primary,
        (false, true) => NameType::Alias,
    };
    current.has_primary |= name_type == NameType::Primary;
    let name = Name {
        full,
        name_type,
        parts,
        script: None,
    };
    if !current.entity.names.iter().any(|n| n.full == name.full) {
        current.entity.names.push(name);
    }
    match get("gender").as_deref() {
        Some("M") => current.entity.gender = Some(Gender::Male),
        Some("F") => current.entity.gender = Some(Gender::Female),
        _ => {}
    }
    if let Some(function) = get("function") {
        push_unique(&mut current.remarks, format!("Function: {function}"));
    }
}

fn read_birthdate(current: &mut Current, attributes: &Attributes, problems: &mut Vec<String>) {
    match birth_date_of(attributes) {
        Ok(Some(date)) => push_unique(&mut current.entity.birth_dates, date),
        Ok(None) => {}
        Err(problem) => problems.push(problem),
    }

    let get = |key: &str| attributes.get(key).and_then(|v| non_empty(v));
    let place = [
        get("city").or_else(|| get("place")),
        get("countryDescription"),
    ]
    .into_iter()
    .flatten()
    .filter(|part| part != "UNKNOWN")
    .collect::<Vec<_>>()
    .join(", ");
    if let Some(place) = non_empty(&place) {
        push_unique(&mut current.entity.birth_places, place);
    }
}

/// Reads `birthdate`, else `year` with `monthOfYear` and `dayOfMonth`,
/// else `yearRangeFrom` and `yearRangeTo`. `Ok(None)` when none is given.
fn birth_date_of(attributes: &Attributes) -> Result<Option<BirthDate>, String> {
    let get = |key: &str| attributes.get(key).and_then(|v| non_empty(v));
    let number = |key: &str| get(key).and_then(|v| v.parse::<u16>().ok());
    let from = match (get("birthdate"), number("year"), number("yearRangeFrom")) {
        (Some(text), _, _) => PartialDate::parse_iso(&text),
        (None, Some(year), _) => {
            let month = number("monthOfYear").and_then(|m| u8::try_from(m).ok());
            let day = number("dayOfMonth").and_then(|d| u8::try_from(d).ok());
            PartialDate::new(year, month, day.filter(|_| month.is_some()))
        }
        (None, None, Some(year)) => PartialDate::new(year, None, None),
        (None, None, None) => None,
    };

    let stated = ["birthdate", "year", "yearRangeFrom"]
        .iter()
        .any(|key| get(key).is_some());
    let Some(from) = from else {
        if stated {
            return Err(
                "birthdate has no valid date in birthdate, year or yearRangeFrom; date left out"
                    .into(),
            );
        }
        return Ok(None);
    };
    let to = number("yearRangeTo").and_then(|year| PartialDate::new(year, None, None));
    Ok(Some(BirthDate {
        from,
        to: to.filter(|to| *to != from),
        approximate: get("circa").is_some_and(|c| c == "true"),
    }))
}

fn read_identification(current: &mut Current, attributes: &Attributes, problems: &mut Vec<String>) {
    let Some(number) = attributes.get("number").and_then(|n| non_empty(n)) else {
        problems.push("identification has no number; skipped".into());
        return;
    };
    let code = attributes
        .get("identificationTypeCode")
        .map(String::as_str)
        .unwrap_or("");
    let kind = match code {
        "passport" | "nationalpass" | "diplomaticpass" => IdentifierKind::Passport,
        "id" | "ssn" => IdentifierKind::NationalId,
        "fiscalcode" | "tin" => IdentifierKind::TaxId,
        "regnumber" => IdentifierKind::RegistrationNumber,
        "swiftbic" => IdentifierKind::Bic,
        "imo" => IdentifierKind::Imo,
        other => IdentifierKind::Other(other.to_string()),
    };
    let identifier = Identifier {
        kind,
        value: number,
        country: country_attribute(attributes),
    };
    push_unique(&mut current.entity.identifiers, identifier);
}

fn read_address(current: &mut Current, attributes: &Attributes) {
    let get = |key: &str| attributes.get(key).and_then(|v| non_empty(v));
    let street = [get("street"), get("poBox").map(|p| format!("PO Box {p}"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let address = Address {
        street: non_empty(&street),
        city: get("city"),
        region: get("region"),
        postal_code: get("zipCode"),
        country: country_attribute(attributes),
        full: get("place"),
    };
    if address == Address::default() {
        return;
    }
    if let Some(code) = &address.country {
        push_unique(&mut current.entity.countries, code.clone());
    }
    push_unique(&mut current.entity.addresses, address);
}
