//! Checks an incoming transaction against the configured limits and the
//! contract, naming the first bad field and the reason.

use screener_proto::v1::{Agent, Party, Transaction};

use crate::config::LimitsConfig;
use crate::error::ServerError;

/// Checks a transaction; the error names the field path, such as
/// "debtor.postal_address.country".
pub fn check_transaction(tx: &Transaction, limits: &LimitsConfig) -> Result<(), ServerError> {
    // The server decodes messages up to a few times this size, so that one
    // too large is rejected here, alone, instead of ending its stream.
    let size = prost::Message::encoded_len(tx);
    if size > limits.max_message_bytes {
        return Err(ServerError::invalid(
            "transaction",
            format!(
                "is {size} bytes encoded, over the limit of {} (limits.max_message_bytes); \
                 shorten its text fields",
                limits.max_message_bytes
            ),
        ));
    }
    if tx.end_to_end_id.trim().is_empty() {
        return Err(ServerError::invalid(
            "end_to_end_id",
            "is missing; give each transaction an id: it identifies the transaction for retries and the audit log",
        ));
    }
    check_text(FieldPath::root("end_to_end_id"), &tx.end_to_end_id, limits)?;
    if let Some(amount) = &tx.instructed_amount {
        parse_amount(&amount.value)
            .map_err(|reason| ServerError::invalid("instructed_amount.value", reason))?;
        check_currency("instructed_amount.currency", &amount.currency)?;
        check_decimals("instructed_amount.value", &amount.value, &amount.currency)?;
    }
    let parties = [
        ("debtor", &tx.debtor),
        ("creditor", &tx.creditor),
        ("ultimate_debtor", &tx.ultimate_debtor),
        ("ultimate_creditor", &tx.ultimate_creditor),
    ];
    for (role, party) in parties {
        if let Some(party) = party {
            check_party(role, party, limits)?;
        }
    }
    for (role, agent) in [
        ("debtor_agent", &tx.debtor_agent),
        ("creditor_agent", &tx.creditor_agent),
    ] {
        if let Some(agent) = agent {
            check_agent(role, agent, limits)?;
        }
    }
    if tx.remittance_information.len() > limits.max_remittance_lines {
        return Err(ServerError::invalid(
            "remittance_information",
            format!(
                "has {} lines, over the limit of {} (limits.max_remittance_lines)",
                tx.remittance_information.len(),
                limits.max_remittance_lines
            ),
        ));
    }
    let remittance_path = FieldPath::root("remittance_information");
    for (i, line) in tx.remittance_information.iter().enumerate() {
        check_text(remittance_path.item(i), line, limits)?;
    }
    for (field, value) in [("purpose_code", &tx.purpose_code), ("channel", &tx.channel)] {
        check_text(FieldPath::root(field), value, limits)?;
    }
    if let Some(crypto) = &tx.crypto {
        for (field, value) in [
            ("crypto.source_wallet", &crypto.source_wallet),
            ("crypto.destination_wallet", &crypto.destination_wallet),
            ("crypto.asset", &crypto.asset),
            ("crypto.chain", &crypto.chain),
            ("crypto.transaction_hash", &crypto.transaction_hash),
        ] {
            check_text(FieldPath::root(field), value, limits)?;
        }
    }
    if tx.attributes.len() > limits.max_attributes {
        return Err(ServerError::invalid(
            "attributes",
            format!(
                "has {} entries, over the limit of {}",
                tx.attributes.len(),
                limits.max_attributes
            ),
        ));
    }
    for (key, value) in &tx.attributes {
        check_text(FieldPath::root("attributes key"), key, limits)?;
        check_text(FieldPath::root("attributes").key(key), value, limits)?;
    }
    if tx.created_at_unix_ms < 0 {
        return Err(ServerError::invalid(
            "created_at_unix_ms",
            "is negative; send Unix milliseconds, or 0 for the server's clock",
        ));
    }
    if !has_screenable_field(tx) {
        return Err(ServerError::invalid(
            "transaction",
            "has nothing to screen; give a party name or identifier, an agent's BIC or name, \
             or a crypto wallet address",
        ));
    }
    Ok(())
}

