//! Country text as the UK, US and OpenSanctions loaders store it.

/// Maps a country name or code to its ISO 3166-1 alpha-2 code.
pub(crate) fn country_code(text: &str) -> Option<&'static str> {
    crate::countries::country_code(text)
}

/// Returns the ISO alpha-2 code for `text` where it is known, else the text as
/// written, trimmed.
pub(crate) fn country(text: &str) -> String {
    country_code(text)
        .map(str::to_string)
        .unwrap_or_else(|| text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names_and_codes() {
        assert_eq!(country_code("Russia"), Some("RU"));
        assert_eq!(country_code(" North Korea. "), Some("KP"));
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country("Atlantis "), "Atlantis");
    }
}
