//! Compiles each kind of node: currency, aggregates, rules, typologies,
//! the decision and overrides.

use crate::aggregate::{self, AggregateField, AggregateFunction, AggregateKey, AggregateSpec};
use crate::compiled::{BandDef, Combine, CurrencyTable, OverrideDef, RuleDef, TypologyDef};
use crate::document::{
    AggregateNode, BandNode, DecisionNode, Document, OverrideNode, RuleNode, TypologyNode,
};
use crate::evaluation::Decision;
use crate::features::StringKind;
use crate::program::NodeId;
use crate::report::ProblemKind;
use crate::source::{At, Loc};
use crate::value::{StrId, Symbols};
use crate::window;

use super::{Compiler, ExprSite};

/// Largest absolute rule or band weight.
pub(crate) const MAX_WEIGHT: f64 = 1000.0;
/// Largest typology factor or decision weight.
pub(crate) const MAX_FACTOR: f64 = 100.0;
/// Largest typology or decision threshold.
pub(crate) const MAX_THRESHOLD: f64 = 1_000_000.0;

/// The currency section before the symbol table is final.
pub(super) struct CurrencyDraft {
    reference: String,
    rates: Vec<(StrId, f64)>,
}

impl CurrencyDraft {
    pub fn into_table(self, symbols: &Symbols) -> CurrencyTable {
        let mut rate_by_symbol = vec![f64::NAN; symbols.len()];
        for (id, rate) in self.rates {
            if let Some(slot) = id.symbol().and_then(|s| rate_by_symbol.get_mut(s)) {
                *slot = rate;
            }
        }
        CurrencyTable {
            reference: self.reference,
            rate_by_symbol,
        }
    }
}

impl Compiler<'_, '_> {
    pub(super) fn currency(&mut self, document: &Document) -> Option<CurrencyDraft> {
        let mut sections = document.currency.iter();
        let section = sections.next()?;
        for extra in sections {
            let at = self.diag.describe(section.loc);
            self.diag.error(
                ProblemKind::DuplicateId,
                extra.loc,
                Some("[currency]"),
                format!("[currency] is defined again; it is already defined at {at}; keep one"),
            );
        }
        let node = Some("[currency]");
        let reference = section.reference.as_ref()?;
        if !StringKind::Code.accepts(&reference.value) {
            self.diag.error(
                ProblemKind::InvalidValue,
                reference.loc,
                node,
                format!(
                    "reference currency \"{}\" is not {}",
                    reference.value,
                    StringKind::Code.describe()
                ),
            );
        }
        let mut rates = vec![(self.symbols.intern(&reference.value), 1.0)];
        for (code, rate) in &section.rates {
            if !StringKind::Code.accepts(&code.value) {
                self.diag.error(
                    ProblemKind::InvalidValue,
                    code.loc,
                    node,
                    format!(
                        "rate key \"{}\" is not {}",
                        code.value,
                        StringKind::Code.describe()
                    ),
                );
            }
            if rate.value <= 0.0 {
                self.diag.error(
                    ProblemKind::OutOfRange,
                    rate.loc,
                    node,
                    format!(
                        "rate of {} is {}; a rate is the positive number of {} per unit",
                        code.value, rate.value, reference.value
                    ),
                );
            }
            if code.value == reference.value && rate.value != 1.0 {
                self.diag.error(
                    ProblemKind::OutOfRange,
                    rate.loc,
                    node,
                    format!(
                        "the reference currency {} must have rate 1, not {}",
                        code.value, rate.value
                    ),
                );
            }
            rates.push((self.symbols.intern(&code.value), rate.value));
        }
        Some(CurrencyDraft {
            reference: reference.value.clone(),
            rates,
        })
    }

    pub(super) fn aggregates(
        &mut self,
        nodes: &[AggregateNode],
    ) -> (Vec<AggregateSpec>, Vec<Option<NodeId>>) {
        for node in nodes {
            if let Some(id) = &node.id {
                let next = self.aggregate_ids.len();
                self.aggregate_ids.entry(id.value.clone()).or_insert(next);
            }
        }
        self.aggregate_read = vec![false; self.aggregate_ids.len()];
        let mut specs = Vec::new();
        let mut filters = Vec::new();
        for node in nodes {
            if let Some((spec, filter)) = self.aggregate(node) {
                specs.push(spec);
                filters.push(filter);
            }
        }
        (specs, filters)
    }

