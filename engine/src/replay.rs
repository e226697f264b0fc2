//! `screener replay`: sends a JSON-lines file of transactions through a
//! running server and prints each verdict as one JSON line, in the order of
//! the input lines. A line that reuses the id of a line still in flight is
//! sent after that line's verdict, so lines with one id are screened in file
//! order and an error names the one line it belongs to.
//!
//! Each input line is one `screener.v1.Transaction` in the protobuf JSON
//! mapping with the .proto field names, for example
//! `{"end_to_end_id":"E2E-1","debtor":{"name":"Anna Schmidt"}}`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use clap::Args;
use screener_proto::v1::screener_client::ScreenerClient;
use screener_proto::v1::{Transaction, Verdict};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::error::ERROR_CODE_METADATA;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// JSON-lines file of transactions; "-" reads standard input.
    pub file: PathBuf,
    /// Server address.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Send each transaction as a unary Screen call instead of one stream.
    #[arg(long)]
    pub unary: bool,
}

/// Record of the transactions sent, by id. The reader thread fills it, and
/// the verdict loop reads it.
#[derive(Default)]
struct Sent {
    /// Send position (0 for the first transaction sent) and input line of
    /// each id still without a verdict. The reader sends a line whose id is
    /// still here only after the earlier line's verdict, so an id has at
    /// most one entry, and a verdict belongs to exactly one line.
    unanswered: HashMap<String, (u64, usize)>,
    /// Set when no more verdicts will come, so the reader stops waiting.
    closed: bool,
}

/// The record with the condition variable the reader waits on for a verdict.
#[derive(Default)]
struct SharedState {
    sent: Mutex<Sent>,
    answered: Condvar,
}

type SharedSent = Arc<SharedState>;

fn lock(sent: &SharedSent) -> std::sync::MutexGuard<'_, Sent> {
    sent.sent
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes `id` from the unanswered transactions and wakes the reader.
/// Returns its send position and input line.
fn answer(sent: &SharedSent, id: &str) -> Option<(u64, usize)> {
    let found = lock(sent).unanswered.remove(id);
    sent.answered.notify_all();
    found
}

/// Marks the verdicts as ended and wakes the reader.
fn close(sent: &SharedSent) {
    lock(sent).closed = true;
    sent.answered.notify_all();
}

/// Reorder buffer that puts verdicts back in input order. The server sends a
/// stream's verdicts in the order it finishes transactions, so an invalid
/// one, which needs no write, overtakes valid ones sent before it.
struct InputOrder {
    /// Send position of the next verdict to print.
    next: u64,
    /// Verdicts that arrived before one sent earlier, by send position.
    waiting: BTreeMap<u64, Verdict>,
}

