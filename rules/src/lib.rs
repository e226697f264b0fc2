//! The rule graph: how facts about a transaction become a decision.
//!
//! Compliance teams write the graph in TOML files (schema in docs/rules.md;
//! the shipped default is config/rules/default.toml). A graph has:
//!
//! - **features**: built-in facts such as `sanctions(creditor)`, `amount`
//!   (converted to a reference currency), `country(debtor_agent)`, and the
//!   values of declared aggregates;
//! - **aggregates**: counts, sums, maxima and distinct counts over past
//!   transactions per account, wallet or party, over a window of 1m to 90d,
//!   which the engine maintains in its state store ([`AggregateSpec`]);
//! - **rules**: a predicate (`when = "amount >= 10000"`) with a weight, or
//!   bands over a number, each with a reason;
//! - **typologies**: weighted sums of rule weights with review and block
//!   thresholds;
//! - one **decision**: the maximum over typologies or a weighted total, and
//!   **overrides** that force review or block, such as on a strong sanctions hit.
//!
//! Parts: [`expr`] parses predicates; `document` reads TOML with locations;
//! `compile` type-checks and resolves everything into a compact program;
//! [`Facts`] contains one transaction's facts; [`RuleGraph::evaluate`] fills an
//! [`Evaluation`]. Loading reports every problem at once in a
//! [`ValidationReport`]; [`check`] backs the `screener rules check` command.
//!
//! ```
//! use screener_rules::{Decision, Evaluation, Role, RuleGraph};
//!
//! let graph = RuleGraph::bundled_default().expect("the default graph is valid");
//! let mut facts = graph.new_facts();
//! let mut evaluation = Evaluation::new();
//!
//! facts.set_sanctions_score(Role::Creditor, 0.97);
//! facts.set_amount(250.0, "EUR");
//! graph.evaluate(&facts, &mut evaluation).expect("facts belong to this graph");
//! assert_eq!(evaluation.decision(), Decision::Block);
//! assert_eq!(evaluation.graph_version(), graph.version());
//!
//! facts.clear();
//! ```
//!
//! The engine's part, per transaction: take the current graph (one
//! snapshot for the whole transaction), set the transaction's facts, then
//! for each aggregate in [`RuleGraph::aggregates`] for which
//! [`RuleGraph::aggregate_applies`] holds, add the transaction to the
//! aggregate's series in state and pass the updated value to
//! [`Facts::set_aggregate`]; finally evaluate and record
//! [`RuleGraph::version`] with the verdict. Analyst clearances of a party
//! and list entry are applied by the engine before facts are filled: a
//! cleared hit is left out of [`Facts::set_sanctions_score`] and reported
//! with [`Facts::set_cleared_hit`], which rules read as `cleared(role)`.
//!
//! This crate knows nothing of tokio, gRPC or RocksDB.

mod aggregate;
mod compile;
mod compiled;
mod document;
mod error;
mod evaluate;
mod evaluation;
pub mod expr;
mod facts;
mod features;
mod graph;
mod program;
mod report;
mod source;
mod value;
mod version;
mod window;

pub use aggregate::{AggregateField, AggregateFunction, AggregateKey, AggregateSpec};
pub use error::RulesError;
pub use evaluation::{Decision, Evaluation, OverrideResult, RuleResult, TypologyResult};
pub use facts::Facts;
pub use features::{Role, WalletSide};
pub use graph::{check, RuleGraph, DEFAULT_GRAPH, DEFAULT_GRAPH_NAME};
pub use report::{Problem, ProblemKind, Severity, ValidationReport};
pub use version::VERSION_LEN;
pub use window::{format_window, parse_window, MAX_WINDOW, MIN_WINDOW};