    fn aggregate(&mut self, node: &AggregateNode) -> Option<(AggregateSpec, Option<NodeId>)> {
        let id = node.id.as_ref()?;
        let label = format!("aggregate `{}`", id.value);
        let function = self.parse_enum(
            node.function.as_ref(),
            &label,
            "function",
            &AggregateFunction::ALL,
            AggregateFunction::as_str,
        );
        let key = self.parse_enum(
            node.key.as_ref(),
            &label,
            "key",
            &AggregateKey::ALL,
            AggregateKey::as_str,
        );
        let field = self.parse_enum(
            node.field.as_ref(),
            &label,
            "field",
            &AggregateField::ALL,
            AggregateField::as_str,
        );
        let window = node
            .window
            .as_ref()
            .and_then(|w| match window::parse_window(&w.value) {
                Ok(window) => Some(window),
                Err(message) => {
                    self.diag
                        .error(ProblemKind::BadWindow, w.loc, Some(&label), message);
                    None
                }
            });
        let filter = node.when.as_ref().and_then(|when| {
            let site = ExprSite {
                text: when,
                node: &label,
                key: "when",
                allow_aggregates: false,
                allow_fired: false,
            };
            self.lower_condition(&site)
        });
        let function = function?;
        let field = match aggregate::check_field(function, field) {
            Ok(field) => field,
            Err(message) => {
                let loc = node.field.as_ref().map_or(node.loc, |f| f.loc);
                self.diag
                    .error(ProblemKind::InvalidValue, loc, Some(&label), message);
                return None;
            }
        };
        if field == Some(AggregateField::Amount) && self.amount_use.is_none() {
            self.amount_use = Some((node.loc, label.clone()));
        }
        let spec = AggregateSpec {
            id: id.value.clone(),
            function,
            key: key?,
            field,
            window: window?,
            filtered: node.when.is_some(),
        };
        Some((spec, filter))
    }

    fn parse_enum<T: Copy>(
        &mut self,
        value: Option<&At<String>>,
        label: &str,
        key: &str,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        let value = value?;
        match aggregate::parse_name(&value.value, all, name) {
            Ok(parsed) => Some(parsed),
            Err(allowed) => {
                self.diag.error(
                    ProblemKind::InvalidValue,
                    value.loc,
                    Some(label),
                    format!("`{key}` is \"{}\"; allowed values: {allowed}", value.value),
                );
                None
            }
        }
    }

    /// Compiles every rule; also returns, per rule, the rules it reads.
    pub(super) fn rules(&mut self, nodes: &[RuleNode]) -> (Vec<RuleDef>, Vec<Vec<usize>>) {
        for (index, node) in nodes.iter().enumerate() {
            if let Some(id) = &node.id {
                self.rule_ids.entry(id.value.clone()).or_insert(index);
            }
        }
        let mut rules = Vec::new();
        let mut reads = Vec::new();
        for node in nodes {
            let (rule, read) = self.rule(node);
            rules.push(rule);
            reads.push(read);
        }
        (rules, reads)
    }

    fn rule(&mut self, node: &RuleNode) -> (RuleDef, Vec<usize>) {
        let id = node
            .id
            .as_ref()
            .map_or_else(String::new, |id| id.value.clone());
        let label = format!("rule `{id}`");
        let mut reads = Vec::new();
        let when = node.when.as_ref().and_then(|when| {
            let site = ExprSite {
                text: when,
                node: &label,
                key: "when",
                allow_aggregates: true,
                allow_fired: true,
            };
            self.lower_condition(&site)
        });
        reads.extend(self.take_fired_refs());
        let mut rule = RuleDef {
            id,
            reason: self.reason(node.reason.as_ref(), &label),
            when,
            weight: 0.0,
            value: None,
            bands: Vec::new(),
        };
        match &node.bands {
            Some((bands_loc, bands)) => {
                self.band_rule(node, &label, *bands_loc, bands, &mut rule);
                reads.extend(self.take_fired_refs());
            }
            None => self.predicate_rule(node, &label, &mut rule),
        }
        (rule, reads)
    }