impl InputOrder {
    fn new() -> Self {
        InputOrder {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }

    /// Takes a verdict sent at `position` (`None` for an id that was not
    /// sent, which no server does) and returns the verdicts now due, in
    /// input order. A verdict without a position is due at once.
    fn take(&mut self, position: Option<u64>, verdict: Verdict) -> Vec<Verdict> {
        let Some(position) = position else {
            return vec![verdict];
        };
        self.waiting.insert(position, verdict);

        let mut due = Vec::new();
        while let Some(verdict) = self.waiting.remove(&self.next) {
            due.push(verdict);
            self.next += 1;
        }
        due
    }

    /// Returns every verdict still waiting, in input order. Called when the
    /// stream ended before some transactions sent earlier got a verdict.
    fn rest(&mut self) -> Vec<Verdict> {
        std::mem::take(&mut self.waiting).into_values().collect()
    }
}

/// Counts of the lines the reader thread read.
struct ReadSummary {
    /// Transactions sent on.
    sent: usize,
    /// Lines that were not transactions.
    bad: usize,
}

/// Reads the file line by line on its own thread and sends each
/// transaction on as soon as it is parsed, so a replay from standard input
/// screens lines as they arrive. Bad lines are reported and skipped, so
/// that one typo does not stop the replay.
fn spawn_reader(
    file: PathBuf,
    sender: mpsc::Sender<Transaction>,
    sent: SharedSent,
) -> anyhow::Result<std::thread::JoinHandle<anyhow::Result<ReadSummary>>> {
    let reader: Box<dyn BufRead + Send> = if file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let opened = std::fs::File::open(&file)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
        Box::new(std::io::BufReader::new(opened))
    };
    let thread = std::thread::Builder::new()
        .name("replay-reader".to_owned())
        .spawn(move || {
            let mut summary = ReadSummary { sent: 0, bad: 0 };
            // Lines are read as bytes, so that one line that is not UTF-8 is
            // reported and skipped like any other bad line.
            for (index, bytes) in reader.split(b'\n').enumerate() {
                let line_number = index + 1;
                let bytes = bytes
                    .map_err(|e| anyhow::anyhow!("{}: line {line_number}: {e}", file.display()))?;
                let line = match String::from_utf8(bytes) {
                    Ok(line) => line,
                    Err(error) => {
                        eprintln!(
                            "replay: {}: line {line_number}: not UTF-8 text (the bytes from \
                             byte {} on), skipped; save the file as UTF-8",
                            file.display(),
                            error.utf8_error().valid_up_to() + 1
                        );
                        summary.bad += 1;
                        continue;
                    }
                };
                if line.trim().is_empty() {
                    continue;
                }
                let transaction = match parse_transaction(&line) {
                    Ok(transaction) => transaction,
                    Err(problem) => {
                        eprintln!(
                            "replay: {}: line {line_number}: not a transaction, skipped: {problem}",
                            file.display(),
                        );
                        summary.bad += 1;
                        continue;
                    }
                };
                {
                    // A line that reuses an id in flight waits for the
                    // earlier line's verdict, so the first line is screened
                    // first and each verdict names one line.
                    let mut record = lock(&sent);
                    let id = &transaction.end_to_end_id;
                    while record.unanswered.contains_key(id) && !record.closed {
                        record = sent
                            .answered
                            .wait(record)
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                    }
                    if record.closed {
                        break;
                    }
                    let position = summary.sent as u64;
                    record
                        .unanswered
                        .insert(id.clone(), (position, line_number));
                }
                if sender.blocking_send(transaction).is_err() {
                    // The sending side ended, and its error is reported there.
                    break;
                }
                summary.sent += 1;
            }
            Ok(summary)
        })
        .map_err(|e| anyhow::anyhow!("failed to start the input reader thread: {e}"))?;
    Ok(thread)
}

/// Describes a rejected transaction: its id, unless the server's message
/// already names it, then the message.
fn rejection(id: &str, message: &str) -> String {
    let quoted = format!("{:?}", crate::validate::truncate(id));
    if !id.is_empty() && message.contains(&quoted) {
        message.to_string()
    } else {
        format!("transaction {quoted}: {message}")
    }
}

/// Parses one line as a transaction. A problem is described by its column,
/// since each transaction is one line, and by the field it is in, such as
/// "instructed_amount.value".
fn parse_transaction(line: &str) -> Result<Transaction, String> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let parsed = serde_path_to_error::deserialize::<_, Transaction>(&mut deserializer);
    match parsed {
        Ok(transaction) => match deserializer.end() {
            Ok(()) => Ok(transaction),
            Err(error) => Err(json_problem(&error, ".")),
        },
        Err(error) => {
            let path = error.path().to_string();
            Err(json_problem(error.inner(), &path))
        }
    }
}

/// Describes a JSON error at `path` ("." for the whole line).
fn json_problem(error: &serde_json::Error, path: &str) -> String {
    let text = error.to_string();
    let reason = text.split(" at line ").next().unwrap_or(&text);
    let column = error.column();
    match error.classify() {
        serde_json::error::Category::Data if path == "." => format!(
            "{reason} at column {column}; each line must be one JSON object, a \
             screener.v1.Transaction"
        ),
        serde_json::error::Category::Data => {
            format!("field {path} at column {column}: {reason}")
        }
        _ => format!(
            "invalid JSON at column {column}: {reason}; check the quotes, commas and \
             braces near there"
        ),
    }
}

/// Runs the replay and prints the verdicts to standard output. Returns 0
/// when every line was screened, and 2 when some lines were not
/// transactions or the server rejected some transactions.
pub async fn run(args: ReplayArgs) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(args, &mut out).await
}

