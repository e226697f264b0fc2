//! Reading CSV and tab-separated lists whose columns are found by their
//! header names, with the checks every such loader needs: field size,
//! required columns and parse errors that name the file and line.

use std::collections::HashMap;

use csv::StringRecord;

use crate::error::ListError;
use crate::source::{InputFile, MAX_FIELD_BYTES};

/// Column positions of a header row, found by name.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// Reads a header row; names are trimmed and the first one found wins
    /// when a name repeats.
    pub(crate) fn new(header: &StringRecord) -> Columns {
        let names: Vec<String> = header
            .iter()
            .map(|name| name.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut index = HashMap::new();
        for (position, name) in names.iter().enumerate() {
            index.entry(name.clone()).or_insert(position);
        }
        Columns { names, index }
    }

    /// Fails naming every required column the header lacks.
    pub(crate) fn require(
        &self,
        file: &InputFile,
        format: &'static str,
        required: &[&str],
    ) -> Result<(), ListError> {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| !self.index.contains_key(*name))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ListError::Invalid {
            path: file.path.clone(),
            format,
            reason: format!(
                "the header lacks the required column(s) {}; found columns: {}",
                missing.join(", "),
                self.names.join(", ")
            ),
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The trimmed cell of the named column, or "" when the column or the
    /// cell is absent.
    pub(crate) fn cell<'r>(&self, record: &'r StringRecord, name: &str) -> &'r str {
        self.index
            .get(name)
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    /// Whether `record` repeats the header row.
    pub(crate) fn is_header(&self, record: &StringRecord) -> bool {
        record.len() == self.names.len()
            && record
                .iter()
                .zip(&self.names)
                .all(|(cell, name)| cell.trim() == name)
    }
}

/// A CSV reader over decoded text that leaves headers, ragged rows and
/// comments to the caller.
pub(crate) fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// Reads the next record into `record`; `Ok(false)` at the end of the
/// file. A field over [`MAX_FIELD_BYTES`] fails the whole file, because it
/// means an unbalanced quote or a file of another kind.
pub(crate) fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut StringRecord,
    file: &InputFile,
    format: &'static str,
) -> Result<bool, ListError> {
    let more = reader.read_record(record).map_err(|error| {
        let line = error.position().map(|p| p.line()).unwrap_or(0);
        ListError::Invalid {
            path: file.path.clone(),
            format,
            reason: format!("line {line}: {error}"),
        }
    })?;
    if !more {
        return Ok(false);
    }
    if let Some((column, field)) = record
        .iter()
        .enumerate()
        .find(|(_, field)| field.len() > MAX_FIELD_BYTES)
    {
        return Err(ListError::Oversized {
            path: file.path.clone(),
            location: format!("line {}, column {}", line_of(record), column + 1),
            len: field.len(),
            limit: MAX_FIELD_BYTES,
        });
    }
    Ok(true)
}

/// The 1-based line where `record` starts.
pub(crate) fn line_of(record: &StringRecord) -> u64 {
    record.position().map(|p| p.line()).unwrap_or(0)
}

/// Whether every cell of `record` is blank.
pub(crate) fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}
