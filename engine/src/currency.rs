//! ISO 4217 currencies and their minor units (decimal places).

// Each table is sorted, so that a code is found by binary search.

/// Codes of active ISO 4217 currencies with no minor unit.
const ZERO_DECIMALS: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];

/// Codes of active ISO 4217 currencies with three decimal places.
const THREE_DECIMALS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// Codes of active ISO 4217 currencies with four decimal places.
const FOUR_DECIMALS: [&str; 2] = ["CLF", "UYW"];

/// Codes of ISO 4217 currencies with two decimal places, with the recently
/// withdrawn ANG, CUC, HRK, SLL and ZWL.
const TWO_DECIMALS: [&str; 144] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
    "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS",
    "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD",
    "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP",
    "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
    "ZWL",
];

/// Returns the decimal places of an ISO 4217 currency code in any case, or
/// `None` for any other code (a crypto asset ticker, a precious metal, a
/// typo).
///
/// Recently withdrawn codes (ANG, CUC, HRK, SLL, ZWL) still count, since
/// old payments keep arriving in them.
pub fn minor_units(code: &str) -> Option<u32> {
    let bytes = code.as_bytes();
    if bytes.len() != 3 {
        return None;
    }
    let upper = [
        bytes[0].to_ascii_uppercase(),
        bytes[1].to_ascii_uppercase(),
        bytes[2].to_ascii_uppercase(),
    ];
    let upper = std::str::from_utf8(&upper).ok()?;
    let tables: [(&[&str], u32); 4] = [
        (&TWO_DECIMALS, 2),
        (&ZERO_DECIMALS, 0),
        (&THREE_DECIMALS, 3),
        (&FOUR_DECIMALS, 4),
    ];
    tables
        .into_iter()
        .find(|(codes, _)| codes.binary_search(&upper).is_ok())
        .map(|(_, units)| units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_by_code() {
        assert_eq!(minor_units("EUR"), Some(2));
        assert_eq!(minor_units("JPY"), Some(0));
        assert_eq!(minor_units("KWD"), Some(3));
        assert_eq!(minor_units("CLF"), Some(4));
        assert_eq!(minor_units("USDT"), None);
        assert_eq!(minor_units("eur"), Some(2));
    }

    #[test]
    fn tables_are_sorted() {
        for table in [
            &ZERO_DECIMALS[..],
            &TWO_DECIMALS,
            &THREE_DECIMALS,
            &FOUR_DECIMALS,
        ] {
            assert!(table.windows(2).all(|pair| pair[0] < pair[1]), "{table:?}");
        }
    }

    #[test]
    fn no_code_is_in_two_tables() {
        let all: Vec<&str> = ZERO_DECIMALS
            .iter()
            .chain(&TWO_DECIMALS)
            .chain(&THREE_DECIMALS)
            .chain(&FOUR_DECIMALS)
            .copied()
            .collect();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
    }
}
