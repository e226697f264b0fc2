//! State store benches on a real RocksDB in a temporary directory.
//!
//! - `state_commit`: one transaction's state update (begin, 3 aggregate
//!   updates, commit with a 1 KiB audit record, wait until durable) from
//!   many concurrent tokio tasks, so group commit merges their writes. One
//!   iteration is one transaction; the time is amortised over all of them.
//! - `state_read`: reads the pipeline makes: a cached aggregate, an
//!   aggregate of a series not in the cache, a retried id, an audit record.
//!
//! Run: `cargo bench -p screener-benches --bench state`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use screener::state::{
    AggregateKind, AggregateSpec, AggregateUpdate, AuditEntry, Begin, Contribution, Decision,
    OpenOptions, StateStore, SyncPolicy,
};

#[global_allocator]
static ALLOCATOR: screener_benches::Allocator = screener_benches::Allocator;

const T0: i64 = 1_700_000_000_000;
const DEBTORS: u64 = 10_000;
const CREDITORS: u64 = 50_000;

/// The three aggregates a typical rule graph keeps per debtor.
struct Specs {
    count: AggregateSpec,
    sum: AggregateSpec,
    creditors: AggregateSpec,
}

impl Specs {
    fn new() -> Self {
        let day = Duration::from_secs(86_400);
        Specs {
            count: AggregateSpec::new("debtor_count_1h", AggregateKind::Count, day / 24)
                .expect("valid spec"),
            sum: AggregateSpec::new("debtor_sum_24h", AggregateKind::Sum, day).expect("valid spec"),
            creditors: AggregateSpec::new(
                "debtor_creditors_7d",
                AggregateKind::DistinctCount,
                day * 7,
            )
            .expect("valid spec"),
        }
    }
}

fn open(dir: &std::path::Path, sync: SyncPolicy) -> StateStore {
    let options = OpenOptions {
        sync,
        expiry_clock: Arc::new(|| 0),
        ..OpenOptions::default()
    };
    StateStore::open(dir, options).expect("state store opens")
}

fn audit_entry(now: i64, verdict: &[u8]) -> AuditEntry {
    AuditEntry {
        screened_at_ms: now,
        decision: Decision::Allow,
        list_version: "lists-2024-05-01".to_owned(),
        rule_version: "rules-12".to_owned(),
        request_digest: vec![7; 32],
        verdict: verdict.to_vec(),
    }
}

/// Screens transaction number `n` through the store, as the pipeline does.
async fn screen_one(store: &StateStore, specs: &Specs, n: u64, verdict: &[u8]) {
    let txn_id = format!("E2E-{n:012}");
    let Begin::New(mut reservation) = store.begin(&txn_id).expect("begin succeeds") else {
        panic!("{txn_id} is new");
    };
    let debtor = format!("DE{:020}", n.wrapping_mul(2_654_435_761) % DEBTORS);
    let creditor = format!("FR{:020}", n.wrapping_mul(40_503) % CREDITORS);
    let now = T0 + (n / 16) as i64;
    let updates = [
        AggregateUpdate {
            spec: &specs.count,
            key: debtor.as_bytes(),
            contribution: Contribution::Event,
        },
        AggregateUpdate {
            spec: &specs.sum,
            key: debtor.as_bytes(),
            contribution: Contribution::Amount(n % 100_000),
        },
        AggregateUpdate {
            spec: &specs.creditors,
            key: debtor.as_bytes(),
            contribution: Contribution::Value(creditor.as_bytes()),
        },
    ];
    let values = reservation.apply(&updates, now).expect("apply succeeds");
    black_box(values);
    reservation
        .commit(audit_entry(now, verdict))
        .expect("commit queued")
        .await
        .expect("commit durable");
}

