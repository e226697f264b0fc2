//! The remarks column of OFAC's legacy CSV: a "; "-separated run of
//! facts, each opening with what it is ("DOB 10 Dec 1948", "a.k.a. 'BNC'",
//! "Passport 040070827 (Mexico)", "Digital Currency Address - ETH 0x..."),
//! optionally after "alt." for a second value of the same kind.
//!
//! The a.k.a. names in remarks are OFAC's weak aliases: strong ones are in
//! alt.csv. Facts this module does not know (phone numbers, websites,
//! directive notes) stay in the remarks text only.

use crate::formats::common::{country_or_text, identifier, push_unique};
use crate::model::{
    BirthDate, Entity, Gender, Name, NameParts, NameType, PartialDate, WalletAddress,
};

/// Document and registry types OFAC writes in remarks, as its advanced
/// XML names them (IDRegDocType values, plus the identifier features).
const DOCUMENT_TYPES: &[&str] = &[
    "Afghan Money Service Provider License Number",
    "Aircraft Construction Number (also called L/N or S/N or F/N)",
    "Aircraft Manufacturer's Serial Number (MSN)",
    "Aircraft Mode S Transponder Code",
    "Aircraft Serial Identification",
    "Aircraft Tail Number",
    "BIK (RU)",
    "Birth Certificate Number",
    "Bosnian Personal ID No.",
    "Branch Unit Number",
    "British National Overseas Passport",
    "Business Number",
    "Business Registration Document #",
    "Business Registration Number",
    "C.I.F.",
    "C.I.N.",
    "C.R. No.",
    "C.U.I.",
    "C.U.I.P.",
    "C.U.I.T.",
    "C.U.R.P.",
    "CNP (Personal Numerical Code)",
    "Cartilla de Servicio Militar Nacional",
    "Cedula No.",
    "Central Registration System Number",
    "Certificate of Incorporation Number",
    "Chamber of Commerce Number",
    "Chinese Commercial Code",
    "Citizen's Card Number",
    "Commercial Registry Number",
    "Company Number",
    "Credencial electoral",
    "D-U-N-S Number",
    "D.N.I.",
    "Diplomatic Passport",
    "Driver's License No.",
    "Dubai Chamber of Commerce Membership No.",
    "Economic Register Number (CBLS)",
    "Electoral Registry No.",
    "Enterprise Number",
    "Federal ID Card",
    "File Number",
    "Fiscal Code",
    "Folio Mercantil No.",
    "Global Intermediary Identification Number",
    "Government Gazette Number",
    "I.F.E.",
    "ISIN",
    "Identification Number",
    "Immigration No.",
    "Istanbul Chamber of Comm. No.",
    "Italian Fiscal Code",
    "Kenyan ID No.",
    "LE Number",
    "Legal Entity Number",
    "License",
    "MMSI",
    "MSB Registration Number",
    "Matricula Mercantil No",
    "Military Registration Number",
    "Moroccan Personal ID No.",
    "N.I.E.",
    "N.I.F.",
    "NIT #",
    "National Foreign ID Number",
    "National ID No.",
    "Numero Unico de Identificacao Tributaria (NUIT)",
    "Numero de Identidad",
    "Organization Code",
    "Paraguayan tax identification number",
    "Passport",
    "Permit Number",
    "Personal ID Card",
    "Pilot License Number",
    "Previous Aircraft Tail Number",
    "Public Registration Number",
    "Public Security and Immigration No.",
    "R.F.C.",
    "RFC",
    "RIF #",
    "RTN",
    "RUC #",
    "Refugee ID Card",
    "Registered Charity No.",
    "Registration Certificate Number (Dubai)",
    "Registration ID",
    "Registration Number",
    "Residency Number",
    "Romanian C.R.",
    "Romanian Permanent Resident",
    "Romanian Tax Registration",
    "Russian State Individual Business Registration Number Pattern (OGRNIP)",
    "SRE Permit No.",
    "SSN",
    "SWIFT/BIC",
    "Seafarer's Identification Document",
    "Serial No.",
    "Stateless Person ID Card",
    "Stateless Person Passport",
    "Tarjeta de Identidad",
    "Tax ID No.",
    "Tazkira National ID Card",
    "Tourism License No.",
    "Trade License No.",
    "Trademark number",
    "Travel Document Number",
    "Turkish Identification Number",
    "UAE Identification",
    "UK Company Number",
    "US FEIN",
    "Unified Social Credit Code (USCC)",
    "United Social Credit Code Certificate (USCCC)",
    "V.A.T. Number",
    "Vessel Registration Identification",
    "VisaNumberID",
];

const WALLET_PREFIX: &str = "Digital Currency Address - ";

/// Reads the facts of `remarks` into `entity`. Returns a description of
/// each fact that looked known but could not be read.
pub(crate) fn apply_remarks(remarks: &str, entity: &mut Entity) -> Vec<String> {
    let mut problems = Vec::new();
    let remarks = remarks.trim();
    let remarks = remarks.strip_suffix('.').unwrap_or(remarks);
    for item in remarks.split("; ") {
        let item = item.trim();
        let item = item.strip_prefix("alt. ").unwrap_or(item);
        if let Err(problem) = apply_item(item, entity) {
            problems.push(problem);
        }
    }
    problems
}

