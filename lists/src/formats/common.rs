//! Small helpers the format parsers share: countries as the model stores
//! them, identity document kinds by their published names, and de-duplicated
//! pushes.

use crate::countries::country_code;
use crate::model::{Identifier, IdentifierKind};

/// Appends `item` unless an equal item is already present.
pub(crate) fn push_unique<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

/// A country as the model stores it: the ISO alpha-2 code when the text
/// names a known country, else the trimmed text. Empty text and the
/// placeholders lists use for "not known" give `None`.
pub(crate) fn country_or_text(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('.').trim();
    let placeholder = ["", "na", "n/a", "none", "unknown", "undetermined", "-0-"]
        .iter()
        .any(|p| text.eq_ignore_ascii_case(p));
    if placeholder {
        return None;
    }
    Some(country_code(text).map_or_else(|| text.to_string(), str::to_string))
}

/// Joins the present, non-empty parts with `separator`.
pub(crate) fn join_present(parts: &[Option<&str>], separator: &str) -> Option<String> {
    let present: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    (!present.is_empty()).then(|| present.join(separator))
}

/// Builds an identifier from a document type as a list names it ("Passport",
/// "National ID No.", "Tax ID No.", "Vessel Registration Identification"),
/// the number and the issuing country text. A value written "IMO 9187629"
/// is an IMO number whatever the document type.
pub(crate) fn identifier(doc_type: &str, value: &str, country: Option<&str>) -> Identifier {
    identifier_of_kind(identifier_kind(doc_type), value, country)
}

/// Builds an identifier whose document type was already mapped to `kind`.
pub(crate) fn identifier_of_kind(
    kind: IdentifierKind,
    value: &str,
    country: Option<&str>,
) -> Identifier {
    let value = value.trim();
    let (kind, value) = match imo_number(value) {
        Some(number) => (IdentifierKind::Imo, number),
        None => (kind, value.to_string()),
    };
    Identifier {
        kind,
        value,
        country: country.and_then(country_or_text),
    }
}

/// The digits of "IMO 1234567", if the value is written that way.
fn imo_number(value: &str) -> Option<String> {
    let rest = value.strip_prefix("IMO")?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 7 && rest.len() == 7).then_some(digits)
}

/// Words in a document type name that mark each kind, checked in order.
const KIND_MARKERS: &[(&[&str], IdentifierKind)] = &[
    (
        &["passport", "passeport", "pasaporte"],
        IdentifierKind::Passport,
    ),
    (&["imo"], IdentifierKind::Imo),
    (&["swift", "bic"], IdentifierKind::Bic),
    (&["legal entity number", "lei"], IdentifierKind::Lei),
    (
        &[
            "national id",
            "national identification",
            "national foreign id",
            "personal id",
            "id card",
            "identity card",
            "identification number",
            "cedula",
            "d.n.i",
            "c.u.r.p",
            "c.u.i.p",
            "curp",
            "tazkira",
            "citizen's card",
            "numero de identidad",
            "tarjeta de identidad",
            "turkish identification",
            "kenyan id",
            "personal numerical code",
            "uae identification",
            "n.i.e",
            "ssn",
            "credencial electoral",
            "i.f.e",
            "residency number",
        ],
        IdentifierKind::NationalId,
    ),
    (
        &[
            "tax", "fiscal", "r.f.c", "rfc", "nit", "ruc", "rif", "c.u.i.t", "v.a.t", "vat",
            "fein", "n.i.f", "rtn", "inn", "c.u.i",
        ],
        IdentifierKind::TaxId,
    ),
    (
        &[
            "registration",
            "registry",
            "register",
            "company number",
            "c.r. no",
            "incorporation",
            "gazette",
            "credit code",
            "uscc",
            "business number",
            "enterprise number",
            "mercantil",
            "chamber of comm",
            "trade license",
            "ogrn",
            "organization code",
            "d-u-n-s",
        ],
        IdentifierKind::RegistrationNumber,
    ),
    (
        &["aircraft", "tail number", "msn"],
        IdentifierKind::Aircraft,
    ),
];

/// Maps a document type name to a kind; names no marker covers become
/// `Other` with the name as published.
pub(crate) fn identifier_kind(doc_type: &str) -> IdentifierKind {
    let lower = doc_type.trim().to_lowercase();
    for (markers, kind) in KIND_MARKERS {
        if markers.iter().any(|m| contains_word(&lower, m)) {
            return kind.clone();
        }
    }
    IdentifierKind::Other(doc_type.trim().to_string())
}

/// True when `needle` occurs in `haystack` with no letter on either side,
/// so "nit" matches "NIT #" but not "unit".
fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(start, _)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_types_map_to_kinds() {
        let cases = [
            ("Passport", IdentifierKind::Passport),
            ("Diplomatic Passport", IdentifierKind::Passport),
            ("Numéro de passeport", IdentifierKind::Passport),
            ("National ID No.", IdentifierKind::NationalId),
            ("National Identification Number", IdentifierKind::NationalId),
            ("Cedula No.", IdentifierKind::NationalId),
            ("Tax ID No.", IdentifierKind::TaxId),
            ("NIT #", IdentifierKind::TaxId),
            ("Registration Number", IdentifierKind::RegistrationNumber),
            (
                "Unified Social Credit Code (USCC)",
                IdentifierKind::RegistrationNumber,
            ),
            ("SWIFT/BIC", IdentifierKind::Bic),
            ("Legal Entity Number", IdentifierKind::Lei),
            (
                "Aircraft Manufacturer's Serial Number (MSN)",
                IdentifierKind::Aircraft,
            ),
            ("MMSI", IdentifierKind::Other("MMSI".into())),
            ("Unit Code", IdentifierKind::Other("Unit Code".into())),
        ];
        for (name, expected) in cases {
            assert_eq!(identifier_kind(name), expected, "{name}");
        }
    }

    #[test]
    fn imo_value_wins_over_document_type() {
        let id = identifier("Vessel Registration Identification", "IMO 9187629", None);
        assert_eq!(id.kind, IdentifierKind::Imo);
        assert_eq!(id.value, "9187629");
    }

    #[test]
    fn country_placeholders_are_none() {
        assert_eq!(country_or_text("na"), None);
        assert_eq!(country_or_text(" "), None);
        assert_eq!(country_or_text("Iran"), Some("IR".to_string()));
        assert_eq!(
            country_or_text("Region: Crimea"),
            Some("Region: Crimea".to_string())
        );
    }
}
