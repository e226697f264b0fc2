//! One DistinctParty of sdn_advanced.xml turned into an entity: kind from
//! its party sub-type, names from its aliases, and facts from its features.
//! Features that point at a Location are kept as references and resolved
//! once the Locations section has been read, wherever it sits in the file.

use crate::formats::common::push_unique;
use crate::formats::ofac_advanced::dates::birth_date;
use crate::formats::ofac_advanced::references::{id_attr, References};
use crate::formats::xml::XmlElement;
use crate::model::{
    Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts, NameType,
    WalletAddress,
};

/// The use of a Location that a feature points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LocationUse {
    Address,
    Nationality,
    /// A country tied to the party other than nationality (vessel
    /// registration, registration country).
    Country,
}

/// A party read from the file, with the references still to resolve.
#[derive(Debug)]
pub(super) struct Party {
    pub entity: Entity,
    pub profile_id: u64,
    pub identity_ids: Vec<u64>,
    pub locations: Vec<(LocationUse, u64)>,
}

/// Feature types read as identifiers, by the name OFAC gives them.
const IDENTIFIER_FEATURES: &[(&str, IdentifierKind)] = &[
    ("SWIFT/BIC", IdentifierKind::Bic),
    ("Aircraft Tail Number", IdentifierKind::Aircraft),
    ("Previous Aircraft Tail Number", IdentifierKind::Aircraft),
    (
        "Aircraft Manufacturer's Serial Number (MSN)",
        IdentifierKind::Aircraft,
    ),
    (
        "Aircraft Construction Number (also called L/N or S/N or F/N)",
        IdentifierKind::Aircraft,
    ),
];

/// Feature types read as identifiers of kind `Other`, named as published.
const OTHER_IDENTIFIER_FEATURES: &[&str] = &[
    "Vessel Call Sign",
    "Other Vessel Call Sign",
    "Aircraft Mode S Transponder Code",
    "D-U-N-S Number",
    "ISIN",
    "BIK (RU)",
    "MICEX Code",
    "Equity Ticker",
];

/// The prefix of feature types that hold a crypto wallet address.
const WALLET_FEATURE: &str = "Digital Currency Address - ";

/// Reads one DistinctParty. Returns the reason when it cannot be used.
pub(super) fn read_party(
    element: XmlElement,
    references: &References,
    list_id: &str,
    warnings: &mut Vec<String>,
) -> Result<Party, String> {
    let fixed_ref = element
        .attr("FixedRef")
        .map(|r| r.trim().to_string())
        .ok_or("DistinctParty has no FixedRef")?;
    let profile = element
        .child("Profile")
        .ok_or_else(|| format!("party {fixed_ref} has no Profile"))?;
    let kind = party_kind(profile, references);
    let mut party = Party {
        entity: Entity::new(list_id, fixed_ref.clone(), kind),
        profile_id: id_attr(profile, "ID").unwrap_or_default(),
        identity_ids: Vec::new(),
        locations: Vec::new(),
    };
    party.entity.remarks = element.child_value("Comment").map(str::to_string);

    for identity in profile.children_named("Identity") {
        if let Some(id) = id_attr(identity, "ID") {
            party.identity_ids.push(id);
        }
        read_names(identity, references, &mut party.entity, warnings);
    }
    if party.entity.names.is_empty() {
        return Err(format!("party {fixed_ref} has no name"));
    }
    if let Some(primary) = party
        .entity
        .names
        .iter()
        .position(|n| n.name_type == NameType::Primary)
    {
        party.entity.names[..=primary].rotate_right(1);
    }
    for feature in profile.children_named("Feature") {
        read_feature(feature, references, &mut party, warnings);
    }
    Ok(party)
}

fn party_kind(profile: XmlElement, references: &References) -> EntityKind {
    let Some((party_type, sub_type)) =
        id_attr(profile, "PartySubTypeID").and_then(|id| references.party_kind(id))
    else {
        return EntityKind::Unknown;
    };
    match (party_type, sub_type) {
        (_, "Vessel") => EntityKind::Vessel,
        (_, "Aircraft") => EntityKind::Aircraft,
        ("Individual", _) => EntityKind::Person,
        ("Entity" | "Other Entity", _) => EntityKind::Organization,
        _ => EntityKind::Unknown,
    }
}

/// Adds the names of every Alias of an Identity. The primary alias's first
/// DocumentedName is the primary name; its other DocumentedNames are the
/// same name in other scripts and count as aliases.
fn read_names(
    identity: XmlElement,
    references: &References,
    entity: &mut Entity,
    warnings: &mut Vec<String>,
) {
    let part_types = name_part_types(identity, references);
    for alias in identity.children_named("Alias") {
        let is_primary = alias.attr("Primary").is_some_and(|p| p == "true");
        let low_quality = alias.attr("LowQuality").is_some_and(|p| p == "true");
        let alias_type = id_attr(alias, "AliasTypeID")
            .and_then(|id| references.alias_types.get(&id))
            .map(String::as_str)
            .unwrap_or("");
        let name_type = match alias_type {
            "F.K.A." => NameType::Former,
            _ if low_quality => NameType::WeakAlias,
            "A.K.A." | "N.K.A." | "Name" => NameType::Alias,
            other => {
                warnings.push(format!("alias type {other:?} is not known; read as a.k.a."));
                NameType::Alias
            }
        };
        for (index, documented) in alias.children_named("DocumentedName").enumerate() {
            let Some(mut name) = documented_name(documented, references, &part_types) else {
                continue;
            };
            name.name_type = if is_primary && index == 0 {
                NameType::Primary
            } else {
                name_type
            };
            if !entity.names.iter().any(|n| n.full == name.full) {
                entity.names.push(name);
            }
        }
    }
}

