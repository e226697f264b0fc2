//! Name corpora: the unlisted names that most generated parties carry, and
//! the listed names injected into a share of transactions. Both read the
//! same file formats:
//!
//! - CSV with a header that has a `full_name` or `name` column, and
//!   optionally `nationality` or `country` (code or English name),
//!   `date_of_birth` or `birth_date`, and `kind` (person or organization);
//! - text with one name per line, optionally followed by tab-separated
//!   country, kind and birth date. Empty lines and lines starting with `#`
//!   are skipped.

use std::path::Path;

use rand::Rng;
use screener_proto::v1::PartyKind;

use super::countries::country_code;
use super::error::LoadgenError;

/// Made-up person names across scripts, used when no names file is given.
const BUILTIN_NAMES: &str = include_str!("data/names.tsv");

/// Persons and organizations from the UN Security Council consolidated
/// list, used when no listed-names file is given.
const BUILTIN_LISTED_NAMES: &str = include_str!("data/listed_names.tsv");

/// One name the generator can give a party, with what else is known of it.
#[derive(Debug, Clone, PartialEq)]
pub struct NameEntry {
    pub name: String,
    /// ISO 3166-1 alpha-2 nationality or country, when the source gives one.
    pub country: Option<String>,
    pub kind: PartyKind,
    /// "YYYY", "YYYY-MM" or "YYYY-MM-DD", when the source gives one.
    pub birth_date: Option<String>,
}

/// A non-empty set of names that generated parties are drawn from.
#[derive(Debug, Clone)]
pub struct NameCorpus {
    entries: Vec<NameEntry>,
}

impl NameCorpus {
    /// The built-in corpus of a few hundred made-up person names in Latin,
    /// Cyrillic, Greek, Arabic, Hebrew, Devanagari, Bengali, Han, Kana,
    /// Hangul, Thai, Georgian, Armenian and Ethiopic script.
    pub fn builtin_unlisted() -> NameCorpus {
        NameCorpus {
            entries: parse_text(BUILTIN_NAMES),
        }
    }

    /// The built-in set of names from the UN consolidated list.
    pub fn builtin_listed() -> NameCorpus {
        NameCorpus {
            entries: parse_text(BUILTIN_LISTED_NAMES),
        }
    }

    /// Builds a corpus from entries; None when `entries` is empty.
    pub fn from_entries(entries: Vec<NameEntry>) -> Option<NameCorpus> {
        (!entries.is_empty()).then_some(NameCorpus { entries })
    }

