//! Dates in sdn_advanced.xml. A birth date is a DatePeriod whose Start and
//! End bound the possible days: a known day has Start = End, a year alone
//! runs from 1 January to 31 December, a month alone from its first to its
//! last day, and a range ("1955 to 1957") from the first day of the first
//! year to the last day of the last.

use crate::formats::xml::XmlElement;
use crate::model::{BirthDate, PartialDate};

/// A calendar day as the file writes it, with month and day optional.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Day {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

/// Reads an element with Year, Month and Day children (a Date, From or To).
fn day_of(element: XmlElement) -> Option<Day> {
    let number = |name: &str| {
        element
            .child_value(name)
            .and_then(|v| v.parse::<u16>().ok())
    };
    Some(Day {
        year: number("Year")?,
        month: number("Month").and_then(|m| u8::try_from(m).ok()),
        day: number("Day").and_then(|d| u8::try_from(d).ok()),
    })
}

/// Reads a Date element as a partial date.
pub(super) fn date_of(element: XmlElement) -> Option<PartialDate> {
    let day = day_of(element)?;
    PartialDate::new(day.year, day.month, day.day)
}

/// Reads a birth-date DatePeriod, reducing it to the precision it states.
pub(super) fn birth_date(period: XmlElement) -> Option<BirthDate> {
    let start = period.child("Start");
    let end = period.child("End");
    let approximate = [start, end]
        .iter()
        .flatten()
        .any(|bound| bound.attr("Approximate").is_some_and(|a| a == "true"));

    let first = start.and_then(|s| s.child("From").or_else(|| s.child("To")))?;
    let last = end
        .and_then(|e| e.child("To").or_else(|| e.child("From")))
        .or_else(|| start.and_then(|s| s.child("To")))
        .unwrap_or(first);
    let (first, last) = (day_of(first)?, day_of(last)?);

    let (from, to) = reduce(first, last);
    let from = PartialDate::new(from.year, from.month, from.day)?;
    let to = PartialDate::new(to.year, to.month, to.day)?;
    Some(BirthDate {
        from,
        to: (to != from).then_some(to),
        approximate,
    })
}

/// Drops the day when the period spans whole months, and the month too
/// when it spans whole years.
fn reduce(first: Day, last: Day) -> (Day, Day) {
    let whole_months = first.day == Some(1)
        && matches!((last.month, last.day), (Some(m), Some(d)) if d == days_in_month(last.year, m));
    if !whole_months {
        return (first, last);
    }
    let whole_years = first.month == Some(1) && last.month == Some(12);
    let strip = |day: Day| Day {
        year: day.year,
        month: if whole_years { None } else { day.month },
        day: None,
    };
    (strip(first), strip(last))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::xml::{XmlReader, XmlTree};
    use std::path::Path;

    fn period(
        start: (u16, u8, u8, u16, u8, u8),
        end: (u16, u8, u8, u16, u8, u8),
        approximate: bool,
    ) -> String {
        let day =
            |y: u16, m: u8, d: u8| format!("<Year>{y}</Year><Month>{m}</Month><Day>{d}</Day>");
        format!(
            "<DatePeriod><Start Approximate=\"{approximate}\"><From>{}</From><To>{}</To></Start>\
             <End Approximate=\"{approximate}\"><From>{}</From><To>{}</To></End></DatePeriod>",
            day(start.0, start.1, start.2),
            day(start.3, start.4, start.5),
            day(end.0, end.1, end.2),
            day(end.3, end.4, end.5),
        )
    }

    fn read(xml: &str) -> Option<BirthDate> {
        let mut reader = XmlReader::new(xml, Path::new("t.xml"), "test");
        let start = reader.next_start().expect("read").expect("root");
        let mut tree = XmlTree::default();
        let element = reader.read_children(start, &mut tree).expect("element");
        birth_date(element)
    }

    fn shown(date: Option<BirthDate>) -> String {
        let date = date.expect("a birth date");
        let to = date.to.map(|t| format!(" to {t}")).unwrap_or_default();
        let circa = if date.approximate { "circa " } else { "" };
        format!("{circa}{}{to}", date.from)
    }

    #[test]
    fn periods_reduce_to_stated_precision() {
        let cases = [
            (
                period(
                    (1948, 12, 10, 1948, 12, 10),
                    (1948, 12, 10, 1948, 12, 10),
                    false,
                ),
                "1948-12-10",
            ),
            (
                period(
                    (1946, 1, 1, 1946, 1, 1),
                    (1946, 12, 31, 1946, 12, 31),
                    false,
                ),
                "1946",
            ),
            (
                period((1938, 9, 1, 1938, 9, 1), (1938, 9, 30, 1938, 9, 30), false),
                "1938-09",
            ),
            (
                period(
                    (1955, 1, 1, 1955, 12, 31),
                    (1957, 1, 1, 1957, 12, 31),
                    false,
                ),
                "1955 to 1957",
            ),
            (
                period((1962, 3, 1, 1962, 3, 31), (1963, 2, 1, 1963, 2, 28), false),
                "1962-03 to 1963-02",
            ),
            (
                period((1951, 1, 1, 1951, 1, 1), (1951, 12, 31, 1951, 12, 31), true),
                "circa 1951",
            ),
            (
                period(
                    (1979, 12, 31, 1979, 12, 31),
                    (1979, 12, 31, 1979, 12, 31),
                    false,
                ),
                "1979-12-31",
            ),
            (
                period((1958, 1, 1, 1958, 1, 1), (1958, 1, 1, 1958, 1, 1), false),
                "1958-01-01",
            ),
        ];
        for (xml, expected) in cases {
            assert_eq!(shown(read(&xml)), expected, "{xml}");
        }
    }

    #[test]
    fn start_only_period_reads() {
        let xml = "<DatePeriod><Start><From><Year>1970</Year><Month>2</Month><Day>3</Day></From></Start></DatePeriod>";
        assert_eq!(shown(read(xml)), "1970-02-03");
    }

    #[test]
    fn period_without_year_is_none() {
        assert_eq!(
            read("<DatePeriod><Start><From><Month>2</Month></From></Start></DatePeriod>"),
            None
        );
    }
}
