//! Damage to listed names as payment messages carry it: typos, name parts
//! in another order, the "SURNAME, Given" form and changed letter case.

use rand::Rng;
use screener_proto::v1::PartyKind;
use serde::Serialize;

/// What was done to a listed name before it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// Sent as listed.
    Exact,
    /// One character substituted, dropped, doubled or swapped with the next.
    Typo,
    /// The last name part moved to the front.
    Reordered,
    /// "LAST, First Middle".
    SurnameFirst,
    /// A typo and the last name part moved to the front.
    TypoReordered,
    /// Upper case turned to title case, or any other case to upper case.
    Recased,
}

/// Damages a listed name. Person names get any perturbation; organization
/// names keep their word order and only get typos or a case change.
pub fn perturb(name: &str, kind: PartyKind, rng: &mut impl Rng) -> (String, Perturbation) {
    let perturbation = choose_perturbation(kind, name.split_whitespace().count(), rng);
    let damaged = match perturbation {
        Perturbation::Exact => name.to_string(),
        Perturbation::Typo => typo(name, rng),
        Perturbation::Reordered => last_part_first(name),
        Perturbation::SurnameFirst => surname_first(name),
        Perturbation::TypoReordered => last_part_first(&typo(name, rng)),
        Perturbation::Recased => recase(name),
    };
    (damaged, perturbation)
}

fn choose_perturbation(kind: PartyKind, parts: usize, rng: &mut impl Rng) -> Perturbation {
    let roll = rng.random_range(0..100);
    let reorderable = kind != PartyKind::Organization && parts >= 2;
    match roll {
        0..25 => Perturbation::Exact,
        25..50 => Perturbation::Typo,
        50..65 if reorderable => Perturbation::Reordered,
        65..80 if reorderable => Perturbation::SurnameFirst,
        80..90 if reorderable => Perturbation::TypoReordered,
        50..90 => Perturbation::Typo,
        _ => Perturbation::Recased,
    }
}

/// Applies one edit inside the longest name part, never to its first
/// character, because typists rarely get the first letter wrong.
fn typo(name: &str, rng: &mut impl Rng) -> String {
    let parts: Vec<&str> = name.split_whitespace().collect();
    let Some((index, _)) = parts
        .iter()
        .enumerate()
        .max_by_key(|(_, part)| part.chars().count())
    else {
        return name.to_string();
    };
    let mut chars: Vec<char> = parts[index].chars().collect();
    if chars.len() < 3 {
        return name.to_string();
    }
    let at = rng.random_range(1..chars.len() - 1);
    match rng.random_range(0..4) {
        0 => chars[at] = substitute(chars[at], rng),
        1 => {
            chars.remove(at);
        }
        2 => chars.insert(at, chars[at]),
        _ => chars.swap(at, at + 1),
    }
    let damaged: String = chars.into_iter().collect();
    let mut parts: Vec<String> = parts.iter().map(|p| (*p).to_string()).collect();
    parts[index] = damaged;
    parts.join(" ")
}

/// Replaces an ASCII letter with another letter of the same case; other
/// characters are doubled instead, which keeps the script.
fn substitute(c: char, rng: &mut impl Rng) -> char {
    if !c.is_ascii_alphabetic() {
        return c;
    }
    let base = if c.is_ascii_uppercase() { b'A' } else { b'a' };
    let offset = (c as u8 - base + rng.random_range(1..26)) % 26;
    char::from(base + offset)
}

fn last_part_first(name: &str) -> String {
    let mut parts: Vec<&str> = name.split_whitespace().collect();
    if let Some(last) = parts.pop() {
        parts.insert(0, last);
    }
    parts.join(" ")
}

fn surname_first(name: &str) -> String {
    let mut parts: Vec<&str> = name.split_whitespace().collect();
    match parts.pop() {
        Some(last) if !parts.is_empty() => format!("{last}, {}", parts.join(" ")),
        _ => name.to_string(),
    }
}

fn recase(name: &str) -> String {
    let has_lower = name.chars().any(char::is_lowercase);
    if has_lower {
        return name.to_uppercase();
    }
    name.split_whitespace()
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn reordering_forms() {
        assert_eq!(
            last_part_first("AIMAN MUHAMMED AL-ZAWAHIRI"),
            "AL-ZAWAHIRI AIMAN MUHAMMED"
        );
        assert_eq!(surname_first("JOSEPH KONY"), "KONY, JOSEPH");
        assert_eq!(surname_first("SHAMSUDDIN"), "SHAMSUDDIN");
        assert_eq!(recase("JOSEPH KONY"), "Joseph Kony");
        assert_eq!(recase("Wilson Joseph"), "WILSON JOSEPH");
    }

    #[test]
    fn typo_changes_one_part_by_one_edit() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let damaged = typo("ABDUL SALAM HANAFI", &mut rng);
            let before: Vec<&str> = "ABDUL SALAM HANAFI".split(' ').collect();
            let after: Vec<&str> = damaged.split(' ').collect();
            assert_eq!(after.len(), 3, "{damaged}");
            let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
            assert!(changed <= 1, "{damaged}");
            let length_change = damaged.chars().count() as i64 - 18;
            assert!((-1..=1).contains(&length_change), "{damaged}");
        }
    }

    #[test]
    fn organizations_keep_word_order() {
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..300 {
            let (_, perturbation) = perturb(
                "KORYO CREDIT DEVELOPMENT BANK",
                PartyKind::Organization,
                &mut rng,
            );
            assert!(
                matches!(
                    perturbation,
                    Perturbation::Exact | Perturbation::Typo | Perturbation::Recased
                ),
                "{perturbation:?}"
            );
        }
    }

    #[test]
    fn typo_keeps_non_latin_script() {
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..100 {
            let damaged = typo("علي حسين الموسوي", &mut rng);
            assert!(
                damaged.chars().all(|c| c == ' ' || !c.is_ascii()),
                "{damaged}"
            );
        }
    }
}
