//! OFAC's sdn_advanced.xml (and cons_advanced.xml): the full SDN list in
//! the UN-style "advanced" schema.
//!
//! The file is read in one streaming pass. Each record under a section
//! (a Location, an IDRegDocument, a DistinctParty, a SanctionsEntry) is
//! read whole and turned into the parts of an entity. The parts that refer
//! to other sections are joined at the end, so the sections may come in
//! any order. Elements are matched by local name, so a new namespace URI does
//! not break the parser.

mod dates;
mod party;
mod references;

use std::collections::HashMap;

use crate::error::ListError;
use crate::formats::common::{country_or_text, identifier_of_kind, join_present, push_unique};
use crate::formats::xml::{decoded_xml, XmlElement, XmlReader, XmlTree};
use crate::model::{Address, Entity, Identifier, IdentifierKind};
use crate::source::{InputFile, LoadContext};

use dates::date_of;
use party::{read_party, LocationUse, Party};
use references::{id_attr, References};

const FORMAT: &str = "ofac_advanced_xml";

/// A Location: an address, or only a country.
#[derive(Debug, Clone)]
struct Location {
    address: Address,
    /// ISO alpha-2 where OFAC gives it, else the country's name.
    country: Option<String>,
}

/// The programs and listing date a SanctionsEntry gives its party.
#[derive(Debug, Default)]
struct Sanctions {
    programs: Vec<String>,
    listed_on: Option<crate::model::PartialDate>,
}

/// Everything read so far, joined into entities at the end.
#[derive(Debug, Default)]
struct Collected {
    references: References,
    locations: HashMap<u64, Location>,
    documents: HashMap<u64, Vec<Identifier>>,
    parties: Vec<Party>,
    sanctions: HashMap<u64, Sanctions>,
    /// (from profile, relation type name, to profile).
    relations: Vec<(u64, u64)>,
}

/// Parses one sdn_advanced.xml file.
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
    let mut collected = Collected::default();
    let mut party_index = 0usize;
    let mut tree = XmlTree::default();

    while let Some(start) = reader.next_start()? {
        let name = start.tag.name().to_string();
        if start.depth == 1 {
            if name != "Sanctions" {
                return Err(
                    reader.invalid(format!("the root element is <{name}>, not <Sanctions>"))
                );
            }
            continue;
        }
        match (start.depth, name.as_str()) {
            (2, "DateOfIssue") => {
                let element = reader.read_children(start, &mut tree)?;
                context.published = date_of(element)
                    .filter(|d| d.day.is_some())
                    .map(|d| d.to_string());
            }
            (2, "ReferenceValueSets") => {
                let element = reader.read_children(start, &mut tree)?;
                collected.references = References::read(element);
            }
            (3, "Location") => {
                let element = reader.read_children(start, &mut tree)?;
                collected.add_location(element);
            }
            (3, "IDRegDocument") => {
                let element = reader.read_children(start, &mut tree)?;
                collected.add_document(element);
            }
            (3, "DistinctParty") => {
                party_index += 1;
                let location = format!("{}[{party_index}]", reader.path());
                let element = reader.read_children(start, &mut tree)?;
                collected.add_party(element, list_id, &file.name, &location, context);
            }
            (3, "SanctionsEntry") => {
                let element = reader.read_children(start, &mut tree)?;
                collected.add_sanctions_entry(element);
            }
            (3, "ProfileRelationship") => {
                let element = reader.read_children(start, &mut tree)?;
                if let (Some(from), Some(to)) = (
                    id_attr(element, "From-ProfileID"),
                    id_attr(element, "To-ProfileID"),
                ) {
                    collected.relations.push((from, to));
                }
            }
            // Any other record at section depth is read whole and dropped,
            // so its inner elements are not mistaken for records.
            (3, _) if !start.empty => {
                reader.read_children(start, &mut tree)?;
            }
            _ => {}
        }
    }
    Ok(collected.into_entities(&file.name, context))
}

