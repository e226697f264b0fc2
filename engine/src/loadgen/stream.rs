//! One ScreenStream stream of a load run: a sender task that paces and
//! sends generated transactions, and a receiver that matches each verdict
//! to its transaction by end_to_end_id and records the latency.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use screener_proto::v1::{Decision, ScreenError, Transaction};
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::Streaming;

use super::generator::Generator;
use super::pace::{DueCount, Schedule};

/// Highest latency the histogram tracks exactly, in microseconds (one
/// hour); higher values are recorded as this value.
pub const MAX_TRACKED_LATENCY_US: u64 = 3_600_000_000;

/// How one stream paces its sends.
#[derive(Debug, Clone)]
pub enum Pace {
    /// Each transaction is due at its scheduled time; latency counts from
    /// that time. The run's pacing thread publishes the due count.
    Fixed(Schedule, Arc<DueCount>),
    /// As fast as the server answers with the in-flight window full;
    /// latency counts from the actual send.
    Open,
}

/// Everything one stream needs to run.
#[derive(Debug)]
pub struct StreamPlan {
    pub channel: Channel,
    pub generator: Generator,
    pub pace: Pace,
    /// When the stream starts sending; streams of a run share it.
    pub start: Instant,
    /// Transactions due (or, at an open pace, sent) before this instant
    /// are warm-up and stay out of the results.
    pub warmup_end: Instant,
    /// End of the measured window.
    pub end: Instant,
    /// How long after its last send a stream waits for verdicts, and how
    /// long a fixed-rate stream may lag behind its schedule.
    pub drain: Duration,
    /// Transactions sent and not yet answered, at most.
    pub max_in_flight: usize,
}

/// Counts and latencies of one stream, or of a whole run once merged.
#[derive(Debug, Clone)]
pub struct StreamOutcome {
    /// Latency of measured verdicts in microseconds.
    pub histogram: Histogram<u64>,
    pub sent: u64,
    pub answered: u64,
    pub warmup_sent: u64,
    pub warmup_answered: u64,
    /// Measured transactions sent and never answered.
    pub unanswered: u64,
    /// Scheduled transactions never sent because the stream ended first.
    pub unsent: u64,
    /// Verdicts whose end_to_end_id matched no outstanding transaction.
    pub unknown_verdicts: u64,
    pub replayed: u64,
    /// Measured verdicts by decision: allow, review, block, unspecified.
    pub decisions: BTreeMap<String, u64>,
    /// Measured verdicts with an error, by error code.
    pub verdict_errors: BTreeMap<String, u64>,
    /// The gRPC status or transport error that ended the stream early.
    pub failures: Vec<String>,
    /// Longest delay between a transaction's due time and its send.
    pub max_send_lag: Duration,
    /// When the last measured verdict arrived.
    pub last_answer: Option<Instant>,
}

impl StreamOutcome {
    pub fn new() -> StreamOutcome {
        StreamOutcome {
            histogram: new_histogram(),
            sent: 0,
            answered: 0,
            warmup_sent: 0,
            warmup_answered: 0,
            unanswered: 0,
            unsent: 0,
            unknown_verdicts: 0,
            replayed: 0,
            decisions: BTreeMap::new(),
            verdict_errors: BTreeMap::new(),
            failures: Vec::new(),
            max_send_lag: Duration::ZERO,
            last_answer: None,
        }
    }

    /// Adds another stream's counts and latencies to these.
    pub fn merge(&mut self, other: StreamOutcome) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
        self.sent += other.sent;
        self.answered += other.answered;
        self.warmup_sent += other.warmup_sent;
        self.warmup_answered += other.warmup_answered;
        self.unanswered += other.unanswered;
        self.unsent += other.unsent;
        self.unknown_verdicts += other.unknown_verdicts;
        self.replayed += other.replayed;
        for (decision, count) in other.decisions {
            *self.decisions.entry(decision).or_default() += count;
        }
        for (code, count) in other.verdict_errors {
            *self.verdict_errors.entry(code).or_default() += count;
        }
        self.failures.extend(other.failures);
        self.max_send_lag = self.max_send_lag.max(other.max_send_lag);
        self.last_answer = self.last_answer.max(other.last_answer);
    }
}

