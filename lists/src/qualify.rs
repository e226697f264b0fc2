//! Qualifiers: what a screening call states besides the name (entity kind,
//! birth date, country, gender) moves the name score up or down when both
//! the query and the listed entity state it. A qualifier that only one
//! side states changes nothing.
//!
//! Agreement earns small bonuses and disagreement costs a factor. The
//! penalties stay moderate on purpose: lists and payment data get birth
//! dates and nationalities wrong often enough (a year off, a second
//! nationality) that a strong name match must survive one disagreement.

use serde::Serialize;

use crate::model::{BirthDate, Entity, EntityKind, Gender, PartialDate};

/// Bonus when the query's full birth date equals a listed one.
pub const BIRTH_DATE_EXACT_BONUS: f32 = 0.04;
/// Bonus when the query's birth year falls in a listed birth date or range.
pub const BIRTH_YEAR_BONUS: f32 = 0.02;
/// Factor when the birth years differ by one or two.
pub const BIRTH_YEAR_NEAR_FACTOR: f32 = 0.97;
/// Factor when the birth years differ by three to five.
pub const BIRTH_YEAR_APART_FACTOR: f32 = 0.9;
/// Factor when the birth years differ by six to ten.
pub const BIRTH_DATE_MISMATCH_FACTOR: f32 = 0.85;
/// Factor when the birth years differ by more than ten: a different
/// generation.
pub const BIRTH_DATE_FAR_FACTOR: f32 = 0.78;
/// Bonus when the query's country is among the entity's nationalities
/// or countries.
pub const COUNTRY_BONUS: f32 = 0.02;
/// Factor when it is not.
pub const COUNTRY_MISMATCH_FACTOR: f32 = 0.95;
/// Factor when the genders differ.
pub const GENDER_MISMATCH_FACTOR: f32 = 0.85;
/// Factor when the entity kinds differ (a person against a vessel).
pub const KIND_MISMATCH_FACTOR: f32 = 0.6;

/// The largest sum of bonuses one hit can receive; candidate search uses
/// it to bound what a partly matched name can still reach.
pub const MAX_BONUS: f32 = BIRTH_DATE_EXACT_BONUS + COUNTRY_BONUS;

/// The facts a query states besides the name.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct QueryFacts<'a> {
    pub kind: Option<EntityKind>,
    pub birth_date: Option<PartialDate>,
    /// ISO 3166-1 alpha-2, any case.
    pub country: Option<&'a str>,
    pub gender: Option<Gender>,
}

/// The change a score part made to the score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Multiply(f64),
    Add(f64),
}

/// One penalty or qualifier applied to a hit, with its effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjustment {
    pub reason: String,
    pub effect: Effect,
}

/// Combined effect of the qualifiers: multiply by `factor`, then add
/// `bonus`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Qualification {
    pub factor: f32,
    pub bonus: f32,
}

/// Applies every qualifier that both sides state. With `explain`, each
/// applied one is described there.
pub(crate) fn qualify(
    facts: &QueryFacts<'_>,
    entity: &Entity,
    mut explain: Option<&mut Vec<Adjustment>>,
) -> Qualification {
    let mut result = Qualification {
        factor: 1.0,
        bonus: 0.0,
    };
    let mut apply = |reason: &dyn Fn() -> String, effect: Effect| {
        match effect {
            Effect::Multiply(f) => result.factor *= f as f32,
            Effect::Add(b) => result.bonus += b as f32,
        }
        if let Some(out) = explain.as_deref_mut() {
            out.push(Adjustment {
                reason: reason(),
                effect,
            });
        }
    };

    if let Some(kind) = facts.kind {
        if kinds_conflict(kind, entity.kind) {
            let reason = || {
                format!(
                    "kind differs: query {}, listed {}",
                    kind.as_str(),
                    entity.kind.as_str()
                )
            };
            apply(&reason, Effect::Multiply(KIND_MISMATCH_FACTOR.into()));
        }
    }
    if let Some(date) = facts.birth_date {
        if let Some((verdict, listed)) = closest_birth_date(date, &entity.birth_dates) {
            apply(&|| verdict.describe(date, listed), verdict.effect());
        }
    }
    if let Some(country) = facts.country.map(str::trim) {
        if let Some(listed) = country_listed(country, entity) {
            apply(
                &|| describe_country(country, listed, entity),
                country_effect(listed),
            );
        }
    }
    if let (Some(query), Some(listed)) = (facts.gender, entity.gender) {
        if query != listed {
            let reason =
                || format!("gender differs: query {query:?}, listed {listed:?}").to_lowercase();
            apply(&reason, Effect::Multiply(GENDER_MISMATCH_FACTOR.into()));
        }
    }
    result
}

