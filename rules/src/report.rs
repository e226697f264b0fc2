//! Validation problems and the report that lists every one of them.

use std::fmt;

/// Whether a problem stops the graph from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The graph does not load.
    Error,
    /// The graph loads, but something in it is probably a mistake.
    Warning,
}

impl Severity {
    /// Lower-case name used in printed reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The kind of a validation problem, with a stable code for tools and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// A graph file could not be read.
    Io,
    /// The file is not valid TOML.
    TomlSyntax,
    /// A key that the schema does not define, often a typo.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A TOML value has the wrong type, such as a string where a number belongs.
    WrongType,
    /// A value has the right type but is not allowed, such as an unknown function name.
    InvalidValue,
    /// A predicate does not parse; the message gives the column.
    ExpressionSyntax,
    /// A predicate names a feature that is neither built in nor a declared aggregate.
    UnknownFeature,
    /// Operands of incompatible types, such as a string compared with a number.
    TypeMismatch,
    /// A predicate or set names a set that is not defined.
    UnknownSet,
    /// A typology, decision or `fired(...)` names a rule or typology that does not exist.
    UnknownReference,
    /// Two nodes share one id.
    DuplicateId,
    /// Rules that read each other through `fired(...)`, or sets that include each other.
    Cycle,
    /// A node that nothing reads.
    Unused,
    /// A threshold, weight, score or band bound outside its allowed range.
    OutOfRange,
    /// A window that is not a number followed by m, h or d, or outside 1m..=90d.
    BadWindow,
}

impl ProblemKind {
    /// Stable kebab-case code printed in reports.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Io => "io",
            ProblemKind::TomlSyntax => "toml-syntax",
            ProblemKind::UnknownKey => "unknown-key",
            ProblemKind::MissingKey => "missing-key",
            ProblemKind::WrongType => "wrong-type",
            ProblemKind::InvalidValue => "invalid-value",
            ProblemKind::ExpressionSyntax => "expression-syntax",
            ProblemKind::UnknownFeature => "unknown-feature",
            ProblemKind::TypeMismatch => "type-mismatch",
            ProblemKind::UnknownSet => "unknown-set",
            ProblemKind::UnknownReference => "unknown-reference",
            ProblemKind::DuplicateId => "duplicate-id",
            ProblemKind::Cycle => "cycle",
            ProblemKind::Unused => "unused",
            ProblemKind::OutOfRange => "out-of-range",
            ProblemKind::BadWindow => "bad-window",
        }
    }
}

/// One problem found while loading a rule graph, located in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub kind: ProblemKind,
    /// The file as named to the loader.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column in characters; 0 when the problem concerns the whole file.
    pub column: usize,
    /// The node the problem belongs to, such as "rule `large_amount`".
    pub node: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 marks a problem with the whole file, such as a read failure.
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        write!(f, "{}[{}]", self.severity.as_str(), self.kind.code())?;
        if let Some(node) = &self.node {
            write!(f, " {node}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a set of graph files, errors and warnings, in
/// file and line order. It is the error type of [`crate::RuleGraph::load`]
/// and the output of [`crate::check`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationReport {
    problems: Vec<Problem>,
    version: Option<String>,
}

impl ValidationReport {
    pub(crate) fn new(mut problems: Vec<Problem>, version: Option<String>) -> Self {
        problems.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.severity).cmp(&(&b.file, b.line, b.column, b.severity))
        });
        ValidationReport { problems, version }
    }

    /// Returns all problems, errors and warnings, sorted by file, line and column.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Returns the problems that stop the graph from loading.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// Returns the problems that let the graph load.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// Returns whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The short version of the graph (12 hex characters) when it loaded.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        let errors = self.errors().count();
        let counts = format!(
            "{}, {}",
            plural(errors, "error"),
            plural(self.problems.len() - errors, "warning")
        );
        match &self.version {
            Some(version) if errors == 0 => {
                write!(f, "rule graph {version} is valid: {counts}")
            }
            _ => write!(f, "rule graph is invalid: {counts}"),
        }
    }
}

impl std::error::Error for ValidationReport {}

/// Returns "1 error", "2 errors" and so on.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(severity: Severity, line: usize) -> Problem {
        Problem {
            severity,
            kind: ProblemKind::Io,
            file: "graph.toml".to_owned(),
            line,
            column: 1,
            node: None,
            message: "cannot read".to_owned(),
        }
    }

    #[test]
    fn whole_file_problem_has_no_position() {
        let text = problem(Severity::Error, 0).to_string();
        assert!(text.starts_with("graph.toml: error["), "{text}");
        let text = problem(Severity::Error, 7).to_string();
        assert!(text.starts_with("graph.toml:7:1: error["), "{text}");
    }

    #[test]
    fn summary_counts_read_in_singular_and_plural() {
        let single = ValidationReport::new(vec![problem(Severity::Error, 1)], None).to_string();
        assert!(single.ends_with("1 error, 0 warnings"), "{single}");
        let more = ValidationReport::new(
            vec![
                problem(Severity::Error, 1),
                problem(Severity::Error, 2),
                problem(Severity::Warning, 3),
            ],
            None,
        )
        .to_string();
        assert!(more.ends_with("2 errors, 1 warning"), "{more}");
    }
}