    /// Missing `when` and `weight` keys are reported while reading the
    /// document, where a key of the wrong type can be distinguished from an absent one.
    fn predicate_rule(&mut self, node: &RuleNode, label: &str, rule: &mut RuleDef) {
        if let Some(value) = &node.value {
            self.diag.error(
                ProblemKind::InvalidValue,
                value.loc,
                Some(label),
                "`value` is read only with `bands`; add bands or remove `value`".to_owned(),
            );
        }
        if let Some(weight) = &node.weight {
            rule.weight = self.weight(weight, label);
        }
    }

    fn band_rule(
        &mut self,
        node: &RuleNode,
        label: &str,
        bands_loc: Loc,
        bands: &[BandNode],
        rule: &mut RuleDef,
    ) {
        if let Some(weight) = &node.weight {
            self.diag.error(
                ProblemKind::InvalidValue,
                weight.loc,
                Some(label),
                "a band rule takes its weight from its bands; remove `weight`".to_owned(),
            );
        }
        let score = node.value.as_ref().and_then(|value| {
            let site = ExprSite {
                text: value,
                node: label,
                key: "value",
                allow_aggregates: true,
                allow_fired: true,
            };
            let (id, score) = self.lower_number(&site)?;
            rule.value = Some(id);
            Some(score)
        });
        if bands.is_empty() {
            self.diag.error(
                ProblemKind::InvalidValue,
                bands_loc,
                Some(label),
                "`bands` is empty; add at least one band".to_owned(),
            );
        }
        rule.bands = self.bands(bands, label, score.unwrap_or(false));
    }

    fn bands(&mut self, bands: &[BandNode], label: &str, score: bool) -> Vec<BandDef> {
        let mut compiled = Vec::new();
        let mut previous: Option<f64> = None;
        for (i, band) in bands.iter().enumerate() {
            let last = i + 1 == bands.len();
            let below = match (&band.below, last) {
                (Some(below), true) => {
                    self.diag.error(
                        ProblemKind::InvalidValue,
                        below.loc,
                        Some(label),
                        "the last band must have no `below`, so that every value falls in a band"
                            .to_owned(),
                    );
                    f64::INFINITY
                }
                (None, false) => {
                    self.diag.error(
                        ProblemKind::MissingKey,
                        band.loc,
                        Some(label),
                        "every band but the last needs `below`".to_owned(),
                    );
                    f64::INFINITY
                }
                (Some(below), false) => {
                    self.check_band_bound(below, previous, score, label);
                    previous = Some(below.value);
                    below.value
                }
                (None, true) => f64::INFINITY,
            };
            let weight = band.weight.as_ref().map_or(0.0, |w| self.weight(w, label));
            let reason = band.reason.as_ref().map(|r| self.reason(Some(r), label));
            compiled.push(BandDef {
                below,
                weight,
                reason,
            });
        }
        compiled
    }

    fn check_band_bound(
        &mut self,
        below: &At<f64>,
        previous: Option<f64>,
        score: bool,
        label: &str,
    ) {
        if let Some(previous) = previous.filter(|&p| below.value <= p) {
            self.diag.error(
                ProblemKind::OutOfRange,
                below.loc,
                Some(label),
                format!(
                    "band bounds must increase, but {} follows {previous}",
                    below.value
                ),
            );
        }
        if score && !(below.value > 0.0 && below.value <= 1.0) {
            self.diag.error(
                ProblemKind::OutOfRange,
                below.loc,
                Some(label),
                format!(
                    "band bound {} is outside 0..=1, the range of match scores",
                    below.value
                ),
            );
        }
    }

    fn weight(&mut self, weight: &At<f64>, label: &str) -> f64 {
        if weight.value.abs() > MAX_WEIGHT {
            self.diag.error(
                ProblemKind::OutOfRange,
                weight.loc,
                Some(label),
                format!(
                    "weight {} is outside -{MAX_WEIGHT}..={MAX_WEIGHT}",
                    weight.value
                ),
            );
        }
        weight.value
    }

    fn reason(&mut self, reason: Option<&At<String>>, label: &str) -> String {
        let Some(reason) = reason else {
            return String::new();
        };
        if reason.value.trim().is_empty() {
            self.diag.error(
                ProblemKind::InvalidValue,
                reason.loc,
                Some(label),
                "`reason` is empty; write the text an analyst reads when this fires".to_owned(),
            );
        }
        reason.value.clone()
    }

