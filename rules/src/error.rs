//! Errors of the rules layer at run time. Problems in graph files are not
//! errors of this kind: they are collected in a [`crate::ValidationReport`].

/// A fact or evaluation call the graph cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("BIC \"{bic}\" is invalid: {reason}; a BIC has 8 or 11 letters and digits with the ISO country code at positions 5 and 6")]
    InvalidBic { bic: String, reason: &'static str },
    #[error("aggregate index {index} is out of range: rule graph {version} declares {count} aggregates; use the index of the spec in graph.aggregates()")]
    AggregateIndex {
        index: usize,
        count: usize,
        version: String,
    },
    #[error("facts were filled for rule graph {facts_version} but evaluated with rule graph {graph_version}; after a reload call facts.reset_for(&graph) before filling them")]
    GraphMismatch {
        facts_version: String,
        graph_version: String,
    },
}
