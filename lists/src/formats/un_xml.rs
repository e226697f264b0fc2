//! UN Security Council consolidated list XML: a `CONSOLIDATED_LIST` root
//! with `INDIVIDUALS/INDIVIDUAL` and `ENTITIES/ENTITY` records.
//!
//! An individual's name comes in FIRST_NAME .. FOURTH_NAME parts, in the
//! order the person's own naming custom writes them; the full name joins
//! them with spaces. The first part is taken as the given name and the last
//! as the family name only when there are at least two parts. Alias quality
//! "Low" is a weak alias and "f.k.a." a former name. NAME_ORIGINAL_SCRIPT
//! becomes an alias with its script detected from its letters.

use crate::error::ListError;
use crate::formats::common::{country_or_text, identifier, join_present, push_unique};
use crate::formats::xml::{decoded_xml, XmlElement, XmlReader, XmlTree};
use crate::model::{
    Address, BirthDate, Entity, EntityKind, Gender, Name, NameParts, NameType, PartialDate,
};
use crate::script::script_of;
use crate::source::{InputFile, LoadContext};

const FORMAT: &str = "un_xml";

/// Parses one UN consolidated list XML file.
pub fn parse(
    files: &[InputFile],
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let Some(file) = files.first() else {
        return Ok(Vec::new());
    };
    let text = decoded_xml(file, FORMAT)?;
    let mut reader = XmlReader::new(&text, &file.path, FORMAT);
    let mut entities = Vec::new();
    let mut seen = [0usize; 2];
    let mut tree = XmlTree::default();

    while let Some(start) = reader.next_start()? {
        let name = start.tag.name();
        if start.depth == 1 {
            if name != "CONSOLIDATED_LIST" {
                return Err(reader.invalid(format!(
                    "the root element is <{name}>, not <CONSOLIDATED_LIST>"
                )));
            }
            context.published = start
                .tag
                .attr("dateGenerated")
                .and_then(|d| PartialDate::parse_iso(d.get(..10).unwrap_or(&d)))
                .filter(|d| d.day.is_some())
                .map(|d| d.to_string());
            continue;
        }
        let kind = match name {
            "INDIVIDUAL" => EntityKind::Person,
            "ENTITY" => EntityKind::Organization,
            _ => continue,
        };
        let counter = &mut seen[usize::from(kind == EntityKind::Organization)];
        *counter += 1;
        let location = if start.empty {
            format!("{}/{name}[{counter}]", reader.path())
        } else {
            format!("{}[{counter}]", reader.path())
        };
        let element = reader.read_children(start, &mut tree)?;
        let mut record = Record {
            file: &file.name,
            location,
            context: &mut *context,
        };
        if let Some(entity) = record.entity(element, kind, list_id) {
            entities.push(entity);
        }
    }
    Ok(entities)
}

/// One INDIVIDUAL or ENTITY element being turned into an entity, with
/// where to report what could not be used.
struct Record<'c> {
    file: &'c str,
    location: String,
    context: &'c mut LoadContext,
}

