//! A tolerant splitter for the rows of OFAC's legacy CSV files.
//!
//! OFAC writes one record per line, text fields in double quotes, empty
//! fields as `-0-`, and does not always double a quote inside a quoted
//! field. A strict CSV reader would fail, or run a stray quote on to the
//! end of the file. This splitter keeps a quote that is not followed by a
//! comma as part of the text, and reports every such repair.

use std::borrow::Cow;

/// The fields of one line and what had to be repaired to read them.
#[derive(Debug, Default, PartialEq)]
pub struct Record<'a> {
    pub fields: Vec<Cow<'a, str>>,
    /// Byte offset in the line where each field starts (at its quote, if
    /// quoted), used to re-join fields when there are too many.
    starts: Vec<usize>,
    /// Repairs made, such as "unescaped quote inside a field".
    pub problems: Vec<String>,
}

/// Splits one line (without its line ending) into fields. `-0-` becomes
/// an empty field and surrounding spaces are trimmed.
pub fn split_record(line: &str) -> Record<'_> {
    let mut record = Record::default();
    let mut position = 0;
    loop {
        record.starts.push(position);
        let rest = &line[position..];
        let (field, consumed) = if rest.trim_start().starts_with('"') {
            let offset = rest.len() - rest.trim_start().len();
            let (field, consumed) = quoted_field(&rest[offset..], &mut record.problems);
            (field, offset + consumed)
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (Cow::Borrowed(&rest[..end]), end)
        };
        record.fields.push(clean(field));
        position += consumed;
        match line[position..].strip_prefix(',') {
            Some(_) => position += 1,
            None => break,
        }
    }
    record
}

impl<'a> Record<'a> {
    /// Fits the record to `columns` fields: extra fields (from a comma
    /// after a stray quote) are joined back into the last column, and
    /// missing trailing columns are added empty. Each repair is recorded.
    pub fn fit(&mut self, line: &'a str, columns: usize) {
        if columns == 0 {
            return;
        }
        if self.fields.len() > columns {
            let start = self.starts[columns - 1];
            let joined = line[start..].trim();
            let joined = joined
                .strip_prefix('"')
                .and_then(|j| j.strip_suffix('"'))
                .unwrap_or(joined);
            self.problems.push(format!(
                "{} fields where {columns} were expected; the fields from column {columns} on \
                 were joined into one",
                self.fields.len()
            ));
            self.fields.truncate(columns - 1);
            self.fields
                .push(clean(Cow::Owned(joined.replace("\"\"", "\""))));
        } else if self.fields.len() < columns {
            self.problems.push(format!(
                "{} fields where {columns} were expected; the missing ones were read as empty",
                self.fields.len()
            ));
            self.fields.resize(columns, Cow::Borrowed(""));
        }
    }
}

/// Reads a quoted field starting at the opening quote. Returns the
/// unescaped text and the number of bytes consumed.
fn quoted_field<'a>(text: &'a str, problems: &mut Vec<String>) -> (Cow<'a, str>, usize) {
    let body = &text[1..];
    let mut owned: Option<String> = None;
    let mut segment_start = 0;
    let mut index = 0;
    let bytes = body.as_bytes();
    while index < bytes.len() {
        if bytes[index] != b'"' {
            index += 1;
            continue;
        }
        if bytes.get(index + 1) == Some(&b'"') {
            // A doubled quote is one literal quote.
            let buffer = owned.get_or_insert_with(String::new);
            buffer.push_str(&body[segment_start..=index]);
            index += 2;
            segment_start = index;
            continue;
        }
        if closes_field(&body[index + 1..]) {
            let field = match owned {
                Some(mut buffer) => {
                    buffer.push_str(&body[segment_start..index]);
                    Cow::Owned(buffer)
                }
                None => Cow::Borrowed(&body[..index]),
            };
            return (field, index + 2);
        }
        problems.push(format!(
            "unescaped quote inside a field at column {}; read as part of the text",
            index + 2
        ));
        index += 1;
    }
    problems.push("quoted field not closed before the end of the line".to_string());
    let field = match owned {
        Some(mut buffer) => {
            buffer.push_str(&body[segment_start..]);
            Cow::Owned(buffer)
        }
        None => Cow::Borrowed(body),
    };
    (field, text.len())
}

/// True when a quote followed by `rest` ends its field: only spaces, then
/// a comma or the end of the line.
fn closes_field(rest: &str) -> bool {
    let rest = rest.trim_start_matches(' ');
    rest.is_empty() || rest.starts_with(',')
}

/// Trims a field and maps OFAC's `-0-` (no value) to the empty string.
fn clean(field: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = field.trim();
    if trimmed == "-0-" {
        return Cow::Borrowed("");
    }
    if trimmed.len() == field.len() {
        return field;
    }
    match field {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        split_record(line)
            .fields
            .into_iter()
            .map(Cow::into_owned)
            .collect()
    }

    #[test]
    fn ofac_row_splits() {
        let line = r#"306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,"a, b""c""""#;
        assert_eq!(
            fields(line),
            vec![
                "306",
                "BANCO NACIONAL DE CUBA",
                "",
                "CUBA",
                "",
                "",
                "a, b\"c\""
            ]
        );
    }

    #[test]
    fn stray_quote_is_kept_and_reported() {
        let record = split_record(r#"123,"He said "stop" twice.""#);
        assert_eq!(record.fields[1], "He said \"stop\" twice.");
        assert_eq!(record.problems.len(), 2, "{:?}", record.problems);
    }

    #[test]
    fn stray_quote_before_comma_is_refitted() {
        let line = r#"123,"The "X", a group.""#;
        let mut record = split_record(line);
        assert_eq!(record.fields.len(), 3);
        record.fit(line, 2);
        assert_eq!(record.fields, vec!["123", "The \"X\", a group."]);
        assert!(record.problems.iter().any(|p| p.contains("joined")));
    }

    #[test]
    fn unclosed_quote_takes_the_rest_of_the_line() {
        let record = split_record(r#"1,"open text"#);
        assert_eq!(record.fields[1], "open text");
        assert!(record.problems[0].contains("not closed"));
    }

    #[test]
    fn short_row_is_padded() {
        let line = "1,\"x\"";
        let mut record = split_record(line);
        record.fit(line, 4);
        assert_eq!(record.fields.len(), 4);
        assert_eq!(record.problems.len(), 1);
    }
}
