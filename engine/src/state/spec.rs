//! Aggregate specifications: what is aggregated, over which sliding window,
//! and the bucket width that window is stored with.
//!
//! A window of `W` seconds is stored as time buckets of width `w`, the
//! largest step of [`WIDTH_LADDER_SECS`] that is at most `W / 60` (1 second
//! for windows under 2 minutes). So a window has between 60 and 150 buckets
//! for windows up to 60 days, and one bucket per day above that:
//!
//! | window | bucket width | buckets |
//! |--------|--------------|---------|
//! | 1 min  | 1 s          | 60      |
//! | 1 h    | 1 min        | 60      |
//! | 24 h   | 15 min       | 96      |
//! | 7 d    | 2 h          | 84      |
//! | 90 d   | 1 d          | 90      |
//!
//! A read at time `now` folds every bucket from the one holding `now - W` to
//! the one holding `now`. The value therefore covers every event timestamped
//! in `[now - W, now]`, and can also include events up to one bucket width
//! older than `now - W` and events later than `now` inside `now`'s bucket. It
//! never leaves out an event of the window, so a count or sum is at least the
//! exact sliding-window value and exceeds it by at most one bucket's events.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::error::StateError;
use super::keys::{check_len, MAX_AGGREGATE_ID_LEN};

/// Bucket widths in seconds, from which each window picks its own.
pub const WIDTH_LADDER_SECS: [u64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/// Shortest accepted window.
pub const MIN_WINDOW: Duration = Duration::from_secs(60);

/// Longest accepted window: 400 days, beyond the 90 days rules ask for.
pub const MAX_WINDOW: Duration = Duration::from_secs(400 * 86_400);

/// Latest accepted time: 9999-12-31T23:59:59.999Z in Unix milliseconds.
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// What an aggregate computes over the events of its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    /// Number of events.
    Count,
    /// Sum of the events' amounts, saturating at `u64::MAX`.
    Sum,
    /// Number of distinct values, such as distinct creditor accounts.
    DistinctCount,
    /// Largest amount, 0 for an empty window.
    Max,
}

impl AggregateKind {
    pub(crate) fn tag(self) -> u8 {
        match self {
            AggregateKind::Count => 1,
            AggregateKind::Sum => 2,
            AggregateKind::DistinctCount => 3,
            AggregateKind::Max => 4,
        }
    }
}

impl fmt::Display for AggregateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AggregateKind::Count => "count",
            AggregateKind::Sum => "sum",
            AggregateKind::DistinctCount => "distinct count",
            AggregateKind::Max => "max",
        })
    }
}

/// One aggregate the rules read: a stable id, a kind and a sliding window.
///
/// The id, kind, window and bucket width are all part of the stored key, so
/// changing any of them starts the aggregate from empty; the old buckets
/// expire by compaction. Cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AggregateSpec {
    id: Arc<str>,
    kind: AggregateKind,
    window_secs: u64,
    width_secs: u64,
    /// The key prefix shared by every bucket of this aggregate.
    prefix: Arc<[u8]>,
}

impl AggregateSpec {
    /// Validates an aggregate and picks its bucket width.
    ///
    /// The id is 1 to 64 bytes; the window is whole seconds within
    /// [`MIN_WINDOW`]..=[`MAX_WINDOW`].
    pub fn new(id: &str, kind: AggregateKind, window: Duration) -> Result<Self, StateError> {
        check_len("aggregate id", id.as_bytes(), MAX_AGGREGATE_ID_LEN)?;
        let invalid = |reason| StateError::InvalidWindow {
            id: id.to_owned(),
            window,
            reason,
        };
        if window.subsec_nanos() != 0 {
            return Err(invalid("it must be a whole number of seconds"));
        }
        if window < MIN_WINDOW {
            return Err(invalid("it is shorter than the minimum of 60 s"));
        }
        if window > MAX_WINDOW {
            return Err(invalid("it is longer than the maximum of 400 days"));
        }
        let window_secs = window.as_secs();
        let width_secs = bucket_width_secs(window_secs);
        let prefix = encode_prefix(id, kind, window_secs, width_secs);
        Ok(AggregateSpec {
            id: id.into(),
            kind,
            window_secs,
            width_secs,
            prefix: prefix.into(),
        })
    }

    /// The id given at construction.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The aggregate's kind.
    pub fn kind(&self) -> AggregateKind {
        self.kind
    }

    /// The sliding window length.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }

    /// The width of one stored time bucket.
    pub fn bucket_width(&self) -> Duration {
        Duration::from_secs(self.width_secs)
    }

    /// The index of the bucket holding `time_ms` (a validated, non-negative time).
    pub fn bucket_index(&self, time_ms: i64) -> u64 {
        time_ms.max(0) as u64 / (self.width_secs * 1000)
    }

