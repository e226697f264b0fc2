//! Runs a load: connects every stream, starts them together, merges their
//! counts and builds the report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};

use super::args::{BenchArgs, OutputFormat};
use super::error::LoadgenError;
use super::generator::{Generator, GeneratorOptions};
use super::pace::{DueCount, Pacer, Schedule};
use super::report::{
    streams_text, BenchReport, ErrorSummary, LatencySummary, Sources, WarmupCounts,
};
use super::stream::{run_stream, Pace, StreamOutcome, StreamPlan};

/// Time between the last connection and the first send, so that setting
/// up the streams does not eat into the schedule.
const START_DELAY: Duration = Duration::from_millis(50);

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the client pings the server over HTTP/2, idle or not, and how
/// long it waits for the ping's acknowledgement before it closes the
/// connection. A server that accepted the connection and then stopped
/// responding (a stopped or hung process) fails the streams instead of
/// keeping them waiting.
const PING_INTERVAL: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A checked load run configuration.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// gRPC address, http://HOST:PORT.
    pub server: String,
    pub streams: usize,
    /// Target rate in transactions per second across all streams; 0 sends
    /// as fast as the server answers.
    pub rate: f64,
    pub warmup: Duration,
    pub duration: Duration,
    /// How long to wait for verdicts after the last send, and how far a
    /// fixed-rate stream may fall behind its schedule.
    pub drain: Duration,
    /// Stream i generates from seed + i.
    pub seed: u64,
    /// Prefix of every end_to_end_id; stream i uses "{run_id}-s{i}".
    pub run_id: String,
    pub max_in_flight: usize,
    /// Shortest time between two wake-ups of the pacing thread at a fixed
    /// rate; each wake-up sends every transaction due by then.
    pub tick: Duration,
    /// Generator options; the id prefix is set per stream.
    pub generator: GeneratorOptions,
    pub sources: Sources,
}

/// Runs `screener bench`: drives the server, prints the report and returns
/// the exit code (see [`BenchReport::exit_code`]).
pub async fn run(args: BenchArgs) -> anyhow::Result<i32> {
    let config = args.to_config()?;
    eprintln!(
        "screener bench: {}, {}, warm-up {} s, measuring {} s against {}",
        streams_text(config.streams),
        if config.rate > 0.0 {
            format!("{} tx/s", config.rate)
        } else {
            "maximum throughput".to_string()
        },
        config.warmup.as_secs_f64(),
        config.duration.as_secs_f64(),
        config.server
    );
    if let Some(note) = args.names_note() {
        eprintln!("screener bench: {note}");
    }
    let report = drive(config).await?;

    let json = serde_json::to_string_pretty(&report)?;
    match args.format {
        OutputFormat::Table => print!("{}", report.to_table()),
        OutputFormat::Json => println!("{json}"),
    }
    if let Some(path) = &args.json {
        std::fs::write(path, format!("{json}\n")).map_err(|error| LoadgenError::WriteReport {
            path: path.clone(),
            error,
        })?;
    }
    Ok(report.exit_code())
}

