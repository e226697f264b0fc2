//! The engine: the current list snapshot and rule graph, the state store,
//! and what the services ask of them (screen, look up, reload, report).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use screener_proto::v1::{
    ClearHitRequest, ReloadResponse, ScreenPartyRequest, ScreenPartyResponse, ScreenWalletRequest,
    ScreenWalletResponse, StatusResponse, Transaction, Verdict,
};
use tokio::sync::watch;

use crate::catalog::ListSet;
use crate::config::{Config, StateConfig};
use crate::error::ServerError;
use crate::metrics;
use crate::policy::RuleSet;
use crate::state::{OpenOptions, StateStore, SyncPolicy};

/// Everything a request needs, shared by all services and tasks.
pub struct Engine {
    config: Config,
    /// The current lists. Written only by `reload` (a whole new set is built
    /// and checked, then swapped in); read by every request, which loads it
    /// once and keeps that version to the end.
    lists: ArcSwap<ListSet>,
    /// The current rule graph, swapped like the lists.
    rules: ArcSwap<RuleSet>,
    /// The durable store of aggregates, seen ids, clearances and verdicts.
    state: StateStore,
    /// ScreenStream calls open now; written by stream tasks.
    open_streams: AtomicUsize,
    /// Set to true once by `begin_shutdown`; stream readers and the gRPC
    /// server watch it to stop taking work.
    shutdown: watch::Sender<bool>,
    /// Serializes reloads so two never build at once.
    reload_lock: tokio::sync::Mutex<()>,
}

impl Engine {
    /// Loads lists and rules and opens the state store, failing with a
    /// message that names what is wrong.
    pub fn start(config: Config) -> anyhow::Result<Arc<Engine>> {
        Engine::start_with(config, false)
    }

