//! Every Prometheus metric the engine exports, declared in one place, and
//! the HTTP endpoint that serves them.
//!
//! Metrics go through the `metrics` facade to one process-wide recorder, so
//! several servers in one process (as in tests) share the same counters.

use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Counter,
    Histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const TRANSACTIONS: &str = "screener_transactions_total";
pub const HITS: &str = "screener_hits_total";
pub const STAGE_SECONDS: &str = "screener_stage_duration_seconds";
pub const OPEN_STREAMS: &str = "screener_open_streams";
pub const LIST_ENTITIES: &str = "screener_list_entities";
pub const LIST_AGE: &str = "screener_list_age_seconds";
pub const LIST_DATED: &str = "screener_list_dated";
pub const RELOADS: &str = "screener_reloads_total";
pub const STATE_SIZE: &str = "screener_state_size_bytes";
pub const STATE_SERIES: &str = "screener_state_cached_series";
pub const STATE_LISTED: &str = "screener_state_stored_series_listed";
pub const ERRORS: &str = "screener_errors_total";
pub const RULES_FIRED: &str = "screener_rules_fired_total";
pub const REPLAYED: &str = "screener_replayed_transactions_total";
pub const NAME_CACHE: &str = "screener_name_cache_lookups_total";

/// The names of every metric the server exports.
pub const ALL: [&str; 15] = [
    TRANSACTIONS,
    HITS,
    STAGE_SECONDS,
    OPEN_STREAMS,
    LIST_ENTITIES,
    LIST_AGE,
    LIST_DATED,
    RELOADS,
    STATE_SIZE,
    STATE_SERIES,
    STATE_LISTED,
    ERRORS,
    RULES_FIRED,
    REPLAYED,
    NAME_CACHE,
];

/// Latency buckets in seconds, from 5 µs to 1 s: screening sits inline
/// before settlement, so the interesting range is microseconds.
const STAGE_BUCKETS: [f64; 16] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// How often recorded histogram samples are folded into their buckets.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process-wide recorder handle; written once by `install`, read by
/// every metrics endpoint.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Stage names of `STAGE_SECONDS`, in the order of `Registered::stages`.
const STAGES: [&str; 5] = ["normalize", "match", "rules", "state", "total"];

/// Decisions counted in `TRANSACTIONS`, in the order of
/// `Registered::decisions`.
const DECISIONS: [&str; 3] = ["allow", "review", "block"];

/// Handles of the metrics recorded for every transaction, registered once
/// when the recorder is installed. Looking a metric up by name and labels
/// hashes the key and locks a registry shard on every call.
struct Registered {
    stages: [Histogram; STAGES.len()],
    decisions: [Counter; DECISIONS.len()],
    /// Name cache hits, then misses.
    name_cache: [Counter; 2],
}

static REGISTERED: OnceLock<Registered> = OnceLock::new();

/// Installs the process-wide recorder (once) and describes every metric.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(STAGE_SECONDS.into()), &STAGE_BUCKETS)
                .map(|builder| builder.build_recorder());
            let recorder = match recorder {
                Ok(recorder) => recorder,
                // The bucket list is a non-empty constant, so this branch
                // only runs if the exporter changes its rules.
                Err(error) => {
                    tracing::error!(%error, "invalid histogram buckets; using defaults");
                    PrometheusBuilder::new().build_recorder()
                }
            };
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            describe();
            REGISTERED.get_or_init(|| Registered {
                stages: STAGES.map(|stage| histogram!(STAGE_SECONDS, "stage" => stage)),
                decisions: DECISIONS.map(|decision| counter!(TRANSACTIONS, "decision" => decision)),
                name_cache: ["hit", "miss"].map(|result| counter!(NAME_CACHE, "result" => result)),
            });
            handle
        })
        .clone()
}

/// Folds recorded histogram samples into their buckets every `interval`
/// until the task is aborted.
///
/// The recorder keeps every histogram sample in memory until it is folded,
/// which otherwise happens only when `/metrics` is scraped. A server whose
/// endpoint is never scraped, or that has none, would grow by a few dozen
/// bytes per transaction and fold millions of samples at the first scrape.
pub fn spawn_upkeep(handle: PrometheusHandle, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    })
}

fn describe() {
    describe_counter!(TRANSACTIONS, "Transactions screened, by decision.");
    describe_counter!(HITS, "List hits reported, by list and hit kind.");
    describe_histogram!(
        STAGE_SECONDS,
        metrics::Unit::Seconds,
        "Time per screening stage (normalize, match, rules, state, total)."
    );
    describe_gauge!(OPEN_STREAMS, "ScreenStream calls open now.");
    describe_gauge!(LIST_ENTITIES, "Entities loaded per list.");
    describe_gauge!(
        LIST_AGE,
        metrics::Unit::Seconds,
        "Seconds since each list's publication date (or load time when unknown)."
    );
    describe_gauge!(
        LIST_DATED,
        "1 when a list states its publication date, 0 when its age counts from load time."
    );
    describe_counter!(RELOADS, "List and rule reloads, by kind and result.");
    describe_gauge!(
        STATE_SIZE,
        metrics::Unit::Bytes,
        "Estimated size of each state store column family, in files and memtables."
    );
    describe_gauge!(
        STATE_SERIES,
        "Aggregate series held in the state store's in-memory cache."
    );
    describe_gauge!(
        STATE_LISTED,
        "1 once the series stored at start are listed, so a series never stored is created without a disk read; 0 until then."
    );
    describe_counter!(ERRORS, "Errors returned to clients, by stable error code.");
    describe_counter!(RULES_FIRED, "Rule firings, by rule id.");
    describe_counter!(
        REPLAYED,
        "Retried transactions answered with their stored verdict."
    );
    describe_counter!(
        NAME_CACHE,
        "Name queries looked up in the name cache, by result (hit or miss)."
    );
}

