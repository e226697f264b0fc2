//! The result of a load run: throughput, latency percentiles, verdict
//! counts and errors, printed as a table or written as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

/// What a load run measured, over the measured window only.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub run_id: String,
    pub server: String,
    pub streams: usize,
    /// "fixed_rate" or "max_throughput".
    pub mode: &'static str,
    /// Target rate across all streams in transactions per second; 0 at
    /// maximum throughput.
    pub target_rate_tx_per_s: f64,
    /// Shortest time between two wake-ups of the pacing thread at a fixed
    /// rate, in microseconds. `None` at maximum throughput.
    pub pacing_tick_us: Option<u64>,
    pub warmup_s: f64,
    pub duration_s: f64,
    /// How long streams waited for verdicts after their last send, and how
    /// far a fixed-rate stream could fall behind its schedule.
    pub drain_s: f64,
    /// Maximum number of transactions per stream sent without a verdict yet.
    pub max_in_flight: usize,
    pub seed: u64,
    /// Where the party names, listed names and listed wallets came from.
    pub sources: Sources,
    /// Transactions sent in the measured window.
    pub sent: u64,
    /// Measured transactions answered with a verdict, error verdicts included.
    pub answered: u64,
    /// Answered transactions per second of the measured window, or of the
    /// time until the last of them was answered when that is longer.
    pub throughput_tx_per_s: f64,
    pub latency_us: LatencySummary,
    /// Verdicts without an error, by decision.
    pub decisions: BTreeMap<String, u64>,
    pub errors: ErrorSummary,
    /// Verdicts marked as replayed, which the server returns for an
    /// end_to_end_id it had already screened.
    pub replayed: u64,
    /// Longest delay between a transaction's due time and its send, in
    /// microseconds; a large value means the load generator itself lagged.
    /// None at maximum throughput, where transactions have no due time.
    pub max_send_lag_us: Option<u64>,
    pub warmup: WarmupCounts,
}

/// Where a run's data came from.
#[derive(Debug, Clone, Serialize)]
pub struct Sources {
    pub names: String,
    pub listed_names: String,
    pub listed_wallets: String,
    /// Share of transactions, 0 to 1, whose creditor got a made-up name.
    pub new_name_share: f64,
    /// Share of transactions, 0 to 1, that paid a creditor the debtor had
    /// paid before, when it had one.
    pub repeat_payee_share: f64,
    /// Share of transactions, 0 to 1, with a party named after a listed
    /// name (with typos or reordering).
    pub listed_share: f64,
    /// Share of transactions, 0 to 1, that send to a listed wallet.
    pub listed_wallet_share: f64,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    /// "intended_send_time" at a fixed rate, "actual_send_time" at
    /// maximum throughput.
    pub measured_from: &'static str,
    pub count: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencySummary {
    pub fn from_histogram(histogram: &Histogram<u64>, measured_from: &'static str) -> Self {
        let empty = histogram.is_empty();
        let quantile = |q: f64| {
            if empty {
                0
            } else {
                histogram.value_at_quantile(q)
            }
        };
        LatencySummary {
            measured_from,
            count: histogram.len(),
            mean: if empty { 0.0 } else { histogram.mean() },
            p50: quantile(0.50),
            p90: quantile(0.90),
            p99: quantile(0.99),
            p999: quantile(0.999),
            max: if empty { 0 } else { histogram.max() },
        }
    }
}

impl Sources {
    /// Returns the sources of a run on the built-in corpora with the
    /// generator's default shares.
    pub fn built_in() -> Sources {
        Sources {
            names: "built-in".into(),
            listed_names: "built-in".into(),
            listed_wallets: "built-in".into(),
            new_name_share: 0.0,
            repeat_payee_share: 0.0,
            listed_share: 0.01,
            listed_wallet_share: 0.01,
        }
    }
}

/// "1 stream" or "N streams".
pub(crate) fn streams_text(streams: usize) -> String {
    if streams == 1 {
        "1 stream".to_owned()
    } else {
        format!("{streams} streams")
    }
}

/// Everything that went wrong, by kind.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorSummary {
    /// Verdicts with the error field set, by error code.
    pub verdict_errors: BTreeMap<String, u64>,
    /// gRPC statuses or timeouts that ended a stream early, one per stream.
    pub stream_failures: Vec<String>,
    /// Measured transactions sent and never answered.
    pub unanswered: u64,
    /// Scheduled transactions not sent before the stream ended, because
    /// the server did not keep up within the drain period.
    pub unsent: u64,
    /// Verdicts whose end_to_end_id matched no outstanding transaction.
    pub unknown_verdicts: u64,
}