impl Default for StreamOutcome {
    fn default() -> Self {
        StreamOutcome::new()
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_LATENCY_US, 3)
        .expect("1 µs to 1 h at 3 significant digits are valid histogram bounds")
}

/// A transaction sent and not yet answered.
#[derive(Debug, Clone, Copy)]
struct Outstanding {
    /// The instant latency counts from.
    since: Instant,
    /// False for warm-up transactions.
    measured: bool,
}

/// State shared by the sender task and the receiver of one stream.
struct Shared {
    /// Outstanding transactions by sequence number. The sender inserts
    /// before sending; the receiver removes on the verdict; whatever is
    /// left when the stream ends was never answered.
    outstanding: Mutex<HashMap<u64, Outstanding>>,
    /// In-flight window: the sender takes a permit per transaction and
    /// the receiver returns it per verdict. Closing it stops the sender.
    window: Semaphore,
}

impl Shared {
    fn outstanding(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Outstanding>> {
        self.outstanding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the sender task reports when it stops.
#[derive(Debug, Default)]
struct SendReport {
    sent: u64,
    warmup_sent: u64,
    unsent: u64,
    max_send_lag: Duration,
}

/// Runs one stream to its end and returns its counts.
pub async fn run_stream(plan: StreamPlan) -> StreamOutcome {
    let shared = Arc::new(Shared {
        outstanding: Mutex::new(HashMap::new()),
        window: Semaphore::new(plan.max_in_flight.max(1)),
    });
    let send_deadline = match plan.pace {
        Pace::Fixed(..) => plan.end + plan.drain,
        Pace::Open => plan.end,
    };
    let receive_deadline = send_deadline + plan.drain;
    let id_prefix = plan.generator.options().id_prefix.clone();

    // The sender feeds the request stream through a channel as large as
    // the window, so a send never waits once it holds a permit.
    let (requests, request_stream) = mpsc::channel(plan.max_in_flight.max(1));
    let sender = Sender {
        shared: Arc::clone(&shared),
        requests,
        generator: plan.generator,
        start: plan.start,
        warmup_end: plan.warmup_end,
        end: plan.end,
        deadline: send_deadline,
    };
    let send_task = tokio::spawn(sender.run(plan.pace));

    // Open the stream and read verdicts until the server closes it, it
    // fails, or the deadline passes.
    let mut outcome = StreamOutcome::new();
    let mut closed_by_server = false;
    match open_stream(plan.channel, ReceiverStream::new(request_stream)).await {
        Ok(response) => {
            let receiver = Receiver {
                shared: &shared,
                id_prefix: &id_prefix,
                outcome: &mut outcome,
            };
            closed_by_server = receiver.run(response.into_inner(), receive_deadline).await;
        }
        Err(status) => outcome.failures.push(describe_status(&status)),
    }
    shared.window.close();

    // Collect the sender's counts and whatever was never answered.
    match send_task.await {
        Ok(report) => {
            outcome.sent = report.sent;
            outcome.warmup_sent = report.warmup_sent;
            outcome.unsent = report.unsent;
            outcome.max_send_lag = report.max_send_lag;
        }
        Err(error) => outcome
            .failures
            .push(format!("sender task failed: {error}")),
    }
    outcome.unanswered = shared.outstanding().values().filter(|o| o.measured).count() as u64;
    // A server that ends the stream without an error while transactions
    // are unanswered or unsent is shutting down or dropped the stream.
    let unanswered = shared.outstanding().len();
    if closed_by_server && (unanswered > 0 || outcome.unsent > 0) {
        outcome.failures.push(format!(
            "the server closed the stream with {unanswered} transactions unanswered and {} \
             not yet sent; is it shutting down?",
            outcome.unsent
        ));
    }
    outcome
}

fn describe_status(status: &tonic::Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}

/// The sending half of a stream.
struct Sender {
    shared: Arc<Shared>,
    /// Dropping it ends the request stream, and the server then closes the
    /// verdict stream once it has answered everything.
    requests: mpsc::Sender<Transaction>,
    generator: Generator,
    start: Instant,
    warmup_end: Instant,
    end: Instant,
    deadline: Instant,
}

impl Sender {
    async fn run(mut self, pace: Pace) -> SendReport {
        let mut report = SendReport::default();
        match pace {
            Pace::Fixed(schedule, due) => self.send_on_schedule(schedule, &due, &mut report).await,
            Pace::Open => self.send_open(&mut report).await,
        }
        report
    }

    /// Sends every transaction due whenever the pacing thread publishes a
    /// new due count, measuring each from its due time.
    async fn send_on_schedule(
        &mut self,
        schedule: Schedule,
        due: &DueCount,
        report: &mut SendReport,
    ) {
        let mut next = 0u64;
        'wakes: while next < schedule.total() {
            tokio::select! {
                _ = due.changed() => {}
                _ = tokio::time::sleep_until(self.deadline.into()) => break,
            }
            if Instant::now() >= self.deadline {
                break;
            }
            let due_now = due.due().min(schedule.total());
            while next < due_now {
                let intended = schedule.intended(next);
                if !self.send_one(Some(intended), report).await {
                    break 'wakes;
                }
                let lag = Instant::now().saturating_duration_since(intended);
                report.max_send_lag = report.max_send_lag.max(lag);
                next += 1;
            }
        }
        report.unsent = schedule.total() - next;
    }

    /// Sends whenever the window has room until the measured window ends.
    async fn send_open(&mut self, report: &mut SendReport) {
        tokio::time::sleep_until(self.start.into()).await;
        while Instant::now() < self.end {
            if !self.send_one(None, report).await {
                break;
            }
        }
    }

    /// Sends the next transaction once the window has room; its latency
    /// counts from `due`, or from the send when `due` is None. Returns
    /// false when the stream is closed or the deadline passed.
    async fn send_one(&mut self, due: Option<Instant>, report: &mut SendReport) -> bool {
        let permit = tokio::select! {
            permit = self.shared.window.acquire() => permit,
            _ = tokio::time::sleep_until(self.deadline.into()) => return false,
        };
        match permit {
            Ok(permit) => permit.forget(),
            Err(_closed) => return false,
        }
        let since = due.unwrap_or_else(Instant::now);
        let measured = since >= self.warmup_end;
        let sequence = self.generator.generated();
        let transaction = self.generator.next();
        self.shared
            .outstanding()
            .insert(sequence, Outstanding { since, measured });
        if self.requests.send(transaction).await.is_err() {
            self.shared.outstanding().remove(&sequence);
            return false;
        }
        if measured {
            report.sent += 1;
        } else {
            report.warmup_sent += 1;
        }
        true
    }
}

/// The receiving half of a stream.
struct Receiver<'a> {
    shared: &'a Shared,
    /// The stream's end_to_end_id prefix; ids are "{prefix}-{sequence}".
    id_prefix: &'a str,
    outcome: &'a mut StreamOutcome,
}

impl Receiver<'_> {
    /// Records verdicts until the stream ends, fails or the deadline passes.
    /// Returns true when the server ended the stream without an error.
    async fn run(mut self, mut verdicts: Streaming<VerdictSummary>, deadline: Instant) -> bool {
        loop {
            let next = tokio::select! {
                next = verdicts.message() => next,
                _ = tokio::time::sleep_until(deadline.into()) => {
                    self.outcome.failures.push(
                        "timed out waiting for verdicts after the drain period".to_string(),
                    );
                    return false;
                }
            };
            match next {
                Ok(Some(verdict)) => self.record(verdict),
                Ok(None) => return true,
                Err(status) => {
                    self.outcome.failures.push(describe_status(&status));
                    return false;
                }
            }
        }
    }

