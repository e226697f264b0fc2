//! The send schedule of one stream at a fixed rate. Transaction k of a
//! stream is due at `start + (k + phase) / rate`; latency is measured from
//! that intended time, so a server that stalls the sender is charged for
//! the wait (no coordinated omission).

use std::time::{Duration, Instant};

/// When each transaction of one stream is due.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    start: Instant,
    /// Transactions per second of this stream, above zero.
    rate: f64,
    /// Offset of the first transaction in send intervals, 0 to 1, so that
    /// streams with the same rate do not send at the same instants.
    phase: f64,
    /// Number of transactions the schedule plans.
    total: u64,
}

impl Schedule {
    /// Plans `rate` transactions per second from `start` for `span`. The
    /// caller passes a rate above zero and a phase from 0 to 1.
    pub fn new(start: Instant, rate: f64, phase: f64, span: Duration) -> Schedule {
        let total = (rate * span.as_secs_f64() - phase).ceil().max(0.0) as u64;
        Schedule {
            start,
            rate,
            phase,
            total,
        }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The instant transaction `k` is due.
    pub fn intended(&self, k: u64) -> Instant {
        self.start + Duration::from_secs_f64((k as f64 + self.phase) / self.rate)
    }

    /// Number of transactions due at or before `now`, at most the total.
    pub fn due_by(&self, now: Instant) -> u64 {
        if now < self.start {
            return 0;
        }
        let elapsed = now.duration_since(self.start).as_secs_f64();
        let position = elapsed * self.rate - self.phase;
        if position < 0.0 {
            return 0;
        }
        (position.floor() as u64 + 1).min(self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_count_matches_intended_times() {
        let start = Instant::now();
        let schedule = Schedule::new(start, 250.0, 0.4, Duration::from_secs(2));
        assert_eq!(schedule.total(), 500);
        for millis in [0u64, 1, 3, 4, 5, 10, 999, 1_000, 1_998, 2_500] {
            let now = start + Duration::from_millis(millis);
            let due = schedule.due_by(now);
            if due > 0 {
                assert!(schedule.intended(due - 1) <= now, "{millis} ms: {due} due");
            }
            if due < schedule.total() {
                assert!(schedule.intended(due) > now, "{millis} ms: {due} due");
            }
        }
    }

    #[test]
    fn planned_transactions_fall_inside_the_span() {
        let start = Instant::now();
        let span = Duration::from_millis(1_500);
        for phase in [0.0, 0.25, 0.99] {
            let schedule = Schedule::new(start, 333.0, phase, span);
            let last = schedule.intended(schedule.total() - 1);
            assert!(last < start + span, "phase {phase}");
            assert!(
                schedule.intended(schedule.total()) >= start + span,
                "phase {phase}"
            );
        }
    }

    #[test]
    fn nothing_due_before_start() {
        let start = Instant::now() + Duration::from_secs(60);
        let schedule = Schedule::new(start, 1_000.0, 0.0, Duration::from_secs(1));
        assert_eq!(schedule.due_by(Instant::now()), 0);
    }
}