impl ErrorSummary {
    pub fn verdict_error_count(&self) -> u64 {
        self.verdict_errors.values().sum()
    }
}

/// Warm-up counts, reported apart from the results.
#[derive(Debug, Clone, Serialize)]
pub struct WarmupCounts {
    pub sent: u64,
    pub answered: u64,
}

/// Share of the target rate below which a fixed-rate run counts as having
/// fallen behind.
const BEHIND_SHARE: f64 = 0.95;

impl BenchReport {
    /// Exit status for the command: 1 when a stream failed, a measured
    /// transaction went unanswered, or nothing was answered; else 0.
    pub fn exit_code(&self) -> i32 {
        let failed = !self.errors.stream_failures.is_empty()
            || self.errors.unanswered > 0
            || self.answered == 0;
        i32::from(failed)
    }

    /// Describes how far a fixed-rate run fell behind its target, when the
    /// throughput is under 95% of it or some transactions were never sent.
    /// Returns `None` at maximum throughput, when the server kept up, and
    /// when a stream failed, since the failure rather than the server's
    /// speed then explains the shortfall.
    pub fn behind_note(&self) -> Option<String> {
        let target = self.target_rate_tx_per_s;
        if target <= 0.0 || !self.errors.stream_failures.is_empty() {
            return None;
        }
        let slow = self.throughput_tx_per_s < BEHIND_SHARE * target;
        if !slow && self.errors.unsent == 0 {
            return None;
        }
        Some(format!(
            "the server did not keep up with {target} tx/s: it answered {:.1} tx/s ({:.0}% of the target) and {} scheduled transactions were never sent; the latencies include the queueing",
            self.throughput_tx_per_s,
            100.0 * self.throughput_tx_per_s / target,
            self.errors.unsent
        ))
    }

    /// Renders the report as an aligned two-column table.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<(String, String)> = Vec::new();
        let mut row = |label: &str, value: String| rows.push((label.to_string(), value));
        row("run", format!("{} against {}", self.run_id, self.server));
        row("mode", self.mode_text());
        row(
            "window",
            format!(
                "{} in flight per stream, drain {} s",
                self.max_in_flight, self.drain_s
            ),
        );
        row("sent", self.sent.to_string());
        row("answered", self.answered.to_string());
        row(
            "throughput",
            format!("{:.1} tx/s", self.throughput_tx_per_s),
        );
        row(
            "latency from",
            self.latency_us.measured_from.replace('_', " "),
        );
        let latency = &self.latency_us;
        for (label, value) in [
            ("latency p50", latency.p50),
            ("latency p90", latency.p90),
            ("latency p99", latency.p99),
            ("latency p99.9", latency.p999),
            ("latency max", latency.max),
        ] {
            row(label, format!("{value} µs"));
        }
        row("latency mean", format!("{:.1} µs", latency.mean));
        row("decisions", counts_text(&self.decisions));
        row("verdict errors", counts_text(&self.errors.verdict_errors));
        row(
            "stream failures",
            self.errors.stream_failures.len().to_string(),
        );
        row("unanswered", self.errors.unanswered.to_string());
        row("unsent", self.errors.unsent.to_string());
        row("unknown verdicts", self.errors.unknown_verdicts.to_string());
        row("replayed", self.replayed.to_string());
        let lag = match self.max_send_lag_us {
            Some(lag) => format!("{lag} µs"),
            None => "none: no due times at maximum throughput".to_string(),
        };
        row("max send lag", lag);
        row(
            "warm-up",
            format!(
                "{} sent, {} answered",
                self.warmup.sent, self.warmup.answered
            ),
        );
        row("names", self.sources.names.clone());
        row(
            "new names",
            format!(
                "{}% of creditors, made up",
                percent(self.sources.new_name_share)
            ),
        );
        row(
            "repeat payees",
            format!(
                "{}% of transactions, where the debtor has one",
                percent(self.sources.repeat_payee_share)
            ),
        );
        row(
            "listed names",
            format!(
                "{}, in {}% of transactions",
                self.sources.listed_names,
                percent(self.sources.listed_share)
            ),
        );
        row(
            "listed wallets",
            format!(
                "{}, in {}% of transactions",
                self.sources.listed_wallets,
                percent(self.sources.listed_wallet_share)
            ),
        );
        let mut table = render_rows(&rows);
        if let Some(note) = self.behind_note() {
            let _ = writeln!(table, "note: {note}");
        }
        for failure in &self.errors.stream_failures {
            let _ = writeln!(table, "stream failure: {failure}");
        }
        table
    }

    fn mode_text(&self) -> String {
        let pace = match (self.target_rate_tx_per_s > 0.0, self.pacing_tick_us) {
            (true, Some(tick)) => format!(
                "fixed rate {} tx/s paced every {tick} µs",
                self.target_rate_tx_per_s
            ),
            (true, None) => format!("fixed rate {} tx/s", self.target_rate_tx_per_s),
            (false, _) => "maximum throughput".to_string(),
        };
        format!(
            "{pace}, {}, warm-up {} s, measured {} s, seed {}",
            streams_text(self.streams),
            self.warmup_s,
            self.duration_s,
            self.seed
        )
    }
}

