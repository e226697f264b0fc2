//! The rule graph now serving, with the state store's view of its
//! aggregates.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use screener_rules::{AggregateFunction, RuleGraph};

use crate::config::RulesConfig;
use crate::state::{AggregateKind, AggregateSpec};

/// The id of the internal aggregate that tells whether a debtor has paid a
/// creditor before: a count per (debtor account, creditor account) pair.
pub const PAIR_SEEN_ID: &str = "engine.pair_seen";

/// How far back "paid this creditor before" looks.
pub const PAIR_SEEN_WINDOW: Duration = Duration::from_secs(90 * 86_400);

/// A compiled rule graph and the state specs of its aggregates, in the
/// graph's aggregate order.
pub struct RuleSet {
    graph: RuleGraph,
    /// One state spec per graph aggregate, same index.
    specs: Vec<AggregateSpec>,
    /// The engine's own pair-seen aggregate.
    pair_seen: AggregateSpec,
    files: Vec<PathBuf>,
    loaded_at_unix_ms: i64,
}

impl RuleSet {
    /// Loads and validates the graph files; the error lists every problem.
    pub fn load(config: &RulesConfig) -> anyhow::Result<RuleSet> {
        let paths: Vec<PathBuf> = config.paths.iter().map(|p| resolve(p)).collect();
        let graph = RuleGraph::load(&paths).map_err(|report| {
            anyhow::anyhow!("rule graph {} is invalid:\n{report}", describe(&paths))
        })?;
        for warning in graph.warnings() {
            tracing::warn!(problem = %warning, "rule graph warning");
        }
        RuleSet::from_graph(graph, paths)
    }

    /// Wraps an already compiled graph.
    pub fn from_graph(graph: RuleGraph, files: Vec<PathBuf>) -> anyhow::Result<RuleSet> {
        let mut specs = Vec::with_capacity(graph.aggregates().len());
        for aggregate in graph.aggregates() {
            let kind = match aggregate.function {
                AggregateFunction::Count => AggregateKind::Count,
                AggregateFunction::Sum => AggregateKind::Sum,
                AggregateFunction::Max => AggregateKind::Max,
                AggregateFunction::DistinctCount => AggregateKind::DistinctCount,
            };
            let spec = AggregateSpec::new(&aggregate.id, kind, aggregate.window)
                .map_err(|e| anyhow::anyhow!("aggregate {:?}: {e}", aggregate.id))?;
            specs.push(spec);
        }
        let pair_seen = AggregateSpec::new(PAIR_SEEN_ID, AggregateKind::Count, PAIR_SEEN_WINDOW)
            .map_err(|e| anyhow::anyhow!("internal aggregate {PAIR_SEEN_ID}: {e}"))?;
        Ok(RuleSet {
            graph,
            specs,
            pair_seen,
            files,
            loaded_at_unix_ms: unix_ms_now(),
        })
    }

    pub fn graph(&self) -> &RuleGraph {
        &self.graph
    }

    pub fn version(&self) -> &str {
        self.graph.version()
    }

    /// The state spec of the graph aggregate at `index`.
    pub fn spec(&self, index: usize) -> Option<&AggregateSpec> {
        self.specs.get(index)
    }

    pub fn specs(&self) -> &[AggregateSpec] {
        &self.specs
    }

    pub fn pair_seen(&self) -> &AggregateSpec {
        &self.pair_seen
    }

    pub fn rule_count(&self) -> usize {
        self.graph.rule_ids().count()
    }

    pub fn files_description(&self) -> String {
        describe(&self.files)
    }

    pub fn loaded_at_unix_ms(&self) -> i64 {
        self.loaded_at_unix_ms
    }
}

/// Finds a relative rule path from the working directory, else from the
/// source tree this binary was built from (where the default graph lives).
pub fn resolve(path: &std::path::Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    let from_source = screener_lists::source_root().join(path);
    if from_source.exists() {
        from_source
    } else {
        path.to_path_buf()
    }
}

fn describe(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The wall clock in Unix milliseconds.
pub fn unix_ms_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