    /// The first and last bucket indexes a read at `now_ms` folds.
    pub fn window_buckets(&self, now_ms: i64) -> (u64, u64) {
        let start = now_ms.saturating_sub(self.window_secs as i64 * 1000);
        (self.bucket_index(start), self.bucket_index(now_ms))
    }

    pub(crate) fn prefix(&self) -> &[u8] {
        &self.prefix
    }
}

/// Picks the largest ladder step that is at most `window_secs / 60`.
pub(crate) fn bucket_width_secs(window_secs: u64) -> u64 {
    let target = window_secs / 60;
    WIDTH_LADDER_SECS
        .iter()
        .copied()
        .filter(|width| *width <= target)
        .max()
        .unwrap_or(1)
}

/// Encodes `[id len u8][id][kind u8][window secs u32 BE][width secs u32 BE]`.
fn encode_prefix(id: &str, kind: AggregateKind, window_secs: u64, width_secs: u64) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(id.len() + 10);
    prefix.push(id.len() as u8);
    prefix.extend_from_slice(id.as_bytes());
    prefix.push(kind.tag());
    prefix.extend_from_slice(&(window_secs as u32).to_be_bytes());
    prefix.extend_from_slice(&(width_secs as u32).to_be_bytes());
    prefix
}

/// Rejects times before the Unix epoch or after year 9999.
pub(crate) fn check_time(field: &'static str, time_ms: i64) -> Result<(), StateError> {
    if (0..=MAX_TIME_MS).contains(&time_ms) {
        Ok(())
    } else {
        Err(StateError::InvalidTime {
            field,
            value: time_ms,
            max: MAX_TIME_MS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;

    #[test]
    fn bucket_width_table() {
        let cases = [
            (60, 1),
            (119, 1),
            (120, 2),
            (300, 5),
            (4 * 60, 2),
            (HOUR, 60),
            (6 * HOUR, 300),
            (24 * HOUR, 900),
            (7 * DAY, 7200),
            (30 * DAY, 43_200),
            (60 * DAY, 86_400),
            (90 * DAY, 86_400),
            (400 * DAY, 86_400),
        ];
        for (window, width) in cases {
            assert_eq!(bucket_width_secs(window), width, "window {window} s");
        }
    }

    #[test]
    fn buckets_per_window_bounded() {
        for window in (60..=60 * DAY).step_by(7) {
            let buckets = window.div_ceil(bucket_width_secs(window));
            assert!(
                (60..=150).contains(&buckets),
                "window {window} s has {buckets}"
            );
        }
    }

    #[test]
    fn window_rejects_bad_lengths() {
        let kind = AggregateKind::Count;
        assert!(AggregateSpec::new("a", kind, Duration::from_secs(59)).is_err());
        assert!(AggregateSpec::new("a", kind, Duration::from_millis(60_500)).is_err());
        assert!(AggregateSpec::new("a", kind, MAX_WINDOW + Duration::from_secs(1)).is_err());
        assert!(AggregateSpec::new("", kind, Duration::from_secs(60)).is_err());
        assert!(AggregateSpec::new(&"x".repeat(65), kind, Duration::from_secs(60)).is_err());
        assert!(AggregateSpec::new(&"x".repeat(64), kind, MAX_WINDOW).is_ok());
    }

    #[test]
    fn window_buckets_cover_window() {
        let spec = AggregateSpec::new("c", AggregateKind::Count, Duration::from_secs(HOUR))
            .expect("valid spec");
        let now = 1_700_000_000_123;
        let (first, last) = spec.window_buckets(now);
        assert_eq!(last, now as u64 / 60_000);
        assert_eq!(first, (now as u64 - HOUR * 1000) / 60_000);
        assert_eq!(
            last - first,
            60,
            "61 buckets cover a window not on a boundary"
        );
    }

    #[test]
    fn window_near_epoch_clamps() {
        let spec = AggregateSpec::new("c", AggregateKind::Sum, Duration::from_secs(DAY))
            .expect("valid spec");
        assert_eq!(spec.window_buckets(5_000), (0, 0));
    }

    #[test]
    fn time_outside_range_rejected() {
        assert!(check_time("now", -1).is_err());
        assert!(check_time("now", MAX_TIME_MS + 1).is_err());
        assert!(check_time("now", 0).is_ok());
        assert!(check_time("now", MAX_TIME_MS).is_ok());
    }

    #[test]
    fn prefix_differs_by_every_part() {
        let day = Duration::from_secs(DAY);
        let base = AggregateSpec::new("a", AggregateKind::Count, day).expect("valid spec");
        let others = [
            AggregateSpec::new("b", AggregateKind::Count, day),
            AggregateSpec::new("a", AggregateKind::Sum, day),
            AggregateSpec::new("a", AggregateKind::Count, day * 2),
        ];
        for other in others {
            assert_ne!(base.prefix(), other.expect("valid spec").prefix());
        }
    }
}
