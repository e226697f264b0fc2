//! Engine configuration: one TOML file, every key optional with a
//! documented default, and environment overrides.
//!
//! An environment variable `SCREENER__SECTION__KEY=value` overrides
//! `[section] key` (for example `SCREENER__SERVER__GRPC_ADDR=0.0.0.0:50051`).
//! The value is read as a TOML value when it parses as one (numbers,
//! booleans, arrays) and as a string otherwise. `config/screener.example.toml`
//! lists every key with its default.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration. `Config::default()` is what runs with no file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub limits: LimitsConfig,
    pub lists: ListsConfig,
    pub rules: RulesConfig,
    pub state: StateConfig,
    pub logging: LoggingConfig,
}

/// Network addresses and stream behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// gRPC listen address. Port 0 picks a free port, which is logged.
    pub grpc_addr: String,
    /// Prometheus metrics listen address (HTTP, path /metrics). Empty
    /// disables the metrics endpoint.
    pub metrics_addr: String,
    /// Verdicts buffered per stream before the server stops reading that
    /// stream's transactions, so a slow reader slows only its own stream.
    pub stream_buffer: usize,
    /// Transactions of one stream screened at once.
    pub stream_concurrency: usize,
    /// Seconds SIGTERM waits for open streams to finish before closing them.
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            grpc_addr: "127.0.0.1:50051".into(),
            metrics_addr: "127.0.0.1:9100".into(),
            stream_buffer: 1024,
            stream_concurrency: 256,
            shutdown_grace_seconds: 30,
        }
    }
}

/// Limits on incoming messages. A message over a limit is rejected with
/// INVALID_ARGUMENT naming the field and the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest transaction accepted, in bytes of its protobuf encoding.
    /// The server decodes messages up to four times this (at least 4 MiB)
    /// and rejects a larger transaction alone; a bigger message ends its
    /// stream.
    pub max_message_bytes: usize,
    /// Longest text field (names, ids, address lines), in characters.
    pub max_field_chars: usize,
    /// Most remittance information lines in one transaction.
    pub max_remittance_lines: usize,
    /// Most identifiers on one party.
    pub max_identifiers: usize,
    /// Most address lines on one party.
    pub max_address_lines: usize,
    /// Most extra attributes on one transaction.
    pub max_attributes: usize,
    /// Most hits returned per party.
    pub max_hits_per_party: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_bytes: 1 << 20,
            max_field_chars: 1024,
            max_remittance_lines: 16,
            max_identifiers: 16,
            max_address_lines: 8,
            max_attributes: 64,
            max_hits_per_party: 10,
        }
    }
}

/// One list to load besides, or instead of, the bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSourceConfig {
    /// The list id used in hits and metrics, for example "internal_mules".
    pub id: String,
    /// A file, or a folder holding an OFAC CSV set.
    pub path: PathBuf,
    /// The format name (`ofac_csv`, `ofac_advanced_xml`, `un_xml`,
    /// `uk_ofsi_csv`, `eu_xml`, `us_csl`, `bis_dpl`, `ftm_json`,
    /// `watchlist_csv`); detected from the content when absent.
    pub format: Option<String>,
    /// The publisher's address of the list, for operators. screener does
    /// not download it, so a job of yours fetches new copies into `path`.
    pub url: Option<String>,
}

/// Which lists to screen against and how to reload them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListsConfig {
    /// The bundle manifest of shipped lists; empty disables the bundle.
    pub bundle: String,
    /// Lists loaded in addition to the bundle.
    pub sources: Vec<ListSourceConfig>,
    /// Seconds between scheduled reloads; 0 reloads only on SIGHUP or the
    /// admin call.
    pub reload_interval_seconds: u64,
    /// A reload is rejected when any list would lose more than this share of
    /// its entries (0.2 = 20%), since a shrink that large is more likely a
    /// broken download than a real delisting.
    pub max_shrink_share: f64,
    /// Name match score from which a hit is reported, 0 to 1.
    pub name_threshold: f64,
    /// Name query results kept per list version, so that a party screened
    /// again gets its result without a search; 0 disables the cache.
    pub name_cache_entries: usize,
}