/// NamePartGroup id to the name of its NamePartType ("Last Name", ...).
fn name_part_types<'r>(identity: XmlElement, references: &'r References) -> Vec<(u64, &'r str)> {
    let mut types = Vec::new();
    for groups in identity.children_named("NamePartGroups") {
        for master in groups.children_named("MasterNamePartGroup") {
            for group in master.children_named("NamePartGroup") {
                let type_name = id_attr(group, "NamePartTypeID")
                    .and_then(|id| references.name_part_types.get(&id));
                if let (Some(id), Some(type_name)) = (id_attr(group, "ID"), type_name) {
                    types.push((id, type_name.as_str()));
                }
            }
        }
    }
    types
}

/// Builds a name from a DocumentedName. A person's name that starts with
/// the last name is written "Last, First Middle" as OFAC's own lists show it.
fn documented_name(
    documented: XmlElement,
    references: &References,
    part_types: &[(u64, &str)],
) -> Option<Name> {
    let mut values: Vec<(&str, &str)> = Vec::new();
    let mut script = None;
    for part in documented.children_named("DocumentedNamePart") {
        let Some(value) = part.child("NamePartValue") else {
            continue;
        };
        let Some(text) = value.value() else {
            continue;
        };
        let group = id_attr(value, "NamePartGroupID");
        let part_type = part_types
            .iter()
            .find(|(id, _)| Some(*id) == group)
            .map_or("", |(_, t)| *t);
        if script.is_none() {
            script = id_attr(value, "ScriptID").and_then(|id| references.scripts.get(&id));
        }
        values.push((part_type, text));
    }
    if values.is_empty() {
        return None;
    }

    let parts = name_parts(&values);
    let full = full_name(&values);
    Some(Name {
        full,
        name_type: NameType::Alias,
        parts,
        script: script.filter(|s| s.as_str() != "Latn").cloned(),
    })
}

/// NamePartType names that are surnames when they open a name.
const SURNAME_PARTS: &[&str] = &["Last Name", "Patronymic", "Matronymic", "Maiden Name"];

/// Sorts typed name parts into the model's fields. OFAC writes Spanish
/// surnames as Patronymic (paternal) and Matronymic (maternal); a name with
/// a Matronymic and no Last Name takes both as its family name.
fn name_parts(values: &[(&str, &str)]) -> NameParts {
    let joined = |wanted: &[&str]| {
        let texts: Vec<&str> = values
            .iter()
            .filter(|(t, _)| wanted.contains(t))
            .map(|(_, text)| *text)
            .collect();
        (!texts.is_empty()).then(|| texts.join(" "))
    };
    let has = |wanted: &str| values.iter().any(|(t, _)| *t == wanted);
    let spanish_surnames = !has("Last Name") && has("Matronymic");

    let mut parts = NameParts {
        given: joined(&["First Name"]),
        middle: joined(&["Middle Name"]),
        ..NameParts::default()
    };
    if spanish_surnames {
        parts.family = joined(&["Patronymic", "Matronymic"]);
    } else {
        parts.family = joined(&["Last Name"]);
        parts.patronymic = joined(&["Patronymic"]);
    }
    for (part_type, text) in values {
        let used = matches!(
            *part_type,
            "First Name" | "Middle Name" | "Last Name" | "Patronymic"
        ) || (spanish_surnames && *part_type == "Matronymic");
        let whole_name = matches!(*part_type, "Entity Name" | "Vessel Name" | "Aircraft Name");
        if !used && !whole_name {
            parts.other.push(text.to_string());
        }
    }
    parts
}

/// Writes the name as OFAC's own lists show it. A name that opens with
/// its surnames gets a comma after them ("FLORES APODACA, Agustin"), and
/// any other name keeps its parts in order.
fn full_name(values: &[(&str, &str)]) -> String {
    let surnames = values
        .iter()
        .take_while(|(t, _)| SURNAME_PARTS.contains(t))
        .count();
    let texts: Vec<&str> = values.iter().map(|(_, text)| *text).collect();
    if surnames == 0 || surnames == texts.len() {
        return texts.join(" ");
    }
    format!(
        "{}, {}",
        texts[..surnames].join(" "),
        texts[surnames..].join(" ")
    )
}