fn apply_item(item: &str, entity: &mut Entity) -> Result<(), String> {
    for (prefix, name_type) in [
        ("a.k.a. ", NameType::WeakAlias),
        ("f.k.a. ", NameType::Former),
        ("n.k.a. ", NameType::Alias),
    ] {
        if let Some(rest) = item.strip_prefix(prefix) {
            return apply_alias(rest, name_type, entity);
        }
    }
    if let Some(rest) = item.strip_prefix("DOB ") {
        let date = parse_dob(rest).ok_or_else(|| format!("DOB {rest:?} is not a date"))?;
        push_unique(&mut entity.birth_dates, date);
    } else if let Some(place) = item.strip_prefix("POB ") {
        push_unique(&mut entity.birth_places, place.trim().to_string());
    } else if let Some(country) = item
        .strip_prefix("nationality ")
        .or_else(|| item.strip_prefix("citizen "))
    {
        if let Some(country) = country_or_text(country) {
            push_unique(&mut entity.nationalities, country);
        }
    } else if let Some(gender) = item.strip_prefix("Gender ") {
        entity.gender = match gender.trim() {
            "Male" => Some(Gender::Male),
            "Female" => Some(Gender::Female),
            other => return Err(format!("gender {other:?} is not Male or Female")),
        };
    } else if let Some(wallet) = item.strip_prefix(WALLET_PREFIX) {
        let (asset, address) = wallet
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("wallet {wallet:?} has no address after its asset"))?;
        push_unique(
            &mut entity.wallets,
            WalletAddress {
                asset: asset.to_string(),
                address: address.trim().to_string(),
            },
        );
    } else if let Some(linked) = item.strip_prefix("Linked To: ") {
        push_unique(&mut entity.linked_to, linked.trim().to_string());
    } else if let Some(flag) = item.strip_prefix("Other Vessel Flag ") {
        if let Some(country) = country_or_text(flag) {
            push_unique(&mut entity.countries, country);
        }
    } else if let Some((doc_type, rest)) = document_type(item) {
        let (number, country) = document_number(rest);
        if number.is_empty() {
            return Err(format!("{doc_type} without a number"));
        }
        push_unique(
            &mut entity.identifiers,
            identifier(doc_type, number, country),
        );
    }
    Ok(())
}

/// Adds a quoted alias ('NAME'). A name whose closing quote is missing was
/// cut off with the remarks and is reported, not loaded.
fn apply_alias(quoted: &str, name_type: NameType, entity: &mut Entity) -> Result<(), String> {
    let quoted = quoted.trim();
    let unquote = |quote: char| quoted.strip_prefix(quote)?.strip_suffix(quote);
    let Some(name) = unquote('\'').or_else(|| unquote('"')) else {
        return Err(format!(
            "alias {quoted:?} has no closing quote; the remarks may be cut off"
        ));
    };
    let name = name.trim();
    if name.is_empty() || entity.names.iter().any(|n| n.full == name) {
        return Ok(());
    }
    let mut alias = Name::new(name, name_type);
    if entity.kind == crate::model::EntityKind::Person {
        alias.parts = person_name_parts(name);
    }
    entity.names.push(alias);
    Ok(())
}

/// Name parts of a person's name written "FAMILY, Given Names".
pub(crate) fn person_name_parts(name: &str) -> NameParts {
    match name.split_once(',') {
        Some((family, given)) if !family.trim().is_empty() && !given.trim().is_empty() => {
            NameParts {
                family: Some(family.trim().to_string()),
                given: Some(given.trim().to_string()),
                ..NameParts::default()
            }
        }
        _ => NameParts::default(),
    }
}

/// Finds the known document type that opens `item` (the longer one when
/// two match) and returns it with the rest of the item.
fn document_type(item: &str) -> Option<(&'static str, &str)> {
    DOCUMENT_TYPES
        .iter()
        .filter_map(|t| Some((*t, item.strip_prefix(t)?.strip_prefix(' ')?)))
        .max_by_key(|(t, _)| t.len())
}

/// Splits "A755350 (Saudi Arabia) issued 08 Sep 2006" into the number and
/// the country in parentheses.
fn document_number(rest: &str) -> (&str, Option<&str>) {
    let end = [" (", " issued", " expires"]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()
        .unwrap_or(rest.len());
    let number = rest[..end].trim();
    let country = rest[end..]
        .strip_prefix(" (")
        .and_then(|r| r.split_once(')'))
        .map(|(country, _)| country.trim());
    (number, country)
}

