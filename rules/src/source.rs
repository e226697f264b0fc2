//! Graph files in memory, locations inside them, and the collector that
//! turns locations into reported problems.

use crate::report::{Problem, ProblemKind, Severity};

/// One graph file's text, with the line starts needed to turn byte offsets
/// into lines and columns.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// Returns the 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, column + 1)
    }
}

/// The location of a value: a file index into the loaded sources and a byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Loc {
    pub file: usize,
    pub start: usize,
    pub end: usize,
}

impl Loc {
    pub fn new(file: usize, span: std::ops::Range<usize>) -> Self {
        Loc {
            file,
            start: span.start,
            end: span.end,
        }
    }
}

/// A value read from a graph file together with its location.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct At<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> At<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        At { value, loc }
    }
}

/// Collects problems, resolving each location to file, line and column.
pub(crate) struct Diagnostics<'s> {
    sources: &'s [SourceFile],
    problems: Vec<Problem>,
}

impl<'s> Diagnostics<'s> {
    pub fn new(sources: &'s [SourceFile]) -> Self {
        Diagnostics {
            sources,
            problems: Vec::new(),
        }
    }

    /// Returns whether a file could not be read or parsed. Checks of the
    /// whole graph then skip what is only missing because of it.
    pub fn has_unreadable_file(&self) -> bool {
        self.problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::TomlSyntax | ProblemKind::Io))
    }

    pub fn error(&mut self, kind: ProblemKind, loc: Loc, node: Option<&str>, message: String) {
        self.push(Severity::Error, kind, loc, node, message);
    }

    pub fn warning(&mut self, kind: ProblemKind, loc: Loc, node: Option<&str>, message: String) {
        self.push(Severity::Warning, kind, loc, node, message);
    }

    /// Records a problem that concerns a whole file, such as a read failure.
    pub fn file_error(&mut self, kind: ProblemKind, file: &str, message: String) {
        self.problems.push(Problem {
            severity: Severity::Error,
            kind,
            file: file.to_owned(),
            line: 0,
            column: 0,
            node: None,
            message,
        });
    }

    /// Formats a location as "file:line", for messages that point to a second place.
    pub fn describe(&self, loc: Loc) -> String {
        match self.sources.get(loc.file) {
            Some(source) => format!("{}:{}", source.name, source.position(loc.start).0),
            None => "an unknown place".to_owned(),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// Locates byte `offset` inside an expression written as the TOML
    /// string at `loc`. It is exact when the string is a one-line
    /// literal without escapes, and falls back to the string's start.
    pub fn expression_loc(&self, loc: Loc, expression: &str, offset: usize) -> Loc {
        let Some(source) = self.sources.get(loc.file) else {
            return loc;
        };
        let raw = source.text.get(loc.start..loc.end).unwrap_or("");
        let quoted_plainly = raw.len() == expression.len() + 2
            && (raw.starts_with('"') || raw.starts_with('\''))
            && raw.get(1..raw.len() - 1) == Some(expression);
        if quoted_plainly {
            let at = loc.start + 1 + offset;
            Loc::new(loc.file, at..at)
        } else {
            loc
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        kind: ProblemKind,
        loc: Loc,
        node: Option<&str>,
        message: String,
    ) {
        let (file, (line, column)) = match self.sources.get(loc.file) {
            Some(source) => (source.name.clone(), source.position(loc.start)),
            None => (String::new(), (0, 0)),
        };
        self.problems.push(Problem {
            severity,
            kind,
            file,
            line,
            column,
            node: node.map(str::to_owned),
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_characters() {
        let source = SourceFile::new("a.toml", "ab\nçd = 1\n");
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(3), (2, 1));
        // 'ç' is two bytes, so byte 6 is the third character of line 2.
        assert_eq!(source.position(6), (2, 3));
    }
}
