//! Accuracy of name screening, measured on the evaluation set: listed
//! persons as published (exact positives), the same persons with realistic
//! damage (perturbed positives), and made-up persons who are not listed
//! (negatives), each screened the way a real call would screen them: name,
//! birth date, nationality and gender where the row has them.
//!
//! The evaluation files have no entity id, so the right entry of a positive
//! is found independently of the matcher: the entries of the list whose
//! primary name normalizes to the same tokens as the exact row's full name
//! (in the same order). Two rules set rows apart, each counted on its own:
//!
//! - an exact row whose name is no entry's primary name is "not on this
//!   list version"; it and its perturbed row leave every denominator;
//! - a perturbed row whose name normalizes exactly to a name of another
//!   listed entry, and to no name of its own entry, "names another listed
//!   person"; it counts as found when that other entry is hit, and is
//!   reported apart from the perturbed rate.

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::countries::country_code;
use crate::error::ListError;
use crate::matcher::{NameQuery, NameResult, DEFAULT_THRESHOLD};
use crate::model::{Gender, PartialDate};
use crate::normalize::{normalize, NormalizedName};
use crate::snapshot::Snapshot;

/// The thresholds the report sweeps, besides the default.
pub const SWEEP: [f64; 6] = [0.70, 0.75, 0.80, 0.85, 0.90, 0.95];

/// One person row of an evaluation file.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// 1-based row number after the header.
    pub row: usize,
    pub full_name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<PartialDate>,
    /// ISO alpha-2, mapped from the row's code or country name.
    pub country: Option<String>,
}

impl EvalRow {
    /// Builds the screening call a real caller would make for this person.
    pub fn query(&self, threshold: f64) -> NameQuery {
        NameQuery {
            name: self.full_name.clone(),
            kind: Some(crate::model::EntityKind::Person),
            birth_date: self.birth_date,
            country: self.country.clone(),
            gender: self.gender,
            threshold: Some(threshold),
            top_k: Some(50),
            ..NameQuery::default()
        }
    }
}

/// The three evaluation files.
#[derive(Debug, Clone)]
pub struct EvalSet {
    pub exact: Vec<EvalRow>,
    pub perturbed: Vec<EvalRow>,
    pub negative: Vec<EvalRow>,
}

impl EvalSet {
    /// Reads the evaluation files from a folder holding them.
    pub fn read(folder: &Path) -> Result<EvalSet, ListError> {
        Ok(EvalSet {
            exact: read_rows(&folder.join("un_persons_positive_exact.csv"))?,
            perturbed: read_rows(&folder.join("un_persons_positive_perturbed.csv"))?,
            negative: read_rows(&folder.join("persons_negative_global.csv"))?,
        })
    }
}

/// Reads one evaluation CSV (header full_name, first_name, middle_name,
/// last_name, gender, date_of_birth, place_of_birth, nationality).
pub fn read_rows(path: &Path) -> Result<Vec<EvalRow>, ListError> {
    let invalid = |reason: String| ListError::Invalid {
        path: path.to_path_buf(),
        format: "evaluation csv",
        reason,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(source) => ListError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => invalid(format!("{other:?}")),
    })?;
    let headers = reader
        .headers()
        .map_err(|e| invalid(e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            invalid(format!(
                "missing column {name}; expected the evaluation header"
            ))
        })
    };
    let (name, gender, birth, nationality) = (
        column("full_name")?,
        column("gender")?,
        column("date_of_birth")?,
        column("nationality")?,
    );
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(format!("line {}: {e}", i + 2)))?;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        rows.push(EvalRow {
            row: i + 1,
            full_name: field(name).to_string(),
            gender: parse_gender(field(gender)),
            birth_date: PartialDate::parse_iso(field(birth)),
            country: parse_country(field(nationality)),
        });
    }
    Ok(rows)
}

fn parse_gender(text: &str) -> Option<Gender> {
    match text.to_ascii_lowercase().as_str() {
        "male" | "m" => Some(Gender::Male),
        "female" | "f" => Some(Gender::Female),
        _ => None,
    }
}

/// Maps a nationality to alpha-2. The positives write lower-case alpha-2
/// codes ("af"), the negatives country names ("Afghanistan").
fn parse_country(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let code = if text.len() == 2 {
        text.to_ascii_uppercase()
    } else {
        text.to_string()
    };
    country_code(&code).map(str::to_string)
}

/// Counts at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdRow {
    pub threshold: f64,
    /// Exact positives whose right entry was hit.
    pub exact_found: usize,
    /// Perturbed positives whose right entry was hit.
    pub perturbed_found: usize,
    /// Perturbed rows that name another listed person, and hit that person.
    pub other_person_found: usize,
    /// Negatives that raised any hit.
    pub negatives_alerted: usize,
}