fn kinds_conflict(query: EntityKind, listed: EntityKind) -> bool {
    query != listed && query != EntityKind::Unknown && listed != EntityKind::Unknown
}

/// The comparison of a query birth date with the closest listed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateVerdict {
    SameDay,
    SameYear,
    /// Years apart by one or two.
    Near(u16),
    /// Years apart by three to five.
    Apart(u16),
    /// Years apart by six to ten.
    Mismatch(u16),
    /// Years apart by more than ten.
    Far(u16),
}

impl DateVerdict {
    fn effect(self) -> Effect {
        match self {
            DateVerdict::SameDay => Effect::Add(BIRTH_DATE_EXACT_BONUS.into()),
            DateVerdict::SameYear => Effect::Add(BIRTH_YEAR_BONUS.into()),
            DateVerdict::Near(_) => Effect::Multiply(BIRTH_YEAR_NEAR_FACTOR.into()),
            DateVerdict::Apart(_) => Effect::Multiply(BIRTH_YEAR_APART_FACTOR.into()),
            DateVerdict::Mismatch(_) => Effect::Multiply(BIRTH_DATE_MISMATCH_FACTOR.into()),
            DateVerdict::Far(_) => Effect::Multiply(BIRTH_DATE_FAR_FACTOR.into()),
        }
    }

    fn describe(self, query: PartialDate, listed: &BirthDate) -> String {
        let listed = describe_date(listed);
        match self {
            DateVerdict::SameDay => format!("birth date {query} matches {listed}"),
            DateVerdict::SameYear => format!("birth year {} matches {listed}", query.year),
            DateVerdict::Near(years)
            | DateVerdict::Apart(years)
            | DateVerdict::Mismatch(years)
            | DateVerdict::Far(years) => {
                format!("birth date {query} is {years} years from {listed}")
            }
        }
    }
}

/// Compares a query birth date with the listed ones; the closest listed
/// date decides. Approximate listed dates ("circa 1970") count as a year
/// wider on each side.
fn closest_birth_date(
    query: PartialDate,
    listed: &[BirthDate],
) -> Option<(DateVerdict, &BirthDate)> {
    let (distance, date) = listed
        .iter()
        .map(|b| (year_distance(query.year, b), b))
        .min_by_key(|(distance, _)| *distance)?;
    let verdict = match distance {
        0 if same_day(query, date) => DateVerdict::SameDay,
        0 => DateVerdict::SameYear,
        1 | 2 => DateVerdict::Near(distance),
        3..=5 => DateVerdict::Apart(distance),
        6..=10 => DateVerdict::Mismatch(distance),
        _ => DateVerdict::Far(distance),
    };
    Some((verdict, date))
}

fn year_distance(year: u16, date: &BirthDate) -> u16 {
    let slack = u16::from(date.approximate);
    let from = date.from.year.saturating_sub(slack);
    let to = date.to.map_or(date.from.year, |t| t.year) + slack;
    if year < from {
        from - year
    } else {
        year.saturating_sub(to)
    }
}

fn same_day(query: PartialDate, listed: &BirthDate) -> bool {
    listed.to.is_none()
        && query.month.is_some()
        && query.day.is_some()
        && query.month == listed.from.month
        && query.day == listed.from.day
}

fn describe_date(date: &BirthDate) -> String {
    match date.to {
        Some(to) => format!("listed {} to {}", date.from, to),
        None if date.approximate => format!("listed circa {}", date.from),
        None => format!("listed {}", date.from),
    }
}

