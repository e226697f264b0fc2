//! Whole-graph checks: id syntax and duplicates, cycles between rules,
//! nodes that nothing reads, and the currency section that amounts need.

use std::collections::HashMap;

use crate::document::{Document, RuleNode};
use crate::features;
use crate::report::ProblemKind;
use crate::source::{At, Loc};

use super::Compiler;

const KEYWORDS: &[&str] = &["and", "or", "not", "in", "true", "false"];

impl Compiler<'_, '_> {
    /// Checks that every node id is a valid identifier and unique across
    /// aggregates, rules, typologies and overrides.
    pub(super) fn check_ids(&mut self, document: &Document) {
        let ids = document
            .aggregates
            .iter()
            .map(|n| ("aggregate", &n.id))
            .chain(document.rules.iter().map(|n| ("rule", &n.id)))
            .chain(document.typologies.iter().map(|n| ("typology", &n.id)))
            .chain(document.overrides.iter().map(|n| ("override", &n.id)));
        let mut seen: HashMap<&str, (&str, Loc)> = HashMap::new();
        for (kind, id) in ids {
            let Some(id) = id else { continue };
            let label = format!("{kind} `{}`", id.value);
            self.check_id_syntax(kind, id, &label);
            match seen.get(id.value.as_str()) {
                Some(&(first_kind, first_loc)) => {
                    let at = self.diag.describe(first_loc);
                    let article = if first_kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    self.diag.error(ProblemKind::DuplicateId, id.loc, Some(&label), format!(
                        "duplicate id `{}`: {article} {first_kind} with this id is already defined at {at}", id.value));
                }
                None => {
                    seen.insert(&id.value, (kind, id.loc));
                }
            }
        }
    }

    fn check_id_syntax(&mut self, kind: &str, id: &At<String>, label: &str) {
        let text = id.value.as_str();
        let identifier = text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier || KEYWORDS.contains(&text) {
            self.diag.error(ProblemKind::InvalidValue, id.loc, Some(label), format!(
                "id \"{text}\" must be a name of letters, digits and underscores that starts with a letter and is not a keyword (and, or, not, in, true, false)"));
            return;
        }
        let reserved =
            features::find_builtin(text).is_some() || features::FUNCTIONS.contains(&text);
        if kind == "aggregate" && reserved {
            self.diag.error(ProblemKind::InvalidValue, id.loc, Some(label), format!(
                "aggregate id `{text}` is the name of a built-in feature or function; choose another id"));
        }
    }

    /// Orders rules so that each comes after the rules it reads through
    /// `fired(...)`, reporting every cycle.
    pub(super) fn rule_order(&mut self, nodes: &[RuleNode], reads: &[Vec<usize>]) -> Vec<u32> {
        let mut state = vec![Visit::New; reads.len()];
        let mut order = Vec::with_capacity(reads.len());
        for start in 0..reads.len() {
            let mut path = Vec::new();
            self.visit_rule(start, nodes, reads, &mut state, &mut path, &mut order);
        }
        order
    }

    fn visit_rule(
        &mut self,
        rule: usize,
        nodes: &[RuleNode],
        reads: &[Vec<usize>],
        state: &mut [Visit],
        path: &mut Vec<usize>,
        order: &mut Vec<u32>,
    ) {
        match state[rule] {
            Visit::Done => return,
            Visit::Open => {
                self.report_cycle(rule, nodes, path);
                return;
            }
            Visit::New => {}
        }
        state[rule] = Visit::Open;
        path.push(rule);
        for &next in &reads[rule] {
            self.visit_rule(next, nodes, reads, state, path, order);
        }
        path.pop();
        state[rule] = Visit::Done;
        order.push(rule as u32);
    }

    fn report_cycle(&mut self, rule: usize, nodes: &[RuleNode], path: &[usize]) {
        let id = |i: usize| nodes[i].id.as_ref().map_or("?", |id| id.value.as_str());
        let cycle: Vec<&str> = path
            .iter()
            .skip_while(|&&i| i != rule)
            .map(|&i| id(i))
            .chain(std::iter::once(id(rule)))
            .collect();
        let node = &nodes[rule];
        let loc = node.when.as_ref().map_or(node.loc, |w| w.loc);
        self.diag.error(
            ProblemKind::Cycle,
            loc,
            Some(&format!("rule `{}`", id(rule))),
            format!(
                "rules read each other through fired(...) in a cycle: {}; break the cycle",
                cycle.join(" -> ")
            ),
        );
    }

    pub(super) fn check_currency_present(&mut self, present: bool) {
        if let (false, Some((loc, node))) = (present, self.amount_use.take()) {
            self.diag.error(ProblemKind::MissingKey, loc, Some(&node),
                "the amount is read, but the graph has no [currency] section to convert amounts; add one with `reference` and `rates`".to_owned());
        }
    }

    /// Warns about rules, aggregates and sets that nothing reads.
    pub(super) fn report_unused(
        &mut self,
        document: &Document,
        rule_reads: &[Vec<usize>],
        override_reads: &[usize],
    ) {
        let mut rule_used = vec![false; document.rules.len()];
        for &read in rule_reads.iter().flatten().chain(override_reads) {
            rule_used[read] = true;
        }
        for typology in &document.typologies {
            for (rule, _) in &typology.rules {
                if let Some(&index) = self.rule_ids.get(&rule.value) {
                    rule_used[index] = true;
                }
            }
        }
        for (index, (node, used)) in document.rules.iter().zip(rule_used).enumerate() {
            let Some(id) = &node.id else { continue };
            // A duplicate id is already an error; only its first definition is checked here.
            if !used && self.rule_ids.get(&id.value) == Some(&index) {
                self.diag.warning(ProblemKind::Unused, id.loc, Some(&format!("rule `{}`", id.value)),
                    "no typology lists this rule and no rule or override reads it, so it never changes a decision; add it to a typology or remove it".to_owned());
            }
        }
        for node in &document.aggregates {
            let Some(id) = &node.id else { continue };
            let read = self
                .aggregate_ids
                .get(&id.value)
                .is_some_and(|&i| self.aggregate_read[i]);
            if !read {
                self.diag.warning(ProblemKind::Unused, id.loc, Some(&format!("aggregate `{}`", id.value)),
                    "no rule or override reads this aggregate, yet the engine would maintain it in state; read it or remove it".to_owned());
            }
        }
        self.mark_included_sets(&document.sets);
        self.report_unused_sets();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    Open,
    Done,
}
