//! Country names and codes as sanctions lists write them, mapped to
//! ISO 3166-1 alpha-2.
//!
//! Lists name countries in many ways: UN long forms ("Iran (Islamic
//! Republic of)", "Viet Nam"), OFAC short forms ("Korea, North", "Burma",
//! "Bahamas, The"), new official names ("Türkiye", "Czechia") and codes
//! ("IR", "IRN"). [`country_code`] folds case, accents and punctuation
//! before it looks a name up, so "Cote d'Ivoire", "Côte d’Ivoire" and
//! "COTE D IVOIRE" all give "CI".

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// One country: its alpha-2 and alpha-3 codes and the names lists use.
struct Country {
    alpha2: &'static str,
    alpha3: &'static str,
    names: &'static [&'static str],
}

const fn c(alpha2: &'static str, alpha3: &'static str, names: &'static [&'static str]) -> Country {
    Country {
        alpha2,
        alpha3,
        names,
    }
}

/// ISO 3166-1 countries, then codes that lists still use for places ISO
/// lists differently or no longer lists. Kosovo's "XK" is a user-assigned
/// code in common use. "AN", "SU", "YU" and "CS" are withdrawn ISO codes,
/// transitionally reserved, for countries that old entries still name.
const COUNTRIES: &[Country] = &[
    c(
        "AF",
        "AFG",
        &[
            "Afghanistan",
            "Islamic Republic of Afghanistan",
            "Islamic Emirate of Afghanistan",
        ],
    ),
    c("AX", "ALA", &["Åland Islands"]),
    c("AL", "ALB", &["Albania", "Republic of Albania"]),
    c(
        "DZ",
        "DZA",
        &["Algeria", "People's Democratic Republic of Algeria"],
    ),
    c("AS", "ASM", &["American Samoa"]),
    c("AD", "AND", &["Andorra"]),
    c("AO", "AGO", &["Angola"]),
    c("AI", "AIA", &["Anguilla"]),
    c("AQ", "ATA", &["Antarctica"]),
    c("AG", "ATG", &["Antigua and Barbuda", "Antigua"]),
    c("AR", "ARG", &["Argentina", "Argentine Republic"]),
    c("AM", "ARM", &["Armenia"]),
    c("AW", "ABW", &["Aruba"]),
    c("AU", "AUS", &["Australia"]),
    c("AT", "AUT", &["Austria"]),
    c("AZ", "AZE", &["Azerbaijan"]),
    c("BS", "BHS", &["Bahamas", "Bahamas, The"]),
    c("BH", "BHR", &["Bahrain", "Kingdom of Bahrain"]),
    c("BD", "BGD", &["Bangladesh"]),
    c("BB", "BRB", &["Barbados"]),
    c(
        "BY",
        "BLR",
        &["Belarus", "Republic of Belarus", "Byelorussia"],
    ),
    c("BE", "BEL", &["Belgium"]),
    c("BZ", "BLZ", &["Belize"]),
    c("BJ", "BEN", &["Benin"]),
    c("BM", "BMU", &["Bermuda"]),
    c("BT", "BTN", &["Bhutan"]),
    c(
        "BO",
        "BOL",
        &[
            "Bolivia",
            "Bolivia (Plurinational State of)",
            "Plurinational State of Bolivia",
        ],
    ),
    c(
        "BQ",
        "BES",
        &["Bonaire, Sint Eustatius and Saba", "Caribbean Netherlands"],
    ),
    c(
        "BA",
        "BIH",
        &["Bosnia and Herzegovina", "Bosnia-Herzegovina", "Bosnia"],
    ),
    c("BW", "BWA", &["Botswana"]),
    c("BV", "BVT", &["Bouvet Island"]),
    c("BR", "BRA", &["Brazil"]),
    c("IO", "IOT", &["British Indian Ocean Territory"]),
    c("BN", "BRN", &["Brunei", "Brunei Darussalam"]),
    c("BG", "BGR", &["Bulgaria"]),
    c("BF", "BFA", &["Burkina Faso"]),
    c("BI", "BDI", &["Burundi"]),
    c("CV", "CPV", &["Cabo Verde", "Cape Verde"]),
    c("KH", "KHM", &["Cambodia", "Kingdom of Cambodia"]),
    c("CM", "CMR", &["Cameroon"]),
    c("CA", "CAN", &["Canada"]),
    c("KY", "CYM", &["Cayman Islands"]),
    c("CF", "CAF", &["Central African Republic"]),
    c("TD", "TCD", &["Chad"]),
    c("CL", "CHL", &["Chile"]),
    c(
        "CN",
        "CHN",
        &[
            "China",
            "People's Republic of China",
            "China, People's Republic of",
        ],
    ),
    c("CX", "CXR", &["Christmas Island"]),
    c("CC", "CCK", &["Cocos (Keeling) Islands", "Cocos Islands"]),
    c("CO", "COL", &["Colombia"]),
    c("KM", "COM", &["Comoros"]),
    c(
        "CG",
        "COG",
        &[
            "Congo",
            "Republic of the Congo",
            "Congo, Republic of the",
            "Congo-Brazzaville",
        ],
    ),
    c(
        "CD",
        "COD",
        &[
            "Democratic Republic of the Congo",
            "Congo, Democratic Republic of the",
            "Congo, The Democratic Republic of the",
            "Congo (Democratic Republic)",
            "Congo (Kinshasa)",
            "DR Congo",
            "DRC",
            "Zaire",
        ],
    ),
    c("CK", "COK", &["Cook Islands"]),
    c("CR", "CRI", &["Costa Rica"]),
    c("CI", "CIV", &["Côte d'Ivoire", "Ivory Coast"]),
    c("HR", "HRV", &["Croatia"]),
    c("CU", "CUB", &["Cuba"]),
    c("CW", "CUW", &["Curaçao"]),
    c("CY", "CYP", &["Cyprus"]),
    c("CZ", "CZE", &["Czechia", "Czech Republic"]),
    c("DK", "DNK", &["Denmark"]),
    c("DJ", "DJI", &["Djibouti"]),
    c("DM", "DMA", &["Dominica"]),
    c("DO", "DOM", &["Dominican Republic"]),
    c("EC", "ECU", &["Ecuador"]),
    c("EG", "EGY", &["Egypt", "Arab Republic of Egypt"]),
    c("SV", "SLV", &["El Salvador"]),
    c("GQ", "GNQ", &["Equatorial Guinea"]),
    c("ER", "ERI", &["Eritrea"]),
    c("EE", "EST", &["Estonia"]),
    c("SZ", "SWZ", &["Eswatini", "Swaziland"]),
    c("ET", "ETH", &["Ethiopia"]),
    c(
        "FK",
        "FLK",
        &["Falkland Islands", "Falkland Islands (Malvinas)"],
    ),
    c("FO", "FRO", &["Faroe Islands"]),
    c("FJ", "FJI", &["Fiji"]),
    c("FI", "FIN", &["Finland"]),
    c("FR", "FRA", &["France"]),
    c("GF", "GUF", &["French Guiana"]),
    c("PF", "PYF", &["French Polynesia"]),
    c("TF", "ATF", &["French Southern Territories"]),
    c("GA", "GAB", &["Gabon"]),
    c("GM", "GMB", &["Gambia", "Gambia, The"]),
    c("GE", "GEO", &["Georgia"]),
    c("DE", "DEU", &["Germany", "Federal Republic of Germany"]),
    c("GH", "GHA", &["Ghana"]),
    c("GI", "GIB", &["Gibraltar"]),
    c("GR", "GRC", &["Greece"]),
    c("GL", "GRL", &["Greenland"]),
    c("GD", "GRD", &["Grenada"]),
    c("GP", "GLP", &["Guadeloupe"]),
    c("GU", "GUM", &["Guam"]),
    c("GT", "GTM", &["Guatemala"]),
    c("GG", "GGY", &["Guernsey"]),
    c("GN", "GIN", &["Guinea", "Republic of Guinea"]),
    c("GW", "GNB", &["Guinea-Bissau"]),
    c("GY", "GUY", &["Guyana"]),
    c("HT", "HTI", &["Haiti"]),
    c("HM", "HMD", &["Heard Island and McDonald Islands"]),
    c("VA", "VAT", &["Holy See", "Vatican", "Vatican City"]),
    c("HN", "HND", &["Honduras"]),
    c(
        "HK",
        "HKG",
        &[
            "Hong Kong",
            "China, Hong Kong Special Administrative Region",
            "Hong Kong Special Administrative Region of China",
            "Hong Kong SAR",
        ],
    ),
    c("HU", "HUN", &["Hungary"]),
    c("IS", "ISL", &["Iceland"]),
    c("IN", "IND", &["India"]),
    c("ID", "IDN", &["Indonesia"]),
    c(
        "IR",
        "IRN",
        &[
            "Iran",
            "Iran (Islamic Republic of)",
            "Islamic Republic of Iran",
        ],
    ),
    c("IQ", "IRQ", &["Iraq"]),
    c("IE", "IRL", &["Ireland"]),
    c("IM", "IMN", &["Isle of Man", "Man, Isle of"]),
    c("IL", "ISR", &["Israel"]),
    c("IT", "ITA", &["Italy"]),
    c("JM", "JAM", &["Jamaica"]),
    c("JP", "JPN", &["Japan"]),
    c("JE", "JEY", &["Jersey"]),
    c("JO", "JOR", &["Jordan"]),
    c("KZ", "KAZ", &["Kazakhstan"]),
    c("KE", "KEN", &["Kenya"]),
    c("KI", "KIR", &["Kiribati"]),
    c(
        "KP",
        "PRK",
        &[
            "North Korea",
            "Korea, North",
            "Democratic People's Republic of Korea",
            "Korea, Democratic People's Republic of",
            "DPRK",
        ],
    ),
    c(
        "KR",
        "KOR",
        &[
            "South Korea",
            "Korea, South",
            "Republic of Korea",
            "Korea, Republic of",
        ],
    ),
    c("KW", "KWT", &["Kuwait"]),
    c("KG", "KGZ", &["Kyrgyzstan", "Kyrgyz Republic"]),
    c(
        "LA",
        "LAO",
        &["Laos", "Lao People's Democratic Republic", "Lao PDR"],
    ),
    c("LV", "LVA", &["Latvia"]),
    c("LB", "LBN", &["Lebanon"]),
    c("LS", "LSO", &["Lesotho"]),
    c("LR", "LBR", &["Liberia"]),
    c(
        "LY",
        "LBY",
        &["Libya", "Libyan Arab Jamahiriya", "State of Libya"],
    ),
    c("LI", "LIE", &["Liechtenstein"]),
    c("LT", "LTU", &["Lithuania"]),
    c("LU", "LUX", &["Luxembourg"]),
    c(
        "MO",
        "MAC",
        &[
            "Macau",
            "Macao",
            "China, Macao Special Administrative Region",
            "Macao Special Administrative Region of China",
        ],
    ),
    c("MG", "MDG", &["Madagascar"]),
    c("MW", "MWI", &["Malawi"]),
    c("MY", "MYS", &["Malaysia"]),
    c("MV", "MDV", &["Maldives"]),
    c("ML", "MLI", &["Mali"]),
    c("MT", "MLT", &["Malta"]),
    c("MH", "MHL", &["Marshall Islands"]),
    c("MQ", "MTQ", &["Martinique"]),
    c("MR", "MRT", &["Mauritania"]),
    c("MU", "MUS", &["Mauritius"]),
    c("YT", "MYT", &["Mayotte"]),
    c("MX", "MEX", &["Mexico"]),
    c(
        "FM",
        "FSM",
        &["Micronesia", "Micronesia (Federated States of)"],
    ),
    c(
        "MD",
        "MDA",
        &["Moldova", "Republic of Moldova", "Moldova, Republic of"],
    ),
    c("MC", "MCO", &["Monaco"]),
    c("MN", "MNG", &["Mongolia"]),
    c("ME", "MNE", &["Montenegro"]),
    c("MS", "MSR", &["Montserrat"]),
    c("MA", "MAR", &["Morocco"]),
    c("MZ", "MOZ", &["Mozambique"]),
    c("MM", "MMR", &["Myanmar", "Burma"]),
    c("NA", "NAM", &["Namibia"]),
    c("NR", "NRU", &["Nauru"]),
    c("NP", "NPL", &["Nepal"]),
    c(
        "NL",
        "NLD",
        &["Netherlands", "Netherlands (Kingdom of the)", "Holland"],
    ),
    c("NC", "NCL", &["New Caledonia"]),
    c("NZ", "NZL", &["New Zealand"]),
    c("NI", "NIC", &["Nicaragua"]),
    c("NE", "NER", &["Niger"]),
    c("NG", "NGA", &["Nigeria"]),
    c("NU", "NIU", &["Niue"]),
    c("NF", "NFK", &["Norfolk Island"]),
    c(
        "MK",
        "MKD",
        &[
            "North Macedonia",
            "North Macedonia, The Republic of",
            "Republic of North Macedonia",
            "Macedonia",
            "The former Yugoslav Republic of Macedonia",
            "Macedonia, The Former Yugoslav Republic of",
        ],
    ),
    c("MP", "MNP", &["Northern Mariana Islands"]),
    c("NO", "NOR", &["Norway"]),
    c("OM", "OMN", &["Oman"]),
    c("PK", "PAK", &["Pakistan"]),
    c("PW", "PLW", &["Palau"]),
    c(
        "PS",
        "PSE",
        &[
            "Palestine",
            "State of Palestine",
            "Palestine, State of",
            "Occupied Palestinian Territory",
            "Palestinian Territories",
            "Palestinian",
            "West Bank",
            "Gaza",
            "Gaza Strip",
            "Region: Gaza",
        ],
    ),
    c("PA", "PAN", &["Panama"]),
    c("PG", "PNG", &["Papua New Guinea"]),
    c("PY", "PRY", &["Paraguay"]),
    c("PE", "PER", &["Peru"]),
    c("PH", "PHL", &["Philippines"]),
    c("PN", "PCN", &["Pitcairn"]),
    c("PL", "POL", &["Poland"]),
    c("PT", "PRT", &["Portugal"]),
    c("PR", "PRI", &["Puerto Rico"]),
    c("QA", "QAT", &["Qatar"]),
    c("RE", "REU", &["Réunion"]),
    c("RO", "ROU", &["Romania"]),
    c("RU", "RUS", &["Russia", "Russian Federation"]),
    c("RW", "RWA", &["Rwanda"]),
    c("BL", "BLM", &["Saint Barthélemy"]),
    c(
        "SH",
        "SHN",
        &[
            "Saint Helena",
            "Saint Helena, Ascension and Tristan da Cunha",
        ],
    ),
    c(
        "KN",
        "KNA",
        &["Saint Kitts and Nevis", "St. Kitts and Nevis"],
    ),
    c("LC", "LCA", &["Saint Lucia", "St. Lucia"]),
    c("MF", "MAF", &["Saint Martin", "Saint Martin (French part)"]),
    c("PM", "SPM", &["Saint Pierre and Miquelon"]),
    c(
        "VC",
        "VCT",
        &[
            "Saint Vincent and the Grenadines",
            "St. Vincent and the Grenadines",
        ],
    ),
    c("WS", "WSM", &["Samoa"]),
    c("SM", "SMR", &["San Marino"]),
    c("ST", "STP", &["São Tomé and Príncipe"]),
    c("SA", "SAU", &["Saudi Arabia", "Kingdom of Saudi Arabia"]),
    c("SN", "SEN", &["Senegal"]),
    c("RS", "SRB", &["Serbia", "Republic of Serbia"]),
    c("SC", "SYC", &["Seychelles"]),
    c("SL", "SLE", &["Sierra Leone"]),
    c("SG", "SGP", &["Singapore"]),
    c("SX", "SXM", &["Sint Maarten", "Sint Maarten (Dutch part)"]),
    c("SK", "SVK", &["Slovakia", "Slovak Republic"]),
    c("SI", "SVN", &["Slovenia"]),
    c("SB", "SLB", &["Solomon Islands"]),
    c("SO", "SOM", &["Somalia"]),
    c("ZA", "ZAF", &["South Africa"]),
    c(
        "GS",
        "SGS",
        &["South Georgia and the South Sandwich Islands"],
    ),
    c("SS", "SSD", &["South Sudan", "Republic of South Sudan"]),
    c("ES", "ESP", &["Spain"]),
    c("LK", "LKA", &["Sri Lanka"]),
    c("SD", "SDN", &["Sudan", "Republic of the Sudan"]),
    c("SR", "SUR", &["Suriname"]),
    c("SJ", "SJM", &["Svalbard and Jan Mayen"]),
    c("SE", "SWE", &["Sweden"]),
    c("CH", "CHE", &["Switzerland"]),
    c("SY", "SYR", &["Syria", "Syrian Arab Republic"]),
    c(
        "TW",
        "TWN",
        &["Taiwan", "Taiwan, Province of China", "Chinese Taipei"],
    ),
    c("TJ", "TJK", &["Tajikistan"]),
    c(
        "TZ",
        "TZA",
        &[
            "Tanzania",
            "United Republic of Tanzania",
            "Tanzania, United Republic of",
        ],
    ),
    c("TH", "THA", &["Thailand"]),
    c("TL", "TLS", &["Timor-Leste", "East Timor"]),
    c("TG", "TGO", &["Togo"]),
    c("TK", "TKL", &["Tokelau"]),
    c("TO", "TON", &["Tonga"]),
    c("TT", "TTO", &["Trinidad and Tobago"]),
    c("TN", "TUN", &["Tunisia"]),
    c("TR", "TUR", &["Turkey", "Türkiye", "Republic of Türkiye"]),
    c("TM", "TKM", &["Turkmenistan"]),
    c("TC", "TCA", &["Turks and Caicos Islands"]),
    c("TV", "TUV", &["Tuvalu"]),
    c("UG", "UGA", &["Uganda"]),
    c("UA", "UKR", &["Ukraine"]),
    c("AE", "ARE", &["United Arab Emirates", "UAE"]),
    c(
        "GB",
        "GBR",
        &[
            "United Kingdom",
            "United Kingdom of Great Britain and Northern Ireland",
            "Great Britain",
            "UK",
            "Britain",
        ],
    ),
    c(
        "US",
        "USA",
        &["United States", "United States of America", "USA"],
    ),
    c("UM", "UMI", &["United States Minor Outlying Islands"]),
    c("UY", "URY", &["Uruguay"]),
    c("UZ", "UZB", &["Uzbekistan"]),
    c("VU", "VUT", &["Vanuatu"]),
    c(
        "VE",
        "VEN",
        &[
            "Venezuela",
            "Venezuela (Bolivarian Republic of)",
            "Bolivarian Republic of Venezuela",
        ],
    ),
    c("VN", "VNM", &["Vietnam", "Viet Nam"]),
    c(
        "VG",
        "VGB",
        &["British Virgin Islands", "Virgin Islands, British"],
    ),
    c(
        "VI",
        "VIR",
        &["United States Virgin Islands", "Virgin Islands, U.S."],
    ),
    c("WF", "WLF", &["Wallis and Futuna"]),
    c("EH", "ESH", &["Western Sahara"]),
    c("YE", "YEM", &["Yemen"]),
    c("ZM", "ZMB", &["Zambia"]),
    c("ZW", "ZWE", &["Zimbabwe"]),
    c("XK", "XKX", &["Kosovo", "Republic of Kosovo"]),
    c("AN", "ANT", &["Netherlands Antilles"]),
    c(
        "SU",
        "SUN",
        &[
            "Soviet Union",
            "USSR",
            "former Soviet Union",
            "Union of Soviet Socialist Republics",
        ],
    ),
    c(
        "YU",
        "YUG",
        &["Yugoslavia", "Federal Republic of Yugoslavia"],
    ),
    c("CS", "SCG", &["Serbia and Montenegro"]),
];

