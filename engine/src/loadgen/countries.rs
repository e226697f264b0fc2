//! ISO 3166-1 alpha-2 country codes: reading a names file's country column
//! (a code or an English country name) and drawing a country for a party
//! that has none.

use std::collections::HashMap;
use std::sync::OnceLock;

use rand::seq::IndexedRandom;
use rand::Rng;

/// The built-in table of codes and English names, one pair a line.
const COUNTRIES_TSV: &str = include_str!("data/countries.tsv");

struct CountryTable {
    by_name: HashMap<String, &'static str>,
    codes: Vec<&'static str>,
}

fn table() -> &'static CountryTable {
    static TABLE: OnceLock<CountryTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_name = HashMap::new();
        let mut codes: Vec<&'static str> = Vec::new();
        for line in COUNTRIES_TSV.lines().filter(|l| !l.starts_with('#')) {
            let Some((code, name)) = line.split_once('\t') else {
                continue;
            };
            by_name.insert(name.trim().to_lowercase(), code);
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        CountryTable { by_name, codes }
    })
}

/// Returns the alpha-2 code for a country column value: a two-letter code
/// (any case) or an English name from the table, such as "Iraq". Returns
/// None for anything else.
pub fn country_code(value: &str) -> Option<String> {
    let value = value.trim();
    if value.len() == 2 && value.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(value.to_ascii_uppercase());
    }
    table()
        .by_name
        .get(&value.to_lowercase())
        .map(|code| (*code).to_string())
}

/// Draws a country code uniformly from the table.
pub fn random_country(rng: &mut impl Rng) -> &'static str {
    table().codes.choose(rng).copied().unwrap_or("US")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_code_reads_codes_and_names() {
        assert_eq!(country_code("de").as_deref(), Some("DE"));
        assert_eq!(country_code("Iraq").as_deref(), Some("IQ"));
        assert_eq!(country_code(" united kingdom ").as_deref(), Some("GB"));
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country_code(""), None);
    }

    #[test]
    fn table_codes_are_two_letters() {
        for code in &table().codes {
            assert_eq!(code.len(), 2, "{code}");
            assert!(code.chars().all(|c| c.is_ascii_uppercase()), "{code}");
        }
    }
}