impl Default for ListsConfig {
    fn default() -> Self {
        ListsConfig {
            bundle: "bundle/bundle.toml".into(),
            sources: Vec::new(),
            reload_interval_seconds: 0,
            max_shrink_share: 0.2,
            name_threshold: DEFAULT_NAME_THRESHOLD,
            name_cache_entries: crate::catalog::DEFAULT_NAME_CACHE_ENTRIES,
        }
    }
}

/// Which rule graph to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Rule graph files, read together as one graph.
    pub paths: Vec<PathBuf>,
    /// Seconds between scheduled reloads; 0 reloads only on SIGHUP or the
    /// admin call.
    pub reload_interval_seconds: u64,
    /// The rules each verdict lists: those that fired, or all of them.
    pub verdict_rules: VerdictRules,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            paths: vec![PathBuf::from("config/rules/default.toml")],
            reload_interval_seconds: 0,
            verdict_rules: VerdictRules::Fired,
        }
    }
}

/// The rules a verdict lists in its `rules` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictRules {
    /// Only the rules that fired, with their weights and reasons. A rule
    /// left out did not fire in the graph of the verdict's `rule_version`.
    Fired,
    /// Every rule of the graph, with `fired` false and weight 0 for the
    /// rules that did not fire.
    All,
}

/// How the RocksDB state store syncs its write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPolicy {
    /// fsync every group write before acknowledging: nothing acknowledged
    /// is lost, even on power loss.
    EveryBatch,
    /// Write the log before acknowledging and fsync at most every
    /// `sync_interval_ms`: a killed process loses nothing, a power loss up
    /// to that interval.
    Interval,
    /// Write the log before acknowledging and let the OS flush it: a killed
    /// process loses nothing, a power loss may lose recent work.
    None,
}

/// Where and how state is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// The RocksDB directory.
    pub dir: PathBuf,
    pub sync: SyncPolicy,
    /// Milliseconds between fsyncs with `sync = "interval"`.
    pub sync_interval_ms: u64,
    /// Aggregate keys kept in the in-memory cache, 1 or more. It also sizes the filter
    /// of keys RocksDB may contain, at 8 bytes per entry.
    pub cache_entries: usize,
    /// Milliseconds between checkpoints, which merge the aggregate deltas
    /// of the journal into the aggregates, one sum per bucket.
    pub checkpoint_interval_ms: u64,
    /// Days a verdict stays in the audit log; 0 keeps verdicts forever.
    pub audit_retention_days: u64,
}

/// The maximum checkpoint interval: a minute of deltas kept in memory.
const MAX_CHECKPOINT_INTERVAL_MS: u64 = 60_000;

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: PathBuf::from("data"),
            sync: SyncPolicy::EveryBatch,
            sync_interval_ms: 10,
            cache_entries: 1_000_000,
            checkpoint_interval_ms: 1000,
            audit_retention_days: 400,
        }
    }
}

/// Log output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// A tracing filter such as "info" or "screener=debug,info";
    /// RUST_LOG overrides it.
    pub level: String,
    /// "text" or "json".
    pub format: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// A configuration that could not be read or is invalid. Validation
/// collects every problem before failing.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid configuration:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<String> },
}

/// The default name match threshold: the matcher's documented default.
pub const DEFAULT_NAME_THRESHOLD: f64 = screener_lists::DEFAULT_THRESHOLD;

/// The prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "SCREENER__";