/// Maps a country name or ISO 3166-1 alpha-2 or alpha-3 code, as a list
/// writes it, to the ISO alpha-2 code. Codes count only in upper case, as
/// lists write them, so the UN's "na" (not available) is not Namibia.
/// Returns `None` for text that names no country in this table
/// ("undetermined", "na", a region).
pub fn country_code(text: &str) -> Option<&'static str> {
    let trimmed = text.trim();
    let is_code = matches!(trimmed.len(), 2 | 3) && trimmed.bytes().all(|b| b.is_ascii_uppercase());
    if is_code {
        if let Some(code) = code_lookup(trimmed) {
            return Some(code);
        }
    }
    name_table().get(&fold(trimmed)).copied()
}

/// Returns whether `code` is an alpha-2 code of this table, in either case:
/// an ISO 3166-1 code, Kosovo's "XK", or a withdrawn code that lists still
/// use ("AN", "SU", "YU", "CS").
pub fn is_alpha2(code: &str) -> bool {
    let &[first, second] = code.as_bytes() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() && second.is_ascii_alphabetic()) {
        return false;
    }
    // Every transaction's countries are validated with this, so it reads
    // one bit of a table of all 676 letter pairs.
    static ALPHA2: OnceLock<[u64; 11]> = OnceLock::new();
    let table = ALPHA2.get_or_init(|| {
        let mut table = [0u64; 11];
        for country in COUNTRIES {
            if let &[a, b] = country.alpha2.as_bytes() {
                let bit = letter_pair_index(a, b);
                table[bit / 64] |= 1 << (bit % 64);
            }
        }
        table
    });
    let bit = letter_pair_index(first, second);
    table[bit / 64] & (1 << (bit % 64)) != 0
}

