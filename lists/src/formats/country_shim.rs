//! Country names to ISO 3166-1 alpha-2 codes for the loaders of this
//! branch.
//!
//! NOTE: a stand-in with a short table of the names that the UK, US and
//! OpenSanctions lists write most often. `crate::countries::country_code`
//! replaces the table: `country_code` below then becomes a call to it.

/// Maps a country name or alpha-2 code to its ISO 3166-1 alpha-2 code.
pub(crate) fn country_code(text: &str) -> Option<&'static str> {
    let key = text.trim().trim_end_matches('.').trim().to_lowercase();
    NAMES
        .iter()
        .find(|(name, code)| *name == key || code.eq_ignore_ascii_case(&key))
        .map(|(_, code)| *code)
}

/// Returns the ISO alpha-2 code for `text` where it is known, else the text as
/// written, trimmed.
pub(crate) fn country(text: &str) -> String {
    country_code(text)
        .map(str::to_string)
        .unwrap_or_else(|| text.trim().to_string())
}

const NAMES: &[(&str, &str)] = &[
    ("afghanistan", "AF"),
    ("algeria", "DZ"),
    ("armenia", "AM"),
    ("azerbaijan", "AZ"),
    ("bahrain", "BH"),
    ("belarus", "BY"),
    ("belgium", "BE"),
    ("bosnia and herzegovina", "BA"),
    ("british virgin islands", "VG"),
    ("bulgaria", "BG"),
    ("burma", "MM"),
    ("canada", "CA"),
    ("central african republic", "CF"),
    ("china", "CN"),
    ("colombia", "CO"),
    ("congo (democratic republic)", "CD"),
    ("democratic republic of the congo", "CD"),
    ("cuba", "CU"),
    ("cyprus", "CY"),
    ("democratic people's republic of korea", "KP"),
    ("dprk", "KP"),
    ("north korea", "KP"),
    ("egypt", "EG"),
    ("eritrea", "ER"),
    ("estonia", "EE"),
    ("finland", "FI"),
    ("france", "FR"),
    ("georgia", "GE"),
    ("germany", "DE"),
    ("guinea", "GN"),
    ("haiti", "HT"),
    ("hong kong", "HK"),
    ("india", "IN"),
    ("indonesia", "ID"),
    ("iran", "IR"),
    ("iraq", "IQ"),
    ("israel", "IL"),
    ("italy", "IT"),
    ("japan", "JP"),
    ("jordan", "JO"),
    ("kazakhstan", "KZ"),
    ("kenya", "KE"),
    ("kuwait", "KW"),
    ("kyrgyzstan", "KG"),
    ("latvia", "LV"),
    ("lebanon", "LB"),
    ("libya", "LY"),
    ("lithuania", "LT"),
    ("mali", "ML"),
    ("malaysia", "MY"),
    ("mexico", "MX"),
    ("moldova", "MD"),
    ("morocco", "MA"),
    ("myanmar", "MM"),
    ("netherlands", "NL"),
    ("nicaragua", "NI"),
    ("nigeria", "NG"),
    ("pakistan", "PK"),
    ("palestine", "PS"),
    ("panama", "PA"),
    ("philippines", "PH"),
    ("qatar", "QA"),
    ("russia", "RU"),
    ("russian federation", "RU"),
    ("saudi arabia", "SA"),
    ("serbia", "RS"),
    ("seychelles", "SC"),
    ("singapore", "SG"),
    ("somalia", "SO"),
    ("south africa", "ZA"),
    ("south korea", "KR"),
    ("south sudan", "SS"),
    ("spain", "ES"),
    ("sri lanka", "LK"),
    ("sudan", "SD"),
    ("sweden", "SE"),
    ("switzerland", "CH"),
    ("syria", "SY"),
    ("syrian arab republic", "SY"),
    ("tajikistan", "TJ"),
    ("tanzania", "TZ"),
    ("thailand", "TH"),
    ("tunisia", "TN"),
    ("turkey", "TR"),
    ("turkiye", "TR"),
    ("uganda", "UG"),
    ("ukraine", "UA"),
    ("united arab emirates", "AE"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("uzbekistan", "UZ"),
    ("venezuela", "VE"),
    ("yemen", "YE"),
    ("zimbabwe", "ZW"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names_and_codes() {
        assert_eq!(country_code("Russia"), Some("RU"));
        assert_eq!(country_code(" North Korea. "), Some("KP"));
        assert_eq!(country_code("gb"), Some("GB"));
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country("Atlantis "), "Atlantis");
    }
}