/// Returns whether the transaction carries anything the lists are searched
/// for. A transaction without any would otherwise be allowed unscreened.
fn has_screenable_field(tx: &Transaction) -> bool {
    let filled = |value: &str| !value.trim().is_empty();
    let party = [
        &tx.debtor,
        &tx.creditor,
        &tx.ultimate_debtor,
        &tx.ultimate_creditor,
    ]
    .into_iter()
    .flatten()
    .any(|party| filled(&party.name) || !party.identifiers.is_empty());
    let agent = [&tx.debtor_agent, &tx.creditor_agent]
        .into_iter()
        .flatten()
        .any(|agent| filled(&agent.bic) || filled(&agent.name));
    let wallet = tx
        .crypto
        .as_ref()
        .is_some_and(|crypto| filled(&crypto.source_wallet) || filled(&crypto.destination_wallet));
    party || agent || wallet
}

fn check_party(role: &str, party: &Party, limits: &LimitsConfig) -> Result<(), ServerError> {
    let party_path = FieldPath::root(role);
    check_text(party_path.field("name"), &party.name, limits)?;
    check_screenable_name(party_path.field("name"), &party.name)?;
    check_text(party_path.field("iban"), &party.iban, limits)?;
    check_iban(party_path.field("iban"), &party.iban)?;
    check_text(party_path.field("account_id"), &party.account_id, limits)?;
    if !party.birth_date.is_empty()
        && screener_lists::PartialDate::parse_iso(&party.birth_date).is_none()
    {
        return Err(ServerError::invalid(
            party_path.field("birth_date").to_string(),
            format!(
                "{:?} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD",
                truncate(&party.birth_date)
            ),
        ));
    }
    check_country_at(party_path.field("nationality"), &party.nationality)?;
    if let Some(address) = &party.postal_address {
        let address_path = party_path.field("postal_address");
        let lines_path = address_path.field("address_lines");
        if address.address_lines.len() > limits.max_address_lines {
            return Err(ServerError::invalid(
                lines_path.to_string(),
                format!(
                    "has {} lines, over the limit of {} (limits.max_address_lines)",
                    address.address_lines.len(),
                    limits.max_address_lines
                ),
            ));
        }
        for (i, line) in address.address_lines.iter().enumerate() {
            check_text(lines_path.item(i), line, limits)?;
        }
        for (field, value) in [
            ("street_name", &address.street_name),
            ("building_number", &address.building_number),
            ("post_code", &address.post_code),
            ("town_name", &address.town_name),
            ("country_sub_division", &address.country_sub_division),
        ] {
            check_text(address_path.field(field), value, limits)?;
        }
        check_country_at(address_path.field("country"), &address.country)?;
    }
    let identifiers_path = party_path.field("identifiers");
    if party.identifiers.len() > limits.max_identifiers {
        return Err(ServerError::invalid(
            identifiers_path.to_string(),
            format!(
                "has {} entries, over the limit of {}",
                party.identifiers.len(),
                limits.max_identifiers
            ),
        ));
    }
    for (i, id) in party.identifiers.iter().enumerate() {
        let id_path = identifiers_path.item(i);
        check_text(id_path.field("scheme"), &id.scheme, limits)?;
        if id.value.trim().is_empty() {
            return Err(ServerError::invalid(
                id_path.field("value").to_string(),
                "is empty",
            ));
        }
        check_text(id_path.field("value"), &id.value, limits)?;
        check_country_at(id_path.field("issuer_country"), &id.issuer_country)?;
    }
    Ok(())
}