impl Record<'_> {
    fn warn(&mut self, message: impl Into<String>) {
        self.context.warn(self.file, self.location.clone(), message);
    }

    fn entity(&mut self, element: XmlElement, kind: EntityKind, list_id: &str) -> Option<Entity> {
        let Some(id) = element
            .child_value("REFERENCE_NUMBER")
            .or_else(|| element.child_value("DATAID"))
        else {
            self.warn("record has neither REFERENCE_NUMBER nor DATAID; skipped");
            return None;
        };
        let Some(primary) = primary_name(element, kind) else {
            self.warn(format!("record {id} has no name; skipped"));
            return None;
        };
        let mut entity = Entity::new(list_id, id, kind);
        entity.names.push(primary);
        self.read_aliases(element, &mut entity);
        if let Some(original) = element.child_value("NAME_ORIGINAL_SCRIPT") {
            let mut name = Name::new(original, NameType::Alias);
            name.script = script_of(original).map(str::to_string);
            push_name(&mut entity, name);
        }

        self.read_birth_dates(element, &mut entity);
        read_birth_places(element, &mut entity);
        read_nationalities(element, &mut entity);
        read_addresses(element, &mut entity);
        self.read_documents(element, &mut entity);

        entity.gender = match element.child_value("GENDER") {
            Some(g) if g.eq_ignore_ascii_case("male") => Some(Gender::Male),
            Some(g) if g.eq_ignore_ascii_case("female") => Some(Gender::Female),
            _ => None,
        };
        if let Some(program) = element.child_value("UN_LIST_TYPE") {
            entity.programs.push(program.to_string());
        }
        entity.listed_on = self.listed_on(element);
        entity.remarks = element.child_value("COMMENTS1").map(str::to_string);
        Some(entity)
    }

    fn read_aliases(&mut self, element: XmlElement, entity: &mut Entity) {
        for alias in element
            .children()
            .filter(|c| matches!(c.name(), "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS"))
        {
            let Some(full) = alias.child_value("ALIAS_NAME") else {
                continue;
            };
            let name_type = match alias.child_value("QUALITY").map(str::to_ascii_lowercase) {
                Some(q) if q == "low" => NameType::WeakAlias,
                Some(q) if q.starts_with("f.k.a") || q == "fka" => NameType::Former,
                _ => NameType::Alias,
            };
            push_name(entity, Name::new(full, name_type));

            // An alias may carry the birth date and place used with it.
            if let Some(date) = alias.child_value("DATE_OF_BIRTH") {
                match parse_date(date) {
                    Some(date) => push_unique(&mut entity.birth_dates, BirthDate::exact(date)),
                    None => self.warn(format!("alias date of birth {date:?} is not a date")),
                }
            }
            let place = join_present(
                &[
                    alias.child_value("CITY_OF_BIRTH"),
                    alias.child_value("COUNTRY_OF_BIRTH"),
                ],
                ", ",
            );
            if let Some(place) = place {
                push_unique(&mut entity.birth_places, place);
            }
        }
    }

    fn read_birth_dates(&mut self, element: XmlElement, entity: &mut Entity) {
        for dob in element.children_named("INDIVIDUAL_DATE_OF_BIRTH") {
            match birth_date(dob) {
                Ok(Some(date)) => push_unique(&mut entity.birth_dates, date),
                Ok(None) => {}
                Err(problem) => self.warn(format!("date of birth skipped: {problem}")),
            }
        }
    }

    fn read_documents(&mut self, element: XmlElement, entity: &mut Entity) {
        for (position, document) in element.children_named("INDIVIDUAL_DOCUMENT").enumerate() {
            let doc_type = document.child_value("TYPE_OF_DOCUMENT");
            // Without a NUMBER, the number is often written out in the NOTE
            // or in TYPE_OF_DOCUMENT2 ("... (tazkira) number 57388").
            let written_number = || {
                document
                    .child_value("NOTE")
                    .and_then(number_in_note)
                    .or_else(|| {
                        document
                            .child_value("TYPE_OF_DOCUMENT2")
                            .and_then(number_in_note)
                    })
            };
            let Some(number) = document
                .child_value("NUMBER")
                .map(str::to_string)
                .or_else(written_number)
            else {
                if let Some(doc_type) = doc_type {
                    let detail = document
                        .child_value("TYPE_OF_DOCUMENT2")
                        .map(|text| format!(", {text:?}"))
                        .unwrap_or_default();
                    self.warn(format!(
                        "INDIVIDUAL_DOCUMENT[{}] ({doc_type:?}{detail}) has no NUMBER, and \
                         neither its NOTE nor TYPE_OF_DOCUMENT2 contains a number of 4 or \
                         more characters; skipped",
                        position + 1
                    ));
                }
                continue;
            };
            let country = document
                .child_value("ISSUING_COUNTRY")
                .or_else(|| document.child_value("COUNTRY_OF_ISSUE"));
            let doc_type = doc_type
                .or_else(|| document.child_value("TYPE_OF_DOCUMENT2"))
                .unwrap_or("Document");
            push_unique(
                &mut entity.identifiers,
                identifier(doc_type, &number, country),
            );
        }
    }

    fn listed_on(&mut self, element: XmlElement) -> Option<String> {
        let text = element.child_value("LISTED_ON")?;
        match parse_date(text) {
            Some(date) => Some(date.to_string()),
            None => {
                self.warn(format!("LISTED_ON {text:?} is not a date"));
                None
            }
        }
    }
}

/// The primary name: FIRST_NAME .. FOURTH_NAME joined, with name parts for
/// individuals and TITLE values as extra parts.
fn primary_name(element: XmlElement, kind: EntityKind) -> Option<Name> {
    let parts: Vec<&str> = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
        .iter()
        .filter_map(|tag| element.child_value(tag))
        .collect();
    if parts.is_empty() {
        return None;
    }
    let mut name = Name::new(parts.join(" "), NameType::Primary);
    if kind == EntityKind::Person {
        name.parts = name_parts(&parts);
        if let Some(title) = element.child("TITLE") {
            name.parts.other = title
                .children_named("VALUE")
                .filter_map(XmlElement::value)
                .map(str::to_string)
                .collect();
        }
    }
    Some(name)
}

