//! Date forms that the loaders read besides ISO 8601: day-first and
//! month-first numeric dates, and English month names.

use crate::model::PartialDate;

/// The order of day and month in a numeric date with slashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlashOrder {
    /// dd/mm/yyyy, as UK lists write dates.
    DayFirst,
    /// mm/dd/yyyy, as US lists write dates.
    MonthFirst,
}

/// Parses "dd/mm/yyyy" (or "mm/dd/yyyy"), "mm/yyyy" or "yyyy". A day or
/// month written "00" is unknown.
pub(crate) fn parse_slash_date(text: &str, order: SlashOrder) -> Option<PartialDate> {
    let parts: Vec<&str> = text.trim().split('/').map(str::trim).collect();
    let number = |part: &str| -> Option<u16> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (day, month, year) = match (parts.as_slice(), order) {
        ([year], _) => (0, 0, number(year)?),
        ([month, year], _) => (0, number(month)?, number(year)?),
        ([day, month, year], SlashOrder::DayFirst) => (number(day)?, number(month)?, number(year)?),
        ([month, day, year], SlashOrder::MonthFirst) => {
            (number(day)?, number(month)?, number(year)?)
        }
        _ => return None,
    };
    let month = u8::try_from(month).ok()?;
    let day = u8::try_from(day).ok()?;
    let month = (month != 0).then_some(month);
    let day = (day != 0 && month.is_some()).then_some(day);
    PartialDate::new(year, month, day)
}

/// Parses "1960", "Feb 1952", "01 Jul 1960" or an ISO date.
pub(crate) fn parse_english_date(text: &str) -> Option<PartialDate> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [single] => PartialDate::parse_iso(single),
        [month, year] => PartialDate::new(year.parse().ok()?, Some(month_number(month)?), None),
        [day, month, year] => PartialDate::new(
            year.parse().ok()?,
            Some(month_number(month)?),
            Some(day.parse().ok()?),
        ),
        _ => None,
    }
}

/// Returns the ISO form "YYYY-MM-DD" of a date whose day is known.
pub(crate) fn full_iso(date: PartialDate) -> Option<String> {
    date.day.map(|_| date.to_string())
}

fn month_number(name: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let key = name.trim_end_matches('.').to_ascii_lowercase();
    let prefix = key.get(..3)?;
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    u8::try_from(index + 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_dates_read_zero_as_unknown() {
        let date = parse_slash_date("00/00/1970", SlashOrder::DayFirst).expect("year");
        assert_eq!(date.to_string(), "1970");
        let date = parse_slash_date("00/05/1970", SlashOrder::DayFirst).expect("month");
        assert_eq!(date.to_string(), "1970-05");
        let date = parse_slash_date("12/07/1965", SlashOrder::DayFirst).expect("day");
        assert_eq!(date.to_string(), "1965-07-12");
        let date = parse_slash_date("12/07/1965", SlashOrder::MonthFirst).expect("day");
        assert_eq!(date.to_string(), "1965-12-07");
        let date = parse_slash_date("09/1962", SlashOrder::DayFirst).expect("month");
        assert_eq!(date.to_string(), "1962-09");
    }

    #[test]
    fn slash_dates_reject_garbage() {
        assert_eq!(parse_slash_date("31/13/1970", SlashOrder::DayFirst), None);
        assert_eq!(parse_slash_date("1970-01-01", SlashOrder::DayFirst), None);
        assert_eq!(parse_slash_date("", SlashOrder::DayFirst), None);
        assert_eq!(parse_slash_date("+1/01/1970", SlashOrder::DayFirst), None);
    }

    #[test]
    fn english_dates_parse() {
        let date = parse_english_date("01 Jul 1960").expect("day");
        assert_eq!(date.to_string(), "1960-07-01");
        let date = parse_english_date("Feb 1952").expect("month");
        assert_eq!(date.to_string(), "1952-02");
        assert_eq!(parse_english_date("Someday 1952"), None);
    }
}
