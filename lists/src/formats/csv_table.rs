//! Reading CSV and tab-separated lists whose columns are found by their
//! header names, with the checks every such loader needs: field size,
//! required columns and parse errors that name the file and line.

use std::collections::HashMap;

use csv::StringRecord;

use crate::error::ListError;
use crate::source::{decode_text, InputFile, LoadContext, MAX_FIELD_BYTES};

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

    /// Returns the trimmed cell of the named column, or "" when the column
    /// or the cell is absent.
    pub(crate) fn cell<'r>(&self, record: &'r StringRecord, name: &str) -> &'r str {
        self.index
            .get(name)
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    /// Checks whether `record` repeats the header row.
    pub(crate) fn is_header(&self, record: &StringRecord) -> bool {
        record.len() == self.names.len()
            && record
                .iter()
                .zip(&self.names)
                .all(|(cell, name)| cell.trim() == name)
    }
}

/// Decodes the text of `file`. A file of only blanks is
/// [`ListError::Empty`].
pub(crate) fn text_of(file: &InputFile) -> Result<std::borrow::Cow<'_, str>, ListError> {
    let text = decode_text(&file.bytes);
    if text.trim().is_empty() {
        return Err(ListError::Empty {
            path: file.path.clone(),
        });
    }
    Ok(text)
}

/// Fails the file when a quoted field is never closed and lines follow the
/// opening quote. The CSV reader would read every line after the quote
/// into that one field and report nothing, so those rows would be lost
/// without a warning. A quote left open on the last line is a file cut
/// short, which the row checks report as a cut row.
///
/// Follows the reader's rules: a quote opens a quoted field only as the
/// first character of a field, `""` inside one is a literal quote, and a
/// line starting with `comment` (when given) is skipped.
pub(crate) fn check_quotes_closed(
    text: &str,
    delimiter: u8,
    comment: Option<u8>,
    file: &InputFile,
    format: &'static str,
) -> Result<(), ListError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
        Comment,
    }
    let mut state = State::FieldStart;
    let mut line = 1u64;
    let mut record_start = true;
    let mut opened_at = (0u64, 0usize);
    for (offset, &byte) in text.as_bytes().iter().enumerate() {
        state = match (state, byte) {
            (State::Comment, b'\n') => State::FieldStart,
            (State::Comment, _) => State::Comment,
            (State::FieldStart, _) if record_start && Some(byte) == comment => State::Comment,
            (State::FieldStart, b'"') => {
                opened_at = (line, offset);
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b'\n') => State::FieldStart,
            (_, b) if b == delimiter => State::FieldStart,
            (_, _) => State::Unquoted,
        };
        if byte == b'\n' {
            line += 1;
        }
        record_start = byte == b'\n' && state == State::FieldStart;
    }
    let (opened_line, opened_offset) = opened_at;
    if state == State::Quoted && text[opened_offset..].trim_end().contains('\n') {
        return Err(ListError::Invalid {
            path: file.path.clone(),
            format,
            reason: format!(
                "line {opened_line}: a quoted field opens here and is never closed, so every \
                 line after it would be read into that one field; add the closing quote"
            ),
        });
    }
    Ok(())
}

/// Reads the header row and checks that it has the `required` columns.
pub(crate) fn read_header(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut StringRecord,
    file: &InputFile,
    format: &'static str,
    required: &[&str],
) -> Result<Columns, ListError> {
    if !next_record(reader, record, file, format)? {
        return Err(ListError::Empty {
            path: file.path.clone(),
        });
    }
    let columns = Columns::new(record);
    columns.require(file, format, required)?;
    Ok(columns)
}

/// One data row with its header, file name and line, for reading cells
/// by column name and reporting problems.
pub(crate) struct Row<'a> {
    pub(crate) record: &'a StringRecord,
    pub(crate) columns: &'a Columns,
    pub(crate) file: &'a str,
    pub(crate) line: u64,
}

impl<'a> Row<'a> {
    pub(crate) fn new(record: &'a StringRecord, columns: &'a Columns, file: &'a str) -> Row<'a> {
        Row {
            record,
            columns,
            file,
            line: line_of(record),
        }
    }

    /// Returns the trimmed cell of the named column, or "" when absent.
    pub(crate) fn cell(&self, name: &str) -> &'a str {
        self.columns.cell(self.record, name)
    }

    /// Records a warning located at this row's line.
    pub(crate) fn warn(&self, context: &mut LoadContext, message: impl Into<String>) {
        context.warn(self.file, format!("line {}", self.line), message);
    }

    /// Checks whether the row is data to read. Blank rows are passed over.
    /// A repeated header, or a row whose cell count differs from the
    /// header's, is a warning and skipped.
    pub(crate) fn is_data(&self, context: &mut LoadContext) -> bool {
        if is_blank(self.record) {
            return false;
        }
        if self.columns.is_header(self.record) {
            self.warn(context, "the header row repeats here; skipped");
            return false;
        }
        if self.record.len() != self.columns.len() {
            let message = format!(
                "row has {} cells but the header has {}; the file may be cut short or a cell lacks quotes; row skipped",
                self.record.len(),
                self.columns.len()
            );
            self.warn(context, message);
            return false;
        }
        true
    }
}

/// Builds a CSV reader over decoded text that leaves headers, ragged rows and
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

/// Returns the 1-based line where `record` starts.
pub(crate) fn line_of(record: &StringRecord) -> u64 {
    record.position().map(|p| p.line()).unwrap_or(0)
}

/// Checks whether every cell of `record` is blank.
pub(crate) fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}