/// Connects `config.streams` streams to the server, runs them for the
/// warm-up and the duration, waits for outstanding verdicts, and returns
/// the report. Fails only when a connection cannot be made; failures of
/// running streams are counted in the report.
pub async fn drive(config: BenchConfig) -> Result<BenchReport, LoadgenError> {
    // Connect every stream before the clock starts.
    let mut channels = Vec::with_capacity(config.streams);
    for _ in 0..config.streams {
        channels.push(connect(&config.server).await?);
    }

    // Start all streams at the same instant; each generates from its own
    // seed but shares the debtor pool.
    let template = Generator::new(config.seed, config.generator.clone());
    let start = Instant::now() + START_DELAY;
    let warmup_end = start + config.warmup;
    let end = warmup_end + config.duration;
    let paces: Vec<Pace> = (0..config.streams)
        .map(|index| pace(&config, index, start))
        .collect();
    // One thread wakes every fixed-rate sender; senders stop at the end
    // plus the drain, and so does the thread.
    let paced: Vec<_> = paces
        .iter()
        .filter_map(|pace| match pace {
            Pace::Fixed(schedule, due) => Some((*schedule, Arc::clone(due))),
            Pace::Open => None,
        })
        .collect();
    let pacer = if paced.is_empty() {
        None
    } else {
        let pacer = Pacer::start(paced, config.tick, end + config.drain);
        Some(pacer.map_err(|error| LoadgenError::Pacer { error })?)
    };
    let mut tasks = Vec::with_capacity(config.streams);
    for (index, (channel, pace)) in channels.into_iter().zip(paces).enumerate() {
        let generator = template.fork(
            config.seed.wrapping_add(index as u64),
            format!("{}-s{index}", config.run_id),
        );
        let plan = StreamPlan {
            channel,
            generator,
            pace,
            start,
            warmup_end,
            end,
            drain: config.drain,
            max_in_flight: config.max_in_flight,
        };
        tasks.push(tokio::spawn(run_stream(plan)));
    }

    // Merge the streams' counts.
    let mut total = StreamOutcome::new();
    for task in tasks {
        match task.await {
            Ok(outcome) => total.merge(outcome),
            Err(error) => total.failures.push(format!("stream task failed: {error}")),
        }
    }
    drop(pacer);
    Ok(build_report(&config, total, warmup_end))
}

/// The pace of stream `index`: its share of the rate, offset by a
/// fraction of an interval so that streams interleave.
fn pace(config: &BenchConfig, index: usize, start: Instant) -> Pace {
    if config.rate <= 0.0 {
        return Pace::Open;
    }
    let streams = config.streams as f64;
    let schedule = Schedule::new(
        start,
        config.rate / streams,
        index as f64 / streams,
        config.warmup + config.duration,
    );
    Pace::Fixed(schedule, Arc::new(DueCount::default()))
}

/// Connects to a screener server at an `http://HOST:PORT` address. When
/// nothing listens there, the error names the command that starts one.
pub(crate) async fn connect(server: &str) -> Result<Channel, LoadgenError> {
    let endpoint =
        Endpoint::from_shared(server.to_string()).map_err(|error| LoadgenError::InvalidServer {
            server: server.to_string(),
            reason: error.to_string(),
        })?;
    endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(PING_INTERVAL)
        .keep_alive_timeout(PING_TIMEOUT)
        .keep_alive_while_idle(true)
        .connect()
        .await
        .map_err(|error| LoadgenError::Connect {
            server: server.to_string(),
            reason: transport_problem(&error),
        })
}

/// The most likely cause of a transport failure after a successful TCP
/// connect.
pub(crate) const WRONG_PORT_HINT: &str = "is --server the gRPC address of a running \
     screener (server.grpc_addr), and not another port such as the metrics one?";

/// The likely cause of a connection closed because the server stopped
/// acknowledging the client's HTTP/2 pings.
const SILENT_SERVER_HINT: &str = "the server accepted the connection but stopped \
     responding; is its process stopped, hung or short of CPU?";

/// The likely cause of a broken connection after the server had sent
/// responses on it, where the wrong-port hint would mislead.
const LOST_SERVER_HINT: &str = "the connection broke after the server had sent \
     responses on it; did the server stop or crash?";

/// Returns the hint for a connection that failed at the protocol level:
/// a lost server when it had `responded` before, else a wrong port.
fn broken_connection_hint(responded: bool) -> &'static str {
    if responded {
        LOST_SERVER_HINT
    } else {
        WRONG_PORT_HINT
    }
}

/// Describes a transport error with its causes, and adds the likely cause
/// of a protocol error: the port replied, but not in HTTP/2.
fn transport_problem(error: &dyn std::error::Error) -> String {
    with_causes(error.to_string(), error.source(), false)
}

/// Describes a failed stream or call: the status message, its causes, and
/// for a transport failure, the likely reason. `responded` is whether the
/// server had sent a response on this connection before.
pub(crate) fn status_problem(status: &tonic::Status, responded: bool) -> String {
    let mut text = with_causes(
        status.message().to_string(),
        std::error::Error::source(status),
        responded,
    );
    if status.message() == "transport error" && !text.contains(" (") {
        let hint = broken_connection_hint(responded);
        text.push_str(&format!(" ({hint})"));
    }
    text
}