/// Returns the index, 0 to 675, of a pair of ASCII letters in either case.
fn letter_pair_index(first: u8, second: u8) -> usize {
    let letter = |byte: u8| usize::from(byte.to_ascii_uppercase() - b'A');
    letter(first) * 26 + letter(second)
}

/// Looks an upper-case two- or three-letter code up.
fn code_lookup(code: &str) -> Option<&'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for country in COUNTRIES {
            table.insert(country.alpha2, country.alpha2);
            table.insert(country.alpha3, country.alpha2);
        }
        table
    });
    table.get(code).copied()
}

fn name_table() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for country in COUNTRIES {
            for name in country.names {
                table.insert(fold(name), country.alpha2);
            }
        }
        table
    })
}

/// Folds a name for lookup: lower case, accents removed, "&" read as
/// "and", punctuation read as spaces, a leading "the" dropped.
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for ch in text.nfd() {
        if unicode_normalization::char::is_combining_mark(ch) {
            continue;
        }
        match ch {
            '&' => folded.push_str(" and "),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let words: Vec<&str> = folded.split_whitespace().collect();
    let words = match words.as_slice() {
        ["the", rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha2_codes_are_recognised() {
        for code in ["DE", "de", "Us", "XK", "SU"] {
            assert!(is_alpha2(code), "{code}");
        }
        for code in ["XX", "ZZ", "AB", "DEU", "D", "", "D1", "Ä"] {
            assert!(!is_alpha2(code), "{code}");
        }
    }

    #[test]
    fn alpha2_table_matches_code_list() {
        for first in b'A'..=b'Z' {
            for second in b'A'..=b'Z' {
                let upper = String::from_utf8(vec![first, second]).expect("ASCII");
                let listed = COUNTRIES.iter().any(|country| country.alpha2 == upper);
                assert_eq!(is_alpha2(&upper), listed, "{upper}");
                assert_eq!(is_alpha2(&upper.to_lowercase()), listed, "{upper}");
            }
        }
    }

    #[test]
    fn list_spellings_map_to_alpha2() {
        let cases = [
            ("Iran (Islamic Republic of)", "IR"),
            ("Russian Federation", "RU"),
            ("Russia", "RU"),
            ("Korea, North", "KP"),
            ("Democratic People's Republic of Korea", "KP"),
            ("Korea, South", "KR"),
            ("Syrian Arab Republic", "SY"),
            ("Viet Nam", "VN"),
            ("Türkiye", "TR"),
            ("Turkey", "TR"),
            ("Burma", "MM"),
            ("Bahamas, The", "BS"),
            ("The Gambia", "GM"),
            ("Cote d Ivoire", "CI"),
            ("Côte d’Ivoire", "CI"),
            ("Congo, Democratic Republic of the", "CD"),
            ("Democratic Republic of the Congo", "CD"),
            ("Congo", "CG"),
            ("United Kingdom of Great Britain and Northern Ireland", "GB"),
            ("United Republic of Tanzania", "TZ"),
            ("China, Hong Kong Special Administrative Region", "HK"),
            ("Man, Isle of", "IM"),
            ("Virgin Islands, British", "VG"),
            ("State of Palestine", "PS"),
            ("West Bank", "PS"),
            ("Kosovo", "XK"),
            ("  germany ", "DE"),
        ];
        for (text, expected) in cases {
            assert_eq!(country_code(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn codes_map_to_alpha2() {
        assert_eq!(country_code("IR"), Some("IR"));
        assert_eq!(country_code("IRN"), Some("IR"));
        assert_eq!(country_code("PRK"), Some("KP"));
        assert_eq!(country_code("GBR"), Some("GB"));
    }

    #[test]
    fn unknown_text_is_none() {
        assert_eq!(country_code("undetermined"), None);
        assert_eq!(country_code("na"), None);
        assert_eq!(country_code("NA"), Some("NA"));
        assert_eq!(country_code("Region: Northern Mali"), None);
        assert_eq!(country_code(""), None);
        assert_eq!(country_code("Atlantis"), None);
    }

    #[test]
    fn every_name_and_code_is_unique() {
        let mut seen = HashMap::new();
        for country in COUNTRIES {
            for key in [country.alpha2, country.alpha3] {
                assert!(
                    seen.insert(key.to_string(), country.alpha2).is_none(),
                    "{key}"
                );
            }
            for name in country.names {
                let previous = seen.insert(fold(name), country.alpha2);
                assert!(previous.is_none(), "{name} appears twice");
            }
        }
    }
}