/// Reads one Feature into the party, by the name of its FeatureType.
fn read_feature(
    feature: XmlElement,
    references: &References,
    party: &mut Party,
    warnings: &mut Vec<String>,
) {
    let Some(feature_type) = id_attr(feature, "FeatureTypeID")
        .and_then(|id| references.feature_types.get(&id))
        .map(String::as_str)
    else {
        warnings.push("feature with an unknown FeatureTypeID; skipped".to_string());
        return;
    };
    for version in feature.children_named("FeatureVersion") {
        read_feature_version(feature_type, version, references, party, warnings);
    }
}

fn read_feature_version(
    feature_type: &str,
    version: XmlElement,
    references: &References,
    party: &mut Party,
    warnings: &mut Vec<String>,
) {
    let entity = &mut party.entity;
    let detail = version.child("VersionDetail");
    let text = detail.and_then(XmlElement::value);
    let lookup = detail
        .and_then(|d| id_attr(d, "DetailReferenceID"))
        .and_then(|id| references.detail_references.get(&id))
        .map(String::as_str);
    let location = version
        .child("VersionLocation")
        .and_then(|l| id_attr(l, "LocationID"));

    if let Some(asset) = feature_type.strip_prefix(WALLET_FEATURE) {
        match text {
            Some(address) => push_unique(
                &mut entity.wallets,
                WalletAddress {
                    asset: asset.trim().to_string(),
                    address: address.to_string(),
                },
            ),
            None => warnings.push(format!("{feature_type} feature without an address")),
        }
        return;
    }
    if let Some((_, kind)) = IDENTIFIER_FEATURES
        .iter()
        .find(|(name, _)| *name == feature_type)
    {
        if let Some(value) = text {
            push_identifier(entity, kind.clone(), value);
        }
        return;
    }
    if OTHER_IDENTIFIER_FEATURES.contains(&feature_type) {
        if let Some(value) = text {
            push_identifier(
                entity,
                IdentifierKind::Other(feature_type.to_string()),
                value,
            );
        }
        return;
    }

    match feature_type {
        "Birthdate" => match version.child("DatePeriod").and_then(birth_date) {
            Some(date) => push_unique(&mut entity.birth_dates, date),
            None => warnings.push("birth date feature without a readable date".to_string()),
        },
        "Place of Birth" => {
            if let Some(place) = text {
                push_unique(&mut entity.birth_places, place.to_string());
            }
        }
        "Gender" => {
            entity.gender = match lookup {
                Some("Male") => Some(Gender::Male),
                Some("Female") => Some(Gender::Female),
                _ => entity.gender,
            };
        }
        "Nationality Country" | "Citizenship Country" => {
            if let Some(id) = location {
                party.locations.push((LocationUse::Nationality, id));
            }
        }
        "Location" => {
            if let Some(id) = location {
                party.locations.push((LocationUse::Address, id));
            }
        }
        "Vessel Flag"
        | "Other Vessel Flag"
        | "Nationality of Registration"
        | "Registration Country" => {
            if let Some(id) = location {
                party.locations.push((LocationUse::Country, id));
            }
            if let Some(country) = text.and_then(crate::formats::common::country_or_text) {
                push_unique(&mut entity.countries, country);
            }
        }
        _ => {}
    }
}

fn push_identifier(entity: &mut Entity, kind: IdentifierKind, value: &str) {
    push_unique(
        &mut entity.identifiers,
        Identifier {
            kind,
            value: value.to_string(),
            country: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surnames_first_with_comma() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (
                &[("Last Name", "LUKASHENKA"), ("First Name", "Alyaksandr")],
                "LUKASHENKA, Alyaksandr",
            ),
            (
                &[
                    ("Patronymic", "FLORES"),
                    ("Matronymic", "APODACA"),
                    ("First Name", "Agustin"),
                ],
                "FLORES APODACA, Agustin",
            ),
            (
                &[("First Name", "Kim"), ("Last Name", "JONG UN")],
                "Kim JONG UN",
            ),
            (
                &[("Entity Name", "BANCO NACIONAL DE CUBA")],
                "BANCO NACIONAL DE CUBA",
            ),
            (&[("Last Name", "AL-TIKRITI")], "AL-TIKRITI"),
        ];
        for (values, expected) in cases {
            assert_eq!(full_name(values), expected);
        }
    }

    #[test]
    fn spanish_surnames_are_the_family_name() {
        let parts = name_parts(&[
            ("Patronymic", "FLORES"),
            ("Matronymic", "APODACA"),
            ("First Name", "Agustin"),
        ]);
        assert_eq!(parts.family.as_deref(), Some("FLORES APODACA"));
        assert_eq!(parts.given.as_deref(), Some("Agustin"));
        assert_eq!(parts.patronymic, None);
        assert!(parts.other.is_empty());
    }

    #[test]
    fn russian_patronymic_stays_patronymic() {
        let parts = name_parts(&[
            ("Last Name", "RAKHMANOV"),
            ("First Name", "Aleksey"),
            ("Patronymic", "Lvovich"),
        ]);
        assert_eq!(parts.family.as_deref(), Some("RAKHMANOV"));
        assert_eq!(parts.patronymic.as_deref(), Some("Lvovich"));
    }
}