fn name_parts(parts: &[&str]) -> NameParts {
    let [first, middle @ .., last] = parts else {
        return NameParts::default();
    };
    NameParts {
        given: Some(first.to_string()),
        middle: (!middle.is_empty()).then(|| middle.join(" ")),
        family: Some(last.to_string()),
        ..NameParts::default()
    }
}

/// Adds a name unless the entity has one with the same text.
fn push_name(entity: &mut Entity, name: Name) {
    if !entity.names.iter().any(|n| n.full == name.full) {
        entity.names.push(name);
    }
}

/// Reads one INDIVIDUAL_DATE_OF_BIRTH. `Ok(None)` when it states no date
/// (the UN publishes empty placeholders).
fn birth_date(dob: XmlElement) -> Result<Option<BirthDate>, String> {
    let approximate = dob
        .child_value("TYPE_OF_DATE")
        .is_some_and(|t| t.eq_ignore_ascii_case("APPROXIMATELY"));
    if let (Some(from), Some(to)) = (dob.child_value("FROM_YEAR"), dob.child_value("TO_YEAR")) {
        let (Some(from), Some(to)) = (parse_year(from), parse_year(to)) else {
            return Err(format!("range {from:?} to {to:?} is not two years"));
        };
        return Ok(Some(BirthDate {
            from,
            to: (from != to).then_some(to),
            approximate,
        }));
    }
    let Some(text) = dob.child_value("DATE").or_else(|| dob.child_value("YEAR")) else {
        return Ok(None);
    };
    let Some(date) = parse_date(text) else {
        return Err(format!("{text:?} is not a date"));
    };
    Ok(Some(BirthDate {
        from: date,
        to: None,
        approximate,
    }))
}

fn parse_year(text: &str) -> Option<PartialDate> {
    PartialDate::new(text.trim().parse().ok()?, None, None)
}

/// Reads "YYYY-MM-DD", "YYYY-MM" or "YYYY"; some entries append a time or
/// a time zone ("1958-02-22T00:00:00", "2015-04-07-04:00").
fn parse_date(text: &str) -> Option<PartialDate> {
    let text = text.trim();
    let date = match text.as_bytes().get(10) {
        Some(b'T' | b' ' | b'+' | b'-' | b'Z') => &text[..10],
        _ => text,
    };
    PartialDate::parse_iso(date)
}

/// Finds a document number in a free-text note such as "Tunisian passport
/// number L 191609 issued on 28 Feb. 1996": the first word of four or more
/// characters that holds a digit, before any "issued"/"expired" clause,
/// with a one-letter series prefix kept.
fn number_in_note(note: &str) -> Option<String> {
    let end = ["issued", "expired", "expires", "valid"]
        .iter()
        .filter_map(|word| note.find(word))
        .min()
        .unwrap_or(note.len());
    let words: Vec<&str> = note[..end]
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '(' | ')')))
        .collect();
    let index = words
        .iter()
        .position(|w| w.len() >= 4 && w.chars().any(|c| c.is_ascii_digit()))?;
    let number = words[index];
    match index.checked_sub(1).map(|i| words[i]) {
        Some(prefix) if prefix.len() == 1 && prefix.chars().all(|c| c.is_ascii_uppercase()) => {
            Some(format!("{prefix} {number}"))
        }
        _ => Some(number.to_string()),
    }
}

fn read_birth_places(element: XmlElement, entity: &mut Entity) {
    for place in element.children_named("INDIVIDUAL_PLACE_OF_BIRTH") {
        let text = join_present(
            &[
                place.child_value("STREET"),
                place.child_value("CITY"),
                place.child_value("STATE_PROVINCE"),
                place.child_value("COUNTRY"),
            ],
            ", ",
        );
        if let Some(text) = text {
            push_unique(&mut entity.birth_places, text);
        }
    }
}

fn read_nationalities(element: XmlElement, entity: &mut Entity) {
    for nationality in element.children_named("NATIONALITY") {
        for value in nationality
            .children_named("VALUE")
            .filter_map(XmlElement::value)
        {
            if let Some(country) = country_or_text(value) {
                push_unique(&mut entity.nationalities, country);
            }
        }
    }
}

