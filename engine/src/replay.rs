//! `screener replay`: sends a JSON-lines file of transactions through a
//! running server and prints each verdict as one JSON line.
//!
//! Each input line is one `screener.v1.Transaction` in the protobuf JSON
//! mapping with the .proto field names, for example
//! `{"end_to_end_id":"E2E-1","debtor":{"name":"Anna Schmidt"}}`.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

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

/// A transaction with the input line it was read from.
type NumberedTransaction = (usize, Transaction);

/// A line of the input that is not a transaction.
#[derive(Debug)]
struct BadLine {
    line: usize,
    message: String,
}

/// Reads transactions from the file; bad lines are returned separately so
/// that one typo does not stop the replay.
fn read_transactions(file: &PathBuf) -> anyhow::Result<(Vec<NumberedTransaction>, Vec<BadLine>)> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let opened = std::fs::File::open(file)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
        Box::new(std::io::BufReader::new(opened))
    };
    let mut transactions = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line_number = index + 1;
        let line =
            line.map_err(|e| anyhow::anyhow!("{}: line {line_number}: {e}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Transaction>(&line) {
            Ok(transaction) => transactions.push((line_number, transaction)),
            Err(error) => bad.push(BadLine {
                line: line_number,
                message: json_problem(&error),
            }),
        }
    }
    Ok((transactions, bad))
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
    let (transactions, bad) = read_transactions(&args.file)?;
    for problem in &bad {
        eprintln!(
            "replay: {}: line {}: not a transaction, skipped: {}",
            args.file.display(),
            problem.line,
            problem.message
        );
    }
    // Input lines by transaction id, to name the line of a rejected one.
    let mut lines_of: HashMap<String, Vec<usize>> = HashMap::new();
    for (line, transaction) in &transactions {
        lines_of
            .entry(transaction.end_to_end_id.clone())
            .or_default()
            .push(*line);
    }
    let transactions: Vec<Transaction> = transactions.into_iter().map(|(_, t)| t).collect();
    let source = args.file.display().to_string();
    let place = |id: &str| -> String {
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
    let mut client = ScreenerClient::connect(args.server.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", args.server))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let expected = transactions.len();
    let mut answered = 0usize;
    let mut rejected = 0usize;

    if args.unary {
        for transaction in transactions {
            let id = transaction.end_to_end_id.clone();
            match client.screen(transaction).await {
                Ok(response) => {
                    writeln!(out, "{}", serde_json::to_string(response.get_ref())?)?;
                    answered += 1;
                }
                Err(status) => {
                    eprintln!(
                        "replay: {}: transaction {id:?}: {}",
                        place(&id),
                        status.message()
                    );
                    rejected += 1;
                }
            }
        }
    } else {
        let (sender, receiver) = mpsc::channel(1024);
        let feeder = tokio::spawn(async move {
            for transaction in transactions {
                if sender.send(transaction).await.is_err() {
                    break;
                }
            }
        });
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
                    verdict.end_to_end_id,
                    error.message
                );
                rejected += 1;
            } else {
                answered += 1;
            }
            writeln!(out, "{}", serde_json::to_string(&verdict)?)?;
        }
        feeder.await?;
    }
    out.flush()?;
    if answered + rejected < expected {
        anyhow::bail!(
            "{} of {expected} transactions got no verdict",
            expected - answered - rejected
        );
    }
    if rejected > 0 {
        eprintln!("replay: the server rejected {rejected} of {expected} transactions");
    }
    Ok(if bad.is_empty() && rejected == 0 {
        0
    } else {
        2
    })
}
