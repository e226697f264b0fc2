//! The `screener bench` options and their translation into a checked run
//! configuration with loaded corpora.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};

use super::error::LoadgenError;
use super::generator::GeneratorOptions;
use super::names::NameCorpus;
use super::report::Sources;
use super::runner::BenchConfig;
use super::wallets::ListedWallets;

/// Most streams one run opens.
const MAX_STREAMS: usize = 1_024;

/// Longest warm-up, duration or drain accepted, in seconds (one day).
const MAX_SECONDS: f64 = 86_400.0;

/// Bounds of `--tick-us`. Linux lets a sleeping thread wake up to 50 µs
/// late by default, so ticks much below that gain nothing. Above a second,
/// a tick would stall a run.
const MIN_TICK_US: u64 = 10;
const MAX_TICK_US: u64 = 1_000_000;

/// The negatives file of the evaluation data, relative to the data folder.
const NEGATIVES_FILE: &str = "eval/persons_negative_global.csv";

/// How the report is printed on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// Options of `screener bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// gRPC address of the running server, as http://HOST:PORT.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Number of concurrent ScreenStream streams, each on its own
    /// connection.
    #[arg(long, default_value_t = 4)]
    pub streams: usize,
    /// Target rate in transactions per second across all streams; 0 sends
    /// as fast as the server answers, keeping --max-in-flight outstanding
    /// per stream.
    #[arg(long, default_value_t = 1_000.0, allow_negative_numbers = true)]
    pub rate: f64,
    /// Warm-up in seconds, excluded from the results.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub warmup: f64,
    /// Measured duration in seconds, after the warm-up.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub duration: f64,
    /// Names file for parties (CSV with a full_name or name column, or one
    /// name per line). Default: the evaluation negatives under
    /// $SCREENER_DATA_DIR or ../shared/data when present, else a built-in
    /// corpus of a few hundred names.
    #[arg(long)]
    pub names: Option<PathBuf>,
    /// Names file of listed parties to inject, in the same formats.
    /// Default: a built-in set of names from the UN consolidated list.
    #[arg(long)]
    pub listed_names: Option<PathBuf>,
    /// File or folder of listed wallet addresses to inject (one address per
    /// line; a file name ending in _TICKER.txt gives the asset). Default: a
    /// built-in set of OFAC SDN addresses.
    #[arg(long)]
    pub listed_wallets: Option<PathBuf>,
    /// Share of transactions, 0 to 1, whose debtor or creditor carries a
    /// listed name with typos or reordering.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub listed_share: f64,
    /// Share of transactions, 0 to 1, that send to a listed wallet.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub listed_wallet_share: f64,
    /// Share of transactions, 0 to 1, whose creditor gets a name made for
    /// the occasion (the given names of one corpus entry with the family
    /// name of another), so that name caches meet names they have not seen.
    /// It needs a corpus of many names: from a few, the made-up names
    /// repeat or equal names of the corpus.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub new_name_share: f64,
    /// Share of transactions, 0 to 1, whose debtor pays a creditor it paid
    /// before in the same stream (the same account and destination
    /// wallet), when it has one. Each debtor keeps up to four creditors.
    /// At 0 every transaction pays a new creditor and wallet, so every
    /// debtor-creditor pair is new.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub repeat_payee_share: f64,
    /// Number of debtor accounts that transactions reuse.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: usize,
    /// Zipf exponent of debtor reuse; 0 draws debtors uniformly.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub zipf_exponent: f64,
    /// Seed of the transaction generator; stream i uses seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Prefix of every end_to_end_id of the run; default: bench- and the
    /// start time in Unix milliseconds, so runs do not collide.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Transactions sent and not yet answered per stream, at most.
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,
    /// Shortest time in microseconds between two wake-ups of the pacing
    /// thread at a fixed rate (10 to 1,000,000; unused at --rate 0). Each
    /// wake-up sends every transaction due by then, so the pacing sends each
    /// up to about a tick after its due time. A full in-flight window or a
    /// busy CPU can delay a send more (see max send lag in the report).
    /// Shorter ticks send closer to the schedule and cost the load
    /// generator more CPU.
    #[arg(long, default_value_t = 250)]
    pub tick_us: u64,
    /// Seconds to wait for outstanding verdicts after the last send, and
    /// that a fixed-rate stream may fall behind its schedule.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub drain: f64,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl BenchArgs {
    /// Checks the options, loads the corpora and returns the run
    /// configuration.
    pub fn to_config(&self) -> Result<BenchConfig, LoadgenError> {
        check_server(&self.server)?;
        check_count("--streams", self.streams, MAX_STREAMS)?;
        check_count("--max-in-flight", self.max_in_flight, 1_000_000)?;
        if !(self.rate.is_finite() && self.rate >= 0.0) {
            return Err(invalid(
                "--rate",
                format!("{} is not a rate of 0 or more", self.rate),
            ));
        }
        if !(MIN_TICK_US..=MAX_TICK_US).contains(&self.tick_us) {
            return Err(invalid(
                "--tick-us",
                format!(
                    "{} is not between {MIN_TICK_US} and {MAX_TICK_US}",
                    self.tick_us
                ),
            ));
        }
        let warmup = seconds("--warmup", self.warmup, false)?;
        let duration = seconds("--duration", self.duration, true)?;
        let drain = seconds("--drain", self.drain, false)?;

        let (names, names_source) = self.load_names()?;
        let (listed_names, listed_names_source) = match &self.listed_names {
            Some(path) => (
                NameCorpus::from_file(path, "--listed-names")?,
                path.display().to_string(),
            ),
            None => (
                NameCorpus::builtin_listed(),
                "built-in UN list names".to_string(),
            ),
        };
        let (listed_wallets, listed_wallets_source) = match &self.listed_wallets {
            Some(path) => (ListedWallets::from_path(path)?, path.display().to_string()),
            None => (
                ListedWallets::builtin(),
                "built-in OFAC SDN addresses".to_string(),
            ),
        };
        let generator = GeneratorOptions {
            id_prefix: String::new(),
            names: Arc::new(names),
            listed_names: Arc::new(listed_names),
            listed_wallets: Arc::new(listed_wallets),
            listed_share: self.listed_share,
            listed_wallet_share: self.listed_wallet_share,
            new_name_share: self.new_name_share,
            repeat_payee_share: self.repeat_payee_share,
            accounts: self.accounts,
            zipf_exponent: self.zipf_exponent,
            ..GeneratorOptions::default()
        };
        generator.validate()?;

        Ok(BenchConfig {
            server: self.server.clone(),
            streams: self.streams,
            rate: self.rate,
            warmup,
            duration,
            drain,
            seed: self.seed,
            run_id: self.run_id()?,
            max_in_flight: self.max_in_flight,
            tick: Duration::from_micros(self.tick_us),
            generator,
            sources: Sources {
                names: names_source,
                listed_names: listed_names_source,
                listed_wallets: listed_wallets_source,
                new_name_share: self.new_name_share,
                repeat_payee_share: self.repeat_payee_share,
                listed_share: self.listed_share,
                listed_wallet_share: self.listed_wallet_share,
            },
        })
    }

    /// Returns a note for standard error when no --names is given and the
    /// default names file is missing, so the run falls back to a few
    /// hundred names.
    pub fn names_note(&self) -> Option<String> {
        match self.names {
            Some(_) => None,
            None => missing_names_note(&default_names_path()),
        }
    }

    fn load_names(&self) -> Result<(NameCorpus, String), LoadgenError> {
        let path = match &self.names {
            Some(path) => Some(path.clone()),
            None => default_names_file(),
        };
        match path {
            Some(path) => Ok((
                NameCorpus::from_file(&path, "--names")?,
                path.display().to_string(),
            )),
            None => Ok((NameCorpus::builtin_unlisted(), "built-in names".to_string())),
        }
    }

    fn run_id(&self) -> Result<String, LoadgenError> {
        let Some(run_id) = &self.run_id else {
            let millis = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_millis());
            return Ok(format!("bench-{millis}"));
        };
        let valid = !run_id.is_empty()
            && run_id.len() <= 64
            && run_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(invalid(
                "--run-id",
                format!("{run_id:?} is not 1 to 64 ASCII letters, digits, '-', '_' or '.'"),
            ));
        }
        Ok(run_id.clone())
    }
}

