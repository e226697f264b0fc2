//! [`RuleGraph`]: loading, validating and evaluating a rule graph.

use std::path::PathBuf;
use std::sync::Arc;

use crate::aggregate::AggregateSpec;
use crate::compile;
use crate::compiled::Compiled;
use crate::document;
use crate::error::RulesError;
use crate::evaluate;
use crate::evaluation::Evaluation;
use crate::facts::Facts;
use crate::program::Input;
use crate::report::{Problem, ProblemKind, ValidationReport};
use crate::source::{Diagnostics, SourceFile};
use crate::version::{self, VERSION_LEN};

/// The default graph shipped in config/rules/default.toml, for running
/// without a rules configuration.
pub const DEFAULT_GRAPH: &str = include_str!("../../config/rules/default.toml");

/// The name [`RuleGraph::bundled_default`] gives the default graph in reports.
pub const DEFAULT_GRAPH_NAME: &str = "config/rules/default.toml";

/// A validated, compiled rule graph: immutable, `Send + Sync`, and cheap to
/// clone (clones share one compiled graph). The engine keeps the current
/// graph in an `ArcSwap` and swaps in a newly loaded one on reload.
#[derive(Clone)]
pub struct RuleGraph {
    inner: Arc<Compiled>,
}

impl RuleGraph {
    /// Loads and validates the graph spread over `paths`. A path that is a
    /// directory stands for the `.toml` files directly inside it, in name
    /// order. Every problem of every file is in the error; warnings of a
    /// graph that loads are in [`RuleGraph::warnings`].
    pub fn load(paths: &[PathBuf]) -> Result<RuleGraph, ValidationReport> {
        let mut sources = Vec::new();
        let mut unreadable = Vec::new();
        for path in expand_directories(paths, &mut unreadable) {
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push(SourceFile::new(name, text)),
                Err(error) => {
                    unreadable.push((name, format!("cannot read rule graph file: {error}")))
                }
            }
        }
        if unreadable.is_empty() {
            let (graph, report) = build(&sources);
            return graph.ok_or(report);
        }
        // Without every file the graph is incomplete, so its other problems would mislead.
        let mut diag = Diagnostics::new(&[]);
        for (name, message) in unreadable {
            diag.file_error(ProblemKind::Io, &name, message);
        }
        Err(ValidationReport::new(diag.into_problems(), None))
    }

    /// Loads a graph from one text; `name` labels it in reports.
    pub fn from_str(name: &str, text: &str) -> Result<RuleGraph, ValidationReport> {
        RuleGraph::from_sources(&[(name, text)])
    }

    /// Loads a graph spread over several texts, each with its name.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<RuleGraph, ValidationReport> {
        let sources: Vec<SourceFile> = files
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text))
            .collect();
        let (graph, report) = build(&sources);
        graph.ok_or(report)
    }

    /// Loads the default graph built into this crate, [`DEFAULT_GRAPH`].
    pub fn bundled_default() -> Result<RuleGraph, ValidationReport> {
        RuleGraph::from_str(DEFAULT_GRAPH_NAME, DEFAULT_GRAPH)
    }

    /// Returns the first 12 hex characters of [`RuleGraph::digest`], which verdicts record.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// SHA-256 over the canonical content of the graph files, in hex.
    /// Comments, whitespace, key order and file order do not change it.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// Returns the `[graph] name`, or "unnamed".
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Returns the currency that `amount` is converted into, if the graph has a [currency] section.
    pub fn reference_currency(&self) -> Option<&str> {
        self.inner.currency.as_ref().map(|c| c.reference.as_str())
    }

    /// The aggregates the engine must maintain, in declaration order; the
    /// position of each is the index for [`Facts::set_aggregate`].
    pub fn aggregates(&self) -> &[AggregateSpec] {
        &self.inner.aggregates
    }

    /// Tests whether the transaction in `facts` counts towards the aggregate
    /// at `index`. It does when the aggregate has no filter or its filter holds.
    /// The filter reads only transaction features, so call this after
    /// setting them and before setting aggregates. An index out of range
    /// returns false.
    pub fn aggregate_applies(&self, index: usize, facts: &Facts) -> bool {
        let Some(filter) = self.inner.aggregate_filters.get(index) else {
            return false;
        };
        let Some(filter) = filter else {
            return true;
        };
        if !Arc::ptr_eq(&self.inner, facts.compiled()) {
            return false;
        }
        let input = Input {
            slots: facts.slots(),
            aggregates: &[],
            fired: &|_| false,
        };
        self.inner.program.eval(*filter, &input).is_true()
    }

    /// Problems that did not stop the graph from loading, such as unused nodes.
    pub fn warnings(&self) -> &[Problem] {
        &self.inner.warnings
    }

    /// Rule ids in file order, the order of [`Evaluation::rules`].
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.rules.iter().map(|r| r.id.as_str())
    }

    /// Typology ids in file order, the order of [`Evaluation::typologies`].
    pub fn typology_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.typologies.iter().map(|t| t.id.as_str())
    }

    /// Creates a fact buffer for this graph, with all facts missing.
    pub fn new_facts(&self) -> Facts {
        Facts::new(Arc::clone(&self.inner))
    }

    /// Evaluates the graph over `facts`, writing into `out`. It allocates
    /// only when `out` was last used with another graph. Fails only when
    /// `facts` were created for another graph.
    pub fn evaluate(&self, facts: &Facts, out: &mut Evaluation) -> Result<(), RulesError> {
        evaluate::evaluate(&self.inner, facts, out)
    }

    pub(crate) fn compiled(&self) -> &Arc<Compiled> {
        &self.inner
    }
}

