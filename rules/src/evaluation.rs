//! The result of evaluating a graph over one transaction's facts.

use std::fmt;
use std::sync::Arc;

use crate::compiled::Compiled;

/// The outcome for a transaction, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Decision {
    #[default]
    Allow,
    Review,
    Block,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Block => "block",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a rule fired and the weight it gave, by rule index.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RuleOutcome {
    pub fired: bool,
    pub weight: f64,
    /// The band that gave the weight, for a band rule that fired.
    pub band: Option<u16>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct TypologyOutcome {
    pub score: f64,
    pub decision: Decision,
}

/// The output of [`crate::RuleGraph::evaluate`]: the decision, the score,
/// every rule's and typology's result and the overrides applied. Reuse one
/// per worker: after the first evaluation with a graph it does not allocate.
#[derive(Clone, Default)]
pub struct Evaluation {
    /// The graph of the last evaluation; replaced only when the graph changes.
    pub(crate) graph: Option<Arc<Compiled>>,
    pub(crate) decision: Decision,
    pub(crate) score: f64,
    pub(crate) rules: Vec<RuleOutcome>,
    pub(crate) typologies: Vec<TypologyOutcome>,
    /// Indexes of the overrides whose condition held.
    pub(crate) overrides: Vec<u32>,
}

impl fmt::Debug for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fired: Vec<&str> = self.fired_rules().map(|r| r.id).collect();
        let overrides: Vec<&str> = self.overrides().map(|o| o.id).collect();
        f.debug_struct("Evaluation")
            .field("graph_version", &self.graph_version())
            .field("decision", &self.decision)
            .field("score", &self.score)
            .field("fired", &fired)
            .field("overrides", &overrides)
            .finish()
    }
}

/// One rule's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleResult<'a> {
    pub id: &'a str,
    pub fired: bool,
    /// The weight the rule gave; 0 when it did not fire.
    pub weight: f64,
    /// The rule's reason, or its band's reason when the band has one.
    pub reason: &'a str,
}

/// One typology's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypologyResult<'a> {
    pub id: &'a str,
    /// Sum of factor times weight over its fired rules.
    pub score: f64,
    pub decision: Decision,
}

/// An override whose condition held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverrideResult<'a> {
    pub id: &'a str,
    /// The decision the override forces at least.
    pub decision: Decision,
    pub reason: &'a str,
}

impl Evaluation {
    pub fn new() -> Self {
        Evaluation::default()
    }

    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// With `combine = "max"`, the highest typology score; with
    /// `combine = "weighted_total"`, the weighted total.
    pub fn score(&self) -> f64 {
        self.score
    }

    /// The version of the graph that produced this result; empty before the
    /// first evaluation.
    pub fn graph_version(&self) -> &str {
        self.graph.as_deref().map_or("", |g| g.version.as_str())
    }

    /// Returns every rule's result, in the order of the graph files.
    pub fn rules(&self) -> impl Iterator<Item = RuleResult<'_>> {
        let graph = self.graph.as_deref();
        self.rules
            .iter()
            .enumerate()
            .filter_map(move |(i, outcome)| {
                let rule = graph?.rules.get(i)?;
                let band_reason = outcome
                    .band
                    .and_then(|b| rule.bands.get(b as usize))
                    .and_then(|b| b.reason.as_deref());
                Some(RuleResult {
                    id: &rule.id,
                    fired: outcome.fired,
                    weight: outcome.weight,
                    reason: band_reason.unwrap_or(&rule.reason),
                })
            })
    }

    /// Returns the rules that fired.
    pub fn fired_rules(&self) -> impl Iterator<Item = RuleResult<'_>> {
        self.rules().filter(|r| r.fired)
    }

    pub fn typologies(&self) -> impl Iterator<Item = TypologyResult<'_>> {
        let graph = self.graph.as_deref();
        self.typologies
            .iter()
            .enumerate()
            .filter_map(move |(i, outcome)| {
                Some(TypologyResult {
                    id: &graph?.typologies.get(i)?.id,
                    score: outcome.score,
                    decision: outcome.decision,
                })
            })
    }

    /// Returns the overrides whose condition was true.
    pub fn overrides(&self) -> impl Iterator<Item = OverrideResult<'_>> {
        let graph = self.graph.as_deref();
        self.overrides.iter().filter_map(move |&i| {
            let definition = graph?.overrides.get(i as usize)?;
            Some(OverrideResult {
                id: &definition.id,
                decision: definition.decision,
                reason: &definition.reason,
            })
        })
    }

    /// Returns the reasons to show an analyst: those of fired rules with a
    /// positive weight, then those of applied overrides.
    pub fn reasons(&self) -> impl Iterator<Item = &str> {
        self.fired_rules()
            .filter(|r| r.weight > 0.0)
            .map(|r| r.reason)
            .chain(self.overrides().map(|o| o.reason))
    }
}