/// Returns where the evaluation negatives are looked for when --names is
/// not given: under $SCREENER_DATA_DIR, else under ../shared/data from the
/// current folder.
fn default_names_path() -> PathBuf {
    names_path_in(std::env::var_os("SCREENER_DATA_DIR"))
}

/// Returns the negatives file under `data_dir`, or under ../shared/data
/// when `data_dir` is unset or empty (`SCREENER_DATA_DIR=` names no folder).
fn names_path_in(data_dir: Option<std::ffi::OsString>) -> PathBuf {
    let data_dir = data_dir
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("..").join("shared").join("data"));
    data_dir.join(NEGATIVES_FILE)
}

/// Returns the evaluation negatives' path when that file exists.
fn default_names_file() -> Option<PathBuf> {
    let path = default_names_path();
    path.is_file().then_some(path)
}

/// Says that party names come from the built-in corpus because `path`,
/// the default names file, does not exist.
fn missing_names_note(path: &Path) -> Option<String> {
    (!path.is_file()).then(|| {
        let relative = if path.is_relative() {
            " (relative to the current folder)"
        } else {
            ""
        };
        format!(
            "no names file at {}{relative}, so party names come from the built-in corpus of {} \
             names; pass --names FILE, or set SCREENER_DATA_DIR to a folder holding {NEGATIVES_FILE}",
            path.display(),
            NameCorpus::builtin_unlisted().len()
        )
    })
}