impl std::fmt::Debug for RuleGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleGraph")
            .field("name", &self.inner.name)
            .field("version", &self.inner.version)
            .field("rules", &self.inner.rules.len())
            .field("aggregates", &self.inner.aggregates.len())
            .finish()
    }
}

/// Validates the graph spread over `paths` and returns every problem, with
/// the graph's version when it is valid. `screener rules check` prints it.
pub fn check(paths: &[PathBuf]) -> ValidationReport {
    match RuleGraph::load(paths) {
        Ok(graph) => {
            ValidationReport::new(graph.warnings().to_vec(), Some(graph.version().to_owned()))
        }
        Err(report) => report,
    }
}

/// Replaces each directory by the `.toml` files directly inside it, sorted
/// by name, recording a directory that cannot be listed or has none.
fn expand_directories(paths: &[PathBuf], unreadable: &mut Vec<(String, String)>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let name = path.display().to_string();
        let mut inside: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(error) => {
                unreadable.push((name, format!("cannot list rule graph directory: {error}")));
                continue;
            }
        };
        if inside.is_empty() {
            unreadable.push((
                name,
                "rule graph directory contains no .toml files; add one or name files directly"
                    .to_owned(),
            ));
        }
        inside.sort();
        files.extend(inside);
    }
    files
}

/// Reads, validates and compiles the sources.
fn build(sources: &[SourceFile]) -> (Option<RuleGraph>, ValidationReport) {
    let mut diag = Diagnostics::new(sources);
    if sources.is_empty() {
        diag.file_error(
            ProblemKind::Io,
            "(none)",
            "no rule graph files were given; name at least one".to_owned(),
        );
        return (None, ValidationReport::new(diag.into_problems(), None));
    }
    let document = document::read(sources, &mut diag);
    let digest = version::digest(sources).unwrap_or_default();
    let short = digest.get(..VERSION_LEN).unwrap_or_default().to_owned();
    let compiled = compile::compile(&document, &mut diag, (short.clone(), digest));
    let problems = diag.into_problems();
    match compiled {
        Some(mut compiled) => {
            let report = ValidationReport::new(problems, Some(short));
            compiled.warnings = report.problems().to_vec();
            (
                Some(RuleGraph {
                    inner: Arc::new(compiled),
                }),
                report,
            )
        }
        None => (None, ValidationReport::new(problems, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn graph_facts_and_evaluation_are_send_and_sync() {
        assert_send_sync::<RuleGraph>();
        assert_send_sync::<Facts>();
        assert_send_sync::<Evaluation>();
    }

    #[test]
    fn debug_output_shows_no_fact_values() {
        let graph = RuleGraph::bundled_default().expect("default graph loads");
        let mut facts = graph.new_facts();
        facts.set_country(crate::Role::Creditor, "IR");
        let printed = format!("{facts:?}");
        assert!(printed.contains("facts_set: 1"), "{printed}");
        assert!(!printed.contains("IR"), "{printed}");
        assert!(format!("{graph:?}").contains(graph.version()));
    }
}
