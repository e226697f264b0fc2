//! Evaluation of a compiled graph: rules in dependency order, then
//! typologies, the decision node, and overrides.

use std::sync::Arc;

use crate::compiled::{decide, Combine, Compiled, RuleDef};
use crate::error::RulesError;
use crate::evaluation::{Evaluation, RuleOutcome, TypologyOutcome};
use crate::facts::Facts;
use crate::program::Input;
use crate::value::Value;

/// Evaluates `graph` over `facts` into `out`, reusing its buffers.
pub(crate) fn evaluate(
    graph: &Arc<Compiled>,
    facts: &Facts,
    out: &mut Evaluation,
) -> Result<(), RulesError> {
    if !Arc::ptr_eq(graph, facts.compiled()) {
        return Err(RulesError::GraphMismatch {
            facts_version: facts.graph_version().to_owned(),
            graph_version: graph.version.clone(),
        });
    }
    prepare(graph, out);
    evaluate_rules(graph, facts, out);
    score_typologies(graph, out);
    combine(graph, out);
    apply_overrides(graph, facts, out);
    Ok(())
}

/// Points `out` at the graph, allocating only when the graph changed.
fn prepare(graph: &Arc<Compiled>, out: &mut Evaluation) {
    let same = out.graph.as_ref().is_some_and(|g| Arc::ptr_eq(g, graph));
    if !same {
        out.graph = Some(Arc::clone(graph));
        out.rules = vec![RuleOutcome::default(); graph.rules.len()];
        out.typologies = vec![TypologyOutcome::default(); graph.typologies.len()];
        out.overrides = Vec::with_capacity(graph.overrides.len());
    }
    out.rules.fill(RuleOutcome::default());
    out.overrides.clear();
}

fn evaluate_rules(graph: &Compiled, facts: &Facts, out: &mut Evaluation) {
    for &index in &graph.rule_order {
        let rule = &graph.rules[index as usize];
        let outcome = with_input(facts, &out.rules, |input| rule_outcome(graph, rule, input));
        out.rules[index as usize] = outcome;
    }
}

/// Runs `f` with the facts and the rule outcomes known so far as input.
fn with_input<R>(facts: &Facts, rules: &[RuleOutcome], f: impl FnOnce(&Input<'_>) -> R) -> R {
    let fired = |rule: u32| rules.get(rule as usize).is_some_and(|o| o.fired);
    let input = Input {
        slots: facts.slots(),
        aggregates: facts.aggregate_values(),
        fired: &fired,
    };
    f(&input)
}

/// Evaluates one rule. A predicate rule fires when its condition is true.
/// A band rule fires when its guard, if any, is true and its value falls in
/// a band of non-zero weight. A missing value fires nothing.
fn rule_outcome(graph: &Compiled, rule: &RuleDef, input: &Input<'_>) -> RuleOutcome {
    if let Some(when) = rule.when {
        if !graph.program.eval(when, input).is_true() {
            return RuleOutcome::default();
        }
    }
    let Some(value) = rule.value else {
        return RuleOutcome {
            fired: true,
            weight: rule.weight,
            band: None,
        };
    };
    let Value::Number(value) = graph.program.eval(value, input) else {
        return RuleOutcome::default();
    };
    let Some(band) = rule.bands.iter().position(|b| value < b.below) else {
        return RuleOutcome::default();
    };
    let weight = rule.bands[band].weight;
    let fired = weight != 0.0;
    RuleOutcome {
        fired,
        weight: if fired { weight } else { 0.0 },
        band: fired.then_some(band as u16),
    }
}

fn score_typologies(graph: &Compiled, out: &mut Evaluation) {
    for (typology, outcome) in graph.typologies.iter().zip(out.typologies.iter_mut()) {
        let score: f64 = typology
            .rules
            .iter()
            .map(|&(rule, factor)| {
                let rule = out.rules[rule as usize];
                if rule.fired {
                    factor * rule.weight
                } else {
                    0.0
                }
            })
            .sum();
        *outcome = TypologyOutcome {
            score,
            decision: typology.decide(score),
        };
    }
}

fn combine(graph: &Compiled, out: &mut Evaluation) {
    match &graph.combine {
        Combine::Max => {
            out.decision = out
                .typologies
                .iter()
                .map(|t| t.decision)
                .max()
                .unwrap_or_default();
            out.score = out
                .typologies
                .iter()
                .map(|t| t.score)
                .reduce(f64::max)
                .unwrap_or(0.0);
        }
        Combine::WeightedTotal {
            review,
            block,
            weights,
        } => {
            out.score = out
                .typologies
                .iter()
                .zip(weights)
                .map(|(t, w)| t.score * w)
                .sum();
            out.decision = decide(out.score, *review, *block);
        }
    }
}

/// Raises the decision to each override whose condition holds.
fn apply_overrides(graph: &Compiled, facts: &Facts, out: &mut Evaluation) {
    for (index, definition) in graph.overrides.iter().enumerate() {
        let holds = with_input(facts, &out.rules, |input| {
            graph.program.eval(definition.when, input).is_true()
        });
        if holds {
            out.overrides.push(index as u32);
            out.decision = out.decision.max(definition.decision);
        }
    }
}