/// The whole measurement.
#[derive(Debug, Clone, Serialize)]
pub struct AccuracyReport {
    pub default_threshold: f64,
    /// Exact positives on this list version (the denominator).
    pub exact_total: usize,
    /// Perturbed positives whose exact row is on this list version.
    pub perturbed_total: usize,
    /// Exact rows naming no entry's primary name, by row number.
    pub not_listed_rows: Vec<usize>,
    /// Perturbed rows naming another listed person, by row number.
    pub other_person_rows: Vec<usize>,
    pub negatives_total: usize,
    pub rows: Vec<ThresholdRow>,
    /// Per-query latency at the default threshold, over every row of the
    /// three files, in microseconds: the fastest of three runs of each
    /// query.
    pub latency_median_us: f64,
    pub latency_p99_us: f64,
    /// The same, from the first run alone: each query timed once, in file
    /// order, on a snapshot that had screened nothing before, as a peer
    /// tool timing one pass over the same queries would measure it.
    pub first_run_median_us: f64,
    pub first_run_p99_us: f64,
    /// Perturbed rows missed at the default threshold, for inspection.
    pub perturbed_missed: Vec<usize>,
    /// Negative rows alerted at the default threshold.
    pub negatives_alerted_rows: Vec<usize>,
}

/// Best scores of one positive row: of its right entries, and of the
/// entry it names instead (for rows that name another person).
#[derive(Debug, Clone, Copy, Default)]
struct PositiveScores {
    right: f64,
    other: f64,
}

/// Measures name screening on the evaluation set.
pub fn evaluate(snapshot: &Snapshot, set: &EvalSet) -> AccuracyReport {
    // Timed before any other query, so the first run finds the query-word
    // cache as empty as a new snapshot has it.
    let latency = measure_latency(snapshot, set);
    let lowest = SWEEP.iter().copied().fold(DEFAULT_THRESHOLD, f64::min);
    let primaries = primary_names(snapshot);
    let all_names = all_names(snapshot);

    let mut not_listed_rows = Vec::new();
    let mut other_person_rows = Vec::new();
    let mut exact_scores = Vec::new();
    let mut perturbed_scores = Vec::new();
    for (exact, perturbed) in set.exact.iter().zip(&set.perturbed) {
        let right = entries_named(&primaries, &normalize(&exact.full_name));
        if right.is_empty() {
            not_listed_rows.push(exact.row);
            continue;
        }
        let named = entries_named(&all_names, &normalize(&perturbed.full_name));
        let other: Vec<usize> = if !named.is_empty() && named.iter().all(|e| !right.contains(e)) {
            other_person_rows.push(perturbed.row);
            named
        } else {
            Vec::new()
        };
        exact_scores.push(best_scores(snapshot, exact, lowest, &right, &[]));
        perturbed_scores.push((
            perturbed.row,
            !other.is_empty(),
            best_scores(snapshot, perturbed, lowest, &right, &other),
        ));
    }
    let negative_scores: Vec<(usize, f64)> = set
        .negative
        .iter()
        .map(|row| (row.row, top_score(snapshot, row, lowest)))
        .collect();

    let mut thresholds: Vec<f64> = SWEEP.to_vec();
    if !thresholds.contains(&DEFAULT_THRESHOLD) {
        thresholds.push(DEFAULT_THRESHOLD);
        thresholds.sort_by(f64::total_cmp);
    }
    let rows = thresholds
        .iter()
        .map(|&t| ThresholdRow {
            threshold: t,
            exact_found: exact_scores.iter().filter(|s| s.right >= t).count(),
            perturbed_found: perturbed_scores
                .iter()
                .filter(|(_, _, s)| s.right >= t)
                .count(),
            other_person_found: perturbed_scores
                .iter()
                .filter(|(_, o, s)| *o && s.other >= t)
                .count(),
            negatives_alerted: negative_scores.iter().filter(|(_, s)| *s >= t).count(),
        })
        .collect();
    AccuracyReport {
        default_threshold: DEFAULT_THRESHOLD,
        exact_total: exact_scores.len(),
        perturbed_total: perturbed_scores.len(),
        not_listed_rows,
        other_person_rows,
        negatives_total: negative_scores.len(),
        rows,
        latency_median_us: latency.fastest.median_us,
        latency_p99_us: latency.fastest.p99_us,
        first_run_median_us: latency.first_run.median_us,
        first_run_p99_us: latency.first_run.p99_us,
        perturbed_missed: perturbed_scores
            .iter()
            .filter(|(_, o, s)| {
                s.right < DEFAULT_THRESHOLD && !(*o && s.other >= DEFAULT_THRESHOLD)
            })
            .map(|(row, _, _)| *row)
            .collect(),
        negatives_alerted_rows: negative_scores
            .iter()
            .filter(|(_, s)| *s >= DEFAULT_THRESHOLD)
            .map(|(row, _)| *row)
            .collect(),
    }
}