fn read_addresses(element: XmlElement, entity: &mut Entity) {
    for address in element
        .children()
        .filter(|c| matches!(c.name(), "INDIVIDUAL_ADDRESS" | "ENTITY_ADDRESS"))
    {
        let parsed = Address {
            street: address.child_value("STREET").map(str::to_string),
            city: address.child_value("CITY").map(str::to_string),
            region: address.child_value("STATE_PROVINCE").map(str::to_string),
            postal_code: address.child_value("ZIP_CODE").map(str::to_string),
            country: address.child_value("COUNTRY").and_then(country_or_text),
            full: join_present(
                &[
                    address.child_value("STREET"),
                    address.child_value("CITY"),
                    address.child_value("STATE_PROVINCE"),
                    address.child_value("ZIP_CODE"),
                    address.child_value("COUNTRY"),
                ],
                ", ",
            ),
        };
        if parsed.full.is_none() {
            continue;
        }
        if let Some(country) = &parsed.country {
            push_unique(&mut entity.countries, country.clone());
        }
        push_unique(&mut entity.addresses, parsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdentifierKind;

    fn parse_text(xml: &str) -> (Result<Vec<Entity>, ListError>, LoadContext) {
        let file = InputFile::from_bytes("sample.xml", xml.as_bytes().to_vec());
        let mut context = LoadContext::default();
        let result = parse(&[file], "un_sc", &mut context);
        (result, context)
    }

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>1</DATAID>
      <FIRST_NAME>SADDAM</FIRST_NAME>
      <SECOND_NAME>HUSSEIN</SECOND_NAME>
      <THIRD_NAME>AL-TIKRITI</THIRD_NAME>
      <UN_LIST_TYPE>Iraq</UN_LIST_TYPE>
      <REFERENCE_NUMBER>IQi.001</REFERENCE_NUMBER>
      <LISTED_ON>2003-06-27</LISTED_ON>
      <NAME_ORIGINAL_SCRIPT>صدام حسين التكريتي</NAME_ORIGINAL_SCRIPT>
      <GENDER>Male</GENDER>
      <NATIONALITY><VALUE>Iraq</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abu Ali</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Udai</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ADDRESS><COUNTRY>Iraq</COUNTRY></INDIVIDUAL_ADDRESS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1937-04-28</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1936</FROM_YEAR><TO_YEAR>1938</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1939</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_PLACE_OF_BIRTH><CITY>al-Awja, near Tikrit</CITY><COUNTRY>Iraq</COUNTRY></INDIVIDUAL_PLACE_OF_BIRTH>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>A123</NUMBER><ISSUING_COUNTRY>Iraq</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT></INDIVIDUAL_DOCUMENT>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT><TYPE_OF_DOCUMENT2>Afghan national identification card (tazkira) number 57388</TYPE_OF_DOCUMENT2><NOTE>issued in Lashkar Gah District</NOTE></INDIVIDUAL_DOCUMENT>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT><TYPE_OF_DOCUMENT2>Residential card number 665</TYPE_OF_DOCUMENT2></INDIVIDUAL_DOCUMENT>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>2</DATAID>
      <FIRST_NAME>AL-QAIDA</FIRST_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <REFERENCE_NUMBER>QDe.004</REFERENCE_NUMBER>
      <LISTED_ON>2001-10-06</LISTED_ON>
      <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>The Base</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS><CITY>Kandahar</CITY><COUNTRY>Afghanistan</COUNTRY></ENTITY_ADDRESS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>"#;

    #[test]
    fn individual_reads_every_field() {
        let (result, context) = parse_text(SAMPLE);
        let entities = result.expect("sample parses");
        assert_eq!(context.published.as_deref(), Some("2026-02-27"));
        let person = &entities[0];
        assert_eq!(person.id, "IQi.001");
        assert_eq!(person.kind, EntityKind::Person);
        assert_eq!(person.names[0].full, "SADDAM HUSSEIN AL-TIKRITI");
        assert_eq!(person.names[0].parts.given.as_deref(), Some("SADDAM"));
        assert_eq!(person.names[0].parts.middle.as_deref(), Some("HUSSEIN"));
        assert_eq!(person.names[0].parts.family.as_deref(), Some("AL-TIKRITI"));
        assert_eq!(person.names[1].name_type, NameType::Alias);
        assert_eq!(person.names[2].name_type, NameType::WeakAlias);
        assert_eq!(person.names[3].script.as_deref(), Some("Arab"));
        assert_eq!(person.names.len(), 4);
        assert_eq!(person.gender, Some(Gender::Male));
        assert_eq!(person.nationalities, vec!["IQ"]);
        assert_eq!(person.countries, vec!["IQ"]);
        assert_eq!(person.birth_places, vec!["al-Awja, near Tikrit, Iraq"]);
        assert_eq!(person.programs, vec!["Iraq"]);
        assert_eq!(person.listed_on.as_deref(), Some("2003-06-27"));
    }

    #[test]
    fn birth_date_kinds() {
        let (result, _) = parse_text(SAMPLE);
        let entities = result.expect("sample parses");
        let dates = &entities[0].birth_dates;
        assert_eq!(dates.len(), 3);
        assert_eq!(dates[0].from.to_string(), "1937-04-28");
        assert!(!dates[0].approximate);
        assert_eq!(dates[1].from.year, 1936);
        assert_eq!(dates[1].to.map(|d| d.year), Some(1938));
        assert_eq!(dates[2].from, PartialDate::year(1939));
        assert!(dates[2].approximate);
    }

    #[test]
    fn document_without_number_is_reported() {
        let (result, context) = parse_text(SAMPLE);
        let entities = result.expect("sample parses");
        let ids = &entities[0].identifiers;
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0].kind, IdentifierKind::Passport);
        assert_eq!(ids[0].country.as_deref(), Some("IQ"));
        // The number written in TYPE_OF_DOCUMENT2 is read.
        assert!(ids[1].value.contains("57388"), "{:?}", ids[1]);
        // Two documents without a number give two warnings that tell them
        // apart: the second document, and the fourth with its text.
        assert_eq!(context.warnings.len(), 2);
        for warning in &context.warnings {
            assert!(warning.location.contains("INDIVIDUAL[1]"));
            assert!(warning.message.contains("no NUMBER"));
        }
        assert!(context.warnings[0]
            .message
            .contains("INDIVIDUAL_DOCUMENT[2]"));
        assert!(context.warnings[0].message.contains("Passport"));
        assert!(context.warnings[1]
            .message
            .contains("INDIVIDUAL_DOCUMENT[4]"));
        assert!(context.warnings[1]
            .message
            .contains("Residential card number 665"));
    }

    #[test]
    fn entity_reads_former_name_and_address() {
        let (result, _) = parse_text(SAMPLE);
        let entities = result.expect("sample parses");
        let entity = &entities[1];
        assert_eq!(entity.kind, EntityKind::Organization);
        assert_eq!(entity.names[1].name_type, NameType::Former);
        assert!(entity.names[0].parts.is_empty());
        assert_eq!(entity.addresses[0].city.as_deref(), Some("Kandahar"));
        assert_eq!(entity.addresses[0].country.as_deref(), Some("AF"));
    }

    #[test]
    fn document_number_from_note() {
        let cases = [
            (
                "SSN 156-92-9858 (United States of America)",
                Some("156-92-9858"),
            ),
            (
                "Tunisian passport number L 191609 issued on 28 Feb. 1996",
                Some("L 191609"),
            ),
            ("04643632 issued on 18 Jun. 1999", Some("04643632")),
            (
                "Italian Fiscal Code: DAOMMD74T11Z352Z",
                Some("DAOMMD74T11Z352Z"),
            ),
            ("issued in 1999", None),
            ("no number given", None),
        ];
        for (note, expected) in cases {
            assert_eq!(number_in_note(note).as_deref(), expected, "{note}");
        }
    }

    #[test]
    fn listed_on_with_time_zone() {
        assert_eq!(
            parse_date("2015-04-07-04:00")
                .map(|d| d.to_string())
                .as_deref(),
            Some("2015-04-07")
        );
        assert_eq!(
            parse_date("1958-02-22T00:00:00")
                .map(|d| d.to_string())
                .as_deref(),
            Some("1958-02-22")
        );
        assert_eq!(
            parse_date("1971").map(|d| d.to_string()).as_deref(),
            Some("1971")
        );
    }

    #[test]
    fn nameless_record_is_reported_not_loaded() {
        let xml = "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>\
                   <REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></INDIVIDUAL>\
                   </INDIVIDUALS></CONSOLIDATED_LIST>";
        let (result, context) = parse_text(xml);
        assert!(result.expect("parses").is_empty());
        assert!(context.warnings[0].message.contains("X.1 has no name"));
    }

    #[test]
    fn other_root_is_an_error() {
        let (result, _) = parse_text("<Sanctions><DateOfIssue/></Sanctions>");
        let error = result.expect_err("wrong root");
        assert!(error.to_string().contains("sample.xml"), "{error}");
        assert!(error.to_string().contains("CONSOLIDATED_LIST"), "{error}");
    }

    #[test]
    fn truncated_file_is_an_error() {
        let between_tags = SAMPLE.find("<DATAID>2").expect("marker");
        let inside_tag = between_tags + 3;
        for cut in [between_tags, inside_tag] {
            let (result, _) = parse_text(&SAMPLE[..cut]);
            let error = result.expect_err("truncated").to_string();
            assert!(error.contains("truncated"), "{error}");
            assert!(
                error.contains("/CONSOLIDATED_LIST/ENTITIES/ENTITY"),
                "{error}"
            );
        }
    }
}