/// Tells whether the entity lists the country among its nationalities or
/// countries; `None` when it states none.
fn country_listed(country: &str, entity: &Entity) -> Option<bool> {
    let mut stated = entity
        .nationalities
        .iter()
        .chain(&entity.countries)
        .peekable();
    stated.peek()?;
    Some(stated.any(|c| c.eq_ignore_ascii_case(country)))
}

fn country_effect(listed: bool) -> Effect {
    if listed {
        Effect::Add(COUNTRY_BONUS.into())
    } else {
        Effect::Multiply(COUNTRY_MISMATCH_FACTOR.into())
    }
}

fn describe_country(country: &str, listed: bool, entity: &Entity) -> String {
    let country = country.to_ascii_uppercase();
    if listed {
        return format!("country {country} is listed");
    }
    let stated: Vec<&str> = entity
        .nationalities
        .iter()
        .chain(&entity.countries)
        .map(String::as_str)
        .collect();
    format!(
        "country {country} is not among listed {}",
        stated.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person_born(year: u16, month: Option<u8>, day: Option<u8>) -> Entity {
        let mut entity = Entity::new("test", "1", EntityKind::Person);
        let date = PartialDate::new(year, month, day).expect("valid date");
        entity.birth_dates.push(BirthDate::exact(date));
        entity.nationalities.push("AF".into());
        entity
    }

    fn facts(date: Option<PartialDate>, country: Option<&str>) -> QueryFacts<'_> {
        QueryFacts {
            birth_date: date,
            country,
            ..QueryFacts::default()
        }
    }

    #[test]
    fn exact_birth_date_adds_bonus() {
        let entity = person_born(1965, Some(3), Some(4));
        let date = PartialDate::new(1965, Some(3), Some(4));
        let q = qualify(&facts(date, None), &entity, None);
        assert_eq!(q.bonus, BIRTH_DATE_EXACT_BONUS);
        assert_eq!(q.factor, 1.0);
    }

    #[test]
    fn distant_birth_year_costs_factor() {
        let entity = person_born(1965, None, None);
        let factor =
            |year| qualify(&facts(Some(PartialDate::year(year)), None), &entity, None).factor;
        assert_eq!(factor(1966), BIRTH_YEAR_NEAR_FACTOR);
        assert_eq!(factor(1960), BIRTH_YEAR_APART_FACTOR);
        assert_eq!(factor(1972), BIRTH_DATE_MISMATCH_FACTOR);
        assert_eq!(factor(1980), BIRTH_DATE_FAR_FACTOR);
    }

    #[test]
    fn range_contains_year() {
        let mut entity = Entity::new("test", "1", EntityKind::Person);
        entity.birth_dates.push(BirthDate {
            from: PartialDate::year(1960),
            to: Some(PartialDate::year(1962)),
            approximate: false,
        });
        let q = qualify(&facts(Some(PartialDate::year(1961)), None), &entity, None);
        assert_eq!(q.bonus, BIRTH_YEAR_BONUS);
    }

    #[test]
    fn country_compares_any_case() {
        let entity = person_born(1965, None, None);
        let mut explained = Vec::new();
        let q = qualify(&facts(None, Some("af")), &entity, Some(&mut explained));
        assert_eq!(q.bonus, COUNTRY_BONUS);
        assert_eq!(explained.len(), 1);
        let q = qualify(&facts(None, Some("DE")), &entity, None);
        assert_eq!(q.factor, COUNTRY_MISMATCH_FACTOR);
    }

    #[test]
    fn unstated_side_changes_nothing() {
        let entity = Entity::new("test", "1", EntityKind::Unknown);
        let q = qualify(
            &QueryFacts {
                kind: Some(EntityKind::Person),
                birth_date: Some(PartialDate::year(1970)),
                country: Some("AF"),
                gender: Some(Gender::Male),
            },
            &entity,
            None,
        );
        assert_eq!(
            q,
            Qualification {
                factor: 1.0,
                bonus: 0.0
            }
        );
    }
}
