//! Identity documents and registry numbers (passport and national id
//! numbers, IMO, BIC, LEI, ...), matched exactly after normalization:
//! upper case, with spaces, dashes, dots and slashes removed. An IMO number
//! drops its "IMO" prefix ("IMO 9187629" is 9187629). A BIC compares on its
//! first 8 characters when its branch code is the primary-office "XXX", so
//! an 8-character BIC and its 11-character "XXX" form match each other.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{Entity, IdentifierKind};

/// A listed identifier that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentifierHit {
    pub list: String,
    pub entity_id: String,
    pub kind: IdentifierKind,
    /// The value as the list writes it.
    pub listed_value: String,
    /// Issuing country, ISO alpha-2 where mapped.
    pub country: Option<String>,
}

/// Listed identifiers by normalized value.
#[derive(Debug, Default)]
pub struct IdentifierIndex {
    by_value: FxHashMap<String, Vec<(u32, u16)>>,
}

impl IdentifierIndex {
    pub fn build(entities: &[Entity]) -> IdentifierIndex {
        let mut by_value: FxHashMap<String, Vec<(u32, u16)>> = FxHashMap::default();
        for (e, entity) in entities.iter().enumerate() {
            for (i, identifier) in entity
                .identifiers
                .iter()
                .enumerate()
                .take(u16::MAX as usize)
            {
                let value = normalize_identifier(&identifier.kind, &identifier.value);
                if !value.is_empty() {
                    by_value
                        .entry(value)
                        .or_default()
                        .push((e as u32, i as u16));
                }
            }
        }
        IdentifierIndex { by_value }
    }

    pub fn len(&self) -> usize {
        self.by_value.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }
}

/// Screens an identifier. With `kind`, only listed identifiers of that
/// kind match; without, any kind does.
pub(crate) fn screen(
    index: &IdentifierIndex,
    entities: &[Entity],
    kind: Option<&IdentifierKind>,
    value: &str,
) -> Vec<IdentifierHit> {
    let normalized = match kind {
        Some(kind) => normalize_identifier(kind, value),
        None => normalize_untyped(value),
    };
    let Some(found) = index.by_value.get(&normalized) else {
        return Vec::new();
    };
    found
        .iter()
        .map(|&(e, i)| (&entities[e as usize], i))
        .map(|(entity, i)| (entity, &entity.identifiers[i as usize]))
        .filter(|(_, identifier)| kind.is_none_or(|k| *k == identifier.kind))
        .map(|(entity, identifier)| IdentifierHit {
            list: entity.list.clone(),
            entity_id: entity.id.clone(),
            kind: identifier.kind.clone(),
            listed_value: identifier.value.clone(),
            country: identifier.country.clone(),
        })
        .collect()
}

/// Normalizes an identifier value of a known kind.
pub fn normalize_identifier(kind: &IdentifierKind, value: &str) -> String {
    let plain = strip_separators(value);
    match kind {
        IdentifierKind::Imo => strip_imo_prefix(&plain).to_string(),
        IdentifierKind::Bic => primary_office_bic(&plain).to_string(),
        _ => plain,
    }
}

/// Normalizes a value whose kind the caller does not state: an "IMO"
/// prefix followed by seven digits is dropped, and an 11-character code
/// shaped like a BIC with branch "XXX" is cut to 8.
fn normalize_untyped(value: &str) -> String {
    let plain = strip_separators(value);
    let without_imo = strip_imo_prefix(&plain);
    if without_imo.len() == 7 && without_imo.bytes().all(|b| b.is_ascii_digit()) {
        return without_imo.to_string();
    }
    if looks_like_bic(&plain) {
        return primary_office_bic(&plain).to_string();
    }
    plain
}

fn strip_separators(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/' | '\u{2010}'..='\u{2015}'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Returns what is wrong with an IMO ship number, or `None` when it is
/// one: seven digits (after an optional "IMO"), the last a check digit,
/// the sum of the first six weighted 7 down to 2, modulo 10.
pub fn imo_problem(value: &str) -> Option<&'static str> {
    let number = normalize_identifier(&IdentifierKind::Imo, value);
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 7 || number.len() != 7 {
        return Some("an IMO number has seven digits, such as 9187629");
    }
    let sum: u32 = digits[..6]
        .iter()
        .zip((2..=7).rev())
        .map(|(digit, weight)| digit * weight)
        .sum();
    if sum % 10 != digits[6] {
        return Some("its last digit is not the IMO check digit (a typing error?)");
    }
    None
}

fn strip_imo_prefix(value: &str) -> &str {
    value.strip_prefix("IMO").unwrap_or(value)
}

fn primary_office_bic(value: &str) -> &str {
    if value.len() == 11 && value.ends_with("XXX") {
        &value[..8]
    } else {
        value
    }
}

/// Four letters of bank code, two of country, two alphanumerics of
/// location, and an optional three of branch.
fn looks_like_bic(value: &str) -> bool {
    let bytes = value.as_bytes();
    (bytes.len() == 8 || bytes.len() == 11)
        && bytes[..6].iter().all(u8::is_ascii_uppercase)
        && bytes[6..].iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imo_check_digit_checked() {
        for valid in ["9187629", "IMO 9187629", "imo9187629"] {
            assert_eq!(imo_problem(valid), None, "{valid}");
        }
        assert!(imo_problem("9187628").is_some_and(|p| p.contains("check digit")));
        assert!(imo_problem("123").is_some_and(|p| p.contains("seven digits")));
        assert!(imo_problem("91876290").is_some());
        assert!(imo_problem("918762A").is_some());
    }

    #[test]
    fn imo_prefix_is_dropped() {
        assert_eq!(
            normalize_identifier(&IdentifierKind::Imo, "IMO 9187629"),
            "9187629"
        );
        assert_eq!(normalize_untyped("imo-9187629"), "9187629");
    }

    #[test]
    fn bic_primary_office_forms_meet() {
        let eight = normalize_identifier(&IdentifierKind::Bic, "DEUTDEFF");
        let eleven = normalize_identifier(&IdentifierKind::Bic, "DEUT DE FF XXX");
        assert_eq!(eight, eleven);
        let branch = normalize_identifier(&IdentifierKind::Bic, "DEUTDEFF500");
        assert_ne!(branch, eight);
        assert_eq!(normalize_untyped("deutdeffxxx"), "DEUTDEFF");
    }

    #[test]
    fn separators_and_case_are_ignored() {
        assert_eq!(
            normalize_identifier(&IdentifierKind::Passport, "ab-123.456 7"),
            "AB1234567"
        );
    }
}
