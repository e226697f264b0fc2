//! Turns the nodes read from graph files into a [`Compiled`] graph, finding
//! every problem on the way: expressions are parsed and type-checked,
//! references resolved, cycles and unused nodes found.

mod checks;
mod lower;
mod nodes;
mod sets;

use std::collections::HashMap;

use crate::compiled::{Combine, Compiled};
use crate::document::Document;
use crate::program::Program;
use crate::source::{At, Diagnostics, Loc};
use crate::value::Symbols;

pub(crate) use lower::ExprSite;
use sets::SetTable;

/// State shared by the compile steps.
pub(crate) struct Compiler<'d, 's> {
    diag: &'d mut Diagnostics<'s>,
    program: Program,
    symbols: Symbols,
    sets: SetTable,
    /// Aggregate id to index, first definition wins.
    aggregate_ids: HashMap<String, usize>,
    /// Rule id to index, first definition wins.
    rule_ids: HashMap<String, usize>,
    /// Whether some rule or override reads each aggregate.
    aggregate_read: Vec<bool>,
    /// Rules read through `fired(...)` by the expression being lowered.
    fired_refs: Vec<usize>,
    /// The first node that reads the amount, which needs a [currency] section.
    amount_use: Option<(Loc, String)>,
}

/// Compiles a document. Returns `None` when any error was recorded; the
/// errors and warnings are in `diag` either way.
pub(crate) fn compile(
    document: &Document,
    diag: &mut Diagnostics<'_>,
    version: (String, String),
) -> Option<Compiled> {
    let mut compiler = Compiler {
        diag,
        program: Program::default(),
        symbols: Symbols::default(),
        sets: SetTable::default(),
        aggregate_ids: HashMap::new(),
        rule_ids: HashMap::new(),
        aggregate_read: Vec::new(),
        fired_refs: Vec::new(),
        amount_use: None,
    };

    // Names first, so every later step can resolve references.
    compiler.check_ids(document);
    let name = compiler.graph_name(document);
    compiler.resolve_sets(&document.sets);
    let currency = compiler.currency(document);

    // Aggregates, then rules, which may read aggregates and other rules.
    let (aggregates, aggregate_filters) = compiler.aggregates(&document.aggregates);
    let (rules, rule_reads) = compiler.rules(&document.rules);
    let rule_order = compiler.rule_order(&document.rules, &rule_reads);

    // Typologies and the decision node over them; overrides last.
    let typologies = compiler.typologies(&document.typologies, &rules);
    let combine = compiler.decision(&document.decisions, &document.typologies);
    let (overrides, override_reads) = compiler.overrides(&document.overrides);

    compiler.check_currency_present(currency.is_some());
    compiler.report_unused(document, &rule_reads, &override_reads);
    if compiler.diag.has_errors() {
        return None;
    }
    let currency = currency.map(|c| c.into_table(&compiler.symbols));
    let (version, digest) = version;
    Some(Compiled {
        name,
        version,
        digest,
        program: compiler.program,
        symbols: compiler.symbols,
        currency,
        aggregates,
        aggregate_filters,
        rules,
        rule_order,
        typologies,
        combine: combine.unwrap_or(Combine::Max),
        overrides,
        warnings: Vec::new(),
    })
}

impl Compiler<'_, '_> {
    /// Returns the `[graph] name`, or "unnamed", reporting extra [graph] sections.
    fn graph_name(&mut self, document: &Document) -> String {
        let mut names = document.graph.iter();
        let first = names.next();
        for extra in names {
            let first_at = first.map(|m| self.diag.describe(m.loc)).unwrap_or_default();
            self.diag.error(
                crate::report::ProblemKind::DuplicateId,
                extra.loc,
                Some("[graph]"),
                format!("[graph] is defined again; it is already defined at {first_at}; keep one"),
            );
        }
        first
            .and_then(|m| m.name.as_ref())
            .map_or_else(|| "unnamed".to_owned(), |n: &At<String>| n.value.clone())
    }
}