impl Config {
    /// Reads the file (if any), applies environment overrides from `env`,
    /// and validates the result.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (source_name, text, mut table) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                (format!("file {}", path.display()), text, table)
            }
            None => (
                "(no file: the defaults)".to_string(),
                String::new(),
                toml::Table::new(),
            ),
        };
        let applied = apply_env_overrides(&mut table, env)?;
        let config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let raw = plain_type_names(&e.to_string());
                    let fault = fault_location(&raw);
                    // The deserializer puts the key's path on a line of its
                    // own; the error reads as one line.
                    let mut message = raw
                        .lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    if let Some(hint) = fault.as_ref().and_then(|f| f.suggestion(&raw)) {
                        message.push_str(&format!("; did you mean `{hint}`?"));
                    }
                    // Name the variable when the key at fault came from one.
                    let variable = fault.as_ref().and_then(|fault| {
                        let dotted = fault.dotted();
                        let below = format!("{dotted}.");
                        let (_, key) = applied.iter().find(|(path, _)| {
                            *path == dotted || (fault.unknown && path.starts_with(&below))
                        })?;
                        Some((fault.unknown, key))
                    });
                    match variable {
                        Some((true, key)) => message.push_str(&format!(
                            "; the key comes from environment variable {key}, \
                             which names no config key"
                        )),
                        Some((false, key)) => message.push_str(&format!(
                            "; the value comes from environment variable {key}"
                        )),
                        None => {}
                    }
                    let mut path = if applied.is_empty() {
                        source_name.clone()
                    } else {
                        format!("{source_name} with {ENV_PREFIX}* overrides")
                    };
                    // A key set by a variable has no line in the file.
                    let from_env = fault
                        .as_ref()
                        .is_some_and(|f| applied.iter().any(|(dotted, _)| *dotted == f.dotted()));
                    let line = fault
                        .as_ref()
                        .filter(|_| !from_env)
                        .and_then(|f| f.line_in(&text));
                    if let Some(line) = line {
                        path = format!("{path}, line {line}");
                    }
                    ConfigError::Parse { path, message }
                })?;
        config.validate().map_err(|error| match error {
            ConfigError::Invalid { problems } => ConfigError::Invalid {
                problems: problems
                    .into_iter()
                    .map(|problem| locate_problem(problem, &source_name, &text, &applied))
                    .collect(),
            },
            other => other,
        })?;
        Ok(config)
    }

    /// Checks values that parse but make no sense, reporting all at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if self.server.grpc_addr.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "server.grpc_addr = {:?} is not an IP address with a port, such as \"127.0.0.1:50051\"",
                self.server.grpc_addr
            ));
        }
        if !self.server.metrics_addr.is_empty()
            && self.server.metrics_addr.parse::<SocketAddr>().is_err()
        {
            problems.push(format!(
                "server.metrics_addr = {:?} is not an IP address with a port, such as \"127.0.0.1:9100\" (empty disables metrics)",
                self.server.metrics_addr
            ));
        }
        check_positive(
            &mut problems,
            "server.stream_buffer",
            self.server.stream_buffer,
        );
        check_positive(
            &mut problems,
            "server.stream_concurrency",
            self.server.stream_concurrency,
        );
        let limits = &self.limits;
        for (key, value) in [
            ("limits.max_message_bytes", limits.max_message_bytes),
            ("limits.max_field_chars", limits.max_field_chars),
            ("limits.max_hits_per_party", limits.max_hits_per_party),
        ] {
            check_positive(&mut problems, key, value);
        }
        if !(0.0..=1.0).contains(&self.lists.max_shrink_share) {
            problems.push(format!(
                "lists.max_shrink_share = {} is outside 0 to 1",
                self.lists.max_shrink_share
            ));
        }
        if !(self.lists.name_threshold > 0.0 && self.lists.name_threshold <= 1.0) {
            problems.push(format!(
                "lists.name_threshold = {} is outside (0, 1]",
                self.lists.name_threshold
            ));
        }
        if self.lists.bundle.is_empty() && self.lists.sources.is_empty() {
            problems.push(
                "no lists configured: set lists.bundle or add [[lists.sources]] entries".into(),
            );
        }
        let mut ids = std::collections::HashSet::new();
        for (i, source) in self.lists.sources.iter().enumerate() {
            if source.id.trim().is_empty() {
                problems.push(format!("lists.sources[{i}].id is empty"));
            } else if !ids.insert(source.id.as_str()) {
                problems.push(format!(
                    "lists.sources[{i}].id = {:?} is used twice",
                    source.id
                ));
            }
            if let Some(format) = &source.format {
                if screener_lists::Format::parse(format).is_none() {
                    let known: Vec<&str> = screener_lists::Format::ALL
                        .iter()
                        .map(|f| f.as_str())
                        .collect();
                    problems.push(format!(
                        "lists.sources[{i}].format = {format:?} is unknown; use one of {}",
                        known.join(", ")
                    ));
                }
            }
        }
        if self.rules.paths.is_empty() {
            problems.push("rules.paths is empty: name at least one rule graph file".into());
        }
        if self.state.sync == SyncPolicy::Interval && self.state.sync_interval_ms == 0 {
            problems.push("state.sync_interval_ms must be above 0 with sync = \"interval\"".into());
        }
        if self.state.cache_entries == 0 {
            problems.push(
                "state.cache_entries = 0, but the aggregate cache cannot be turned off; \
                 use 1 or more (1000000 by default)"
                    .into(),
            );
        }
        if !(1..=MAX_CHECKPOINT_INTERVAL_MS).contains(&self.state.checkpoint_interval_ms) {
            problems.push(format!(
                "state.checkpoint_interval_ms = {} is out of range; use 1 to {MAX_CHECKPOINT_INTERVAL_MS}",
                self.state.checkpoint_interval_ms
            ));
        }
        // A bare word is a valid filter that only enables the target of that
        // name, so a misspelt level would silence every log line.
        const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
        for directive in self.logging.level.split(',').map(str::trim) {
            let bare = !directive.is_empty() && !directive.contains(['=', '[']);
            if bare && !LEVELS.contains(&directive.to_ascii_lowercase().as_str()) {
                problems.push(format!(
                    "logging.level {directive:?} is not a level; use one of {} or TARGET=LEVEL, \
                     for example \"info,screener=debug\"",
                    LEVELS.join(", ")
                ));
            }
        }
        if !matches!(self.logging.format.as_str(), "text" | "json") {
            problems.push(format!(
                "logging.format = {:?} is unknown; use \"text\" or \"json\"",
                self.logging.format
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid { problems })
        }
    }

    /// The gRPC address, already checked by `validate`.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.server
            .grpc_addr
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 50051)))
    }

    /// The metrics address, or `None` when disabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.server.metrics_addr.parse().ok()
    }
}