fn check_agent(role: &str, agent: &Agent, limits: &LimitsConfig) -> Result<(), ServerError> {
    let agent_path = FieldPath::root(role);
    check_text(agent_path.field("name"), &agent.name, limits)?;
    check_screenable_name(agent_path.field("name"), &agent.name)?;
    if !agent.bic.is_empty() {
        let bic = agent.bic.trim();
        let valid = matches!(bic.len(), 8 | 11)
            && bic.chars().all(|c| c.is_ascii_alphanumeric())
            && bic[..6].chars().all(|c| c.is_ascii_alphabetic());
        if !valid {
            return Err(ServerError::invalid(
                agent_path.field("bic").to_string(),
                format!(
                    "{:?} is not a BIC: expected 8 or 11 letters and digits, the first 6 letters",
                    truncate(&agent.bic)
                ),
            ));
        }
    }
    check_country_at(agent_path.field("country"), &agent.country)
}

/// The path of a field in a transaction, such as
/// "debtor.postal_address.address_lines[2]". Valid transactions are the
/// common case, so the path is formatted only when an error names it.
#[derive(Clone, Copy)]
struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    name: &'a str,
    element: Element<'a>,
}

/// The element of a repeated or map field that a path names.
#[derive(Clone, Copy)]
enum Element<'a> {
    Whole,
    Index(usize),
    Key(&'a str),
}

impl<'a> FieldPath<'a> {
    fn root(name: &'a str) -> FieldPath<'a> {
        FieldPath {
            parent: None,
            name,
            element: Element::Whole,
        }
    }

    fn field(&'a self, name: &'a str) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            name,
            element: Element::Whole,
        }
    }

    /// Returns the path of the element at `index` of this repeated field.
    fn item(&self, index: usize) -> FieldPath<'a> {
        FieldPath {
            element: Element::Index(index),
            ..*self
        }
    }

    /// Returns the path of the value at `key` of this map field.
    fn key(&self, key: &'a str) -> FieldPath<'a> {
        FieldPath {
            element: Element::Key(key),
            ..*self
        }
    }
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        f.write_str(self.name)?;
        match self.element {
            Element::Whole => Ok(()),
            Element::Index(index) => write!(f, "[{index}]"),
            Element::Key(key) => write!(f, "[{key:?}]"),
        }
    }
}

fn check_text(field: FieldPath<'_>, value: &str, limits: &LimitsConfig) -> Result<(), ServerError> {
    // A string has at least as many bytes as characters, so only a long
    // one needs counting.
    if value.len() > limits.max_field_chars {
        let chars = value.chars().count();
        if chars > limits.max_field_chars {
            return Err(ServerError::invalid(
                field.to_string(),
                format!(
                    "is {chars} characters, over the limit of {} (limits.max_field_chars)",
                    limits.max_field_chars
                ),
            ));
        }
    }
    // ASCII text, the usual case, is checked byte by byte.
    let has_control = if value.is_ascii() {
        value.bytes().any(|b| b.is_ascii_control() && b != b'\t')
    } else {
        value.chars().any(|c| c.is_control() && c != '\t')
    };
    if has_control {
        return Err(ServerError::invalid(
            field.to_string(),
            "contains control characters",
        ));
    }
    Ok(())
}

/// Checks that `value` is empty or an ISO 3166-1 alpha-2 code.
pub fn check_country(field: &str, value: &str) -> Result<(), ServerError> {
    check_country_at(FieldPath::root(field), value)
}

/// Rejects a name made only of punctuation and symbols: it cannot be
/// screened, and a transaction whose party was not screened must not be
/// allowed as if it had been.
fn check_screenable_name(field: FieldPath<'_>, name: &str) -> Result<(), ServerError> {
    if name.trim().is_empty() || name.chars().any(char::is_alphanumeric) {
        return Ok(());
    }
    Err(ServerError::invalid(
        field.to_string(),
        format!(
            "{:?} has no letter or digit, so it cannot be screened; send the name as \
             written on the account, or leave the field empty when there is none",
            truncate(name)
        ),
    ))
}

/// Checks an IBAN as ISO 13616 defines it: a country code, two check
/// digits and an account number of letters and digits, 15 to 34 characters
/// in all, whose check digits hold. Spaces between groups and lower-case
/// letters are accepted, since IBANs are often printed that way.
fn check_iban(field: FieldPath<'_>, value: &str) -> Result<(), ServerError> {
    if value.trim().is_empty() {
        return Ok(());
    }
    let Some(problem) = iban_problem(value) else {
        return Ok(());
    };
    Err(ServerError::invalid(
        field.to_string(),
        format!(
            "{:?} is not a valid IBAN: {problem}; send it as the bank issued it, \
             or an account number that is no IBAN in account_id",
            truncate(value)
        ),
    ))
}