fn bench_commit(c: &mut Criterion) {
    let specs = Arc::new(Specs::new());
    let verdict: Arc<[u8]> = vec![0x5a; 1024].into();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime");
    let mut group = c.benchmark_group("state_commit");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    let cases = [
        (SyncPolicy::EveryBatch, 64),
        (SyncPolicy::EveryBatch, 256),
        (SyncPolicy::EveryBatch, 1024),
        (SyncPolicy::Interval(Duration::from_millis(10)), 64),
        (SyncPolicy::None, 64),
        (SyncPolicy::None, 1),
    ];
    for (policy, submitters) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path(), policy);
        let next = Arc::new(AtomicU64::new(0));
        let id = BenchmarkId::new(policy.to_string(), format!("{submitters}_submitters"));
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                runtime.block_on(async {
                    let tasks: Vec<_> = (0..submitters)
                        .map(|task| {
                            let share = iters / submitters + u64::from(task < iters % submitters);
                            let (store, specs, verdict, next) =
                                (store.clone(), specs.clone(), verdict.clone(), next.clone());
                            tokio::spawn(async move {
                                for _ in 0..share {
                                    let n = next.fetch_add(1, Ordering::Relaxed);
                                    screen_one(&store, &specs, n, &verdict).await;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("submitter finishes");
                    }
                });
                start.elapsed()
            });
        });
        let stats = store.stats();
        let total = next.load(Ordering::Relaxed);
        if total == 0 {
            // A name filter skipped this case.
            continue;
        }
        assert_eq!(
            stats.commits_written, total,
            "every transaction was written"
        );
        assert!(store
            .is_seen(&format!("E2E-{:012}", total - 1))
            .expect("read"));
        println!(
            "{policy} x{submitters}: {total} commits in {} groups ({:.1} per group), {} syncs",
            stats.groups_written,
            total as f64 / stats.groups_written.max(1) as f64,
            stats.syncs
        );
    }
    group.finish();
}

fn bench_read(c: &mut Criterion) {
    let specs = Specs::new();
    let verdict = vec![0x5a; 1024];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), SyncPolicy::None);
    let committed = 200_000u64;
    runtime.block_on(async {
        for n in 0..committed {
            screen_one(&store, &specs, n, &verdict).await;
        }
    });
    let now = T0 + (committed / 16) as i64;
    let hot = format!("DE{:020}", 0);
    // All events lie within 12.5 s of T0, inside the 1 h window at `now`.
    let expected_hot: u64 = (0..committed)
        .filter(|n| n.wrapping_mul(2_654_435_761) % DEBTORS == 0)
        .count() as u64;

    let mut group = c.benchmark_group("state_read");
    group.throughput(Throughput::Elements(1));
    group.bench_function("value_cached", |b| {
        b.iter(|| {
            store
                .value(&specs.count, black_box(hot.as_bytes()), now)
                .expect("read")
        })
    });
    assert_eq!(
        store
            .value(&specs.count, hot.as_bytes(), now)
            .expect("read")
            .value,
        expected_hot
    );

    let reopened_dir = dir.path().to_owned();
    drop(store);
    let cold = StateStore::open(
        &reopened_dir,
        OpenOptions {
            cache_capacity: 1024,
            expiry_clock: Arc::new(|| 0),
            ..OpenOptions::default()
        },
    )
    .expect("reopen");
    let mut key = 0u64;
    group.bench_function("value_not_cached", |b| {
        b.iter(|| {
            key = (key + 7919) % DEBTORS;
            let debtor = format!("DE{key:020}");
            cold.value(&specs.sum, debtor.as_bytes(), now)
                .expect("read")
        })
    });

    let mut n = 0u64;
    group.bench_function("begin_retried_id", |b| {
        b.iter(|| {
            n = (n + 104_729) % committed;
            match cold.begin(&format!("E2E-{n:012}")).expect("begin") {
                Begin::Seen(record) => record,
                _ => panic!("E2E-{n:012} was committed"),
            }
        })
    });
    group.bench_function("audit_by_id", |b| {
        b.iter(|| {
            n = (n + 104_729) % committed;
            cold.audit(&format!("E2E-{n:012}"))
                .expect("read")
                .expect("committed id has a record")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_commit, bench_read);
criterion_main!(benches);