/// Appends the causes to `text`, since a transport error's own message
/// rarely goes beyond "transport error". A cause whose text is already in
/// the joined text ("tcp connect error" twice) is left out. A protocol
/// error gets the hint of [`broken_connection_hint`].
fn with_causes(
    mut text: String,
    mut source: Option<&(dyn std::error::Error + 'static)>,
    responded: bool,
) -> String {
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    if text.contains("keep-alive timed out") {
        text.push_str(&format!(" ({SILENT_SERVER_HINT})"));
    } else if text.contains("http2 error") || text.contains("h2 protocol error") {
        let hint = broken_connection_hint(responded);
        text.push_str(&format!(" ({hint})"));
    }
    text
}

fn build_report(config: &BenchConfig, total: StreamOutcome, warmup_end: Instant) -> BenchReport {
    let answered_span = total.last_answer.map_or(Duration::ZERO, |last| {
        last.saturating_duration_since(warmup_end)
    });
    let span = config.duration.max(answered_span).as_secs_f64();
    let fixed_rate = config.rate > 0.0;
    BenchReport {
        run_id: config.run_id.clone(),
        server: config.server.clone(),
        streams: config.streams,
        mode: if fixed_rate {
            "fixed_rate"
        } else {
            "max_throughput"
        },
        target_rate_tx_per_s: config.rate,
        pacing_tick_us: fixed_rate.then_some(config.tick.as_micros() as u64),
        warmup_s: config.warmup.as_secs_f64(),
        duration_s: config.duration.as_secs_f64(),
        drain_s: config.drain.as_secs_f64(),
        max_in_flight: config.max_in_flight,
        seed: config.seed,
        sources: config.sources.clone(),
        sent: total.sent,
        answered: total.answered,
        throughput_tx_per_s: total.answered as f64 / span,
        latency_us: LatencySummary::from_histogram(
            &total.histogram,
            if fixed_rate {
                "intended_send_time"
            } else {
                "actual_send_time"
            },
        ),
        decisions: total.decisions,
        errors: ErrorSummary {
            verdict_errors: total.verdict_errors,
            stream_failures: total.failures,
            unanswered: total.unanswered,
            unsent: total.unsent,
            unknown_verdicts: total.unknown_verdicts,
        },
        replayed: total.replayed,
        max_send_lag_us: fixed_rate
            .then(|| u64::try_from(total.max_send_lag.as_micros()).unwrap_or(u64::MAX)),
        warmup: WarmupCounts {
            sent: total.warmup_sent,
            answered: total.warmup_answered,
        },
    }
}

/// Accepts connections on 127.0.0.1 and keeps them open without ever
/// writing, as a stopped server's kernel would. Returns the address.
#[cfg(test)]
pub(crate) async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut open_sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open_sockets.push(socket);
        }
    });
    format!("http://{addr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_hint_after_responses() {
        let status = tonic::Status::unavailable("transport error");
        let before = status_problem(&status, false);
        assert!(before.contains(WRONG_PORT_HINT), "{before}");
        let after = status_problem(&status, true);
        assert!(after.contains(LOST_SERVER_HINT), "{after}");
        assert!(!after.contains(WRONG_PORT_HINT), "{after}");
    }

    #[tokio::test]
    async fn silent_server_fails_the_run() {
        let server = silent_server().await;
        let config = BenchConfig {
            server,
            streams: 2,
            rate: 100.0,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(500),
            drain: Duration::from_millis(500),
            seed: 1,
            run_id: "silent".into(),
            max_in_flight: 16,
            tick: Duration::from_micros(250),
            generator: GeneratorOptions::default(),
            sources: Sources::built_in(),
        };
        // A guard against a hang, far above the ping timeout.
        let report = tokio::time::timeout(Duration::from_secs(120), drive(config))
            .await
            .expect("the run ends although the server never responds");
        match report {
            Ok(report) => {
                assert_eq!(report.answered, 0);
                assert!(report.exit_code() != 0, "{}", report.to_table());
            }
            Err(error) => assert!(error.to_string().contains("cannot connect"), "{error}"),
        }
    }
}