    pub(super) fn typologies(
        &mut self,
        nodes: &[TypologyNode],
        rules: &[RuleDef],
    ) -> Vec<TypologyDef> {
        nodes
            .iter()
            .map(|node| self.typology(node, rules))
            .collect()
    }

    fn typology(&mut self, node: &TypologyNode, rules: &[RuleDef]) -> TypologyDef {
        let id = node
            .id
            .as_ref()
            .map_or_else(String::new, |id| id.value.clone());
        let label = format!("typology `{id}`");
        let mut members: Vec<(u32, f64)> = Vec::new();
        for (rule, factor) in &node.rules {
            let factor = factor
                .as_ref()
                .map_or(1.0, |f| self.factor(f, &label, "factor"));
            match self.rule_ids.get(&rule.value) {
                None => self.diag.error(
                    ProblemKind::UnknownReference,
                    rule.loc,
                    Some(&label),
                    format!("lists rule `{}`, which is not defined", rule.value),
                ),
                Some(&index) if members.iter().any(|(r, _)| *r as usize == index) => {
                    self.diag.error(
                        ProblemKind::InvalidValue,
                        rule.loc,
                        Some(&label),
                        format!(
                            "lists rule `{}` twice; give it one entry with a factor",
                            rule.value
                        ),
                    )
                }
                Some(&index) => members.push((index as u32, factor)),
            }
        }
        if node.rules.is_empty() {
            let loc = node.rules_loc.unwrap_or(node.loc);
            self.diag.error(
                ProblemKind::InvalidValue,
                loc,
                Some(&label),
                "`rules` is empty; list the rules this typology sums".to_owned(),
            );
        }
        let (review, block) = self.thresholds(node.review.as_ref(), node.block.as_ref(), &label);
        self.check_reachable(&members, rules, review, node, &label);
        TypologyDef {
            id,
            rules: members,
            review,
            block,
        }
    }

    /// Warns when the typology's largest possible score stays below review.
    fn check_reachable(
        &mut self,
        members: &[(u32, f64)],
        rules: &[RuleDef],
        review: f64,
        node: &TypologyNode,
        label: &str,
    ) {
        let best: f64 = members
            .iter()
            .map(|&(rule, factor)| {
                let rule = &rules[rule as usize];
                let top = rule
                    .bands
                    .iter()
                    .map(|b| b.weight)
                    .fold(rule.weight, f64::max);
                factor * top.max(0.0)
            })
            .sum();
        if !members.is_empty() && best < review {
            let loc = node.review.as_ref().map_or(node.loc, |r| r.loc);
            self.diag.warning(ProblemKind::OutOfRange, loc, Some(label), format!(
                "the typology scores at most {best} when all its rules fire, below its review threshold {review}, so it never changes a decision"));
        }
    }

    fn factor(&mut self, factor: &At<f64>, label: &str, key: &str) -> f64 {
        if !(0.0..=MAX_FACTOR).contains(&factor.value) {
            self.diag.error(
                ProblemKind::OutOfRange,
                factor.loc,
                Some(label),
                format!("{key} {} is outside 0..={MAX_FACTOR}", factor.value),
            );
        }
        factor.value
    }

    fn thresholds(
        &mut self,
        review: Option<&At<f64>>,
        block: Option<&At<f64>>,
        label: &str,
    ) -> (f64, f64) {
        for threshold in [review, block].into_iter().flatten() {
            if !(threshold.value > 0.0 && threshold.value <= MAX_THRESHOLD) {
                self.diag.error(ProblemKind::OutOfRange, threshold.loc, Some(label), format!(
                    "threshold {} is outside the allowed range above 0 and up to {MAX_THRESHOLD}; a threshold of 0 or less would flag every transaction", threshold.value));
            }
        }
        if let (Some(review), Some(block)) = (review, block) {
            if review.value > block.value {
                self.diag.error(ProblemKind::OutOfRange, review.loc, Some(label), format!(
                    "review threshold {} is above block threshold {}; review must be the lower one", review.value, block.value));
            }
        }
        (
            review.map_or(f64::INFINITY, |r| r.value),
            block.map_or(f64::INFINITY, |b| b.value),
        )
    }

