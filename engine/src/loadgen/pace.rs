//! The send schedule of one stream at a fixed rate. Transaction k of a
//! stream is due at `start + (k + phase) / rate`; latency is measured from
//! that intended time, so a server that stalls the sender is charged for
//! the wait (no coordinated omission).
//!
//! A pacing thread wakes the senders when their transactions fall due. It
//! sleeps with the operating system's timer, so a transaction goes out
//! within about a tick of its due time. Tokio's sleep documentation says it
//! operates at millisecond granularity, which would add up to a millisecond
//! to each measured latency.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Maximum single sleep of the pacing thread, so that it notices a stop
/// request soon even between sparse transactions.
const MAX_SLEEP: Duration = Duration::from_millis(20);

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

/// How many transactions of one stream are due, as the pacing thread
/// last published it, and the wake-up of the stream's sender.
#[derive(Debug, Default)]
pub struct DueCount {
    due: AtomicU64,
    notify: Notify,
}

impl DueCount {
    /// Transactions due so far.
    pub fn due(&self) -> u64 {
        self.due.load(Ordering::Acquire)
    }

    /// Waits until the pacing thread publishes a higher count than the one
    /// the caller last read. A publish between that read and this call is
    /// not lost: it leaves a permit that this call takes at once.
    pub async fn changed(&self) {
        self.notify.notified().await;
    }

    fn publish(&self, due: u64) {
        if due > self.due.load(Ordering::Relaxed) {
            self.due.store(due, Ordering::Release);
            self.notify.notify_one();
        }
    }
}

/// The pacing thread of a run's fixed-rate streams. Dropping it stops the
/// thread and waits for it.
#[derive(Debug)]
pub struct Pacer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Pacer {
    /// Starts a thread that publishes each stream's due count at its
    /// transactions' due times, waking at most once per `tick`, until every
    /// schedule is done, `deadline` passes or the pacer is dropped.
    pub fn start(
        streams: Vec<(Schedule, Arc<DueCount>)>,
        tick: Duration,
        deadline: Instant,
    ) -> std::io::Result<Pacer> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("bench-pacer".to_string())
            .spawn({
                let stop = Arc::clone(&stop);
                move || pace(&streams, tick, deadline, &stop)
            })?;
        Ok(Pacer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A panic in the thread has already been printed; the senders
            // stop at their deadline without it.
            let _ = thread.join();
        }
    }
}

fn pace(
    streams: &[(Schedule, Arc<DueCount>)],
    tick: Duration,
    deadline: Instant,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let mut next_due: Option<Instant> = None;
        for (schedule, count) in streams {
            let due = schedule.due_by(now);
            count.publish(due);
            if due < schedule.total() {
                let at = schedule.intended(due);
                next_due = Some(next_due.map_or(at, |next| next.min(at)));
            }
        }
        let Some(next_due) = next_due else {
            return;
        };
        let wake = next_due.max(now + tick).min(deadline);
        loop {
            let left = wake.saturating_duration_since(Instant::now());
            if left.is_zero() || stop.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(left.min(MAX_SLEEP));
        }
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

    #[tokio::test]
    async fn pacer_publishes_every_due_transaction() {
        let start = Instant::now() + Duration::from_millis(5);
        let span = Duration::from_millis(200);
        let schedules = [
            Schedule::new(start, 500.0, 0.0, span),
            Schedule::new(start, 150.0, 0.5, span),
        ];
        let counts: Vec<Arc<DueCount>> = schedules.iter().map(|_| Arc::default()).collect();
        let pacer = Pacer::start(
            schedules
                .iter()
                .copied()
                .zip(counts.iter().cloned())
                .collect(),
            Duration::from_micros(100),
            start + Duration::from_secs(30),
        )
        .expect("the pacing thread starts");
        for (schedule, count) in schedules.iter().zip(&counts) {
            let mut seen = 0;
            while seen < schedule.total() {
                count.changed().await;
                // A wake-up may find no new count: permits coalesce.
                let due = count.due();
                assert!(due >= seen, "the due count went down");
                if due > 0 {
                    // Nothing is published before it is due.
                    assert!(schedule.intended(due - 1) <= Instant::now());
                }
                seen = due;
            }
            assert_eq!(seen, schedule.total());
        }
        drop(pacer);
    }

    #[test]
    fn dropping_the_pacer_stops_its_thread() {
        let start = Instant::now() + Duration::from_secs(3_600);
        let schedule = Schedule::new(start, 1.0, 0.0, Duration::from_secs(10));
        let count = Arc::new(DueCount::default());
        let pacer = Pacer::start(
            vec![(schedule, Arc::clone(&count))],
            Duration::from_micros(100),
            start + Duration::from_secs(60),
        )
        .expect("the pacing thread starts");
        // Returns within the longest sleep, long before the first due time.
        drop(pacer);
        assert_eq!(count.due(), 0);
    }
}