fn check_positive(problems: &mut Vec<String>, key: &str, value: usize) {
    if value == 0 {
        problems.push(format!("{key} must be above 0"));
    }
}

/// Applies `SCREENER__SECTION__KEY=value` variables onto the parsed file.
/// Returns each applied key as a dotted path with its variable name.
fn apply_env_overrides(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut problems = Vec::new();
    let mut applied = Vec::new();
    let mut overrides: Vec<(String, String)> = env
        .into_iter()
        .filter(|(key, _)| key.starts_with(ENV_PREFIX))
        .collect();
    overrides.sort();
    for (key, raw) in overrides {
        let path: Vec<String> = key[ENV_PREFIX.len()..]
            .split("__")
            .map(|part| part.to_ascii_lowercase())
            .collect();
        if path.iter().any(|part| part.is_empty()) {
            problems.push(format!(
                "environment variable {key} is not of the form {ENV_PREFIX}SECTION__KEY"
            ));
            continue;
        }
        let value = match parse_env_value(&raw) {
            Ok(value) => value,
            Err(message) => {
                problems.push(format!("environment variable {key}: {message}"));
                continue;
            }
        };
        match set_path(table, &path, value) {
            Ok(()) => applied.push((path.join("."), key)),
            Err(message) => problems.push(format!("environment variable {key}: {message}")),
        }
    }
    if problems.is_empty() {
        Ok(applied)
    } else {
        Err(ConfigError::Invalid { problems })
    }
}

/// Reads an override as a TOML value ("5", "true", "[\"a\"]"), else as a
/// string. A whole number too large for TOML is an error, not a string.
fn parse_env_value(raw: &str) -> Result<toml::Value, String> {
    let document = format!("value = {raw}");
    match toml::from_str::<toml::Table>(&document) {
        Ok(mut parsed) => Ok(parsed
            .remove("value")
            .unwrap_or_else(|| toml::Value::String(raw.to_string()))),
        Err(_) if is_whole_number(raw) => Err(format!(
            "{raw} is too large; the largest whole number a key takes is {}",
            i64::MAX
        )),
        Err(_) => Ok(toml::Value::String(raw.to_string())),
    }
}

