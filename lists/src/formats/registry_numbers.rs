//! Company registry, tax and bank codes read out of free text such as
//! "(1) OGRN: 1027700456024 (2) INN: 7725075060" or
//! "SWIFT/BIC MINNRUMM Tax ID No. 7725039953 (Russia)".
//!
//! The rule is a heuristic: a number is a word with at least five digits
//! made only of letters, digits, '-', '/' and '.', that is not a
//! dd/mm/yyyy date. The words since the previous number are its label:
//! "INN", "TIN", "UNN" or "tax" make it a tax id, "legal entity
//! identifier" with 20 characters an LEI, and anything else a registration
//! number. After a label with "SWIFT" or "BIC", an 8 or 11 character code
//! whose first six characters are letters is a BIC.

use crate::model::{Identifier, IdentifierKind};

/// Finds the identifiers in `text`, in the order written.
pub(crate) fn registry_numbers(text: &str) -> Vec<Identifier> {
    let mut found = Vec::new();
    let mut label = String::new();
    for word in text.split(|c: char| c.is_whitespace() || "(),;:".contains(c)) {
        let word = word.trim_end_matches('.');
        if word.is_empty() {
            continue;
        }
        let kind = if is_bic(word) && (label.contains("swift") || label.contains("bic")) {
            Some(IdentifierKind::Bic)
        } else if is_number(word) {
            Some(kind_for_label(&label, word))
        } else {
            None
        };
        match kind {
            Some(kind) => {
                found.push(Identifier {
                    kind,
                    value: word.to_string(),
                    country: None,
                });
                label.clear();
            }
            None => {
                label.push(' ');
                label.push_str(&word.to_lowercase());
            }
        }
    }
    found
}

fn kind_for_label(label: &str, value: &str) -> IdentifierKind {
    let words: Vec<&str> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |wanted: &str| words.contains(&wanted);
    if value.len() == 20 && (label.contains("legal entity identifier") || has("lei")) {
        IdentifierKind::Lei
    } else if has("inn") || has("tin") || has("унн") || has("инн") || label.contains("tax") {
        IdentifierKind::TaxId
    } else {
        IdentifierKind::RegistrationNumber
    }
}

fn is_number(word: &str) -> bool {
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    digits >= 5
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-/.".contains(c))
        && !is_slash_date(word)
}

fn is_slash_date(word: &str) -> bool {
    let parts: Vec<&str> = word.split('/').collect();
    parts.len() == 3 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_bic(word: &str) -> bool {
    (word.len() == 8 || word.len() == 11)
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && word.chars().take(6).all(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(IdentifierKind, String)> {
        registry_numbers(text)
            .into_iter()
            .map(|id| (id.kind, id.value))
            .collect()
    }

    #[test]
    fn labels_pick_the_kind() {
        assert_eq!(
            kinds("(1) OGRN: 1027700456024 (2) INN: 7725075060"),
            vec![
                (IdentifierKind::RegistrationNumber, "1027700456024".into()),
                (IdentifierKind::TaxId, "7725075060".into()),
            ]
        );
    }

    #[test]
    fn swift_code_and_date_are_told_apart() {
        assert_eq!(
            kinds("SWIFT/BIC MINNRUMM  BIK (RU) 044525600 dated 27/07/1992"),
            vec![
                (IdentifierKind::Bic, "MINNRUMM".into()),
                (IdentifierKind::RegistrationNumber, "044525600".into()),
            ]
        );
    }

    #[test]
    fn lei_needs_twenty_characters() {
        assert_eq!(
            kinds("Legal Entity Identifier: 5299008ONRYZRO61SY92"),
            vec![(IdentifierKind::Lei, "5299008ONRYZRO61SY92".into())]
        );
    }

    #[test]
    fn phone_numbers_are_not_read() {
        assert!(kinds("+963112121816").is_empty());
    }
}