    fn record(&mut self, verdict: VerdictSummary) {
        let now = Instant::now();
        let outstanding = self
            .sequence_of(&verdict.end_to_end_id)
            .and_then(|sequence| self.shared.outstanding().remove(&sequence));
        let Some(outstanding) = outstanding else {
            self.outcome.unknown_verdicts += 1;
            return;
        };
        self.shared.window.add_permits(1);
        if !outstanding.measured {
            self.outcome.warmup_answered += 1;
            return;
        }

        let outcome = &mut *self.outcome;
        outcome.answered += 1;
        outcome.last_answer = Some(now);
        let latency_us = now.saturating_duration_since(outstanding.since).as_micros();
        let latency_us = u64::try_from(latency_us).unwrap_or(u64::MAX).max(1);
        outcome.histogram.saturating_record(latency_us);
        outcome.replayed += u64::from(verdict.replayed);
        match verdict.error {
            Some(error) => {
                let code = if error.code.is_empty() {
                    "unspecified"
                } else {
                    &error.code
                };
                *outcome.verdict_errors.entry(code.to_string()).or_default() += 1;
            }
            None => {
                let decision = decision_name(verdict.decision);
                *outcome.decisions.entry(decision.to_string()).or_default() += 1;
            }
        }
    }

    fn sequence_of(&self, end_to_end_id: &str) -> Option<u64> {
        let (prefix, sequence) = end_to_end_id.rsplit_once('-')?;
        (prefix == self.id_prefix).then(|| sequence.parse().ok())?
    }
}

