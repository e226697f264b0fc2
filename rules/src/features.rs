//! The built-in features a predicate can read, the party roles they take,
//! and where each value sits in [`crate::Facts`].

use std::fmt;

/// A party or agent of a payment, as ISO 20022 pacs.008 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Debtor,
    Creditor,
    UltimateDebtor,
    UltimateCreditor,
    DebtorAgent,
    CreditorAgent,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Debtor,
        Role::Creditor,
        Role::UltimateDebtor,
        Role::UltimateCreditor,
        Role::DebtorAgent,
        Role::CreditorAgent,
    ];

    /// Returns the name used in predicates, such as `ultimate_debtor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Debtor => "debtor",
            Role::Creditor => "creditor",
            Role::UltimateDebtor => "ultimate_debtor",
            Role::UltimateCreditor => "ultimate_creditor",
            Role::DebtorAgent => "debtor_agent",
            Role::CreditorAgent => "creditor_agent",
        }
    }

    /// Returns whether the role is a bank (agent) rather than a party.
    pub fn is_agent(self) -> bool {
        matches!(self, Role::DebtorAgent | Role::CreditorAgent)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The side of a crypto transfer whose wallet address was screened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WalletSide {
    Source,
    Destination,
}

impl WalletSide {
    pub const ALL: [WalletSide; 2] = [WalletSide::Source, WalletSide::Destination];

    pub fn as_str(self) -> &'static str {
        match self {
            WalletSide::Source => "source",
            WalletSide::Destination => "destination",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Offsets of the built-in values in the facts' slot array. Role-indexed
/// features take six consecutive slots in [`Role::ALL`] order.
pub(crate) mod slot {
    pub const SANCTIONS: usize = 0;
    pub const CLEARED: usize = 6;
    pub const IDENTIFIER: usize = 12;
    pub const COUNTRY: usize = 18;
    pub const NATIONALITY: usize = 24;
    pub const REGION: usize = 30;
    pub const WALLET: usize = 36;
    pub const FREE_TEXT: usize = 38;
    pub const AMOUNT: usize = 39;
    pub const CURRENCY: usize = 40;
    pub const CHANNEL: usize = 41;
    pub const PURPOSE: usize = 42;
    pub const CRYPTO_ASSET: usize = 43;
    pub const NEW_COUNTERPARTY: usize = 44;
    pub const COUNT: usize = 45;
}

/// How the values of a string feature are written, which decides how
/// setters normalize them and which literals can ever match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringKind {
    /// ISO 3166-1 alpha-2, upper-cased by the setter: "IR".
    Country,
    /// ISO 3166-2 subdivision, upper-cased by the setter: "UA-43".
    Region,
    /// An upper-case code such as a currency, purpose or asset: "EUR", "CHAR", "USDT".
    Code,
    /// Free text compared exactly as given.
    Text,
}

impl StringKind {
    /// Returns whether `value` is a well-formed value of this kind, and so
    /// can ever equal a value set through [`crate::Facts`].
    pub fn accepts(self, value: &str) -> bool {
        let upper_alnum = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        match self {
            StringKind::Country => {
                value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase())
            }
            StringKind::Region => match value.split_once('-') {
                Some((country, sub)) => {
                    StringKind::Country.accepts(country)
                        && (1..=3).contains(&sub.len())
                        && upper_alnum(sub)
                }
                None => false,
            },
            StringKind::Code => (1..=16).contains(&value.len()) && upper_alnum(value),
            StringKind::Text => true,
        }
    }

    /// Describes a well-formed value, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            StringKind::Country => {
                "an ISO 3166-1 alpha-2 country code in upper case, such as \"IR\""
            }
            StringKind::Region => "an ISO 3166-2 subdivision code in upper case, such as \"UA-43\"",
            StringKind::Code => {
                "an upper-case code of letters and digits, such as \"EUR\" or \"USDT\""
            }
            StringKind::Text => "any text",
        }
    }

    /// Returns whether setters upper-case values of this kind.
    pub fn is_upper_cased(self) -> bool {
        !matches!(self, StringKind::Text)
    }
}

/// The value type of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeatureType {
    /// A match score in 0..=1.
    Score,
    Number,
    Bool,
    String(StringKind),
}

/// The argument a built-in feature takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Argument {
    None,
    /// A role, or `any` for all six roles.
    Role,
    /// `source`, `destination`, or `any`.
    WalletSide,
}

/// One entry of the built-in feature catalog.
#[derive(Debug)]
pub(crate) struct BuiltinFeature {
    pub name: &'static str,
    pub argument: Argument,
    pub ty: FeatureType,
    /// First slot; role and side features use consecutive slots.
    pub slot: usize,
}

