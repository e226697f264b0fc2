//! The immutable compiled form of a rule graph that evaluation walks.

use crate::aggregate::AggregateSpec;
use crate::evaluation::Decision;
use crate::program::{NodeId, Program};
use crate::report::Problem;
use crate::value::{StrId, Symbols};

/// A validated graph, ready to evaluate. Shared behind an `Arc` by
/// [`crate::RuleGraph`], [`crate::Facts`] and [`crate::Evaluation`].
#[derive(Debug)]
pub(crate) struct Compiled {
    pub name: String,
    /// First 12 hex characters of `digest`.
    pub version: String,
    /// SHA-256 over the canonical content of the graph files, in hex.
    pub digest: String,
    pub program: Program,
    pub symbols: Symbols,
    pub currency: Option<CurrencyTable>,
    pub aggregates: Vec<AggregateSpec>,
    /// The filter of each aggregate, if it has one.
    pub aggregate_filters: Vec<Option<NodeId>>,
    pub rules: Vec<RuleDef>,
    /// Rule indexes in an order where every rule comes after the rules it reads.
    pub rule_order: Vec<u32>,
    pub typologies: Vec<TypologyDef>,
    pub combine: Combine,
    pub overrides: Vec<OverrideDef>,
    pub warnings: Vec<Problem>,
}

/// The reference currency and the rate of every configured currency.
#[derive(Debug)]
pub(crate) struct CurrencyTable {
    pub reference: String,
    /// Units of reference currency per unit, indexed by symbol number;
    /// NaN where a symbol is no configured currency.
    pub rate_by_symbol: Vec<f64>,
}

impl CurrencyTable {
    pub fn rate(&self, currency: StrId) -> Option<f64> {
        let rate = *self.rate_by_symbol.get(currency.symbol()?)?;
        (!rate.is_nan()).then_some(rate)
    }
}

#[derive(Debug)]
pub(crate) struct RuleDef {
    pub id: String,
    pub reason: String,
    /// The predicate, or for a band rule the optional guard.
    pub when: Option<NodeId>,
    /// The weight of a predicate rule.
    pub weight: f64,
    /// For a band rule, the number whose band gives the weight.
    pub value: Option<NodeId>,
    pub bands: Vec<BandDef>,
}

#[derive(Debug)]
pub(crate) struct BandDef {
    /// Exclusive upper bound; infinity for the last band.
    pub below: f64,
    pub weight: f64,
    pub reason: Option<String>,
}

#[derive(Debug)]
pub(crate) struct TypologyDef {
    pub id: String,
    /// Rule index and factor.
    pub rules: Vec<(u32, f64)>,
    pub review: f64,
    pub block: f64,
}

impl TypologyDef {
    pub fn decide(&self, score: f64) -> Decision {
        decide(score, self.review, self.block)
    }
}

/// The method by which the decision node combines typologies.
#[derive(Debug)]
pub(crate) enum Combine {
    /// The strictest typology decision; the score is the highest typology score.
    Max,
    /// A weighted sum of typology scores against the decision's thresholds.
    WeightedTotal {
        review: f64,
        block: f64,
        /// Weight of each typology, by typology index.
        weights: Vec<f64>,
    },
}

#[derive(Debug)]
pub(crate) struct OverrideDef {
    pub id: String,
    pub when: NodeId,
    pub decision: Decision,
    pub reason: String,
}

/// Decides a score against review and block thresholds.
pub(crate) fn decide(score: f64, review: f64, block: f64) -> Decision {
    if score >= block {
        Decision::Block
    } else if score >= review {
        Decision::Review
    } else {
        Decision::Allow
    }
}