/// Returns whether `raw` is digits with an optional sign.
fn is_whole_number(raw: &str) -> bool {
    let digits = raw.trim().trim_start_matches(['+', '-']);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut current = table;
    for part in parents {
        let entry = current
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| format!("{part} is not a section"))?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// Adds where a value that parsed but makes no sense was set: the variable
/// that set it, else the file's line. `problem` starts with the dotted key,
/// as `validate` writes it ("server.grpc_addr = ...").
fn locate_problem(
    problem: String,
    source_name: &str,
    text: &str,
    applied: &[(String, String)],
) -> String {
    let Some(dotted) = problem.split_whitespace().next() else {
        return problem;
    };
    if let Some((_, variable)) = applied.iter().find(|(path, _)| path == dotted) {
        return format!("{problem} (set by environment variable {variable})");
    }
    let mut parts: Vec<String> = dotted.split('.').map(str::to_string).collect();
    let Some(key) = parts.pop() else {
        return problem;
    };
    let fault = Fault {
        table: parts,
        key,
        unknown: false,
    };
    match fault.line_in(text) {
        Some(line) => format!("{problem} ({source_name}, line {line})"),
        None => problem,
    }
}

/// Replaces Rust type names in a deserializer message ("expected usize")
/// with what a config file's reader would call them.
fn plain_type_names(message: &str) -> String {
    let mut plain = message.to_string();
    for (rust, words) in [
        (
            "expected usize",
            "expected a whole number without sign or decimal point",
        ),
        (
            "expected u64",
            "expected a whole number without sign or decimal point",
        ),
        (
            "expected u32",
            "expected a whole number without sign or decimal point",
        ),
        (
            "expected u16",
            "expected a whole number without sign or decimal point",
        ),
        (
            "expected u8",
            "expected a whole number without sign or decimal point",
        ),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("unknown variant", "invalid value"),
    ] {
        plain = plain.replace(rust, words);
    }
    plain
}

/// The key a deserializer message is about, and the table it sits in.
#[derive(Debug, PartialEq)]
struct Fault {
    /// Header path of the table, empty for the top level.
    table: Vec<String>,
    key: String,
    /// True when the message reports the key as unknown.
    unknown: bool,
}

/// Extracts the key and table from a message such as "invalid type: ...
/// in `limits.max_field_chars`" or "unknown field `x`, expected one of ...
/// in `server`".
fn fault_location(message: &str) -> Option<Fault> {
    let path = message
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("in `")?.strip_suffix('`'))
        .unwrap_or("");
    let mut segments: Vec<String> = path
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match unknown {
        Some(key) => Some(Fault {
            table: segments,
            key: key.to_string(),
            unknown: true,
        }),
        None => {
            let key = segments.pop()?;
            Some(Fault {
                table: segments,
                key,
                unknown: false,
            })
        }
    }
}

impl Fault {
    /// Returns the key's dotted path, such as "server.stream_buffer".
    fn dotted(&self) -> String {
        let mut parts = self.table.clone();
        parts.push(self.key.clone());
        parts.join(".")
    }

    /// Returns the known key closest to an unknown one, from the message's
    /// "expected one of" list, when it is one or two edits away.
    fn suggestion(&self, message: &str) -> Option<String> {
        if !self.unknown {
            return None;
        }
        let (_, known) = message.split_once("expected one of ")?;
        let known = known.lines().next()?;
        known
            .split(", ")
            .map(|k| k.trim_matches('`'))
            .map(|k| (strsim::levenshtein(&self.key, k), k))
            .filter(|(distance, _)| *distance <= 2)
            .min()
            .map(|(_, k)| k.to_string())
    }

