//! The ReferenceValueSets section of sdn_advanced.xml: the tables that
//! give a meaning to every numeric id the rest of the file uses (alias
//! types, party sub-types, feature types, document types, countries,
//! scripts, name part types).

use std::collections::HashMap;

use crate::countries::country_code;
use crate::formats::common::identifier_kind;
use crate::formats::xml::XmlElement;
use crate::model::IdentifierKind;

/// Lookup tables read from ReferenceValueSets, keyed by the numeric `ID`
/// attribute of each value.
#[derive(Debug, Default)]
pub(super) struct References {
    pub alias_types: HashMap<u64, String>,
    /// PartySubType id to (sub-type name, PartyType id).
    pub party_sub_types: HashMap<u64, (String, u64)>,
    pub party_types: HashMap<u64, String>,
    pub feature_types: HashMap<u64, String>,
    pub detail_references: HashMap<u64, String>,
    /// IDRegDocType id to the kind its name maps to.
    pub document_types: HashMap<u64, IdentifierKind>,
    /// Country id to ISO alpha-2 where known, else the country's name.
    pub countries: HashMap<u64, String>,
    /// Country id to the country's name as OFAC writes it.
    pub country_names: HashMap<u64, String>,
    /// AreaCode id to its code (ISO 3166 alpha-2).
    pub area_codes: HashMap<u64, String>,
    /// Script id to ISO 15924 code.
    pub scripts: HashMap<u64, String>,
    pub name_part_types: HashMap<u64, String>,
    pub location_part_types: HashMap<u64, String>,
    pub sanctions_types: HashMap<u64, String>,
    pub relation_types: HashMap<u64, String>,
}

impl References {
    /// Reads the whole ReferenceValueSets element.
    pub fn read(section: XmlElement) -> References {
        let mut references = References::default();
        for set in section.children() {
            for value in set.children() {
                references.add(value);
            }
        }
        references
    }

    fn add(&mut self, value: XmlElement) {
        let Some(id) = id_attr(value, "ID") else {
            return;
        };
        let text = value.text().trim().to_string();
        match value.name() {
            "AliasType" => self.alias_types.insert(id, text),
            "PartySubType" => {
                let party_type = id_attr(value, "PartyTypeID").unwrap_or_default();
                self.party_sub_types.insert(id, (text, party_type));
                None
            }
            "PartyType" => self.party_types.insert(id, text),
            "FeatureType" => self.feature_types.insert(id, text),
            "DetailReference" => self.detail_references.insert(id, text),
            "IDRegDocType" => {
                self.document_types.insert(id, identifier_kind(&text));
                None
            }
            "Country" => {
                let code = value
                    .attr("ISO2")
                    .map(|c| c.trim().to_string())
                    .filter(|c| c.len() == 2)
                    .or_else(|| country_code(&text).map(str::to_string))
                    .unwrap_or_else(|| text.clone());
                self.country_names.insert(id, text);
                self.countries.insert(id, code)
            }
            "AreaCode" => self.area_codes.insert(id, text),
            "Script" => {
                let code = value
                    .attr("ScriptCode")
                    .map(|c| iso_script(&c))
                    .unwrap_or(text);
                self.scripts.insert(id, code)
            }
            "NamePartType" => self.name_part_types.insert(id, text),
            "LocPartType" => self.location_part_types.insert(id, text),
            "SanctionsType" => self.sanctions_types.insert(id, text),
            "RelationType" => self.relation_types.insert(id, text),
            _ => None,
        };
    }

    /// The party type name ("Individual", "Entity", "Transport") and
    /// sub-type name ("Vessel", "Aircraft", "Unknown") of a PartySubType id.
    pub fn party_kind(&self, sub_type: u64) -> Option<(&str, &str)> {
        let (sub_name, party_type) = self.party_sub_types.get(&sub_type)?;
        let type_name = self.party_types.get(party_type)?;
        Some((type_name, sub_name))
    }
}

/// OFAC gives ISO 15924 codes for most scripts but full names for a few
/// ("Latin", "Hebrew", "Japanese", "Korean").
fn iso_script(code: &str) -> String {
    let code = code.trim();
    let iso = match code {
        "Latin" => "Latn",
        "Hebrew" => "Hebr",
        "Japanese" => "Jpan",
        "Korean" => "Kore",
        other => other,
    };
    iso.to_string()
}

/// A numeric id attribute.
pub(super) fn id_attr(element: XmlElement, name: &str) -> Option<u64> {
    element.attr(name)?.trim().parse().ok()
}
