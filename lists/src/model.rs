//! The common entity model that every list format is read into.
//!
//! A loader fills in what its source states and leaves the rest empty: an
//! empty `Vec` or `None` means "not stated", never "stated as absent".

use serde::{Deserialize, Serialize};

/// What kind of party a list entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Person,
    Organization,
    Vessel,
    Aircraft,
    /// A wallet listed on its own, without a holder on the same list.
    Wallet,
    /// The source does not say.
    Unknown,
}

impl EntityKind {
    /// All kinds, in the order reports print them.
    pub const ALL: [EntityKind; 6] = [
        EntityKind::Person,
        EntityKind::Organization,
        EntityKind::Vessel,
        EntityKind::Aircraft,
        EntityKind::Wallet,
        EntityKind::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Organization => "organization",
            EntityKind::Vessel => "vessel",
            EntityKind::Aircraft => "aircraft",
            EntityKind::Wallet => "wallet",
            EntityKind::Unknown => "unknown",
        }
    }
}

/// How a list presents a name of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameType {
    /// The entry's main name.
    Primary,
    /// A strong a.k.a. or f.k.a.
    Alias,
    /// A low-quality alias (OFAC "weak", UN "Low", UK "Low quality").
    WeakAlias,
    /// A former name no longer in use.
    Former,
}

/// Parts of a person's name where the source gives them separately.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameParts {
    pub given: Option<String>,
    pub middle: Option<String>,
    pub family: Option<String>,
    pub patronymic: Option<String>,
    /// Titles, honorifics and other parts not covered above, in source order.
    pub other: Vec<String>,
}

impl NameParts {
    pub fn is_empty(&self) -> bool {
        self.given.is_none()
            && self.middle.is_none()
            && self.family.is_none()
            && self.patronymic.is_none()
            && self.other.is_empty()
    }
}

/// One name of an entity, as the list writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// The whole name as one string, in source order and script.
    pub full: String,
    pub name_type: NameType,
    pub parts: NameParts,
    /// ISO 15924 script code or the source's script name, where stated
    /// (for example "Cyrl" or "Arabic").
    pub script: Option<String>,
}

impl Name {
    /// Builds a name with no parts and no script.
    pub fn new(full: impl Into<String>, name_type: NameType) -> Name {
        Name {
            full: full.into(),
            name_type,
            parts: NameParts::default(),
            script: None,
        }
    }
}

/// A calendar date where the day, or the month and day, may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartialDate {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl PartialDate {
    pub fn year(year: u16) -> PartialDate {
        PartialDate {
            year,
            month: None,
            day: None,
        }
    }

    /// Builds a date, checking month and day ranges; `None` if out of range.
    pub fn new(year: u16, month: Option<u8>, day: Option<u8>) -> Option<PartialDate> {
        if !(1000..=2999).contains(&year) {
            return None;
        }
        if let Some(m) = month {
            if !(1..=12).contains(&m) {
                return None;
            }
        }
        if let Some(d) = day {
            if !(1..=31).contains(&d) || month.is_none() {
                return None;
            }
        }
        Some(PartialDate { year, month, day })
    }

    /// Parses "YYYY", "YYYY-MM" or "YYYY-MM-DD"; a month or day of "00" is
    /// read as unknown.
    pub fn parse_iso(text: &str) -> Option<PartialDate> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?.parse::<u16>().ok()?;
        let month = match parts.next() {
            Some(m) => Some(m.parse::<u8>().ok()?).filter(|&m| m != 0),
            None => None,
        };
        let day = match parts.next() {
            Some(d) => Some(d.parse::<u8>().ok()?).filter(|&d| d != 0),
            None => None,
        };
        PartialDate::new(year, month, day.filter(|_| month.is_some()))
    }
}

impl std::fmt::Display for PartialDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

/// A birth date as a list states it: one date, or a range
/// ("between 1960 and 1962"), possibly marked approximate ("circa 1970").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BirthDate {
    pub from: PartialDate,
    /// The end of a range, inclusive; `None` for a single date.
    pub to: Option<PartialDate>,
    pub approximate: bool,
}