impl Collected {
    fn add_location(&mut self, element: XmlElement) {
        let Some(id) = id_attr(element, "ID") else {
            return;
        };
        let references = &self.references;
        let mut parts: HashMap<&str, Vec<&str>> = HashMap::new();
        for part in element.children_named("LocationPart") {
            let part_type = id_attr(part, "LocPartTypeID")
                .and_then(|id| references.location_part_types.get(&id))
                .map_or("", String::as_str);
            let values = part
                .children_named("LocationPartValue")
                .filter_map(|v| v.child_value("Value"));
            parts.entry(part_type).or_default().extend(values);
        }
        let joined = |key: &str| {
            parts
                .get(key)
                .map(|v| v.join(", "))
                .filter(|v| !v.is_empty())
        };

        // The country comes from LocationCountry, else the area code. A
        // Location that only names a country (as nationality features use)
        // writes it as a part of type "Unknown".
        let country_id = element
            .child("LocationCountry")
            .and_then(|c| id_attr(c, "CountryID"));
        let unknown = joined("Unknown");
        let country = country_id
            .and_then(|id| references.countries.get(&id).cloned())
            .or_else(|| {
                element
                    .child("LocationAreaCode")
                    .and_then(|a| id_attr(a, "AreaCodeID"))
                    .and_then(|id| references.area_codes.get(&id).cloned())
            })
            .or_else(|| unknown.as_deref().and_then(country_or_text));
        let country_name = country_id
            .and_then(|id| references.country_names.get(&id).cloned())
            .or(unknown);

        let street = join_present(
            &[
                joined("ADDRESS1").as_deref(),
                joined("ADDRESS2").as_deref(),
                joined("ADDRESS3").as_deref(),
            ],
            ", ",
        );
        let city = joined("CITY");
        let region = joined("STATE/PROVINCE").or_else(|| joined("REGION"));
        let postal_code = joined("POSTAL CODE");
        let full = join_present(
            &[
                street.as_deref(),
                city.as_deref(),
                region.as_deref(),
                postal_code.as_deref(),
                country_name.as_deref(),
            ],
            ", ",
        );
        let address = Address {
            street,
            city,
            region,
            postal_code,
            country: country.clone(),
            full,
        };
        self.locations.insert(id, Location { address, country });
    }

    fn add_document(&mut self, element: XmlElement) {
        let Some(identity) = id_attr(element, "IdentityID") else {
            return;
        };
        let Some(number) = element.child_value("IDRegistrationNo") else {
            return;
        };
        let references = &self.references;
        let kind = id_attr(element, "IDRegDocTypeID")
            .and_then(|id| references.document_types.get(&id))
            .cloned()
            .unwrap_or_else(|| IdentifierKind::Other("Document".into()));
        let country = id_attr(element, "IssuedBy-CountryID")
            .and_then(|id| references.countries.get(&id))
            .map(String::as_str);
        let documents = self.documents.entry(identity).or_default();
        push_unique(documents, identifier_of_kind(kind, number, country));
    }

    fn add_party(
        &mut self,
        element: XmlElement,
        list_id: &str,
        file: &str,
        location: &str,
        context: &mut LoadContext,
    ) {
        let mut warnings = Vec::new();
        match read_party(element, &self.references, list_id, &mut warnings) {
            Ok(party) => self.parties.push(party),
            Err(reason) => context.warn(file, location, format!("{reason}; skipped")),
        }
        for warning in warnings {
            context.warn(file, location, warning);
        }
    }

    fn add_sanctions_entry(&mut self, element: XmlElement) {
        let Some(profile) = id_attr(element, "ProfileID") else {
            return;
        };
        let references = &self.references;
        let sanctions = self.sanctions.entry(profile).or_default();
        for measure in element.children_named("SanctionsMeasure") {
            let is_program = id_attr(measure, "SanctionsTypeID")
                .and_then(|id| references.sanctions_types.get(&id))
                .is_some_and(|t| t == "Program");
            if let Some(program) = measure.child_value("Comment").filter(|_| is_program) {
                push_unique(&mut sanctions.programs, program.to_string());
            }
        }
        for event in element.children_named("EntryEvent") {
            let date = event.child("Date").and_then(date_of);
            if let Some(date) = date {
                if sanctions.listed_on.is_none_or(|d| date < d) {
                    sanctions.listed_on = Some(date);
                }
            }
        }
    }

    /// Joins documents, locations, sanctions and relations into the parties.
    fn into_entities(mut self, file: &str, context: &mut LoadContext) -> Vec<Entity> {
        let names_by_profile: HashMap<u64, String> = self
            .parties
            .iter()
            .filter_map(|p| Some((p.profile_id, p.entity.primary_name()?.full.clone())))
            .collect();
        let mut linked: HashMap<u64, Vec<String>> = HashMap::new();
        for (from, to) in &self.relations {
            if let Some(name) = names_by_profile.get(to) {
                let names = linked.entry(*from).or_default();
                push_unique(names, name.clone());
            }
        }

        let mut entities = Vec::with_capacity(self.parties.len());
        for mut party in std::mem::take(&mut self.parties) {
            for identity in &party.identity_ids {
                for document in self.documents.remove(identity).unwrap_or_default() {
                    push_unique(&mut party.entity.identifiers, document);
                }
            }
            self.resolve_locations(&mut party, file, context);
            if let Some(sanctions) = self.sanctions.remove(&party.profile_id) {
                party.entity.programs = sanctions.programs;
                party.entity.listed_on = sanctions.listed_on.map(|d| d.to_string());
            }
            party.entity.linked_to = linked.remove(&party.profile_id).unwrap_or_default();
            entities.push(party.entity);
        }
        entities
    }