/// Reads a DOB remark: "10 Dec 1948", "Dec 1948", "1948", "circa 1951",
/// "1955 to 1957", "01 Jan 1955 to 31 Dec 1957" or "circa 1960-1962".
pub(crate) fn parse_dob(text: &str) -> Option<BirthDate> {
    let text = text.trim();
    let (approximate, text) = match text.strip_prefix("circa ") {
        Some(rest) => (true, rest.trim()),
        None => (false, text),
    };
    let range = text.split_once(" to ").or_else(|| {
        let (from, to) = text.split_once('-')?;
        (from.trim().len() == 4 && to.trim().len() == 4).then_some((from, to))
    });
    let (from, to) = match range {
        Some((from, to)) => (parse_date(from)?, Some(parse_date(to)?)),
        None => (parse_date(text)?, None),
    };
    Some(BirthDate {
        from,
        to: to.filter(|to| *to != from),
        approximate,
    })
}

/// Reads "10 Dec 1948", "Dec 1948" or "1948".
fn parse_date(text: &str) -> Option<PartialDate> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year) = match words.as_slice() {
        [day, month, year] => (Some(day.parse().ok()?), Some(month_number(month)?), year),
        [month, year] => (None, Some(month_number(month)?), year),
        [year] => (None, None, year),
        _ => return None,
    };
    PartialDate::new(year.parse().ok()?, month, day)
}

fn month_number(name: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = name.get(..3)?.to_ascii_lowercase();
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    u8::try_from(index + 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, IdentifierKind};

    fn person() -> Entity {
        Entity::new("ofac_sdn", "15002", EntityKind::Person)
    }

    #[test]
    fn remarks_fill_the_entity() {
        let mut entity = person();
        let remarks = "DOB 09 Jun 1964; POB Sinaloa, Mexico; nationality Mexico; Gender Male; \
                       Passport 040070827 (Mexico); alt. Passport G 649385 issued 08 Sep 2006; \
                       R.F.C. FOAA640609DX9 (Mexico); a.k.a. 'EL NINO'; f.k.a. 'O'BRIEN, Pat'; \
                       Digital Currency Address - ETH 0x098B716B8Aaf21512996dC57EB0615e2383E2f96; \
                       Vessel Registration Identification IMO 9187629; \
                       Linked To: LAZARUS GROUP.";
        let problems = apply_remarks(remarks, &mut entity);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entity.birth_dates[0].from.to_string(), "1964-06-09");
        assert_eq!(entity.birth_places, vec!["Sinaloa, Mexico"]);
        assert_eq!(entity.nationalities, vec!["MX"]);
        assert_eq!(entity.gender, Some(Gender::Male));
        assert_eq!(entity.identifiers[0].kind, IdentifierKind::Passport);
        assert_eq!(entity.identifiers[0].value, "040070827");
        assert_eq!(entity.identifiers[0].country.as_deref(), Some("MX"));
        assert_eq!(entity.identifiers[1].value, "G 649385");
        assert_eq!(entity.identifiers[2].kind, IdentifierKind::TaxId);
        assert_eq!(entity.identifiers[3].kind, IdentifierKind::Imo);
        assert_eq!(entity.identifiers[3].value, "9187629");
        assert_eq!(entity.names[0].full, "EL NINO");
        assert_eq!(entity.names[0].name_type, NameType::WeakAlias);
        assert_eq!(entity.names[1].full, "O'BRIEN, Pat");
        assert_eq!(entity.names[1].name_type, NameType::Former);
        assert_eq!(entity.names[1].parts.family.as_deref(), Some("O'BRIEN"));
        assert_eq!(entity.wallets[0].asset, "ETH");
        assert_eq!(entity.linked_to, vec!["LAZARUS GROUP"]);
    }

    #[test]
    fn dob_forms() {
        let cases = [
            ("10 Dec 1948", "1948-12-10", None, false),
            ("Mar 1965", "1965-03", None, false),
            ("1948", "1948", None, false),
            ("circa 1951", "1951", None, true),
            ("1960 to 1962", "1960", Some("1962"), false),
            (
                "01 Jan 1955 to 31 Dec 1957",
                "1955-01-01",
                Some("1957-12-31"),
                false,
            ),
            ("Mar 1965 to Feb 1966", "1965-03", Some("1966-02"), false),
            ("circa 1960-1962", "1960", Some("1962"), true),
        ];
        for (text, from, to, approximate) in cases {
            let date = parse_dob(text).unwrap_or_else(|| panic!("{text} parses"));
            assert_eq!(date.from.to_string(), from, "{text}");
            assert_eq!(date.to.map(|t| t.to_string()).as_deref(), to, "{text}");
            assert_eq!(date.approximate, approximate, "{text}");
        }
        assert_eq!(parse_dob("sometime"), None);
        assert_eq!(parse_dob("32 Jan 1960"), None);
    }

    #[test]
    fn cut_off_alias_is_reported() {
        let mut entity = person();
        let problems = apply_remarks("a.k.a. 'RED DOT'; a.k.a. 'WHOIS HACKIN", &mut entity);
        assert_eq!(entity.names.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("cut off"), "{problems:?}");
    }

    #[test]
    fn longest_document_type_wins() {
        let (doc_type, rest) = document_type("Stateless Person Passport 123").expect("known type");
        assert_eq!(doc_type, "Stateless Person Passport");
        assert_eq!(rest, "123");
        assert_eq!(document_type("Phone Number 123"), None);
    }
}