/// Runs the replay as [`run`] does, writing the verdicts to `out`.
pub async fn run_to(args: ReplayArgs, out: &mut impl Write) -> anyhow::Result<i32> {
    crate::loadgen::check_server(&args.server)?;
    let mut client = ScreenerClient::new(crate::loadgen::connect(&args.server).await?);
    let sent: SharedSent = Arc::default();
    let (sender, mut receiver) = mpsc::channel(1024);
    let reader = spawn_reader(args.file.clone(), sender, Arc::clone(&sent))?;

    let source = args.file.display().to_string();
    let place = |line: Option<usize>| -> String {
        match line {
            Some(line) => format!("{source}: line {line}"),
            None => source.clone(),
        }
    };
    let mut answered = 0usize;
    let mut rejected = 0usize;

    if args.unary {
        while let Some(transaction) = receiver.recv().await {
            let id = transaction.end_to_end_id.clone();
            let result = client.screen(transaction).await;
            let line = answer(&sent, &id).map(|(_, line)| line);
            match result {
                Ok(response) => {
                    writeln!(out, "{}", serde_json::to_string(response.get_ref())?)?;
                    out.flush()?;
                    answered += 1;
                }
                // A status without the server's error code did not come
                // from screening: the call itself failed, and so does the
                // replay, naming the line.
                Err(status) if status.metadata().get(ERROR_CODE_METADATA).is_none() => {
                    anyhow::bail!(
                        "{}: Screen call failed: {}",
                        place(line),
                        crate::loadgen::status_problem(&status, answered + rejected > 0)
                    );
                }
                Err(status) => {
                    eprintln!(
                        "replay: {}: {}",
                        place(line),
                        rejection(&id, status.message())
                    );
                    rejected += 1;
                }
            }
        }
    } else {
        let opened = client.screen_stream(ReceiverStream::new(receiver)).await;
        let mut verdicts = match opened {
            Ok(response) => response.into_inner(),
            Err(status) => {
                close(&sent);
                anyhow::bail!(
                    "ScreenStream failed: {}{}",
                    crate::loadgen::status_problem(&status, false),
                    resend_from(&sent, &source)
                );
            }
        };
        let mut order = InputOrder::new();
        let ended = loop {
            let verdict = match verdicts.message().await {
                Ok(Some(verdict)) => verdict,
                Ok(None) => break Ok(()),
                Err(status) => break Err(status),
            };
            let sent_as = answer(&sent, &verdict.end_to_end_id);
            if let Some(error) = &verdict.error {
                eprintln!(
                    "replay: {}: {}",
                    place(sent_as.map(|(_, line)| line)),
                    rejection(&verdict.end_to_end_id, &error.message)
                );
                rejected += 1;
            } else {
                answered += 1;
            }
            for verdict in order.take(sent_as.map(|(position, _)| position), verdict) {
                writeln!(out, "{}", serde_json::to_string(&verdict)?)?;
            }
            out.flush()?;
        };
        close(&sent);
        // Verdicts waiting behind a transaction that got none are still printed.
        for verdict in order.rest() {
            writeln!(out, "{}", serde_json::to_string(&verdict)?)?;
        }
        out.flush()?;
        if let Err(status) = ended {
            anyhow::bail!(
                "ScreenStream failed: {}{}",
                crate::loadgen::status_problem(&status, answered + rejected > 0),
                resend_from(&sent, &source)
            );
        }
    }
    out.flush()?;
    let summary = tokio::task::spawn_blocking(move || reader.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the input reader panicked"))??;
    let expected = summary.sent;
    if answered + rejected < expected {
        // A stream the server closed while shutting down, for example.
        anyhow::bail!(
            "{} of {expected} transactions got no verdict{}",
            expected - answered - rejected,
            resend_from(&sent, &source)
        );
    }
    if rejected > 0 {
        eprintln!("replay: the server rejected {rejected} of {expected} transactions");
    }
    if summary.bad > 0 {
        eprintln!(
            "replay: {} lines were not transactions and were not sent",
            summary.bad
        );
    }
    Ok(if summary.bad == 0 && rejected == 0 {
        0
    } else {
        2
    })
}

/// Names the first input line still without a verdict, to resend from
/// there, or returns an empty string when every sent line got one. Such
/// lines were never screened, or their verdicts were lost with the stream.
fn resend_from(sent: &SharedSent, source: &str) -> String {
    let first_unanswered = lock(sent).unanswered.values().map(|(_, line)| *line).min();
    first_unanswered
        .map(|line| format!("; the first line without a verdict is {source}: line {line}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(id: &str, replayed: bool) -> Verdict {
        Verdict {
            end_to_end_id: id.to_owned(),
            replayed,
            ..Verdict::default()
        }
    }

    fn ids(verdicts: &[Verdict]) -> Vec<(&str, bool)> {
        verdicts
            .iter()
            .map(|v| (v.end_to_end_id.as_str(), v.replayed))
            .collect()
    }

    #[test]
    fn verdicts_wait_for_earlier_lines() {
        let mut order = InputOrder::new();
        assert!(order.take(Some(2), verdict("C", false)).is_empty());
        assert!(order.take(Some(1), verdict("B", false)).is_empty());
        let due = order.take(Some(0), verdict("A", false));
        assert_eq!(ids(&due), [("A", false), ("B", false), ("C", false)]);
        assert!(order.rest().is_empty());
    }

    #[test]
    fn waiting_verdicts_flushed_at_end() {
        let mut order = InputOrder::new();
        assert!(order.take(Some(2), verdict("C", false)).is_empty());
        assert!(order.take(Some(1), verdict("B", false)).is_empty());
        assert_eq!(ids(&order.rest()), [("B", false), ("C", false)]);
    }

    #[test]
    fn unsent_id_printed_at_once() {
        let mut order = InputOrder::new();
        assert_eq!(ids(&order.take(None, verdict("Z", false))), [("Z", false)]);
    }

    #[test]
    fn reused_id_waits_for_its_verdict() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("lines.jsonl");
        let line = |id: &str| format!("{{\"end_to_end_id\":\"{id}\"}}\n");
        let text = [line("A"), line("B"), "\n".to_string(), line("A")].concat();
        std::fs::write(&file, text).expect("write");
        let sent = SharedSent::default();
        let (sender, mut receiver) = mpsc::channel(8);
        let reader = spawn_reader(file, sender, Arc::clone(&sent)).expect("reader starts");

        let first = receiver.blocking_recv().expect("line 1");
        let second = receiver.blocking_recv().expect("line 2");
        assert_eq!(
            (first.end_to_end_id.as_str(), second.end_to_end_id.as_str()),
            ("A", "B")
        );
        // The verdict for the first A arrives: its line is 1, and the second A
        // is sent.
        assert_eq!(answer(&sent, "A"), Some((0, 1)));
        let third = receiver.blocking_recv().expect("line 4");
        assert_eq!(third.end_to_end_id, "A");
        assert_eq!(answer(&sent, "A"), Some((2, 4)));
        assert_eq!(answer(&sent, "B"), Some((1, 2)));
        let summary = reader
            .join()
            .expect("reader thread")
            .expect("reader result");
        assert_eq!(summary.sent, 3);
    }

    #[test]
    fn rejection_names_id_once() {
        let reused = rejection(
            "R-1",
            "end_to_end_id \"R-1\" was already screened with different content",
        );
        assert_eq!(reused.matches("R-1").count(), 1, "{reused}");
        let invalid = rejection("R-2", "invalid debtor.iban: bad");
        assert_eq!(invalid, "transaction \"R-2\": invalid debtor.iban: bad");
    }

    #[test]
    fn line_problems_name_field_and_column() {
        let wrong_type =
            parse_transaction(r#"{"end_to_end_id":"A","instructed_amount":{"value":12}}"#)
                .expect_err("a number where a string belongs");
        assert!(
            wrong_type.contains("field instructed_amount.value"),
            "{wrong_type}"
        );
        assert!(wrong_type.contains("column"), "{wrong_type}");

        let not_object = parse_transaction("[1, 2]").expect_err("an array");
        assert!(not_object.contains("one JSON object"), "{not_object}");

        let syntax = parse_transaction(r#"{"end_to_end_id": }"#).expect_err("no value");
        assert!(syntax.starts_with("invalid JSON at column"), "{syntax}");

        let trailing = parse_transaction(r#"{"end_to_end_id":"A"} x"#).expect_err("trailing");
        assert!(trailing.contains("column"), "{trailing}");

        let parsed = parse_transaction(r#"{"end_to_end_id":"A"}"#).expect("a transaction");
        assert_eq!(parsed.end_to_end_id, "A");
    }

    #[test]
    fn non_utf8_line_skipped_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("lines.jsonl");
        let mut text = b"{\"end_to_end_id\":\"A\"}\r\n".to_vec();
        text.extend_from_slice(b"\xff\xfe junk\n{\"end_to_end_id\":\"B\"}\n");
        std::fs::write(&file, text).expect("write");
        let sent = SharedSent::default();
        let (sender, mut receiver) = mpsc::channel(8);
        let reader = spawn_reader(file, sender, Arc::clone(&sent)).expect("reader starts");
        let ids: Vec<String> = std::iter::from_fn(|| receiver.blocking_recv())
            .map(|tx| tx.end_to_end_id)
            .collect();
        assert_eq!(ids, ["A", "B"]);
        let summary = reader
            .join()
            .expect("reader thread")
            .expect("reader result");
        assert_eq!((summary.sent, summary.bad), (2, 1));
        assert_eq!(answer(&sent, "B"), Some((1, 3)));
    }

    #[test]
    fn closed_replay_stops_waiting_reader() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("lines.jsonl");
        std::fs::write(
            &file,
            "{\"end_to_end_id\":\"A\"}\n{\"end_to_end_id\":\"A\"}\n",
        )
        .expect("write");
        let sent = SharedSent::default();
        let (sender, mut receiver) = mpsc::channel(8);
        let reader = spawn_reader(file, sender, Arc::clone(&sent)).expect("reader starts");
        assert!(receiver.blocking_recv().is_some());
        // No verdict will come for the first A: the reader gives up the second.
        close(&sent);
        let summary = reader
            .join()
            .expect("reader thread")
            .expect("reader result");
        assert_eq!(summary.sent, 1);
        assert!(receiver.blocking_recv().is_none());
    }

    #[test]
    fn long_id_cut_in_messages() {
        assert_eq!(crate::validate::truncate("E2E-1"), "E2E-1");
        let long = "é".repeat(2000);
        let cut = crate::validate::truncate(&long);
        assert_eq!(cut.chars().count(), 67);
        assert!(cut.ends_with("..."));
    }

    /// Runs a replay of one transaction against a server that accepts the
    /// connection and never responds, and returns its error.
    async fn replay_silent(unary: bool) -> anyhow::Error {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("one.jsonl");
        std::fs::write(
            &file,
            r#"{"end_to_end_id":"SILENT-1","instructed_amount":{"value":"10.00","currency":"EUR"},"debtor":{"name":"Anna Schmidt"},"creditor":{"name":"Jean Dupont"}}"#,
        )
        .expect("write the input");
        let args = ReplayArgs {
            file,
            server: crate::loadgen::silent_server().await,
            unary,
        };
        let mut out = Vec::new();
        // A guard against a hang, far above the client's ping timeout.
        let guard = std::time::Duration::from_secs(120);
        let result = tokio::time::timeout(guard, run_to(args, &mut out))
            .await
            .expect("the replay ends although the server never responds");
        result.expect_err("no verdict came")
    }

    #[tokio::test]
    async fn silent_server_fails_stream_replay() {
        let error = replay_silent(false).await.to_string();
        assert!(error.contains("ScreenStream failed"), "{error}");
        assert!(error.contains("stopped responding"), "{error}");
        assert!(error.contains("one.jsonl: line 1"), "{error}");
    }

    #[tokio::test]
    async fn silent_server_fails_unary_replay() {
        let error = replay_silent(true).await.to_string();
        assert!(error.contains("stopped responding"), "{error}");
        assert!(error.contains("one.jsonl: line 1"), "{error}");
    }
}