    /// Reads a CSV or text names file (see the module documentation).
    /// `option` names the command-line option for error messages.
    pub fn from_file(path: &Path, option: &'static str) -> Result<NameCorpus, LoadgenError> {
        let text = std::fs::read_to_string(path).map_err(|error| LoadgenError::ReadFile {
            path: path.to_path_buf(),
            option,
            error,
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let is_csv = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
        // A .csv file is read as CSV even without a name column, so that its
        // missing column is reported instead of its header and cells taken
        // as names.
        let as_csv = csv_name_column(text).is_some() || (is_csv && !text.trim().is_empty());
        let entries = if as_csv {
            parse_csv(text, path)?
        } else {
            parse_text(text)
        };
        NameCorpus::from_entries(entries).ok_or_else(|| LoadgenError::NoNames {
            path: path.to_path_buf(),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a corpus holds at least one name.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[NameEntry] {
        &self.entries
    }

    /// Draws an entry uniformly.
    pub fn choose(&self, rng: &mut impl Rng) -> &NameEntry {
        &self.entries[rng.random_range(0..self.entries.len())]
    }
}

/// Returns the index of the name column when the first line is a CSV
/// header, of one column or several, with a `full_name` or `name` column.
fn csv_name_column(text: &str) -> Option<usize> {
    let header = text.lines().next()?;
    let columns: Vec<String> = header.split(',').map(normalize_header).collect();
    columns
        .iter()
        .position(|c| c == "full_name")
        .or_else(|| columns.iter().position(|c| c == "name"))
}

fn normalize_header(column: &str) -> String {
    column.trim().trim_matches('"').to_ascii_lowercase()
}

/// Column positions of a CSV names file.
struct CsvColumns {
    name: usize,
    country: Option<usize>,
    birth_date: Option<usize>,
    kind: Option<usize>,
}

impl CsvColumns {
    fn from_header(header: &csv::StringRecord) -> Option<CsvColumns> {
        let find = |names: &[&str]| {
            names.iter().find_map(|wanted| {
                header
                    .iter()
                    .position(|column| normalize_header(column) == *wanted)
            })
        };
        Some(CsvColumns {
            name: find(&["full_name", "name"])?,
            country: find(&["nationality", "country"]),
            birth_date: find(&["date_of_birth", "birth_date"]),
            kind: find(&["kind"]),
        })
    }

    fn entry(&self, record: &csv::StringRecord) -> Option<NameEntry> {
        let field = |index: Option<usize>| {
            index
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let name = field(Some(self.name))?;
        Some(NameEntry {
            name: name.to_string(),
            country: field(self.country).and_then(country_code),
            kind: field(self.kind).map_or(PartyKind::Person, parse_kind),
            birth_date: field(self.birth_date).and_then(iso_birth_date),
        })
    }
}

fn parse_csv(text: &str, path: &Path) -> Result<Vec<NameEntry>, LoadgenError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let invalid = |line: u64, reason: String| LoadgenError::InvalidLine {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let header = reader
        .headers()
        .map_err(|error| invalid(1, format!("invalid CSV header: {error}")))?
        .clone();
    let columns = CsvColumns::from_header(&header).ok_or_else(|| {
        invalid(
            1,
            "the header has no full_name or name column; add one, or give one name per \
                 line in a file not ending in .csv"
                .into(),
        )
    })?;
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| {
            let line = error.position().map_or(0, |p| p.line());
            invalid(line, format!("invalid CSV row: {error}"))
        })?;
        entries.extend(columns.entry(&record));
    }
    Ok(entries)
}

/// Parses the text format: name, then optional tab-separated country, kind
/// and birth date. An unreadable country or kind is left unset.
fn parse_text(text: &str) -> Vec<NameEntry> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t').map(str::trim);
            let name = fields.next().filter(|name| !name.is_empty())?;
            let country = fields.next().and_then(country_code);
            let kind = fields.next().map_or(PartyKind::Person, parse_kind);
            let birth_date = fields.next().and_then(iso_birth_date);
            Some(NameEntry {
                name: name.to_string(),
                country,
                kind,
                birth_date,
            })
        })
        .collect()
}

/// Keeps a birth date of the form YYYY, YYYY-MM or YYYY-MM-DD, which the
/// contract requires; other forms ("c. 1960", "1960/61") are dropped.
fn iso_birth_date(value: &str) -> Option<String> {
    let value = value.trim();
    let parts: Vec<&str> = value.split('-').collect();
    let widths_ok = matches!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>().as_slice(),
        [4] | [4, 2] | [4, 2, 2]
    );
    let digits_ok = parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    (widths_ok && digits_ok).then(|| value.to_string())
}