/// Checks that `server` is a plain `http://HOST:PORT` address.
pub(crate) fn check_server(server: &str) -> Result<(), LoadgenError> {
    let reject = |reason: &str| {
        Err(LoadgenError::InvalidServer {
            server: server.to_string(),
            reason: reason.to_string(),
        })
    };
    let Some(authority) = server.strip_prefix("http://") else {
        return reject("only plain http:// addresses are supported");
    };
    let authority = authority.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return reject("expected a host and port with no path");
    }
    if tonic::transport::Endpoint::from_shared(server.to_string()).is_err() {
        return reject("not a valid URI");
    }
    Ok(())
}

fn check_count(option: &'static str, value: usize, max: usize) -> Result<(), LoadgenError> {
    if (1..=max).contains(&value) {
        return Ok(());
    }
    Err(invalid(
        option,
        format!("{value} is not between 1 and {max}"),
    ))
}

fn seconds(option: &'static str, value: f64, positive: bool) -> Result<Duration, LoadgenError> {
    let in_range = value.is_finite()
        && value <= MAX_SECONDS
        && if positive { value > 0.0 } else { value >= 0.0 };
    if !in_range {
        let low = if positive { "above 0" } else { "0 or more" };
        return Err(invalid(
            option,
            format!("{value} is not a number of seconds {low} and at most {MAX_SECONDS}"),
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

fn invalid(option: &'static str, reason: String) -> LoadgenError {
    LoadgenError::InvalidOption { option, reason }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn empty_data_dir_counts_as_unset() {
        let default_path = Path::new("..")
            .join("shared")
            .join("data")
            .join(NEGATIVES_FILE);
        assert_eq!(names_path_in(Some("".into())), default_path);
        assert_eq!(names_path_in(None), default_path);
        assert_eq!(
            names_path_in(Some("/data".into())),
            Path::new("/data").join(NEGATIVES_FILE)
        );
    }

    fn parse(args: &[&str]) -> BenchArgs {
        let mut argv = vec!["bench"];
        argv.extend_from_slice(args);
        Command::try_parse_from(argv)
            .expect("valid arguments")
            .bench
    }

    #[test]
    fn defaults_make_a_valid_config() {
        let args = parse(&[]);
        assert_eq!(args.server, "http://127.0.0.1:50051");
        let config = args.to_config().expect("defaults are valid");
        assert_eq!(config.streams, 4);
        assert_eq!(config.rate, 1_000.0);
        assert!(config.run_id.starts_with("bench-"));
    }

    #[test]
    fn missing_names_file_is_an_error() {
        let error = parse(&["--names", "/nonexistent/names.csv"])
            .to_config()
            .expect_err("missing file");
        assert!(error.to_string().contains("--names"), "{error}");
    }

    #[test]
    fn missing_default_names_get_a_note() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("negatives.csv");
        let note = missing_names_note(&missing).expect("file is missing");
        assert!(note.contains(&missing.display().to_string()), "{note}");
        assert!(note.contains("--names"), "{note}");
        assert!(note.contains(NEGATIVES_FILE), "{note}");
        let relative = missing_names_note(Path::new("no/such/names.csv")).expect("missing");
        assert!(
            relative.contains("relative to the current folder"),
            "{relative}"
        );

        std::fs::write(&missing, "full_name\nAnna Kovacs\n").expect("write names");
        assert_eq!(missing_names_note(&missing), None);
        assert_eq!(parse(&["--names", "names.csv"]).names_note(), None);
    }

    #[test]
    fn bad_options_name_the_option() {
        let cases: [(&[&str], &str); 13] = [
            (&["--streams", "0"], "--streams"),
            (&["--rate=-5"], "--rate"),
            (&["--duration", "0"], "--duration"),
            (&["--warmup", "NaN"], "--warmup"),
            (&["--listed-share", "2"], "--listed-share"),
            (&["--new-name-share", "1.01"], "--new-name-share"),
            (&["--new-name-share", "-1"], "--new-name-share"),
            (&["--repeat-payee-share", "1.5"], "--repeat-payee-share"),
            (&["--listed-share", "-0.5"], "--listed-share"),
            (&["--run-id", "a b"], "--run-id"),
            (&["--tick-us", "0"], "--tick-us"),
            (&["--tick-us", "9"], "--tick-us"),
            (&["--tick-us", "1000001"], "--tick-us"),
        ];
        for (args, option) in cases {
            let error = parse(args).to_config().expect_err("invalid option");
            assert!(error.to_string().contains(option), "{args:?}: {error}");
        }
    }

    #[test]
    fn server_must_be_plain_http_host_and_port() {
        for server in [
            "127.0.0.1:50051",
            "https://127.0.0.1:50051",
            "http://",
            "http://h:1/path",
        ] {
            let error = parse(&["--server", server]).to_config().expect_err(server);
            assert!(
                matches!(error, LoadgenError::InvalidServer { .. }),
                "{server}: {error}"
            );
        }
        assert!(check_server("http://127.0.0.1:50051").is_ok());
        assert!(check_server("http://localhost:7000/").is_ok());
    }
}