    fn resolve_locations(&self, party: &mut Party, file: &str, context: &mut LoadContext) {
        let entity = &mut party.entity;
        for (usage, id) in &party.locations {
            let Some(location) = self.locations.get(id) else {
                context.warn(
                    file,
                    format!("DistinctParty {}", entity.id),
                    format!("Location {id} is referenced but not in the file"),
                );
                continue;
            };
            match usage {
                LocationUse::Address => {
                    if location.address.full.is_some() {
                        push_unique(&mut entity.addresses, location.address.clone());
                    }
                    if let Some(country) = &location.country {
                        push_unique(&mut entity.countries, country.clone());
                    }
                }
                LocationUse::Nationality => {
                    if let Some(country) = &location.country {
                        push_unique(&mut entity.nationalities, country.clone());
                    }
                }
                LocationUse::Country => {
                    if let Some(country) = &location.country {
                        push_unique(&mut entity.countries, country.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, IdentifierKind, NameType};

    /// Four parties cut from OFAC's file of 2025-11-19 with the records
    /// they refer to: BANCO NACIONAL DE CUBA, FLORES APODACA, the vessel
    /// ARTAVIL and LAZARUS GROUP.
    const SAMPLE: &str = include_str!("../../../tests/samples/sdn_advanced_sample.xml");

    fn parse_text(xml: &str) -> (Vec<Entity>, LoadContext) {
        let file = InputFile::from_bytes("sample.xml", xml.as_bytes().to_vec());
        let mut context = LoadContext::default();
        let entities = parse(&[file], "ofac_sdn", &mut context).expect("sample parses");
        (entities, context)
    }

    #[test]
    fn sample_parties_read_whole() {
        let (entities, context) = parse_text(SAMPLE);
        assert!(context.warnings.is_empty(), "{:?}", context.warnings);
        assert_eq!(context.published.as_deref(), Some("2025-11-19"));
        let ids: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, vec!["306", "15002", "15036", "27307"]);

        let vessel = &entities[2];
        assert_eq!(vessel.kind, EntityKind::Vessel);
        assert!(vessel
            .identifiers
            .iter()
            .any(|i| i.kind == IdentifierKind::Imo));
        assert!(vessel.names.iter().any(|n| n.name_type == NameType::Former));
        let lazarus = &entities[3];
        assert_eq!(lazarus.wallets.len(), 8);
        assert_eq!(lazarus.programs, vec!["DPRK3"]);
    }

    #[test]
    fn prefixed_namespace_reads_the_same() {
        let prefixed = SAMPLE
            .replace("<?xml", "<?XML")
            .replace("</", "\u{0}")
            .replace('<', "<ofac:")
            .replace('\u{0}', "</ofac:")
            .replace("<ofac:?XML", "<?xml")
            .replace(" xmlns=\"", " xmlns:ofac=\"urn:example:changed:");
        assert!(prefixed.contains("<ofac:DistinctParty "));
        let (plain, _) = parse_text(SAMPLE);
        let (renamed, context) = parse_text(&prefixed);
        assert!(context.warnings.is_empty(), "{:?}", context.warnings);
        assert_eq!(plain, renamed);
    }

    #[test]
    fn sections_in_any_order() {
        let start = SAMPLE.find("  <Locations>").expect("Locations");
        let end = SAMPLE.find("  <IDRegDocuments>").expect("IDRegDocuments");
        let locations = &SAMPLE[start..end];
        let moved = SAMPLE
            .replace(locations, "")
            .replace("</Sanctions>", &format!("{locations}</Sanctions>"));
        let (plain, _) = parse_text(SAMPLE);
        let (reordered, _) = parse_text(&moved);
        assert_eq!(plain, reordered);
    }

    #[test]
    fn missing_location_is_reported() {
        let start = SAMPLE.find("  <Locations>").expect("Locations");
        let end = SAMPLE.find("  <IDRegDocuments>").expect("IDRegDocuments");
        let without = SAMPLE.replace(&SAMPLE[start..end], "");
        let (entities, context) = parse_text(&without);
        assert_eq!(entities.len(), 4);
        assert!(entities.iter().all(|e| e.addresses.is_empty()));
        assert!(context
            .warnings
            .iter()
            .any(|w| w.message.contains("not in the file")));
    }
}