fn parse_kind(value: &str) -> PartyKind {
    match value.trim().to_ascii_lowercase().as_str() {
        "person" | "individual" => PartyKind::Person,
        "organization" | "organisation" | "entity" | "company" => PartyKind::Organization,
        _ => PartyKind::Unspecified,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Writes `contents` to a temporary file whose name ends in `suffix`.
    fn write_temp_with_suffix(contents: &str, suffix: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new()
            .suffix(suffix)
            .tempfile()
            .expect("temp file");
        file.write_all(contents.as_bytes())
            .expect("write temp file");
        file
    }

    fn write_temp(contents: &str) -> tempfile::NamedTempFile {
        write_temp_with_suffix(contents, "")
    }

    #[test]
    fn builtin_corpora_parse_every_line() {
        let count_lines = |text: &str| {
            text.lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .count()
        };
        let unlisted = NameCorpus::builtin_unlisted();
        assert_eq!(unlisted.len(), count_lines(BUILTIN_NAMES));
        assert!(unlisted.len() >= 200, "{} names", unlisted.len());
        assert!(unlisted.entries().iter().all(|e| e.country.is_some()));
        let listed = NameCorpus::builtin_listed();
        assert_eq!(listed.len(), count_lines(BUILTIN_LISTED_NAMES));
        assert!(listed
            .entries()
            .iter()
            .any(|e| e.kind == PartyKind::Organization));
    }

    #[test]
    fn csv_file_reads_name_country_and_birth_date() {
        let file = write_temp(
            "full_name,first_name,date_of_birth,place_of_birth,nationality\n\
             Ana Souza,Ana,1980-02-03,\"Recife, Brazil\",Brazil\n\
             ,,,,\n\
             Kim Lee,Kim,,,KR\n",
        );
        let corpus = NameCorpus::from_file(file.path(), "--names").expect("valid CSV");
        assert_eq!(corpus.len(), 2);
        let first = &corpus.entries()[0];
        assert_eq!(first.name, "Ana Souza");
        assert_eq!(first.country.as_deref(), Some("BR"));
        assert_eq!(first.birth_date.as_deref(), Some("1980-02-03"));
        assert_eq!(corpus.entries()[1].country.as_deref(), Some("KR"));
    }

    #[test]
    fn text_file_reads_one_name_per_line() {
        let file = write_temp("# comment\nJohn Smith\n\nACME TRADING LLC\tAE\torganization\n");
        let corpus = NameCorpus::from_file(file.path(), "--names").expect("valid text");
        assert_eq!(corpus.len(), 2);
        assert_eq!(corpus.entries()[0].country, None);
        assert_eq!(corpus.entries()[1].kind, PartyKind::Organization);
    }

    #[test]
    fn birth_dates_keep_only_iso_forms() {
        assert_eq!(iso_birth_date("1965").as_deref(), Some("1965"));
        assert_eq!(iso_birth_date("1965-03").as_deref(), Some("1965-03"));
        assert_eq!(iso_birth_date("1965-03-09").as_deref(), Some("1965-03-09"));
        assert_eq!(iso_birth_date("c. 1960"), None);
        assert_eq!(iso_birth_date("1960/61"), None);
        assert_eq!(iso_birth_date("65-03-09"), None);
        assert_eq!(iso_birth_date(""), None);
    }

    #[test]
    fn empty_file_is_an_error() {
        let file = write_temp("# only a comment\n\n");
        let error = NameCorpus::from_file(file.path(), "--names").expect_err("no names");
        assert!(matches!(error, LoadgenError::NoNames { .. }), "{error}");
    }

    #[test]
    fn csv_without_name_column_rejected() {
        let file = write_temp_with_suffix("id,foo\n1,Anna Kovacs\n", ".csv");
        let error = NameCorpus::from_file(file.path(), "--names").expect_err("no name column");
        assert!(
            matches!(error, LoadgenError::InvalidLine { line: 1, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("full_name"), "{error}");
        assert!(error.to_string().contains("not ending in .csv"), "{error}");

        // The same lines in a text file are names, one per line.
        let text = write_temp("id,foo\n1,Anna Kovacs\n");
        let corpus = NameCorpus::from_file(text.path(), "--names").expect("text names");
        assert_eq!(corpus.len(), 2);
    }

    #[test]
    fn lone_header_is_not_a_name() {
        for header in ["full_name\n", "Name\n"] {
            let file = write_temp(header);
            let error = NameCorpus::from_file(file.path(), "--names").expect_err(header);
            assert!(matches!(error, LoadgenError::NoNames { .. }), "{error}");
        }
        let file = write_temp("full_name\nAnna Kovacs\n");
        let corpus = NameCorpus::from_file(file.path(), "--names").expect("one name");
        assert_eq!(corpus.entries()[0].name, "Anna Kovacs");
        assert_eq!(corpus.len(), 1);
    }

    #[test]
    fn missing_file_names_the_option() {
        let error = NameCorpus::from_file(Path::new("/nonexistent/names.csv"), "--listed-names")
            .expect_err("missing file");
        let message = error.to_string();
        assert!(message.contains("/nonexistent/names.csv"), "{message}");
        assert!(message.contains("--listed-names"), "{message}");
    }
}