/// Every built-in feature. docs/rules.md describes each one.
pub(crate) const BUILTIN: &[BuiltinFeature] = &[
    builtin(
        "sanctions",
        Argument::Role,
        FeatureType::Score,
        slot::SANCTIONS,
    ),
    builtin("cleared", Argument::Role, FeatureType::Score, slot::CLEARED),
    builtin(
        "identifier",
        Argument::Role,
        FeatureType::Bool,
        slot::IDENTIFIER,
    ),
    builtin(
        "country",
        Argument::Role,
        FeatureType::String(StringKind::Country),
        slot::COUNTRY,
    ),
    builtin(
        "nationality",
        Argument::Role,
        FeatureType::String(StringKind::Country),
        slot::NATIONALITY,
    ),
    builtin(
        "region",
        Argument::Role,
        FeatureType::String(StringKind::Region),
        slot::REGION,
    ),
    builtin(
        "wallet",
        Argument::WalletSide,
        FeatureType::Score,
        slot::WALLET,
    ),
    builtin(
        "free_text",
        Argument::None,
        FeatureType::Score,
        slot::FREE_TEXT,
    ),
    builtin("amount", Argument::None, FeatureType::Number, slot::AMOUNT),
    builtin(
        "currency",
        Argument::None,
        FeatureType::String(StringKind::Code),
        slot::CURRENCY,
    ),
    builtin(
        "channel",
        Argument::None,
        FeatureType::String(StringKind::Text),
        slot::CHANNEL,
    ),
    builtin(
        "purpose",
        Argument::None,
        FeatureType::String(StringKind::Code),
        slot::PURPOSE,
    ),
    builtin(
        "crypto_asset",
        Argument::None,
        FeatureType::String(StringKind::Code),
        slot::CRYPTO_ASSET,
    ),
    builtin(
        "new_counterparty",
        Argument::None,
        FeatureType::Bool,
        slot::NEW_COUNTERPARTY,
    ),
];

const fn builtin(
    name: &'static str,
    argument: Argument,
    ty: FeatureType,
    slot: usize,
) -> BuiltinFeature {
    BuiltinFeature {
        name,
        argument,
        ty,
        slot,
    }
}

/// Names that predicates reserve besides the built-in features.
pub(crate) const FUNCTIONS: &[&str] = &["missing", "fired"];

/// The slots a feature reference reads: one slot, or a run of slots for `any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotRef {
    One(usize),
    Any { start: usize, len: usize },
}

/// Looks up a built-in feature by name.
pub(crate) fn find_builtin(name: &str) -> Option<&'static BuiltinFeature> {
    BUILTIN.iter().find(|f| f.name == name)
}

/// Resolves the argument of a role or wallet-side feature to its slots, or
/// returns the list of allowed arguments for the error message.
pub(crate) fn resolve_argument(
    feature: &BuiltinFeature,
    argument: &str,
) -> Result<SlotRef, String> {
    let (len, index) = match feature.argument {
        Argument::None => return Ok(SlotRef::One(feature.slot)),
        Argument::Role => (Role::ALL.len(), Role::parse(argument).map(Role::index)),
        Argument::WalletSide => (
            WalletSide::ALL.len(),
            WalletSide::ALL
                .into_iter()
                .find(|side| side.as_str() == argument)
                .map(WalletSide::index),
        ),
    };
    if argument == "any" {
        return Ok(SlotRef::Any {
            start: feature.slot,
            len,
        });
    }
    index
        .map(|i| SlotRef::One(feature.slot + i))
        .ok_or_else(|| allowed_arguments(feature.argument))
}

/// Lists the arguments a feature accepts, for an error message.
pub(crate) fn allowed_arguments(argument: Argument) -> String {
    let names: Vec<&str> = match argument {
        Argument::None => Vec::new(),
        Argument::Role => Role::ALL.iter().map(|r| r.as_str()).collect(),
        Argument::WalletSide => WalletSide::ALL.iter().map(|s| s.as_str()).collect(),
    };
    let mut text = names.join(", ");
    if !text.is_empty() {
        text.push_str(" or any");
    }
    text
}

/// Finds the closest candidate name, for a "did you mean" hint.
pub(crate) fn closest_name<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_do_not_overlap() {
        let mut used = [false; slot::COUNT];
        for feature in BUILTIN {
            let len = match feature.argument {
                Argument::None => 1,
                Argument::Role => Role::ALL.len(),
                Argument::WalletSide => WalletSide::ALL.len(),
            };
            for (s, slot_used) in used.iter_mut().enumerate().skip(feature.slot).take(len) {
                assert!(!*slot_used, "slot {s} of {} is shared", feature.name);
                *slot_used = true;
            }
        }
        assert!(used.iter().all(|&u| u), "every slot belongs to a feature");
    }

    #[test]
    fn string_kinds_accept_well_formed_values() {
        assert!(StringKind::Country.accepts("IR"));
        assert!(!StringKind::Country.accepts("ir"));
        assert!(!StringKind::Country.accepts("IRN"));
        assert!(StringKind::Region.accepts("UA-43"));
        assert!(StringKind::Region.accepts("UA-CR"));
        assert!(!StringKind::Region.accepts("UA43"));
        assert!(StringKind::Code.accepts("USDT"));
        assert!(!StringKind::Code.accepts("usd"));
        assert!(StringKind::Text.accepts("sepa instant"));
    }

    #[test]
    fn closest_name_suggests_typo_fixes() {
        let names = BUILTIN.iter().map(|f| f.name);
        assert_eq!(closest_name("sanction", names.clone()), Some("sanctions"));
        assert_eq!(closest_name("ammount", names.clone()), Some("amount"));
        assert_eq!(closest_name("zzzzzzzz", names), None);
    }
}