impl BirthDate {
    pub fn exact(date: PartialDate) -> BirthDate {
        BirthDate {
            from: date,
            to: None,
            approximate: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

/// A postal address. `country` is an ISO 3166-1 alpha-2 code where the
/// loader could map the source's country name, else the source text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// The address as one line when the source gives it that way.
    pub full: Option<String>,
}

/// The kind of an identity document or registry number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Passport,
    NationalId,
    /// IMO ship or company number.
    Imo,
    /// SWIFT/BIC code, 8 or 11 characters.
    Bic,
    /// Legal Entity Identifier, 20 characters.
    Lei,
    TaxId,
    RegistrationNumber,
    /// Aircraft serial or tail number.
    Aircraft,
    /// Any other document type, named as the source names it.
    Other(String),
}

/// An identity document or registry number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    /// The number as the source writes it.
    pub value: String,
    /// Issuing country, ISO alpha-2 where mapped.
    pub country: Option<String>,
}

/// A crypto wallet address with the asset the list tagged it with
/// (OFAC tags assets such as "XBT", "ETH" or "USDT", not chains).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WalletAddress {
    pub asset: String,
    pub address: String,
}

/// One listed party, in the same shape whatever list it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Stable id within its list, as the source numbers it (OFAC uid,
    /// UN reference number, UK group id, ...).
    pub id: String,
    /// The id of the list this entity was loaded from, for example
    /// "ofac_sdn" or "un_sc".
    pub list: String,
    pub kind: EntityKind,
    /// All names; the first is the primary name.
    pub names: Vec<Name>,
    pub birth_dates: Vec<BirthDate>,
    pub birth_places: Vec<String>,
    /// Nationalities and citizenships, ISO alpha-2 where mapped.
    pub nationalities: Vec<String>,
    /// Other countries linked to the entry (residence, location,
    /// registration, vessel flag), ISO alpha-2 where mapped.
    pub countries: Vec<String>,
    pub gender: Option<Gender>,
    pub addresses: Vec<Address>,
    pub identifiers: Vec<Identifier>,
    pub wallets: Vec<WalletAddress>,
    /// Sanctions programs or regimes, as the source names them.
    pub programs: Vec<String>,
    /// Date of listing or designation, "YYYY-MM-DD" where known.
    pub listed_on: Option<String>,
    /// Free-text remarks as published.
    pub remarks: Option<String>,
    /// Entries this one is linked to, as the source names them.
    pub linked_to: Vec<String>,
}

impl Entity {
    /// Builds an empty entity of the given kind.
    pub fn new(list: impl Into<String>, id: impl Into<String>, kind: EntityKind) -> Entity {
        Entity {
            id: id.into(),
            list: list.into(),
            kind,
            names: Vec::new(),
            birth_dates: Vec::new(),
            birth_places: Vec::new(),
            nationalities: Vec::new(),
            countries: Vec::new(),
            gender: None,
            addresses: Vec::new(),
            identifiers: Vec::new(),
            wallets: Vec::new(),
            programs: Vec::new(),
            listed_on: None,
            remarks: None,
            linked_to: Vec::new(),
        }
    }

    /// The primary name, or the first name if none is marked primary.
    pub fn primary_name(&self) -> Option<&Name> {
        self.names
            .iter()
            .find(|n| n.name_type == NameType::Primary)
            .or_else(|| self.names.first())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_date_reads_zero_as_unknown() {
        let date = PartialDate::parse_iso("1970-00-00").expect("valid year");
        assert_eq!(date.year, 1970);
        assert_eq!(date.month, None);
        assert_eq!(date.day, None);
    }

    #[test]
    fn partial_date_rejects_out_of_range() {
        assert_eq!(PartialDate::parse_iso("1970-13-01"), None);
        assert_eq!(PartialDate::parse_iso("1970-02-32"), None);
        assert_eq!(PartialDate::parse_iso("19x0"), None);
    }

    #[test]
    fn partial_date_prints_known_parts() {
        let date = PartialDate::new(1965, Some(3), None).expect("valid");
        assert_eq!(date.to_string(), "1965-03");
    }
}
