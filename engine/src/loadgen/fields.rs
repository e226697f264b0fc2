//! Payment fields other than names and wallets: amounts, currencies,
//! accounts (IBANs with valid check digits), BICs, purpose codes,
//! remittance texts and transaction hashes.

use rand::seq::IndexedRandom;
use rand::Rng;

/// Share of amounts drawn just under 10,000, the reporting threshold that
/// structured payments stay below.
const JUST_UNDER_THRESHOLD_SHARE: f64 = 0.03;

/// Median of the log-normal amount distribution, in currency units.
const AMOUNT_MEDIAN: f64 = 250.0;

/// Standard deviation of the amount's natural logarithm.
const AMOUNT_LOG_SIGMA: f64 = 1.4;

/// Largest amount drawn; the log-normal tail is cut here.
const AMOUNT_MAX: f64 = 5_000_000.0;

/// Currencies of the instructed amount with their weights.
const CURRENCIES: [(&str, u32); 9] = [
    ("EUR", 38),
    ("USD", 34),
    ("GBP", 10),
    ("CHF", 5),
    ("AED", 4),
    ("SGD", 3),
    ("HKD", 2),
    ("TRY", 2),
    ("JPY", 2),
];

/// ISO 20022 external purpose codes seen on retail and business payments.
const PURPOSE_CODES: [&str; 9] = [
    "SALA", "SUPP", "GDDS", "SCVE", "TRAD", "INTC", "LOAN", "RENT", "OTHR",
];

/// IBAN countries and the layout of their basic bank account number:
/// a count and a kind, `n` digits, `a` upper-case letters, `c` either.
const IBAN_LAYOUTS: [(&str, &str); 20] = [
    ("AT", "16n"),
    ("BE", "12n"),
    ("CH", "5n12c"),
    ("DE", "18n"),
    ("DK", "14n"),
    ("ES", "20n"),
    ("FI", "14n"),
    ("FR", "10n11c2n"),
    ("GB", "4a14n"),
    ("IE", "4a14n"),
    ("IT", "1a10n12c"),
    ("NL", "4a10n"),
    ("NO", "11n"),
    ("PL", "24n"),
    ("PT", "21n"),
    ("SE", "20n"),
    ("AE", "3n16n"),
    ("SA", "2n18c"),
    ("TR", "5n1n16c"),
    ("QA", "4a21c"),
];

/// Draws an amount in `currency` as a decimal string with the currency's
/// decimal places (two for codes that are not ISO 4217).
pub fn amount(rng: &mut impl Rng, currency: &str) -> String {
    let value = if rng.random_bool(JUST_UNDER_THRESHOLD_SHARE) {
        9_000.0 + f64::from(rng.random_range(0..100_000u32)) / 100.0
    } else {
        let log_value = AMOUNT_MEDIAN.ln() + AMOUNT_LOG_SIGMA * standard_normal(rng);
        log_value.exp().clamp(1.0, AMOUNT_MAX)
    };
    let places = crate::currency::minor_units(currency).unwrap_or(2) as usize;
    format!("{value:.places$}")
}

/// Draws from the standard normal distribution (Box-Muller transform).
fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub fn currency(rng: &mut impl Rng) -> &'static str {
    CURRENCIES
        .choose_weighted(rng, |(_, weight)| *weight)
        .map_or("EUR", |(code, _)| code)
}

pub fn purpose_code(rng: &mut impl Rng) -> &'static str {
    PURPOSE_CODES.choose(rng).copied().unwrap_or("OTHR")
}

/// Draws an IBAN with valid check digits for `country`, or None when the
/// country is not in the layout table (then the caller uses an account id).
pub fn iban(country: &str, rng: &mut impl Rng) -> Option<String> {
    let (_, layout) = IBAN_LAYOUTS.iter().find(|(code, _)| *code == country)?;
    let bban = expand_layout(layout, rng);
    let check = iban_check_digits(country, &bban);
    Some(format!("{country}{check:02}{bban}"))
}

/// Draws a domestic account number of 12 digits.
pub fn account_id(rng: &mut impl Rng) -> String {
    (0..12)
        .map(|_| char::from(b'0' + rng.random_range(0..10)))
        .collect()
}

fn expand_layout(layout: &str, rng: &mut impl Rng) -> String {
    let mut bban = String::new();
    let mut count = 0usize;
    for c in layout.chars() {
        if let Some(digit) = c.to_digit(10) {
            count = count * 10 + digit as usize;
            continue;
        }
        for _ in 0..count {
            bban.push(random_char(c, rng));
        }
        count = 0;
    }
    bban
}