    /// Starts like [`Engine::start`]. With `reset_state`, a foreign or
    /// corrupt database in the state directory is erased and created afresh
    /// instead of failing the start.
    pub fn start_with(config: Config, reset_state: bool) -> anyhow::Result<Arc<Engine>> {
        let lists = ListSet::load(&config.lists)?;
        let rules = RuleSet::load(&config.rules)?;
        let state = open_state(&config.state, reset_state)?;
        lists.publish_gauges();
        tracing::info!(
            list_version = %lists.version(),
            rule_version = %rules.version(),
            entities = lists.entity_count(),
            "lists and rules loaded"
        );
        let (shutdown, _) = watch::channel(false);
        Ok(Arc::new(Engine {
            config,
            lists: ArcSwap::from_pointee(lists),
            rules: ArcSwap::from_pointee(rules),
            state,
            open_streams: AtomicUsize::new(0),
            shutdown,
            reload_lock: tokio::sync::Mutex::new(()),
        }))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current list set, for one request to keep to its end.
    pub fn lists(&self) -> Arc<ListSet> {
        self.lists.load_full()
    }

    /// The current rule graph, for one request to keep to its end.
    pub fn rules(&self) -> Arc<RuleSet> {
        self.rules.load_full()
    }

    pub fn state(&self) -> &StateStore {
        &self.state
    }

    /// Screens one transaction through lists, rules and state.
    pub async fn screen(&self, transaction: Box<Transaction>) -> Result<Verdict, ServerError> {
        if *self.shutdown.borrow() {
            return Err(ServerError::ShuttingDown);
        }
        crate::pipeline::screen(self, transaction).await
    }

    pub fn screen_party(
        &self,
        request: ScreenPartyRequest,
    ) -> Result<ScreenPartyResponse, ServerError> {
        crate::pipeline::screen_party(self, request)
    }

    pub fn screen_wallet(
        &self,
        request: ScreenWalletRequest,
    ) -> Result<ScreenWalletResponse, ServerError> {
        crate::pipeline::screen_wallet(self, request)
    }

    /// The stored verdict of a transaction, if it was screened.
    pub fn stored_verdict(&self, end_to_end_id: &str) -> Result<Option<Verdict>, ServerError> {
        crate::pipeline::stored_verdict(self, end_to_end_id)
    }

    /// Verdicts screened between two times (Unix ms, inclusive), oldest first.
    pub fn verdicts_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Verdict>, ServerError> {
        crate::pipeline::verdicts_between(self, from_ms, to_ms, limit)
    }

    /// Records an analyst's clearance of a party and list entry pair.
    pub async fn clear_hit(&self, request: ClearHitRequest) -> Result<(), ServerError> {
        crate::pipeline::clear_hit(self, request).await
    }

    /// Status of the lists and rules now serving.
    pub fn status(&self) -> StatusResponse {
        let lists = self.lists();
        let rules = self.rules();
        StatusResponse {
            list_version: lists.version().to_string(),
            lists: lists.statuses(),
            rule_version: rules.version().to_string(),
            rule_files: rules.files_description(),
            rule_count: rules.rule_count() as u64,
            lists_loaded_at_unix_ms: lists.loaded_at_unix_ms(),
            rules_loaded_at_unix_ms: rules.loaded_at_unix_ms(),
        }
    }

    /// Builds new lists and/or rules beside the current ones, checks them,
    /// and swaps them in. A part that fails keeps its old version serving.
    pub async fn reload(self: &Arc<Self>, lists: bool, rules: bool) -> ReloadResponse {
        let _guard = self.reload_lock.lock().await;
        let mut response = ReloadResponse::default();
        if lists {
            let engine = self.clone();
            let built = tokio::task::spawn_blocking(move || {
                let current = engine.lists();
                ListSet::load(&engine.config.lists).and_then(|new| {
                    new.check_against(&current, engine.config.lists.max_shrink_share)?;
                    Ok(new)
                })
            })
            .await;
            match built {
                Ok(Ok(new)) => {
                    tracing::info!(list_version = %new.version(), entities = new.entity_count(), "lists reloaded");
                    new.publish_gauges();
                    response.list_version = new.version().to_string();
                    response.lists_reloaded = true;
                    self.lists.store(Arc::new(new));
                    metrics::record_reload("lists", "ok");
                }
                Ok(Err(error)) => {
                    tracing::error!(error = %format!("{error:#}"), "list reload rejected; the old lists keep serving");
                    response.errors.push(format!("lists: {error:#}"));
                    response.list_version = self.lists().version().to_string();
                    metrics::record_reload("lists", "rejected");
                }
                Err(error) => {
                    tracing::error!(%error, "list reload task failed; the old lists keep serving");
                    response
                        .errors
                        .push(format!("lists: reload task failed: {error}"));
                    metrics::record_reload("lists", "rejected");
                }
            }
        }
        if rules {
            match RuleSet::load(&self.config.rules) {
                Ok(new) => {
                    tracing::info!(rule_version = %new.version(), "rules reloaded");
                    response.rule_version = new.version().to_string();
                    response.rules_reloaded = true;
                    self.rules.store(Arc::new(new));
                    metrics::record_reload("rules", "ok");
                }
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "rule reload rejected; the old rules keep serving");
                    response.errors.push(format!("rules: {error:#}"));
                    response.rule_version = self.rules().version().to_string();
                    metrics::record_reload("rules", "rejected");
                }
            }
        }
        response
    }

    /// Counts an open stream until the returned guard drops.
    pub fn stream_opened(&self) -> StreamGuard<'_> {
        let open = self.open_streams.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::set_open_streams(open);
        StreamGuard { engine: self }
    }

    /// A receiver that turns true when shutdown begins.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Stops taking new work; streams finish what they already read.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Merges the aggregate journal into the aggregates, then flushes the
    /// state store's memtables and write-ahead log to disk, so the next
    /// start replays neither.
    pub async fn flush_state(&self) -> anyhow::Result<()> {
        self.state.checkpoint()?.await?;
        self.state.flush()?;
        Ok(())
    }

    /// Removes audit records (and their seen ids) older than
    /// `retention_days`, in batches so the writer serves screens in
    /// between. Returns the number removed.
    pub async fn prune_audit(&self, retention_days: u64) -> usize {
        let retention_ms =
            i64::try_from(retention_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
        let cutoff = crate::policy::unix_ms_now().saturating_sub(retention_ms);
        let mut total = 0;
        loop {
            match self.state.prune_audit(cutoff, PRUNE_BATCH) {
                Ok((0, _)) => break,
                Ok((count, handle)) => {
                    if let Some(handle) = handle {
                        if let Err(error) = handle.await {
                            tracing::error!(%error, "audit retention write failed");
                            break;
                        }
                    }
                    total += count;
                    if count < PRUNE_BATCH {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "audit retention scan failed");
                    break;
                }
            }
        }
        if total > 0 {
            tracing::info!(records = total, retention_days, "old audit records removed");
        }
        total
    }

    /// Starts scheduled reloads and the periodic gauges (list ages, state
    /// sizes, cached series).
    pub fn spawn_background_tasks(self: Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        let gauges = self.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                gauges.lists().publish_gauges();
                for (family, bytes) in gauges.state.column_family_sizes() {
                    metrics::set_state_size(family, bytes);
                }
                let stats = gauges.state.stats();
                metrics::set_state_series(stats.cached_series, stats.stored_series_listed);
            }
        }));
        let retention_days = self.config.state.audit_retention_days;
        if retention_days > 0 {
            let engine = self.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    engine.prune_audit(retention_days).await;
                }
            }));
        }
        let schedules = [
            (self.config.lists.reload_interval_seconds, true, false),
            (self.config.rules.reload_interval_seconds, false, true),
        ];
        for (seconds, lists, rules) in schedules {
            if seconds == 0 {
                continue;
            }
            let engine = self.clone();
            tasks.push(tokio::spawn(async move {
                let period = Duration::from_secs(seconds);
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                loop {
                    tick.tick().await;
                    engine.reload(lists, rules).await;
                }
            }));
        }
        tasks
    }
}

/// Opens the state store as configured.
fn open_state(config: &StateConfig, allow_reset: bool) -> anyhow::Result<StateStore> {
    let options = OpenOptions {
        create_if_missing: true,
        allow_reset,
        sync: match config.sync {
            crate::config::SyncPolicy::EveryBatch => SyncPolicy::EveryBatch,
            crate::config::SyncPolicy::Interval => {
                SyncPolicy::Interval(Duration::from_millis(config.sync_interval_ms))
            }
            crate::config::SyncPolicy::None => SyncPolicy::None,
        },
        cache_capacity: config.cache_entries,
        checkpoint_interval: Duration::from_millis(config.checkpoint_interval_ms),
        ..OpenOptions::default()
    };
    StateStore::open(&config.dir, options).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Audit records removed per write batch by the retention task.
const PRUNE_BATCH: usize = 1000;

/// Decrements the open-stream count when dropped.
pub struct StreamGuard<'a> {
    engine: &'a Engine,
}

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        let open = self.engine.open_streams.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::set_open_streams(open);
    }
}
