//! `screener replay`: sends a JSON-lines file of transactions through a
//! running server and prints each verdict as one JSON line.
//!
//! Each input line is one `screener.v1.Transaction` in the protobuf JSON
//! mapping with the .proto field names, for example
//! `{"end_to_end_id":"E2E-1","debtor":{"name":"Anna Schmidt"}}`.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;
use screener_proto::v1::screener_client::ScreenerClient;
use screener_proto::v1::Transaction;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

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

/// Input lines by transaction id, filled by the reader, to name the line
/// of a rejected transaction.
type LinesOf = Arc<Mutex<HashMap<String, Vec<usize>>>>;

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
    lines_of: LinesOf,
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
            for (index, line) in reader.lines().enumerate() {
                let line_number = index + 1;
                let line = line
                    .map_err(|e| anyhow::anyhow!("{}: line {line_number}: {e}", file.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let transaction = match serde_json::from_str::<Transaction>(&line) {
                    Ok(transaction) => transaction,
                    Err(error) => {
                        eprintln!(
                            "replay: {}: line {line_number}: not a transaction, skipped: {}",
                            file.display(),
                            json_problem(&error)
                        );
                        summary.bad += 1;
                        continue;
                    }
                };
                lines_of
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .entry(transaction.end_to_end_id.clone())
                    .or_default()
                    .push(line_number);
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

/// Describes a JSON error by its column, since each transaction is one line.
fn json_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let reason = text.split(" at line ").next().unwrap_or(&text);
    format!("invalid JSON at column {}: {reason}", error.column())
}

/// Runs the replay; returns 0 when every line was screened, 2 when some
/// lines were not transactions or the server rejected some transactions.
pub async fn run(args: ReplayArgs) -> anyhow::Result<i32> {
    let mut client = ScreenerClient::connect(args.server.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", args.server))?;
    let lines_of: LinesOf = Arc::default();
    let (sender, mut receiver) = mpsc::channel(1024);
    let reader = spawn_reader(args.file.clone(), sender, Arc::clone(&lines_of))?;

    let source = args.file.display().to_string();
    let place = |id: &str| -> String {
        let lines_of = lines_of
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match lines_of.get(id).map(Vec::as_slice) {
            Some([line]) => format!("{source}: line {line}"),
            Some(lines) => format!(
                "{source}: lines {}",
                lines
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => source.clone(),
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut answered = 0usize;
    let mut rejected = 0usize;

    if args.unary {
        while let Some(transaction) = receiver.recv().await {
            let id = transaction.end_to_end_id.clone();
            match client.screen(transaction).await {
                Ok(response) => {
                    writeln!(out, "{}", serde_json::to_string(response.get_ref())?)?;
                    out.flush()?;
                    answered += 1;
                }
                Err(status) => {
                    eprintln!(
                        "replay: {}: transaction {:?}: {}",
                        place(&id),
                        crate::validate::truncate(&id),
                        status.message()
                    );
                    rejected += 1;
                }
            }
        }
    } else {
        let mut verdicts = client
            .screen_stream(ReceiverStream::new(receiver))
            .await
            .map_err(|s| anyhow::anyhow!("ScreenStream failed: {}", s.message()))?
            .into_inner();
        while let Some(verdict) = verdicts
            .message()
            .await
            .map_err(|s| anyhow::anyhow!("ScreenStream failed: {}", s.message()))?
        {
            if let Some(error) = &verdict.error {
                eprintln!(
                    "replay: {}: transaction {:?}: {}",
                    place(&verdict.end_to_end_id),
                    crate::validate::truncate(&verdict.end_to_end_id),
                    error.message
                );
                rejected += 1;
            } else {
                answered += 1;
            }
            writeln!(out, "{}", serde_json::to_string(&verdict)?)?;
            out.flush()?;
        }
    }
    out.flush()?;
    let summary = tokio::task::spawn_blocking(move || reader.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the input reader panicked"))??;
    let expected = summary.sent;
    if answered + rejected < expected {
        anyhow::bail!(
            "{} of {expected} transactions got no verdict",
            expected - answered - rejected
        );
    }
    if rejected > 0 {
        eprintln!("replay: the server rejected {rejected} of {expected} transactions");
    }
    Ok(if summary.bad == 0 && rejected == 0 {
        0
    } else {
        2
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_id_cut_in_messages() {
        assert_eq!(crate::validate::truncate("E2E-1"), "E2E-1");
        let long = "é".repeat(2000);
        let cut = crate::validate::truncate(&long);
        assert_eq!(cut.chars().count(), 67);
        assert!(cut.ends_with("..."));
    }
}
