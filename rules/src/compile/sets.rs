//! Named string sets: duplicate names, `include` of other sets (with cycle
//! detection), and checking members against the features they are used with.

use std::collections::HashMap;

use crate::document::SetNode;
use crate::expr::{Expr, Name};
use crate::features::{self, StringKind};
use crate::report::ProblemKind;
use crate::source::{At, Loc};
use crate::value::SymbolSet;

use super::{Compiler, ExprSite};

/// The sets of a graph after `include` is resolved.
#[derive(Debug, Default)]
pub(super) struct SetTable {
    pub sets: Vec<ResolvedSet>,
    pub index: HashMap<String, usize>,
}

#[derive(Debug)]
pub(super) struct ResolvedSet {
    pub name: String,
    pub loc: Loc,
    /// Own values and those of included sets.
    pub members: Vec<At<String>>,
    /// The compiled set, built on first use.
    pub compiled: Option<u32>,
    /// Whether a predicate or another set uses it.
    pub used: bool,
    /// String kinds its members were already checked against.
    checked: Vec<StringKind>,
}

impl Compiler<'_, '_> {
    pub(super) fn resolve_sets(&mut self, nodes: &[SetNode]) {
        let mut first: Vec<&SetNode> = Vec::new();
        for node in nodes {
            if let Some(&index) = self.sets.index.get(&node.name.value) {
                let at = self.diag.describe(first[index].name.loc);
                self.diag.error(
                    ProblemKind::DuplicateId,
                    node.name.loc,
                    Some(&format!("set `{}`", node.name.value)),
                    format!(
                        "set `{}` is defined again; it is already defined at {at}",
                        node.name.value
                    ),
                );
                continue;
            }
            self.sets.index.insert(node.name.value.clone(), first.len());
            first.push(node);
        }
        let mut members: Vec<Option<Vec<At<String>>>> = vec![None; first.len()];
        for index in 0..first.len() {
            let mut path = Vec::new();
            self.flatten(index, &first, &mut members, &mut path);
        }
        for (node, members) in first.iter().zip(members) {
            let members = members.unwrap_or_default();
            if members.is_empty() {
                self.diag.warning(
                    ProblemKind::InvalidValue,
                    node.name.loc,
                    Some(&format!("set `{}`", node.name.value)),
                    "set is empty, so `in` never matches it".to_owned(),
                );
            }
            self.sets.sets.push(ResolvedSet {
                name: node.name.value.clone(),
                loc: node.name.loc,
                members,
                compiled: None,
                used: false,
                checked: Vec::new(),
            });
        }
    }

    /// Collects the members of set `index` and of the sets it includes.
    /// `path` contains the sets being expanded, to find include cycles.
    fn flatten(
        &mut self,
        index: usize,
        nodes: &[&SetNode],
        members: &mut Vec<Option<Vec<At<String>>>>,
        path: &mut Vec<usize>,
    ) -> Vec<At<String>> {
        if let Some(done) = &members[index] {
            return done.clone();
        }
        let node = nodes[index];
        let mut all = node.values.clone();
        path.push(index);
        for include in &node.include {
            let label = format!("set `{}`", node.name.value);
            match self.sets.index.get(&include.value).copied() {
                None => self.diag.error(
                    ProblemKind::UnknownSet,
                    include.loc,
                    Some(&label),
                    format!("includes set `{}`, which is not defined", include.value),
                ),
                Some(target) if path.contains(&target) => {
                    let cycle: Vec<&str> = path
                        .iter()
                        .skip_while(|&&i| i != target)
                        .map(|&i| nodes[i].name.value.as_str())
                        .chain(std::iter::once(include.value.as_str()))
                        .collect();
                    self.diag.error(
                        ProblemKind::Cycle,
                        include.loc,
                        Some(&label),
                        format!("sets include each other in a cycle: {}", cycle.join(" -> ")),
                    );
                }
                Some(target) => {
                    let included = self.flatten(target, nodes, members, path);
                    all.extend(included);
                }
            }
        }
        path.pop();
        members[index] = Some(all.clone());
        all
    }

    /// Compiles a named set for use with a feature of `kind`, checking its
    /// members once per kind.
    pub(super) fn use_set(
        &mut self,
        name: &Name,
        kind: StringKind,
        value: &Expr,
        site: &ExprSite<'_>,
    ) -> Option<u32> {
        let Some(&index) = self.sets.index.get(&name.text) else {
            let hint =
                features::closest_name(&name.text, self.sets.index.keys().map(String::as_str))
                    .map(|close| format!("; did you mean `{close}`?"))
                    .unwrap_or_default();
            self.report_unknown_set(name, site, hint);
            return None;
        };
        self.sets.sets[index].used = true;
        self.check_members(index, kind, value);
        if let Some(compiled) = self.sets.sets[index].compiled {
            return Some(compiled);
        }
        let mut symbols = SymbolSet::default();
        for member in &self.sets.sets[index].members {
            symbols.insert(self.symbols.intern(&member.value));
        }
        let compiled = self.program.add_set(symbols);
        self.sets.sets[index].compiled = Some(compiled);
        Some(compiled)
    }

    fn check_members(&mut self, index: usize, kind: StringKind, value: &Expr) {
        let set = &mut self.sets.sets[index];
        if set.checked.contains(&kind) {
            return;
        }
        set.checked.push(kind);
        let label = format!("set `{}`", set.name);
        let bad: Vec<At<String>> = set
            .members
            .iter()
            .filter(|m| !kind.accepts(&m.value))
            .cloned()
            .collect();
        for member in bad {
            self.diag.error(
                ProblemKind::InvalidValue,
                member.loc,
                Some(&label),
                format!(
                    "member \"{}\" is not {}, but the set is used with `{value}`",
                    member.value,
                    kind.describe()
                ),
            );
        }
    }

    pub(super) fn report_unused_sets(&mut self) {
        let unused: Vec<(String, Loc)> = self
            .sets
            .sets
            .iter()
            .filter(|s| !s.used)
            .map(|s| (s.name.clone(), s.loc))
            .collect();
        for (name, loc) in unused {
            self.diag.warning(
                ProblemKind::Unused,
                loc,
                Some(&format!("set `{name}`")),
                "no predicate uses this set; use it with `in` or remove it".to_owned(),
            );
        }
    }

    /// Marks sets that other sets include as used.
    pub(super) fn mark_included_sets(&mut self, nodes: &[SetNode]) {
        for node in nodes {
            for include in &node.include {
                if let Some(&index) = self.sets.index.get(&include.value) {
                    self.sets.sets[index].used = true;
                }
            }
        }
    }
}