fn random_char(kind: char, rng: &mut impl Rng) -> char {
    let letter = kind == 'a' || (kind == 'c' && rng.random_bool(0.3));
    if letter {
        char::from(b'A' + rng.random_range(0..26))
    } else {
        char::from(b'0' + rng.random_range(0..10))
    }
}

/// Computes the ISO 13616 check digits: 98 minus the remainder modulo 97
/// of the account number followed by the country and "00", with letters
/// read as 10 to 35.
pub fn iban_check_digits(country: &str, bban: &str) -> u32 {
    let rearranged = bban.chars().chain(country.chars()).chain("00".chars());
    98 - crate::validate::mod97(rearranged)
}

/// Draws a BIC for a bank in `country`: four letters of bank code, the
/// country, a two-character location and, one time in three, a branch.
pub fn bic(country: &str, rng: &mut impl Rng) -> String {
    let mut code: String = (0..4)
        .map(|_| char::from(b'A' + rng.random_range(0..26)))
        .collect();
    code.push_str(country);
    code.push(char::from(b'A' + rng.random_range(0..26)));
    code.push(char::from(b'0' + rng.random_range(0..10)));
    if rng.random_bool(1.0 / 3.0) {
        code.push_str("XXX");
    }
    code
}

/// Draws a remittance text, or nothing four times in ten.
pub fn remittance(rng: &mut impl Rng) -> Vec<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let number: u32 = rng.random_range(10_000..1_000_000);
    let text = match rng.random_range(0..10) {
        0..4 => return Vec::new(),
        4 | 5 => format!("Invoice INV-{number}"),
        6 => format!("Order {number}"),
        7 => format!("Rent {}", MONTHS[rng.random_range(0..12)]),
        8 => format!("Consulting fee Q{}", rng.random_range(1..=4)),
        _ => "Family support".to_string(),
    };
    vec![text]
}

/// Draws a 32-byte transaction hash as hex, with 0x on EVM chains.
pub fn transaction_hash(chain: &str, rng: &mut impl Rng) -> String {
    let digits = hex::encode(rng.random::<[u8; 32]>());
    if chain == "ethereum" {
        format!("0x{digits}")
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn iban_check_digits_known_examples() {
        // The examples of the IBAN registry for the UK and Germany.
        assert_eq!(iban_check_digits("GB", "WEST12345698765432"), 82);
        assert_eq!(iban_check_digits("DE", "370400440532013000"), 89);
    }

    #[test]
    fn drawn_ibans_verify_modulo_97() {
        let mut rng = StdRng::seed_from_u64(2);
        for (country, _) in IBAN_LAYOUTS {
            let iban = iban(country, &mut rng).expect("country in table");
            let rearranged: String = iban[4..].chars().chain(iban[..4].chars()).collect();
            let mut remainder = 0u64;
            for c in rearranged.chars() {
                let value = u64::from(c.to_digit(36).expect("alphanumeric"));
                let width = if value >= 10 { 100 } else { 10 };
                remainder = (remainder * width + value) % 97;
            }
            assert_eq!(remainder, 1, "{iban}");
        }
        assert_eq!(iban("US", &mut rng), None);
    }

    #[test]
    fn amounts_are_positive_decimals_with_some_just_under_10000() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut just_under = 0;
        for _ in 0..10_000 {
            let text = amount(&mut rng, "EUR");
            let value: f64 = text.parse().expect("decimal");
            assert!((1.0..=AMOUNT_MAX).contains(&value), "{text}");
            assert_eq!(text.split('.').nth(1).map(str::len), Some(2), "{text}");
            let yen = amount(&mut rng, "JPY");
            assert!(!yen.contains('.'), "{yen}");
            if (9_000.0..10_000.0).contains(&value) {
                just_under += 1;
            }
        }
        // 3% are drawn in that band on purpose; the log-normal adds some.
        assert!(just_under > 200, "{just_under} amounts in 9,000-9,999.99");
    }

    #[test]
    fn bics_have_the_iso_9362_shape() {
        let mut rng = StdRng::seed_from_u64(6);
        for _ in 0..100 {
            let code = bic("DE", &mut rng);
            assert!(matches!(code.len(), 8 | 11), "{code}");
            assert!(code[..6].chars().all(|c| c.is_ascii_alphabetic()), "{code}");
            assert_eq!(&code[4..6], "DE");
        }
    }
}
