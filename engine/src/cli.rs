//! The `screener` command line: serve, screen offline, inspect and diff
//! lists, check rules, replay transactions, and drive load.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "screener",
    version,
    about = "Screens payment transactions and wallet addresses against sanctions lists"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Starts the engine: gRPC screening service and metrics endpoint.
    Serve(ServeArgs),
    /// Screens one name, wallet address or identifier offline and prints
    /// the hits with their explanations.
    ///
    /// Exit status: 0 when nothing matched, 3 when at least one listed
    /// entry matched, 1 on an error or a name that normalizes to nothing,
    /// 2 on a wrong command line.
    Screen(ScreenArgs),
    /// Inspects or compares list files.
    #[command(subcommand)]
    Lists(ListsCommand),
    /// Validates rule graph files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Sends a JSON-lines file of transactions through a running server and
    /// prints the verdicts as JSON lines.
    ///
    /// Exit status: 0 when every line was screened, 2 when some lines were
    /// not transactions or were rejected (each is named on standard error
    /// with its line), 1 when the replay could not run or the stream failed.
    Replay(crate::replay::ReplayArgs),
    /// Drives a running server with generated transactions and reports
    /// throughput and latency percentiles.
    Bench(crate::loadgen::BenchArgs),
    /// Measures match quality on the evaluation set: found rates on listed
    /// persons and the false-alert rate on unlisted ones.
    Eval(crate::eval::EvalArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); without it the defaults run: bundled
    /// lists, default rules, state under ./data, gRPC on 127.0.0.1:50051.
    #[arg(long, short, env = "SCREENER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Erase a corrupt or foreign RocksDB database in the state directory
    /// and start empty. Files that are not a RocksDB database are never
    /// deleted. Without the flag, such a directory stops the start with an
    /// error and nothing is touched.
    #[arg(long)]
    pub reset_state: bool,
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// The name to screen (or use --wallet / --identifier).
    pub name: Option<String>,
    /// A wallet address to screen.
    #[arg(long, conflicts_with = "name")]
    pub wallet: Option<String>,
    /// The asset the caller believes the wallet holds, such as ETH.
    #[arg(long, requires = "wallet")]
    pub asset: Option<String>,
    /// An identifier as KIND:VALUE, such as passport:A1234567, imo:9187629,
    /// bic:DEUTDEFF or lei:5299...
    #[arg(long, conflicts_with_all = ["name", "wallet"])]
    pub identifier: Option<String>,
    /// List files to screen against (repeatable); the bundle when absent.
    #[arg(long = "list", short = 'l')]
    pub lists: Vec<PathBuf>,
    /// Entity kind filter: person, organization, vessel, aircraft or wallet.
    #[arg(long)]
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2 country that qualifies the score.
    #[arg(long)]
    pub country: Option<String>,
    /// Birth date (YYYY, YYYY-MM or YYYY-MM-DD) that qualifies the score.
    #[arg(long)]
    pub birth_date: Option<String>,
    /// Minimum score, 0 to 1; the default threshold when absent.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Number of hits to print.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print JSON instead of text: the response ScreenParty (for a name or an
    /// identifier) or ScreenWallet would return, with the same field names.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Loads list files or a bundle manifest and prints the load report.
    Inspect {
        /// List files, OFAC CSV folders, or a bundle.toml manifest.
        paths: Vec<PathBuf>,
        /// Format name; detected from the content when absent.
        #[arg(long)]
        format: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Print every warning, not only the first 20.
        #[arg(long)]
        all_warnings: bool,
    },
    /// Prints the entities added, removed and changed between two versions
    /// of a list.
    Diff {
        /// The older version: a list file, or a bundle (bundle.toml or its folder).
        old: PathBuf,
        /// The newer version of the same list, given the same way.
        new: PathBuf,
        /// Format name; detected from the content when absent.
        #[arg(long)]
        format: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validates rule graph files, printing every problem with file, line
    /// and node id; exits 1 when any is an error.
    Check {
        /// Rule graph files read together as one graph; the default graph
        /// when absent.
        paths: Vec<PathBuf>,
    },
}

/// Runs the parsed command; the exit code is 0 on success.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Screen(args) => crate::offline::screen(args),
        Command::Lists(command) => crate::offline::lists(command),
        Command::Rules(RulesCommand::Check { paths }) => crate::offline::check_rules(paths),
        Command::Replay(args) => runtime()?.block_on(crate::replay::run(args)),
        Command::Bench(args) => runtime()?.block_on(crate::loadgen::run(args)),
        Command::Eval(args) => crate::eval::run(args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn serve(args: ServeArgs) -> anyhow::Result<i32> {
    let config = Config::load(args.config.as_deref(), std::env::vars())?;
    crate::logging::init(&config.logging)?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = ?args.config,
        "screener starting"
    );
    let listeners = crate::server::bind_listeners(&config)?;
    let engine = crate::engine::Engine::start_with(config, args.reset_state)?;
    runtime()?.block_on(async move {
        let server = crate::server::RunningServer::start_on(engine, listeners).await?;
        server.run_until_signal().await
    })?;
    Ok(0)
}