/// The fields of a `Verdict` that a load run reads, with the tags of the
/// contract. Decoding skips the other fields (hits, rule results,
/// aggregates) without building them, so the generator spends less of the
/// machine it shares with the server.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct VerdictSummary {
    #[prost(string, tag = "1")]
    pub end_to_end_id: String,
    #[prost(enumeration = "Decision", tag = "2")]
    pub decision: i32,
    #[prost(bool, tag = "10")]
    pub replayed: bool,
    #[prost(message, optional, tag = "11")]
    pub error: Option<ScreenError>,
}

/// Opens a ScreenStream call that decodes each verdict as a
/// [`VerdictSummary`].
async fn open_stream(
    channel: Channel,
    transactions: ReceiverStream<Transaction>,
) -> Result<tonic::Response<Streaming<VerdictSummary>>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(format!("the server is not ready: {e}")))?;
    let path = PathAndQuery::from_static(SCREEN_STREAM_PATH);
    let codec = tonic_prost::ProstCodec::<Transaction, VerdictSummary>::default();
    grpc.streaming(tonic::Request::new(transactions), path, codec)
        .await
}

/// The HTTP/2 path of the ScreenStream method.
const SCREEN_STREAM_PATH: &str = "/screener.v1.Screener/ScreenStream";

/// Lower-case decision name: allow, review, block or unspecified.
pub fn decision_name(decision: i32) -> &'static str {
    match Decision::try_from(decision) {
        Ok(Decision::Allow) => "allow",
        Ok(Decision::Review) => "review",
        Ok(Decision::Block) => "block",
        _ => "unspecified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use screener_proto::v1::{Hit, RuleResult, Verdict};

    fn full_verdict() -> Verdict {
        Verdict {
            end_to_end_id: "run-3-17".into(),
            decision: Decision::Review as i32,
            score: 0.82,
            hits: vec![Hit {
                list: "un".into(),
                entity_id: "QDi.001".into(),
                score: 0.91,
                ..Hit::default()
            }],
            rules: vec![RuleResult {
                rule_id: "sanctions_name_hit".into(),
                fired: true,
                weight: 1.0,
                reason: "name on a sanctions or watch list".into(),
            }],
            list_version: "lists-1".into(),
            rule_version: "rules-1".into(),
            replayed: true,
            error: Some(ScreenError {
                code: "invalid_argument".into(),
                message: "is empty".into(),
                field: "debtor.name".into(),
            }),
            screened_at_unix_ms: 1_700_000_000_000,
            reasons: vec!["name on a sanctions or watch list".into()],
            ..Verdict::default()
        }
    }

    #[test]
    fn summary_reads_verdict_fields() {
        let verdict = full_verdict();
        let summary = VerdictSummary::decode(verdict.encode_to_vec().as_slice())
            .expect("a verdict decodes as a summary");
        assert_eq!(summary.end_to_end_id, verdict.end_to_end_id);
        assert_eq!(summary.decision, verdict.decision);
        assert_eq!(summary.replayed, verdict.replayed);
        assert_eq!(summary.error, verdict.error);
    }

    #[test]
    fn summary_of_plain_verdict() {
        let verdict = Verdict {
            end_to_end_id: "run-0-1".into(),
            decision: Decision::Allow as i32,
            ..Verdict::default()
        };
        let summary = VerdictSummary::decode(verdict.encode_to_vec().as_slice())
            .expect("a verdict decodes as a summary");
        assert_eq!(summary.end_to_end_id, "run-0-1");
        assert_eq!(summary.decision, Decision::Allow as i32);
        assert!(!summary.replayed);
        assert_eq!(summary.error, None);
    }
}