fn counts_text(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    counts
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns a share from 0 to 1 as a percentage rounded to a tenth, since
/// 0.07 * 100.0 is 7.000000000000001.
fn percent(share: f64) -> f64 {
    (share * 1_000.0).round() / 10.0
}

fn render_rows(rows: &[(String, String)]) -> String {
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let mut table = String::new();
    for (label, value) in rows {
        let _ = writeln!(table, "{label:<width$}  {value}");
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summary_of_known_values() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("bounds");
        for value in 1..=1_000u64 {
            histogram.record(value).expect("in range");
        }
        let summary = LatencySummary::from_histogram(&histogram, "intended_send_time");
        assert_eq!(summary.count, 1_000);
        assert_eq!(summary.p50, 500);
        assert_eq!(summary.p90, 900);
        assert_eq!(summary.p99, 990);
        assert_eq!(summary.max, 1_000);
    }

    fn report(target: f64, throughput: f64, unsent: u64) -> BenchReport {
        let histogram = Histogram::<u64>::new(3).expect("histogram");
        BenchReport {
            run_id: "run".into(),
            server: "http://127.0.0.1:1".into(),
            streams: 1,
            mode: if target > 0.0 {
                "fixed_rate"
            } else {
                "max_throughput"
            },
            target_rate_tx_per_s: target,
            pacing_tick_us: (target > 0.0).then_some(250),
            warmup_s: 0.0,
            duration_s: 2.0,
            drain_s: 10.0,
            max_in_flight: 256,
            seed: 1,
            sources: Sources {
                names: "names".into(),
                listed_names: "listed".into(),
                listed_wallets: "wallets".into(),
                new_name_share: 0.25,
                repeat_payee_share: 0.0,
                listed_share: 0.01,
                listed_wallet_share: 0.02,
            },
            sent: 100,
            answered: 100,
            throughput_tx_per_s: throughput,
            latency_us: LatencySummary::from_histogram(&histogram, "intended_send_time"),
            decisions: BTreeMap::new(),
            errors: ErrorSummary {
                verdict_errors: BTreeMap::new(),
                stream_failures: Vec::new(),
                unanswered: 0,
                unsent,
                unknown_verdicts: 0,
            },
            replayed: 0,
            max_send_lag_us: (target > 0.0).then_some(0),
            warmup: WarmupCounts {
                sent: 0,
                answered: 0,
            },
        }
    }

    #[test]
    fn behind_note_when_rate_missed() {
        let overloaded = report(100_000.0, 12_150.0, 53_761);
        let note = overloaded.behind_note().expect("fell behind");
        assert!(note.contains("12150.0 tx/s"), "{note}");
        assert!(note.contains("53761"), "{note}");
        assert!(overloaded
            .to_table()
            .contains("note: the server did not keep up"));

        assert!(report(100_000.0, 90_000.0, 0).behind_note().is_some());
        assert!(report(1_000.0, 999.5, 0).behind_note().is_none());
        assert!(report(1_000.0, 999.5, 3).behind_note().is_some());
        assert!(report(0.0, 12_150.0, 0).behind_note().is_none());
        assert!(!report(1_000.0, 999.5, 0).to_table().contains("note:"));
    }

    #[test]
    fn window_in_table_and_json() {
        let mut run = report(1_000.0, 999.5, 0);
        run.max_in_flight = 64;
        run.drain_s = 2.5;
        let table = run.to_table();
        let window = table
            .lines()
            .find(|line| line.starts_with("window"))
            .unwrap_or_default();
        assert!(
            window.ends_with(" 64 in flight per stream, drain 2.5 s"),
            "{window}"
        );
        let json = serde_json::to_value(&run).expect("report serializes");
        assert_eq!(json["max_in_flight"], 64);
        assert_eq!(json["drain_s"], 2.5);
    }

    #[test]
    fn one_stream_is_singular() {
        let single = report(1_000.0, 999.5, 0);
        assert_eq!(single.streams, 1);
        let mode = single.mode_text();
        assert!(mode.contains(", 1 stream,"), "{mode}");
        assert_eq!(streams_text(4), "4 streams");
    }

    #[test]
    fn failed_stream_gets_no_behind_note() {
        let mut failed = report(500.0, 188.4, 1_547);
        assert!(failed.behind_note().is_some(), "short of the rate");
        failed
            .errors
            .stream_failures
            .push("Unknown: h2 protocol error".into());
        assert!(failed.behind_note().is_none());
        assert!(!failed.to_table().contains("did not keep up"));
    }

    #[test]
    fn table_shows_new_name_share() {
        let new_names_row = |share: f64| {
            let mut report = report(1_000.0, 999.5, 0);
            report.sources.new_name_share = share;
            let table = report.to_table();
            table
                .lines()
                .find(|line| line.starts_with("new names"))
                .expect("new names row")
                .to_string()
        };
        let quarter = new_names_row(0.25);
        assert!(quarter.ends_with(" 25% of creditors, made up"), "{quarter}");
        let seven = new_names_row(0.07);
        assert!(seven.ends_with(" 7% of creditors, made up"), "{seven}");
        let half_percent = new_names_row(0.005);
        assert!(
            half_percent.ends_with(" 0.5% of creditors, made up"),
            "{half_percent}"
        );
    }

    #[test]
    fn listed_shares_in_table_and_json() {
        let mut report = report(1_000.0, 999.5, 0);
        report.sources.listed_share = 0.03;
        report.sources.listed_wallet_share = 0.005;
        let table = report.to_table();
        let row = |name: &str| {
            table
                .lines()
                .find(|line| line.starts_with(name))
                .unwrap_or_default()
                .to_string()
        };
        let names = row("listed names");
        assert!(names.ends_with(" listed, in 3% of transactions"), "{names}");
        let wallets = row("listed wallets");
        assert!(
            wallets.ends_with(" wallets, in 0.5% of transactions"),
            "{wallets}"
        );

        let json = serde_json::to_value(&report).expect("report serializes");
        assert_eq!(json["sources"]["listed_share"], 0.03);
        assert_eq!(json["sources"]["listed_wallet_share"], 0.005);
    }

    #[test]
    fn pacing_tick_in_table_and_json() {
        let mut fixed = report(1_000.0, 999.5, 0);
        fixed.pacing_tick_us = Some(120);
        let mode = fixed.mode_text();
        assert!(
            mode.starts_with("fixed rate 1000 tx/s paced every 120 µs,"),
            "{mode}"
        );
        let json = serde_json::to_value(&fixed).expect("report serializes");
        assert_eq!(json["pacing_tick_us"], 120);

        let open = report(0.0, 30_000.0, 0);
        let mode = open.mode_text();
        assert!(mode.starts_with("maximum throughput,"), "{mode}");
        let json = serde_json::to_value(&open).expect("report serializes");
        assert!(json["pacing_tick_us"].is_null());
    }

    #[test]
    fn latency_summary_of_nothing_is_zero() {
        let histogram = Histogram::<u64>::new(3).expect("histogram");
        let summary = LatencySummary::from_histogram(&histogram, "actual_send_time");
        assert_eq!(summary.count, 0);
        assert_eq!(summary.p999, 0);
        assert_eq!(summary.mean, 0.0);
    }
}