/// Normalized primary name of every entity, with the entity's index.
fn primary_names(snapshot: &Snapshot) -> Vec<(Vec<String>, usize)> {
    snapshot
        .entities()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            e.primary_name()
                .map(|n| (token_texts(&normalize(&n.full)), i))
        })
        .collect()
}

/// Normalized form of every name of every entity.
fn all_names(snapshot: &Snapshot) -> Vec<(Vec<String>, usize)> {
    snapshot
        .entities()
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            e.names
                .iter()
                .map(move |n| (token_texts(&normalize(&n.full)), i))
        })
        .collect()
}

fn token_texts(name: &NormalizedName) -> Vec<String> {
    name.latin.iter().map(|t| t.text.clone()).collect()
}

fn entries_named(names: &[(Vec<String>, usize)], query: &NormalizedName) -> Vec<usize> {
    let tokens = token_texts(query);
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<usize> = names
        .iter()
        .filter(|(n, _)| *n == tokens)
        .map(|(_, i)| *i)
        .collect();
    found.dedup();
    found
}

fn best_scores(
    snapshot: &Snapshot,
    row: &EvalRow,
    threshold: f64,
    right: &[usize],
    other: &[usize],
) -> PositiveScores {
    let result = snapshot.screen_name(&row.query(threshold));
    let entities = snapshot.entities();
    let mut scores = PositiveScores::default();
    for hit in result.hits() {
        let is = |set: &[usize]| {
            set.iter()
                .any(|&i| entities[i].id == hit.entity_id && entities[i].list == hit.list)
        };
        if is(right) {
            scores.right = scores.right.max(hit.score);
        }
        if is(other) {
            scores.other = scores.other.max(hit.score);
        }
    }
    scores
}

fn top_score(snapshot: &Snapshot, row: &EvalRow, threshold: f64) -> f64 {
    match snapshot.screen_name(&row.query(threshold)) {
        NameResult::Hits(hits) => hits.first().map_or(0.0, |h| h.score),
        NameResult::NormalizesToNothing => 0.0,
    }
}

/// Median and 99th percentile of per-query times, in microseconds.
#[derive(Debug, Clone, Copy)]
struct Percentiles {
    median_us: f64,
    p99_us: f64,
}