/// Returns what is wrong with an IBAN, or `None` when it is valid.
fn iban_problem(value: &str) -> Option<&'static str> {
    let compact = compact_iban(value);
    if !(15..=34).contains(&compact.len()) {
        return Some("it must have 15 to 34 letters and digits");
    }
    if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some("only letters, digits and spaces may appear");
    }
    let (country, rest) = compact.split_at(2);
    if !screener_lists::countries::is_alpha2(country) {
        return Some("it does not start with an ISO 3166-1 country code");
    }
    let (check, account) = rest.split_at(2);
    if !check.bytes().all(|b| b.is_ascii_digit()) {
        return Some("the two characters after the country code are not check digits");
    }
    let rearranged = account.chars().chain(country.chars()).chain(check.chars());
    if mod97(rearranged) != 1 {
        return Some("its check digits do not match the rest (a typing error?)");
    }
    None
}

/// Returns an IBAN without spaces and in upper case, the form it is
/// compared and counted in.
pub fn compact_iban(value: &str) -> std::borrow::Cow<'_, str> {
    let value = value.trim();
    if value.bytes().any(|b| b == b' ' || b.is_ascii_lowercase()) {
        std::borrow::Cow::Owned(
            value
                .chars()
                .filter(|c| *c != ' ')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Returns the number written by `chars` modulo 97, reading digits as
/// themselves and letters as 10 to 35, as ISO 13616 check digits use it.
/// Other characters count as 0.
pub fn mod97(chars: impl Iterator<Item = char>) -> u32 {
    chars.fold(0u32, |remainder, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        }
    })
}

fn check_country_at(field: FieldPath<'_>, value: &str) -> Result<(), ServerError> {
    if value.is_empty() || screener_lists::countries::is_alpha2(value) {
        return Ok(());
    }
    Err(ServerError::invalid(
        field.to_string(),
        format!(
            "{:?} is not an ISO 3166-1 alpha-2 country code such as \"DE\"",
            truncate(value)
        ),
    ))
}

fn check_currency(field: &str, value: &str) -> Result<(), ServerError> {
    let valid = (2..=10).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric());
    if valid {
        return Ok(());
    }
    Err(ServerError::invalid(
        field,
        format!(
            "{:?} is not an ISO 4217 currency code or asset ticker such as \"EUR\" or \"USDT\"",
            truncate(value)
        ),
    ))
}

/// Rejects an amount with more significant decimal places than its ISO 4217
/// currency has ("12.345" EUR), since the currency cannot settle it.
/// Trailing zeros are allowed ("1000.00" JPY). Other codes, such as crypto
/// asset tickers, are not checked here.
fn check_decimals(field: &str, value: &str, currency: &str) -> Result<(), ServerError> {
    let Some(allowed) = crate::currency::minor_units(currency) else {
        return Ok(());
    };
    let fraction = value
        .trim()
        .split_once('.')
        .map_or("", |(_, fraction)| fraction);
    let places = fraction.trim_end_matches('0').len();
    if places <= allowed as usize {
        return Ok(());
    }
    let places_text = |n: usize| match n {
        0 => "no decimal places".to_owned(),
        1 => "1 decimal place".to_owned(),
        n => format!("{n} decimal places"),
    };
    let round_to = match allowed {
        0 => "whole units".to_owned(),
        n => places_text(n as usize),
    };
    Err(ServerError::invalid(
        field,
        format!(
            "{:?} has {} but {} has {}; round the amount to {round_to}",
            truncate(value.trim()),
            places_text(places),
            currency.to_ascii_uppercase(),
            places_text(allowed as usize)
        ),
    ))
}

