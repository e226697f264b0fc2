//! Crash test: a child process commits transactions from several threads as
//! fast as it can and prints each id once its commit is acknowledged. The
//! parent kills it with SIGKILL mid-run, reopens the store, and checks:
//!
//! - every acknowledged id is stored as seen, with its audit record;
//! - the store may hold more ids than were acknowledged (written to the
//!   WAL, killed before the acknowledgement was printed), never fewer;
//! - every aggregate equals the one computed from the ids actually stored,
//!   each counted once although the child also retries ids.
//!
//! The child is this test binary run again with `--ignored --exact
//! crash_child` and the state directory in an environment variable.

mod state_support;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use screener::state::{
    AggregateKind, AggregateSpec, AggregateUpdate, AggregateValue, Begin, Contribution,
    OpenOptions, StateStore, SyncPolicy,
};
use state_support::{entry, spec, T0};

const DIR_VAR: &str = "SCREENER_STATE_CRASH_DIR";
const THREADS: u64 = 4;
const KEYS: u64 = 3;
const VALUES: u64 = 50;
/// The parent kills the child after this many acknowledgements.
const KILL_AFTER: usize = 3000;

fn specs() -> [AggregateSpec; 4] {
    [
        spec("count_1h", AggregateKind::Count, 3600),
        spec("sum_1h", AggregateKind::Sum, 3600),
        spec("distinct_1h", AggregateKind::DistinctCount, 3600),
        spec("max_1h", AggregateKind::Max, 3600),
    ]
}

/// What transaction `n` of `thread` contributes, derived from its id alone
/// so the parent can recompute aggregates from stored ids.
struct Txn {
    id: String,
    key: Vec<u8>,
    amount: u64,
    value: Vec<u8>,
    time_ms: i64,
}

impl Txn {
    fn new(thread: u64, n: u64) -> Txn {
        Txn {
            id: format!("c{thread}-{n}"),
            key: format!("acct-{}", n % KEYS).into_bytes(),
            amount: (thread * 7919 + n * 104_729) % 100_000 + 1,
            value: format!("creditor-{}", (n + thread) % VALUES).into_bytes(),
            time_ms: T0 + (n % 600) as i64 * 1000,
        }
    }

    fn parse(id: &str) -> Option<Txn> {
        let (thread, n) = id.strip_prefix('c')?.split_once('-')?;
        Some(Txn::new(thread.parse().ok()?, n.parse().ok()?))
    }

    /// Builds a verdict of about 1 KiB that the parent can check.
    fn verdict(&self) -> Vec<u8> {
        self.id.as_bytes().repeat(1024 / self.id.len() + 1)
    }
}

/// The weakest sync policy: a killed process must still lose nothing
/// acknowledged. Expiry is off because the events are timestamped in 2023.
/// Checkpoints run often, so the kill finds some deltas merged into the
/// aggregates and others only in the journal, perhaps mid-checkpoint.
fn options() -> OpenOptions {
    OpenOptions {
        sync: SyncPolicy::None,
        checkpoint_interval: Duration::from_millis(20),
        expiry_clock: std::sync::Arc::new(|| 0),
        ..OpenOptions::default()
    }
}

/// Runs the child: commits until killed, printing `ACK <id>` after each
/// commit.
#[test]
#[ignore = "child process of crash_keeps_acknowledged_commits"]
fn crash_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let store = StateStore::open(&dir, options()).expect("child opens the store");
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = store.clone();
            std::thread::spawn(move || child_thread(&store, thread))
        })
        .collect();
    for thread in threads {
        thread.join().expect("child thread finishes");
    }
}

fn child_thread(store: &StateStore, thread: u64) {
    let specs = specs();
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 0..200_000u64 {
        if Instant::now() > deadline {
            return;
        }
        // Every fifth transaction is followed by a retry of an earlier one.
        commit(store, &specs, &Txn::new(thread, n));
        if n % 5 == 4 {
            commit(store, &specs, &Txn::new(thread, n / 2));
        }
    }
}