impl Percentiles {
    fn of(mut nanos: Vec<u64>) -> Percentiles {
        nanos.sort_unstable();
        let at = |q: f64| {
            nanos
                .get(((nanos.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0) as f64
                / 1000.0
        };
        Percentiles {
            median_us: at(0.5),
            p99_us: at(0.99),
        }
    }
}

struct Latency {
    first_run: Percentiles,
    fastest: Percentiles,
}

/// Times the screening call of every row at the default threshold, in
/// three passes over all queries. The first pass is what a caller sees on
/// a fresh snapshot: words met in earlier queries are cached, words new to
/// the snapshot are not. The fastest of the three runs of each query is
/// reported too, so that a query preempted by another process on a busy
/// machine is not charged for the wait. No run finds the caches warmed by
/// the same query just before.
fn measure_latency(snapshot: &Snapshot, set: &EvalSet) -> Latency {
    let queries: Vec<NameQuery> = set
        .exact
        .iter()
        .chain(&set.perturbed)
        .chain(&set.negative)
        .map(|row| row.query(DEFAULT_THRESHOLD))
        .collect();
    let mut first = Vec::with_capacity(queries.len());
    let mut fastest = vec![u64::MAX; queries.len()];
    for pass in 0..3 {
        for (query, best) in queries.iter().zip(fastest.iter_mut()) {
            let started = Instant::now();
            let result = snapshot.screen_name(query);
            let elapsed = started.elapsed().as_nanos() as u64;
            std::hint::black_box(result);
            if pass == 0 {
                first.push(elapsed);
            }
            *best = (*best).min(elapsed);
        }
    }
    Latency {
        first_run: Percentiles::of(first),
        fastest: Percentiles::of(fastest),
    }
}

impl AccuracyReport {
    /// Formats the report as a Markdown table with notes, for BENCHMARKS.md.
    pub fn to_markdown(&self) -> String {
        let percent = |n: usize, d: usize| {
            if d == 0 {
                0.0
            } else {
                100.0 * n as f64 / d as f64
            }
        };
        let mut out = String::new();
        out.push_str("| threshold | exact found | perturbed found | negatives alerted |\n");
        out.push_str("|---|---|---|---|\n");
        for row in &self.rows {
            let marker = if (row.threshold - self.default_threshold).abs() < 1e-9 {
                " (default)"
            } else {
                ""
            };
            out.push_str(&format!(
                "| {:.2}{marker} | {}/{} ({:.1}%) | {}/{} ({:.1}%) | {}/{} ({:.3}%) |\n",
                row.threshold,
                row.exact_found,
                self.exact_total,
                percent(row.exact_found, self.exact_total),
                row.perturbed_found,
                self.perturbed_total,
                percent(row.perturbed_found, self.perturbed_total),
                row.negatives_alerted,
                self.negatives_total,
                percent(row.negatives_alerted, self.negatives_total),
            ));
        }
        out.push_str(&format!(
            "\nLatency per query at the default threshold: median {:.1} µs, p99 {:.1} µs (one thread, fastest of three runs per query); first run alone, each query once on a fresh snapshot: median {:.1} µs, p99 {:.1} µs.\n",
            self.latency_median_us, self.latency_p99_us, self.first_run_median_us, self.first_run_p99_us
        ));
        out.push_str(&format!(
            "Exact rows naming no entry's primary name on this list version (left out of every count): {} (rows {:?}).\n",
            self.not_listed_rows.len(),
            self.not_listed_rows
        ));
        let default_row = self
            .rows
            .iter()
            .find(|r| (r.threshold - self.default_threshold).abs() < 1e-9);
        out.push_str(&format!(
            "Perturbed rows naming another listed person (counted in the perturbed total, found only when their own entry is hit): {} (rows {:?}); of them, {} hit the person they name at the default threshold.\n",
            self.other_person_rows.len(),
            self.other_person_rows,
            default_row.map_or(0, |r| r.other_person_found),
        ));
        out
    }
}

/// Finds the default data folder: `shared/data` beside the repository, or
/// `SCREENER_DATA_DIR`.
pub fn default_data_dir() -> Option<PathBuf> {
    let beside = crate::source_root().join("../shared/data");
    if beside.is_dir() {
        return Some(beside);
    }
    std::env::var_os("SCREENER_DATA_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entity, EntityKind, Name, NameType};

    fn person(id: &str, name: &str) -> Entity {
        let mut entity = Entity::new("test", id, EntityKind::Person);
        entity.names.push(Name::new(name, NameType::Primary));
        entity
    }

    fn row(row: usize, full_name: &str) -> EvalRow {
        EvalRow {
            row,
            full_name: full_name.into(),
            gender: None,
            birth_date: None,
            country: None,
        }
    }

    fn small_set() -> (Snapshot, EvalSet) {
        let snapshot = Snapshot::from_entities(vec![
            person("p1", "Abdulrahman Khalid Zubairi"),
            person("p2", "Svetlana Nikolaevna Morozova"),
            person("p3", "Tomasz Wieczorek Brzezinski"),
            person("p4", "Mohammed Ali Hassan"),
            person("p5", "Ahmed Mohammed Omar"),
        ]);
        let set = EvalSet {
            exact: vec![
                row(1, "Abdulrahman Khalid Zubairi"),
                row(2, "Svetlana Nikolaevna Morozova"),
                row(3, "Person Who Is Not Listed"),
            ],
            perturbed: vec![
                row(1, "Abdulrahman Khalid Zubeiri"),
                row(2, "MOROZOVA, Svetlana Nikolaevna"),
                row(3, "Persn Who Is Not Listed"),
            ],
            negative: vec![
                row(1, "Ingrid Johanna Lindqvist"),
                row(2, "Rafael Ortega Mendoza"),
            ],
        };
        (snapshot, set)
    }

    #[test]
    fn report_counts_rows() {
        let (snapshot, set) = small_set();
        let report = evaluate(&snapshot, &set);
        assert_eq!(report.not_listed_rows, vec![3]);
        assert_eq!(report.exact_total, 2);
        assert_eq!(report.perturbed_total, 2);
        assert_eq!(report.negatives_total, 2);
        let default_row = report
            .rows
            .iter()
            .find(|r| (r.threshold - DEFAULT_THRESHOLD).abs() < 1e-9)
            .expect("the default threshold has a row");
        assert_eq!(default_row.exact_found, 2);
        assert_eq!(default_row.perturbed_found, 2);
        assert_eq!(default_row.negatives_alerted, 0);
        assert!(report.perturbed_missed.is_empty());
        assert!(report.negatives_alerted_rows.is_empty());
    }

    #[test]
    fn fastest_run_is_no_slower_than_first() {
        let (snapshot, set) = small_set();
        let report = evaluate(&snapshot, &set);
        assert!(report.first_run_median_us > 0.0);
        assert!(report.latency_median_us > 0.0);
        assert!(report.latency_median_us <= report.first_run_median_us);
        assert!(report.latency_p99_us <= report.first_run_p99_us);
        assert!(report.first_run_median_us <= report.first_run_p99_us);
    }
}