/// Parses a decimal amount string such as "1250.00"; rejects negatives,
/// exponents and non-finite values.
pub fn parse_amount(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty; write a decimal such as \"1250.00\"".into());
    }
    let digits_and_dot = text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|&c| c == '.').count() <= 1
        && text.chars().any(|c| c.is_ascii_digit());
    if !digits_and_dot {
        return Err(format!(
            "{:?} is not a non-negative decimal such as \"1250.00\"",
            truncate(text)
        ));
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{:?} is out of range", truncate(text)))
}

/// Cuts a bad value for an error message, so a huge field does not make a
/// huge message.
pub(crate) fn truncate(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        return value.to_string();
    }
    let cut: String = value.chars().take(MAX).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use screener_proto::v1::{Amount, CryptoTransfer, PartyIdentifier, PostalAddress};

    fn valid() -> Transaction {
        Transaction {
            end_to_end_id: "E2E-1".into(),
            instructed_amount: Some(Amount {
                value: "100.50".into(),
                currency: "EUR".into(),
            }),
            debtor: Some(Party {
                name: "Anna Schmidt".into(),
                ..Party::default()
            }),
            ..Transaction::default()
        }
    }

    fn field_of(tx: &Transaction) -> String {
        match check_transaction(tx, &LimitsConfig::default()) {
            Err(ServerError::InvalidArgument { field, .. }) => field,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    fn with_debtor_name(name: &str) -> Transaction {
        let mut tx = valid();
        if let Some(debtor) = tx.debtor.as_mut() {
            debtor.name = name.into();
        }
        tx
    }

    #[test]
    fn nothing_to_screen_rejected() {
        let empty = Transaction {
            end_to_end_id: "E2E-1".into(),
            debtor: Some(Party {
                name: "  ".into(),
                iban: "DE89370400440532013000".into(),
                ..Party::default()
            }),
            ..valid()
        };
        assert_eq!(field_of(&empty), "transaction");
        let only_id = Transaction {
            end_to_end_id: "E2E-1".into(),
            ..Transaction::default()
        };
        assert_eq!(field_of(&only_id), "transaction");

        // Each kind of screenable field alone is enough.
        let mut identifier = empty.clone();
        if let Some(debtor) = identifier.debtor.as_mut() {
            debtor.identifiers.push(PartyIdentifier {
                scheme: "lei".into(),
                value: "529900T8BM49AURSDO55".into(),
                ..PartyIdentifier::default()
            });
        }
        let agent = Transaction {
            creditor_agent: Some(Agent {
                bic: "DEUTDEFF".into(),
                ..Agent::default()
            }),
            ..empty.clone()
        };
        let wallet = Transaction {
            crypto: Some(CryptoTransfer {
                destination_wallet: "0x098B716B8Aaf21512996dC57EB0615e2383E2f96".into(),
                ..CryptoTransfer::default()
            }),
            ..empty.clone()
        };
        for (case, tx) in [
            ("identifier", identifier),
            ("agent", agent),
            ("wallet", wallet),
        ] {
            let result = check_transaction(&tx, &LimitsConfig::default());
            assert!(result.is_ok(), "{case}: {result:?}");
        }
    }

    #[test]
    fn control_characters_are_rejected() {
        for name in [
            "Anna\u{7}Schmidt",
            "Anna\u{7f}",
            "Zoë\u{85}Schmidt",
            "\u{0}",
        ] {
            assert_eq!(field_of(&with_debtor_name(name)), "debtor.name", "{name:?}");
        }
        for name in ["Anna\tSchmidt", "Zoë Schmidt", "Анна Шмидт"] {
            let tx = with_debtor_name(name);
            let result = check_transaction(&tx, &LimitsConfig::default());
            assert!(result.is_ok(), "{name:?}: {result:?}");
        }
    }

    #[test]
    fn iban_check_digits_are_checked() {
        for valid in [
            "DE89370400440532013000",
            "GB82 WEST 1234 5698 7654 32",
            "gb82west12345698765432",
            "  FR1420041010050500013M02606 ",
        ] {
            assert_eq!(iban_problem(valid), None, "{valid}");
        }
        for (invalid, words) in [
            ("DE88370400440532013000", "check digits do not match"),
            ("DE89370400440532013001", "check digits do not match"),
            ("XX89370400440532013000", "country code"),
            ("DE89", "15 to 34"),
            ("DE89-3704-0044-0532-0130-00", "only letters"),
            ("DEAB370400440532013000", "not check digits"),
        ] {
            let problem = iban_problem(invalid);
            assert!(
                problem.is_some_and(|p| p.contains(words)),
                "{invalid}: {problem:?}"
            );
        }
    }

    #[test]
    fn bad_iban_rejects_the_transaction() {
        let mut tx = valid();
        if let Some(debtor) = tx.debtor.as_mut() {
            debtor.iban = "DE88370400440532013000".into();
        }
        assert_eq!(field_of(&tx), "debtor.iban");
        if let Some(debtor) = tx.debtor.as_mut() {
            debtor.iban = "DE89 3704 0044 0532 0130 00".into();
        }
        assert_eq!(check_transaction(&tx, &LimitsConfig::default()), Ok(()));
    }

    #[test]
    fn symbol_only_name_rejected() {
        let mut tx = valid();
        if let Some(debtor) = tx.debtor.as_mut() {
            debtor.name = "!!! ---".into();
        }
        assert_eq!(field_of(&tx), "debtor.name");
        tx.debtor_agent = Some(Agent {
            name: "***".into(),
            ..Agent::default()
        });
        if let Some(debtor) = tx.debtor.as_mut() {
            debtor.name = "Анна 2".into();
        }
        assert_eq!(field_of(&tx), "debtor_agent.name");
        tx.debtor_agent = None;
        assert_eq!(check_transaction(&tx, &LimitsConfig::default()), Ok(()));
    }

    #[test]
    fn oversized_transaction_rejected_alone() {
        let mut tx = valid();
        tx.remittance_information = vec!["x".repeat(1000); 10];
        let limits = LimitsConfig {
            max_message_bytes: 5_000,
            ..LimitsConfig::default()
        };
        match check_transaction(&tx, &limits) {
            Err(ServerError::InvalidArgument { field, reason }) => {
                assert_eq!(field, "transaction");
                assert!(reason.contains("limits.max_message_bytes"), "{reason}");
            }
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
        tx.remittance_information.truncate(2);
        assert_eq!(check_transaction(&tx, &limits), Ok(()));
    }

    #[test]
    fn compact_iban_drops_spaces_and_case() {
        assert_eq!(compact_iban("gb82 west 1234"), "GB82WEST1234");
        assert!(matches!(
            compact_iban("GB82WEST1234"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn valid_transaction_passes() {
        assert_eq!(
            check_transaction(&valid(), &LimitsConfig::default()),
            Ok(())
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut missing_id = valid();
        missing_id.end_to_end_id.clear();
        assert_eq!(field_of(&missing_id), "end_to_end_id");

        let mut bad_amount = valid();
        bad_amount.instructed_amount.as_mut().expect("amount").value = "-5".into();
        assert_eq!(field_of(&bad_amount), "instructed_amount.value");

        let mut long_name = valid();
        long_name.debtor.as_mut().expect("debtor").name = "x".repeat(5000);
        assert_eq!(field_of(&long_name), "debtor.name");

        let mut bad_country = valid();
        bad_country.creditor = Some(Party {
            postal_address: Some(PostalAddress {
                country: "Germany".into(),
                ..PostalAddress::default()
            }),
            ..Party::default()
        });
        assert_eq!(field_of(&bad_country), "creditor.postal_address.country");

        let mut bad_bic = valid();
        bad_bic.debtor_agent = Some(Agent {
            bic: "DEUT".into(),
            ..Agent::default()
        });
        assert_eq!(field_of(&bad_bic), "debtor_agent.bic");

        let mut bad_date = valid();
        bad_date.debtor.as_mut().expect("debtor").birth_date = "12/05/1970".into();
        assert_eq!(field_of(&bad_date), "debtor.birth_date");
    }

    #[test]
    fn nested_field_paths_are_named() {
        let mut bad_line = valid();
        bad_line.creditor = Some(Party {
            postal_address: Some(PostalAddress {
                address_lines: vec!["Main Street 1".into(), "bad\u{7}line".into()],
                ..PostalAddress::default()
            }),
            ..Party::default()
        });
        assert_eq!(
            field_of(&bad_line),
            "creditor.postal_address.address_lines[1]"
        );

        let mut empty_identifier = valid();
        empty_identifier
            .debtor
            .as_mut()
            .expect("debtor")
            .identifiers = vec![
            PartyIdentifier {
                scheme: "LEI".into(),
                value: "529900T8BM49AURSDO55".into(),
                ..PartyIdentifier::default()
            },
            PartyIdentifier {
                scheme: "TAX".into(),
                value: "  ".into(),
                ..PartyIdentifier::default()
            },
        ];
        assert_eq!(field_of(&empty_identifier), "debtor.identifiers[1].value");

        let mut bad_issuer = valid();
        bad_issuer.debtor.as_mut().expect("debtor").identifiers = vec![PartyIdentifier {
            scheme: "TAX".into(),
            value: "12345".into(),
            issuer_country: "DEU".into(),
        }];
        assert_eq!(
            field_of(&bad_issuer),
            "debtor.identifiers[0].issuer_country"
        );

        let mut bad_remittance = valid();
        bad_remittance.remittance_information =
            vec!["Invoice 1".into(), "Invoice 2".into(), "x".repeat(5000)];
        assert_eq!(field_of(&bad_remittance), "remittance_information[2]");

        let mut bad_attribute = valid();
        bad_attribute
            .attributes
            .insert("branch".into(), "line\nbreak".into());
        assert_eq!(field_of(&bad_attribute), "attributes[\"branch\"]");

        let mut unassigned_country = valid();
        unassigned_country
            .debtor
            .as_mut()
            .expect("debtor")
            .nationality = "XX".into();
        assert_eq!(field_of(&unassigned_country), "debtor.nationality");

        let mut bad_agent_country = valid();
        bad_agent_country.creditor_agent = Some(Agent {
            country: "D".into(),
            ..Agent::default()
        });
        assert_eq!(field_of(&bad_agent_country), "creditor_agent.country");
    }

    #[test]
    fn decimals_beyond_currency_are_rejected() {
        let with_amount = |value: &str, currency: &str| {
            let mut tx = valid();
            tx.instructed_amount = Some(Amount {
                value: value.into(),
                currency: currency.into(),
            });
            check_transaction(&tx, &LimitsConfig::default())
        };

        assert_eq!(with_amount("12.34", "EUR"), Ok(()));
        assert_eq!(with_amount("12.340", "EUR"), Ok(()));
        assert_eq!(with_amount("1000.00", "JPY"), Ok(()));
        assert_eq!(with_amount("1.250", "KWD"), Ok(()));
        assert_eq!(with_amount("0.123456789", "ETH"), Ok(()));

        let mut too_fine = valid();
        too_fine.instructed_amount = Some(Amount {
            value: "12.345".into(),
            currency: "EUR".into(),
        });
        assert_eq!(field_of(&too_fine), "instructed_amount.value");

        let yen = with_amount("1000.5", "JPY").expect_err("JPY has no minor unit");
        assert!(
            yen.to_string()
                .contains("has 1 decimal place but JPY has no decimal places; round the amount to whole units"),
            "{yen}"
        );
        let dinar = with_amount("1.2345", "KWD").expect_err("KWD has three");
        assert!(
            dinar
                .to_string()
                .contains("round the amount to 3 decimal places"),
            "{dinar}"
        );
    }

    #[test]
    fn amount_parsing_rejects_exponents() {
        assert_eq!(parse_amount("1250.00"), Ok(1250.0));
        assert!(parse_amount("1e9").is_err());
        assert!(parse_amount("NaN").is_err());
        assert!(parse_amount(".").is_err());
    }
}