    pub(super) fn decision(
        &mut self,
        nodes: &[DecisionNode],
        typologies: &[TypologyNode],
    ) -> Option<Combine> {
        let Some(node) = nodes.first() else {
            if !self.diag.has_unreadable_file() {
                self.diag.error(ProblemKind::MissingKey, Loc::default(), Some("[decision]"),
                    "the graph has no [decision] section; add one, for example [decision] with combine = \"max\"".to_owned());
            }
            return None;
        };
        for extra in &nodes[1..] {
            let at = self.diag.describe(node.loc);
            self.diag.error(
                ProblemKind::DuplicateId,
                extra.loc,
                Some("[decision]"),
                format!("[decision] is defined again; it is already defined at {at}; keep one"),
            );
        }
        let combine = node.combine.as_ref()?;
        match combine.value.as_str() {
            "max" => {
                self.reject_for_max(node);
                Some(Combine::Max)
            }
            "weighted_total" => self.weighted_total(node, typologies),
            other => {
                self.diag.error(
                    ProblemKind::InvalidValue,
                    combine.loc,
                    Some("[decision]"),
                    format!("`combine` is \"{other}\"; allowed values: max, weighted_total"),
                );
                None
            }
        }
    }

    fn reject_for_max(&mut self, node: &DecisionNode) {
        let extra = [
            node.review.as_ref().map(|r| ("review", r.loc)),
            node.block.as_ref().map(|b| ("block", b.loc)),
            node.weights.first().map(|(w, _)| ("weights", w.loc)),
        ];
        for (key, loc) in extra.into_iter().flatten() {
            self.diag.error(ProblemKind::InvalidValue, loc, Some("[decision]"), format!(
                "`{key}` applies only to combine = \"weighted_total\"; with \"max\" each typology's own thresholds decide"));
        }
    }

    fn weighted_total(
        &mut self,
        node: &DecisionNode,
        typologies: &[TypologyNode],
    ) -> Option<Combine> {
        let label = "[decision]";
        for (key, value) in [("review", &node.review), ("block", &node.block)] {
            if value.is_none() {
                self.diag.error(ProblemKind::MissingKey, node.loc, Some(label), format!(
                    "combine = \"weighted_total\" needs `{key}`, the threshold of the weighted total"));
            }
        }
        let (review, block) = self.thresholds(node.review.as_ref(), node.block.as_ref(), label);
        let mut weights = vec![1.0; typologies.len()];
        for (id, weight) in &node.weights {
            let weight_value = self.factor(weight, label, "weight");
            let position = typologies
                .iter()
                .position(|t| t.id.as_ref().is_some_and(|t| t.value == id.value));
            match position {
                Some(index) => weights[index] = weight_value,
                None => self.diag.error(
                    ProblemKind::UnknownReference,
                    id.loc,
                    Some(label),
                    format!(
                        "`weights` names typology `{}`, which is not defined",
                        id.value
                    ),
                ),
            }
        }
        Some(Combine::WeightedTotal {
            review,
            block,
            weights,
        })
    }

    /// Compiles every override; also returns the rules each one reads.
    pub(super) fn overrides(&mut self, nodes: &[OverrideNode]) -> (Vec<OverrideDef>, Vec<usize>) {
        let mut overrides = Vec::new();
        let mut reads = Vec::new();
        for node in nodes {
            if let Some(compiled) = self.override_node(node) {
                overrides.push(compiled);
            }
            reads.extend(self.take_fired_refs());
        }
        (overrides, reads)
    }

    fn override_node(&mut self, node: &OverrideNode) -> Option<OverrideDef> {
        let id = node
            .id
            .as_ref()
            .map_or_else(String::new, |id| id.value.clone());
        let label = format!("override `{id}`");
        let when = node.when.as_ref().and_then(|when| {
            let site = ExprSite {
                text: when,
                node: &label,
                key: "when",
                allow_aggregates: true,
                allow_fired: true,
            };
            self.lower_condition(&site)
        });
        let decision = node.decision.as_ref().and_then(|d| match d.value.as_str() {
            "block" => Some(Decision::Block),
            "review" => Some(Decision::Review),
            other => {
                self.diag.error(ProblemKind::InvalidValue, d.loc, Some(&label), format!(
                    "`decision` is \"{other}\"; an override can only raise a decision, to \"review\" or \"block\""));
                None
            }
        });
        let reason = self.reason(node.reason.as_ref(), &label);
        Some(OverrideDef {
            id,
            when: when?,
            decision: decision?,
            reason,
        })
    }
}