    /// Returns the 1-based line of the key in a config file's text, for a
    /// key written as `key = value` under a `[table]` header.
    fn line_in(&self, text: &str) -> Option<usize> {
        let mut table: Vec<String> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[') {
                let header = header.trim_start_matches('[');
                let header = header.split(']').next().unwrap_or("");
                table = header.split('.').map(|s| s.trim().to_string()).collect();
                // An unknown table is reported as an unknown key of its parent.
                let unknown_table = self.unknown
                    && table.len() == self.table.len() + 1
                    && table.starts_with(&self.table)
                    && table.last() == Some(&self.key);
                if unknown_table {
                    return Some(number + 1);
                }
                continue;
            }
            let Some((key, _)) = line.split_once('=') else {
                continue;
            };
            if table == self.table && key.trim().trim_matches('"') == self.key {
                return Some(number + 1);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_errors_give_line_and_plain_words() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        let text = "# a comment\n[server]\ngrpc_addr = \"127.0.0.1:1\"\n\n[limits]\nmax_field_chars = \"lots\"\n";
        std::fs::write(&path, text).expect("write");
        let message = Config::load(Some(&path), env(&[]))
            .expect_err("a string is no length")
            .to_string();
        assert!(message.contains("line 6"), "{message}");
        assert!(message.contains("expected a whole number"), "{message}");
        assert!(!message.contains("usize"), "{message}");

        let text = "[server]\n\nstream_bufer = 10\n";
        std::fs::write(&path, text).expect("write");
        let message = Config::load(Some(&path), env(&[]))
            .expect_err("unknown key")
            .to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(
            message.contains("did you mean `stream_buffer`?"),
            "{message}"
        );
    }

    #[test]
    fn env_fault_gets_no_file_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        std::fs::write(&path, "[server]\nstream_buffer = 5\n").expect("write");
        let message = Config::load(
            Some(&path),
            env(&[("SCREENER__SERVER__STREAM_BUFFER", "abc")]),
        )
        .expect_err("a string is no buffer size")
        .to_string();
        assert!(
            message.contains("SCREENER__SERVER__STREAM_BUFFER"),
            "{message}"
        );
        assert!(!message.contains("line 2"), "{message}");
    }