/// Records one screened transaction's decision.
pub fn record_decision(decision: &'static str) {
    let registered = REGISTERED.get().and_then(|r| {
        let position = DECISIONS.iter().position(|d| *d == decision)?;
        Some(&r.decisions[position])
    });
    match registered {
        Some(counter) => counter.increment(1),
        None => counter!(TRANSACTIONS, "decision" => decision).increment(1),
    }
}

/// Records one hit on a list.
pub fn record_hit(list: &str, kind: &'static str) {
    counter!(HITS, "list" => list.to_string(), "kind" => kind).increment(1);
}

/// Records the time one stage took.
pub fn record_stage(stage: &'static str, elapsed: Duration) {
    let registered = REGISTERED.get().and_then(|r| {
        let position = STAGES.iter().position(|s| *s == stage)?;
        Some(&r.stages[position])
    });
    match registered {
        Some(histogram) => histogram.record(elapsed.as_secs_f64()),
        None => histogram!(STAGE_SECONDS, "stage" => stage).record(elapsed.as_secs_f64()),
    }
}

/// Records an error returned to a client.
pub fn record_error(code: &str) {
    counter!(ERRORS, "code" => code.to_string()).increment(1);
}

/// Records a reload attempt: `kind` is "lists" or "rules", `result` "ok" or "rejected".
pub fn record_reload(kind: &'static str, result: &'static str) {
    counter!(RELOADS, "kind" => kind, "result" => result).increment(1);
}

pub fn record_rule_fired(rule: &str) {
    counter!(RULES_FIRED, "rule" => rule.to_string()).increment(1);
}

/// Records a name cache lookup.
pub fn record_name_cache(hit: bool) {
    match REGISTERED.get() {
        Some(registered) => registered.name_cache[usize::from(!hit)].increment(1),
        None => {
            let result = if hit { "hit" } else { "miss" };
            counter!(NAME_CACHE, "result" => result).increment(1);
        }
    }
}

pub fn record_replayed() {
    counter!(REPLAYED).increment(1);
}

pub fn set_open_streams(open: usize) {
    gauge!(OPEN_STREAMS).set(open as f64);
}

pub fn set_list_entities(list: &str, entities: usize) {
    gauge!(LIST_ENTITIES, "list" => list.to_string()).set(entities as f64);
}

pub fn set_list_age(list: &str, seconds: f64, dated: bool) {
    gauge!(LIST_AGE, "list" => list.to_string()).set(seconds);
    gauge!(LIST_DATED, "list" => list.to_string()).set(if dated { 1.0 } else { 0.0 });
}

pub fn set_state_series(cached: usize, listed: bool) {
    gauge!(STATE_SERIES).set(cached as f64);
    gauge!(STATE_LISTED).set(if listed { 1.0 } else { 0.0 });
}

pub fn set_state_size(column_family: &str, bytes: u64) {
    gauge!(STATE_SIZE, "column_family" => column_family.to_string()).set(bytes as f64);
}

/// The longest request head the endpoint reads before answering 400.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// Serves `GET /metrics` in the Prometheus text format on `listener` until
/// `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(%error, "metrics endpoint failed to accept a connection");
                continue;
            }
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let result =
                tokio::time::timeout(Duration::from_secs(10), answer(stream, &handle)).await;
            match result {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::debug!(%peer, %error, "metrics request failed"),
                Err(_) => tracing::debug!(%peer, "metrics request timed out"),
            }
        });
    }
}

async fn answer(
    mut stream: tokio::net::TcpStream,
    handle: &PrometheusHandle,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..read]);
        if head.len() > MAX_REQUEST_HEAD {
            return respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                "request too large\n",
            )
            .await;
        }
    }
    let request_line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let request_line = String::from_utf8_lossy(request_line);
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    match (method, path.split('?').next().unwrap_or("")) {
        ("GET", "/metrics") => {
            let body = handle.render();
            respond(&mut stream, "200 OK", "text/plain; version=0.0.4", &body).await
        }
        ("GET", "/") => {
            respond(
                &mut stream,
                "200 OK",
                "text/plain",
                "screener metrics: GET /metrics\n",
            )
            .await
        }
        ("GET", _) => {
            respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                "not found; metrics are at /metrics\n",
            )
            .await
        }
        _ => {
            respond(
                &mut stream,
                "405 Method Not Allowed",
                "text/plain",
                "only GET is supported\n",
            )
            .await
        }
    }
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
