//! How a state store is opened and how hard it syncs.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When the writer thread makes the write-ahead log durable with fsync.
///
/// In every policy a commit is acknowledged only after its write batch is
/// in the WAL file, that is handed to the operating system. A killed
/// process (SIGKILL, panic, OOM kill) therefore loses nothing acknowledged
/// under any policy. The policies differ on power loss or kernel crash:
///
/// - [`EveryBatch`](Self::EveryBatch): each group write is fsynced before
///   its commits are acknowledged. Nothing acknowledged is lost. Costs one
///   fsync per group; group commit spreads it over every transaction that
///   arrived while the previous group was syncing.
/// - [`Interval`](Self::Interval): the WAL is written for each group, and
///   fsynced when the last fsync is at least the interval old, or when the
///   writer is idle that long. Up to the interval (plus one fsync's
///   duration) of acknowledged work can be lost.
/// - [`None`](Self::None): never fsyncs explicitly; the OS writes pages
///   back on its own schedule (on Linux typically within 30 s). Recent
///   acknowledged work can be lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPolicy {
    EveryBatch,
    Interval(Duration),
    None,
}

impl FromStr for SyncPolicy {
    type Err = String;

    /// Parses `every_batch`, `none` or `interval_ms(N)`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "invalid sync policy {text:?}; expected every_batch, none or interval_ms(N) \
                 with N from 1 to 60000"
            )
        };
        match text.trim() {
            "every_batch" => Ok(SyncPolicy::EveryBatch),
            "none" => Ok(SyncPolicy::None),
            other => {
                let millis: u64 = other
                    .strip_prefix("interval_ms(")
                    .and_then(|rest| rest.strip_suffix(')'))
                    .and_then(|number| number.trim().parse().ok())
                    .filter(|millis| (1..=60_000).contains(millis))
                    .ok_or_else(invalid)?;
                Ok(SyncPolicy::Interval(Duration::from_millis(millis)))
            }
        }
    }
}

impl fmt::Display for SyncPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncPolicy::EveryBatch => f.write_str("every_batch"),
            SyncPolicy::Interval(every) => write!(f, "interval_ms({})", every.as_millis()),
            SyncPolicy::None => f.write_str("none"),
        }
    }
}

/// A source of the current time in Unix milliseconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as i64)
    })
}

/// Settings for [`StateStore::open`](super::StateStore::open).
#[derive(Clone)]
pub struct OpenOptions {
    /// Create the directory and a new store when the directory is missing or
    /// empty. Default: true.
    pub create_if_missing: bool,
    /// Erase a RocksDB database that is not a screener state of this format
    /// version, and start empty. Never deletes a directory that holds other
    /// files and no RocksDB database. Default: false.
    pub allow_reset: bool,
    /// When the write-ahead log is fsynced. Default: every batch.
    pub sync: SyncPolicy,
    /// Largest number of aggregate series (one aggregate and one key) kept
    /// in memory. A series holds at most about 150 buckets of 16 to 40
    /// bytes, or 1 KiB per bucket for a sketch, so a series whose keys are
    /// mostly cold costs about 200 bytes. Default: 262 144.
    pub cache_capacity: usize,
    /// Largest number of commits merged into one write. Default: 1024.
    pub max_group: usize,
    /// How often the writer merges the aggregate deltas of the journal into
    /// the aggregates, one sum per bucket. A longer interval sums more
    /// transactions into each write and keeps more series in memory until
    /// then. A crash loses nothing either way. Default: 1 s.
    pub checkpoint_interval: Duration,
    /// The clock compaction uses to expire buckets. Default: the wall clock;
    /// tests set a later one to see expiry.
    pub expiry_clock: Clock,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create_if_missing: true,
            allow_reset: false,
            sync: SyncPolicy::EveryBatch,
            cache_capacity: 262_144,
            max_group: 1024,
            checkpoint_interval: Duration::from_secs(1),
            expiry_clock: system_clock(),
        }
    }
}

impl fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("create_if_missing", &self.create_if_missing)
            .field("allow_reset", &self.allow_reset)
            .field("sync", &self.sync)
            .field("cache_capacity", &self.cache_capacity)
            .field("max_group", &self.max_group)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_policy_parses() {
        assert_eq!("every_batch".parse(), Ok(SyncPolicy::EveryBatch));
        assert_eq!("none".parse(), Ok(SyncPolicy::None));
        assert_eq!(
            "interval_ms(10)".parse(),
            Ok(SyncPolicy::Interval(Duration::from_millis(10)))
        );
        for bad in [
            "",
            "always",
            "interval_ms(0)",
            "interval_ms(x)",
            "interval_ms(10",
        ] {
            assert!(bad.parse::<SyncPolicy>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn sync_policy_displays_as_parsed() {
        for policy in [
            SyncPolicy::EveryBatch,
            SyncPolicy::None,
            SyncPolicy::Interval(Duration::from_millis(25)),
        ] {
            assert_eq!(policy.to_string().parse(), Ok(policy));
        }
    }
}