    #[test]
    fn file_fault_blames_no_valid_variable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        std::fs::write(&path, "[server]\nstream_bufer = 10\n").expect("write");
        let message = Config::load(
            Some(&path),
            env(&[("SCREENER__SERVER__GRPC_ADDR", "127.0.0.1:1")]),
        )
        .expect_err("unknown key in the file")
        .to_string();
        assert!(!message.contains("environment variable"), "{message}");
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("stream_bufer"), "{message}");

        std::fs::write(&path, "# servers\n\n[servr]\ngrpc_addr = \"127.0.0.1:1\"\n")
            .expect("write");
        let message = Config::load(Some(&path), env(&[]))
            .expect_err("unknown table")
            .to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("did you mean `server`?"), "{message}");

        let message = Config::load(None, env(&[("SCREENER__SERVR__GRPC_ADDR", "127.0.0.1:1")]))
            .expect_err("unknown table from a variable")
            .to_string();
        assert!(message.contains("SCREENER__SERVR__GRPC_ADDR"), "{message}");
        assert!(message.contains("no file"), "{message}");
    }

    #[test]
    fn range_problems_say_where_value_was_set() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        std::fs::write(&path, "[lists]\n\nname_threshold = 1.5\n").expect("write");
        let error = Config::load(
            Some(&path),
            env(&[("SCREENER__SERVER__GRPC_ADDR", "nowhere")]),
        )
        .expect_err("invalid values");
        let ConfigError::Invalid { problems } = error else {
            panic!("expected Invalid, got {error}");
        };
        let threshold = problems
            .iter()
            .find(|p| p.starts_with("lists.name_threshold"))
            .expect("threshold problem");
        assert!(threshold.contains("screener.toml, line 3"), "{threshold}");
        let addr = problems
            .iter()
            .find(|p| p.starts_with("server.grpc_addr"))
            .expect("address problem");
        assert!(
            addr.contains("set by environment variable SCREENER__SERVER__GRPC_ADDR"),
            "{addr}"
        );
    }

    #[test]
    fn far_unknown_key_gets_no_suggestion() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        std::fs::write(&path, "[server]\ncolour = 1\n").expect("write");
        let message = Config::load(Some(&path), env(&[]))
            .expect_err("unknown key")
            .to_string();
        assert!(!message.contains("did you mean"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn fault_read_from_messages() {
        let fault = fault_location(
            "invalid type: string \"x\", expected usize\nin `limits.max_field_chars`\n",
        );
        assert_eq!(
            fault,
            Some(Fault {
                table: vec!["limits".to_string()],
                key: "max_field_chars".to_string(),
                unknown: false,
            })
        );
        let fault = fault_location("unknown field `colour`, expected one of `a`, `b`\n");
        assert_eq!(
            fault,
            Some(Fault {
                table: Vec::new(),
                key: "colour".to_string(),
                unknown: true,
            })
        );
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_valid() {
        let config = Config::load(None, env(&[])).expect("defaults load");
        assert_eq!(config, Config::default());
    }

    #[test]
    fn env_overrides_nested_keys_with_types() {
        let config = Config::load(
            None,
            env(&[
                ("SCREENER__SERVER__GRPC_ADDR", "127.0.0.1:0"),
                ("SCREENER__SERVER__STREAM_BUFFER", "7"),
                ("SCREENER__STATE__SYNC", "none"),
                ("UNRELATED", "x"),
            ]),
        )
        .expect("overrides load");
        assert_eq!(config.server.grpc_addr, "127.0.0.1:0");
        assert_eq!(config.server.stream_buffer, 7);
        assert_eq!(config.state.sync, SyncPolicy::None);
    }

    #[test]
    fn env_type_error_names_the_variable() {
        let error = Config::load(None, env(&[("SCREENER__SERVER__STREAM_BUFFER", "abc")]))
            .expect_err("a string is no buffer size");
        let message = error.to_string();
        assert!(message.contains("server.stream_buffer"), "{message}");
        assert!(
            message.contains("environment variable SCREENER__SERVER__STREAM_BUFFER"),
            "{message}"
        );
    }

    #[test]
    fn env_unknown_key_names_the_variable() {
        let error = Config::load(None, env(&[("SCREENER__SERVER__GRPC_ADR", "127.0.0.1:1")]))
            .expect_err("no such key");
        let message = error.to_string();
        assert!(message.contains("grpc_adr"), "{message}");
        assert!(
            message.contains("environment variable SCREENER__SERVER__GRPC_ADR"),
            "{message}"
        );
    }

    #[test]
    fn file_error_without_overrides_names_only_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        std::fs::write(&path, "[server]\nstream_buffer = \"big\"\n").expect("write");
        let error = Config::load(Some(&path), env(&[])).expect_err("a string is no buffer size");
        let message = error.to_string();
        assert!(message.contains("screener.toml"), "{message}");
        assert!(!message.contains("overrides"), "{message}");
    }

    #[test]
    fn unknown_key_names_the_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.toml");
        std::fs::write(&path, "[server]\ngrpc_adress = \"127.0.0.1:1\"\n").expect("write");
        let error = Config::load(Some(&path), env(&[])).expect_err("unknown key");
        let message = error.to_string();
        assert!(message.contains("grpc_adress"), "{message}");
        assert!(message.contains("screener.toml"), "{message}");
    }

    #[test]
    fn validation_reports_every_problem() {
        let error = Config::load(
            None,
            env(&[
                ("SCREENER__SERVER__GRPC_ADDR", "nowhere"),
                ("SCREENER__LISTS__NAME_THRESHOLD", "1.5"),
                ("SCREENER__LOGGING__FORMAT", "xml"),
            ]),
        )
        .expect_err("invalid values");
        let ConfigError::Invalid { problems } = error else {
            panic!("expected Invalid, got {error}");
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("server.grpc_addr")));
        assert!(problems.iter().any(|p| p.contains("lists.name_threshold")));
        assert!(problems.iter().any(|p| p.contains("logging.format")));
    }

    #[test]
    fn zero_cache_entries_rejected() {
        for (value, valid) in [("0", false), ("1", true)] {
            let loaded = Config::load(None, env(&[("SCREENER__STATE__CACHE_ENTRIES", value)]));
            match (loaded, valid) {
                (Ok(config), true) => assert_eq!(config.state.cache_entries, 1),
                (Err(ConfigError::Invalid { problems }), false) => {
                    let problem = problems.join("; ");
                    assert!(
                        problem.starts_with("state.cache_entries")
                            && problem.contains("cannot be turned off")
                            && problem.contains("SCREENER__STATE__CACHE_ENTRIES"),
                        "{problem}"
                    );
                }
                (other, _) => panic!("{value}: unexpected {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn checkpoint_interval_bounds_checked() {
        for (value, valid) in [("0", false), ("1", true), ("60000", true), ("60001", false)] {
            let loaded = Config::load(
                None,
                env(&[("SCREENER__STATE__CHECKPOINT_INTERVAL_MS", value)]),
            );
            match (loaded, valid) {
                (Ok(config), true) => {
                    assert_eq!(config.state.checkpoint_interval_ms.to_string(), value);
                }
                (Err(ConfigError::Invalid { problems }), false) => {
                    let problem = problems.join("; ");
                    assert!(
                        problem.starts_with("state.checkpoint_interval_ms")
                            && problem.contains("1 to 60000")
                            && problem.contains("SCREENER__STATE__CHECKPOINT_INTERVAL_MS"),
                        "{problem}"
                    );
                }
                (other, _) => panic!("{value}: unexpected {:?}", other.map(|_| ())),
            }
        }
        // A value that is no whole number fails before the range check, so
        // its message must not state a range that contradicts it.
        let message = Config::load(
            None,
            env(&[("SCREENER__STATE__CHECKPOINT_INTERVAL_MS", "abc")]),
        )
        .map(|_| ())
        .expect_err("abc is no number")
        .to_string();
        assert!(message.contains("expected a whole number"), "{message}");
        assert!(!message.contains("0 or more"), "{message}");
        assert!(
            message.contains("SCREENER__STATE__CHECKPOINT_INTERVAL_MS"),
            "{message}"
        );
    }

    #[test]
    fn misspelt_log_level_rejected() {
        for (level, accepted) in [
            ("loud", false),
            ("info,verbose", false),
            ("info", true),
            ("WARN", true),
            ("info,screener=debug", true),
            ("screener::state=trace", true),
        ] {
            let result = Config::load(None, env(&[("SCREENER__LOGGING__LEVEL", level)]));
            match result {
                Ok(_) => assert!(accepted, "{level:?} was accepted"),
                Err(error) => {
                    assert!(!accepted, "{level:?} was rejected: {error}");
                    assert!(error.to_string().contains("logging.level"), "{error}");
                }
            }
        }
    }

    #[test]
    fn overlarge_number_is_too_large() {
        let error = Config::load(
            None,
            env(&[(
                "SCREENER__LISTS__NAME_CACHE_ENTRIES",
                "99999999999999999999",
            )]),
        )
        .expect_err("a number past i64 is rejected")
        .to_string();
        assert!(
            error.contains("SCREENER__LISTS__NAME_CACHE_ENTRIES"),
            "{error}"
        );
        assert!(error.contains("too large"), "{error}");
        assert!(!error.contains("string"), "{error}");
    }

    #[test]
    fn bad_choice_is_one_line() {
        let error = Config::load(None, env(&[("SCREENER__RULES__VERDICT_RULES", "some")]))
            .expect_err("an unknown choice is rejected")
            .to_string();
        assert!(!error.contains('\n'), "{error:?}");
        assert!(error.contains("invalid value `some`"), "{error}");
        assert!(error.contains("`fired` or `all`"), "{error}");
        assert!(error.contains("rules.verdict_rules"), "{error}");
        assert!(error.contains("SCREENER__RULES__VERDICT_RULES"), "{error}");
    }

    #[test]
    fn example_file_matches_defaults() {
        let path = screener_lists::source_root().join("config/screener.example.toml");
        let config = Config::load(Some(&path), env(&[])).expect("example loads");
        assert_eq!(config, Config::default());
    }
}