fn commit(store: &StateStore, specs: &[AggregateSpec; 4], txn: &Txn) {
    let mut reservation = match store.begin(&txn.id).expect("begin succeeds") {
        Begin::New(reservation) => reservation,
        Begin::Seen(_) | Begin::InFlight(_) => return,
    };
    let updates = [
        AggregateUpdate {
            spec: &specs[0],
            key: &txn.key,
            contribution: Contribution::Event,
        },
        AggregateUpdate {
            spec: &specs[1],
            key: &txn.key,
            contribution: Contribution::Amount(txn.amount),
        },
        AggregateUpdate {
            spec: &specs[2],
            key: &txn.key,
            contribution: Contribution::Value(&txn.value),
        },
        AggregateUpdate {
            spec: &specs[3],
            key: &txn.key,
            contribution: Contribution::Amount(txn.amount),
        },
    ];
    reservation
        .apply(&updates, txn.time_ms)
        .expect("apply succeeds");
    reservation
        .commit(entry(txn.time_ms, &txn.verdict()))
        .expect("commit queued")
        .wait_blocking()
        .expect("commit durable");
    println!("ACK {}", txn.id);
}

#[test]
fn crash_keeps_acknowledged_commits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let acknowledged = run_and_kill_child(dir.path());
    assert!(
        acknowledged.len() >= KILL_AFTER,
        "the child acknowledged only {} commits",
        acknowledged.len()
    );

    let store = StateStore::open(dir.path(), options()).expect("store reopens after SIGKILL");
    let stored: BTreeSet<String> = store
        .audit_range(0, screener::state::MAX_TIME_MS, usize::MAX)
        .expect("range read")
        .into_iter()
        .map(|record| {
            let txn = Txn::parse(&record.txn_id).expect("stored ids are the child's");
            assert_eq!(record.entry.verdict, txn.verdict(), "verdict of {}", txn.id);
            record.txn_id
        })
        .collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged {id} is missing");
        assert!(
            store.is_seen(id).expect("seen read"),
            "acknowledged {id} is not seen"
        );
    }
    println!(
        "acknowledged {}, stored {} ({} written but not acknowledged before the kill)",
        acknowledged.len(),
        stored.len(),
        stored.len() - acknowledged.len()
    );
    check_aggregates(&store, &stored);
}

/// Starts the child, reads acknowledgements until `KILL_AFTER`, kills it
/// with SIGKILL, and returns every id it acknowledged.
fn run_and_kill_child(dir: &std::path::Path) -> HashSet<String> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("child stdout is piped");
    let mut acknowledged = HashSet::new();
    let mut lines = BufReader::new(stdout).lines();
    while acknowledged.len() < KILL_AFTER {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(id) = line.strip_prefix("ACK ") {
                    acknowledged.insert(id.to_owned());
                }
            }
            _ => break,
        }
    }
    child.kill().expect("SIGKILL the child");
    // Acknowledgements printed before the kill are still in the pipe.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("ACK ") {
            acknowledged.insert(id.to_owned());
        }
    }
    child.wait().expect("child reaped");
    acknowledged
}

fn check_aggregates(store: &StateStore, stored: &BTreeSet<String>) {
    let specs = specs();
    let mut count: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut sum: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut max: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut distinct: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for id in stored {
        let txn = Txn::parse(id).expect("stored ids are the child's");
        *count.entry(txn.key.clone()).or_default() += 1;
        *sum.entry(txn.key.clone()).or_default() += txn.amount;
        let top = max.entry(txn.key.clone()).or_default();
        *top = (*top).max(txn.amount);
        distinct.entry(txn.key).or_default().insert(txn.value);
    }
    // Every event lies within 10 minutes of T0, inside each 1 h window.
    let now = T0 + 600_000;
    for (key, expected) in &count {
        let read = |spec| store.value(spec, key, now).expect("aggregate read");
        let exact = |value| AggregateValue { value, exact: true };
        let name = String::from_utf8_lossy(key);
        assert_eq!(read(&specs[0]), exact(*expected), "count of {name}");
        assert_eq!(read(&specs[1]), exact(sum[key]), "sum of {name}");
        let distinct_count = distinct[key].len() as u64;
        assert_eq!(read(&specs[2]), exact(distinct_count), "distinct of {name}");
        assert_eq!(read(&specs[3]), exact(max[key]), "max of {name}");
    }
}
