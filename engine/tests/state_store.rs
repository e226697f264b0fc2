//! Behaviour of the state store on a real RocksDB in a temporary directory:
//! retries, windows, concurrency, aborts, the audit log, clearances, input
//! limits, expiry and sync policies.

mod state_support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use screener::state::{
    AggregateKind, AggregateUpdate, AggregateValue, Begin, Clearance, ClearanceKey,
    ClearanceStatus, Contribution, OpenOptions, StateError, StateStore, SyncPolicy,
    MAX_AGGREGATE_KEY_LEN, MAX_TXN_ID_LEN, MAX_VERDICT_LEN,
};
use state_support::{entry, fast_options, open, reserve, spec, HOUR, MINUTE, T0};

fn count_event<'a>(spec: &'a screener::state::AggregateSpec, key: &'a [u8]) -> AggregateUpdate<'a> {
    AggregateUpdate {
        spec,
        key,
        contribution: Contribution::Event,
    }
}

fn checkpoint(store: &StateStore) {
    store
        .checkpoint()
        .expect("checkpoint queued")
        .wait_blocking()
        .expect("checkpoint written");
}

fn commit_count(store: &StateStore, txn_id: &str, key: &[u8], now: i64) -> u64 {
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    let mut reservation = reserve(store, txn_id);
    let values = reservation
        .apply(&[count_event(&hourly, key)], now)
        .expect("apply succeeds");
    reservation
        .commit(entry(now, txn_id.as_bytes()))
        .expect("commit queued")
        .wait_blocking()
        .expect("commit durable");
    values[0].value
}

#[test]
fn retry_returns_stored_verdict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    assert_eq!(commit_count(&store, "E2E-1", b"acct", T0), 1);
    match store.begin("E2E-1").expect("begin succeeds") {
        Begin::Seen(record) => {
            assert_eq!(record.txn_id, "E2E-1");
            assert_eq!(record.entry, entry(T0, b"E2E-1"));
        }
        _ => panic!("a committed id must come back as seen"),
    }
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 1);
}

#[test]
fn retry_after_reopen_returns_stored_verdict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    commit_count(&store, "E2E-1", b"acct", T0);
    drop(store);
    let store = open(dir.path(), fast_options());
    assert!(matches!(store.begin("E2E-1"), Ok(Begin::Seen(_))));
    assert!(store.is_seen("E2E-1").expect("read seen"));
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 1);
}

#[test]
fn unflushed_data_counts_in_family_sizes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let size_of = |store: &StateStore, family: &str| {
        store
            .column_family_sizes()
            .into_iter()
            .find(|(name, _)| *name == family)
            .map(|(_, bytes)| bytes)
            .expect("the family is listed")
    };
    let before = size_of(&store, "audit");
    for n in 0..20 {
        commit_count(&store, &format!("E2E-{n}"), b"acct", T0);
    }
    // Nothing is flushed to a file yet, so the records are only in the memtable.
    let after = size_of(&store, "audit");
    assert!(after > before, "audit size {before} -> {after}");
}

#[test]
fn value_includes_current_transaction() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    assert_eq!(commit_count(&store, "a", b"acct", T0), 1);
    assert_eq!(commit_count(&store, "b", b"acct", T0 + 1000), 2);
    assert_eq!(commit_count(&store, "c", b"other", T0 + 2000), 1);
}

#[test]
fn window_drops_old_events() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    commit_count(&store, "a", b"acct", T0);
    let read = |now| store.value(&hourly, b"acct", now).expect("read").value;
    assert_eq!(read(T0), 1);
    assert_eq!(
        read(T0 + HOUR),
        1,
        "an event exactly one window old still counts"
    );
    assert_eq!(
        read(T0 + HOUR + 2 * MINUTE),
        0,
        "one bucket past the window"
    );
    assert_eq!(read(T0 - MINUTE), 0, "an event after now does not count");
    assert_eq!(
        read(T0),
        1,
        "reading an older time reloads the pruned bucket"
    );
}

#[test]
fn sum_max_and_distinct() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let sum = spec("sum_1d", AggregateKind::Sum, 86_400);
    let max = spec("max_1d", AggregateKind::Max, 86_400);
    let distinct = spec("creditors_1d", AggregateKind::DistinctCount, 86_400);
    let payments: [(&str, u64, &[u8]); 4] = [
        ("p1", 500, b"FR76-1"),
        ("p2", 1200, b"FR76-2"),
        ("p3", 300, b"FR76-1"),
        ("p4", 700, b"FR76-3"),
    ];
    let mut last = Vec::new();
    for (i, (txn_id, amount, creditor)) in payments.iter().enumerate() {
        let updates = [
            AggregateUpdate {
                spec: &sum,
                key: b"debtor",
                contribution: Contribution::Amount(*amount),
            },
            AggregateUpdate {
                spec: &max,
                key: b"debtor",
                contribution: Contribution::Amount(*amount),
            },
            AggregateUpdate {
                spec: &distinct,
                key: b"debtor",
                contribution: Contribution::Value(creditor),
            },
        ];
        let now = T0 + i as i64 * HOUR;
        let mut reservation = reserve(&store, txn_id);
        last = reservation.apply(&updates, now).expect("apply");
        reservation
            .commit(entry(now, b"v"))
            .expect("commit queued")
            .wait_blocking()
            .expect("commit durable");
    }
    let exact = |value| AggregateValue { value, exact: true };
    assert_eq!(last, vec![exact(2700), exact(1200), exact(3)]);
}

#[test]
fn distinct_count_estimates_past_cap() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let distinct = spec("wallets_1h", AggregateKind::DistinctCount, 3600);
    let values: Vec<String> = (0..1000).map(|i| format!("wallet-{i}")).collect();
    let mut reservation = reserve(&store, "bulk");
    let updates: Vec<AggregateUpdate<'_>> = values
        .iter()
        .map(|value| AggregateUpdate {
            spec: &distinct,
            key: b"exchange",
            contribution: Contribution::Value(value.as_bytes()),
        })
        .collect();
    reservation.apply(&updates, T0).expect("apply");
    reservation
        .commit(entry(T0, b"v"))
        .expect("commit queued")
        .wait_blocking()
        .expect("commit durable");
    drop(store);
    let store = open(dir.path(), fast_options());
    let value = store.value(&distinct, b"exchange", T0).expect("read");
    assert!(
        !value.exact,
        "1000 values in one bucket exceed the exact cap"
    );
    let error = (value.value as f64 - 1000.0).abs() / 1000.0;
    assert!(error < 0.1, "estimate {} for 1000 values", value.value);
}

#[test]
fn concurrent_same_key_all_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let threads = 8;
    let per_thread = 50;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..per_thread {
                    commit_count(&store, &format!("t{thread}-{i}"), b"hot", T0);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread finishes");
    }
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    let expected = (threads * per_thread) as u64;
    assert_eq!(
        store.value(&hourly, b"hot", T0).expect("read").value,
        expected
    );
    drop(store);
    let store = open(dir.path(), fast_options());
    assert_eq!(
        store.value(&hourly, b"hot", T0).expect("read").value,
        expected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_id_counted_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            let hourly = hourly.clone();
            tokio::spawn(async move {
                let outcome = store.begin("dup").expect("begin succeeds");
                match outcome {
                    Begin::New(mut reservation) => {
                        reservation
                            .apply(&[count_event(&hourly, b"acct")], T0)
                            .expect("apply");
                        tokio::task::yield_now().await;
                        reservation
                            .commit(entry(T0, b"first"))
                            .expect("commit queued")
                            .await
                            .expect("commit durable");
                        "new"
                    }
                    Begin::Seen(record) => {
                        assert_eq!(record.entry.verdict, b"first");
                        "seen"
                    }
                    Begin::InFlight(wait) => {
                        let record = wait.wait().await.expect("first caller commits");
                        assert_eq!(record.entry.verdict, b"first");
                        "waited"
                    }
                }
            })
        })
        .collect();
    let mut new = 0;
    for task in tasks {
        new += usize::from(task.await.expect("task finishes") == "new");
    }
    assert_eq!(new, 1, "exactly one caller screens the id");
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 1);
}

#[tokio::test]
async fn waiter_learns_of_abort() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let reservation = reserve(&store, "x");
    let Ok(Begin::InFlight(wait)) = store.begin("x") else {
        panic!("a reserved id must be in flight");
    };
    drop(reservation);
    assert_eq!(wait.wait().await, None);
    assert!(matches!(store.begin("x"), Ok(Begin::New(_))));
}

#[test]
fn aborted_reservation_discards_deltas() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    commit_count(&store, "kept", b"acct", T0);
    let mut reservation = reserve(&store, "dropped");
    let values = reservation
        .apply(&[count_event(&hourly, b"acct")], T0)
        .expect("apply");
    assert_eq!(
        values[0].value, 2,
        "the pending delta counts while reserved"
    );
    drop(reservation);
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 1);
    assert!(!store.is_seen("dropped").expect("read seen"));
    assert_eq!(
        commit_count(&store, "dropped", b"acct", T0),
        2,
        "the id is free again"
    );
}

#[test]
fn audit_range_orders_by_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    commit_count(&store, "late", b"a", T0 + 3000);
    commit_count(&store, "early", b"a", T0 + 1000);
    commit_count(&store, "middle-b", b"a", T0 + 2000);
    commit_count(&store, "middle-a", b"a", T0 + 2000);
    let ids = |from, to, limit| -> Vec<String> {
        store
            .audit_range(from, to, limit)
            .expect("range read")
            .into_iter()
            .map(|record| record.txn_id)
            .collect()
    };
    assert_eq!(
        ids(T0, T0 + 10_000, 10),
        ["early", "middle-a", "middle-b", "late"]
    );
    assert_eq!(ids(T0 + 2000, T0 + 3000, 10), ["middle-a", "middle-b"]);
    assert_eq!(ids(T0, T0 + 10_000, 1), ["early"]);
    let record = store.audit("late").expect("read").expect("late is stored");
    assert_eq!(record.entry.screened_at_ms, T0 + 3000);
    assert_eq!(record.entry.list_version, "lists-1");
    assert_eq!(store.audit("never").expect("read"), None);
}

#[test]
fn prune_audit_drops_old_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    commit_count(&store, "old-1", b"a", T0 + 1000);
    commit_count(&store, "old-2", b"a", T0 + 2000);
    commit_count(&store, "old-3", b"a", T0 + 2500);
    commit_count(&store, "recent", b"a", T0 + 5000);

    // A limit smaller than the number due prunes the oldest first.
    let (pruned, handle) = store.prune_audit(T0 + 3000, 2).expect("prune");
    assert_eq!(pruned, 2);
    handle
        .expect("a write for two records")
        .wait_blocking()
        .expect("durable");
    assert_eq!(store.audit("old-1").expect("read"), None);
    assert!(!store.is_seen("old-2").expect("read"));
    assert!(store.is_seen("old-3").expect("read"));

    let (pruned, handle) = store.prune_audit(T0 + 3000, 100).expect("prune");
    assert_eq!(pruned, 1);
    handle.expect("a write").wait_blocking().expect("durable");
    let left: Vec<_> = store
        .audit_range(0, T0 + 10_000, 10)
        .expect("range read")
        .into_iter()
        .map(|record| record.txn_id)
        .collect();
    assert_eq!(left, ["recent"]);
    assert!(store.is_seen("recent").expect("read"));

    // Nothing older is left, and a pruned id is new again.
    assert_eq!(store.prune_audit(T0 + 3000, 100).expect("prune").0, 0);
    assert!(matches!(store.begin("old-1"), Ok(Begin::New(_))));
}

#[test]
fn clearance_lifecycle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let key = ClearanceKey {
        party_name: "john smith",
        list: "ofac_sdn",
        entity_id: "12345",
    };
    let clearance = Clearance {
        entity_digest: b"digest-v1".to_vec(),
        cleared_at_ms: T0,
        analyst: "analyst-7".to_owned(),
        note: "different date of birth".to_owned(),
    };
    assert_eq!(
        store.clearance(key, b"digest-v1").expect("read"),
        ClearanceStatus::None
    );

    // Stored, it survives a reopen and applies only to the same digest.
    store
        .put_clearance(key, &clearance)
        .expect("queued")
        .wait_blocking()
        .expect("durable");
    drop(store);
    let store = open(dir.path(), fast_options());
    assert_eq!(
        store.clearance(key, b"digest-v1").expect("read"),
        ClearanceStatus::Applies(clearance.clone())
    );
    assert_eq!(
        store.clearance(key, b"digest-v2").expect("read"),
        ClearanceStatus::Voided(clearance)
    );

    // Another entity is not cleared, and removal ends the clearance.
    let other_entity = ClearanceKey {
        entity_id: "12346",
        ..key
    };
    assert_eq!(
        store.clearance(other_entity, b"digest-v1").expect("read"),
        ClearanceStatus::None
    );
    store
        .remove_clearance(key)
        .expect("queued")
        .wait_blocking()
        .expect("durable");
    assert_eq!(
        store.clearance(key, b"digest-v1").expect("read"),
        ClearanceStatus::None
    );
}

#[test]
fn oversized_inputs_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    let long_id = "x".repeat(MAX_TXN_ID_LEN + 1);
    assert!(matches!(
        store.begin(&long_id),
        Err(StateError::TooLong { .. })
    ));
    assert!(matches!(store.begin(""), Err(StateError::Empty { .. })));
    let long_key = vec![0u8; MAX_AGGREGATE_KEY_LEN + 1];
    let mut reservation = reserve(&store, "t");
    let result = reservation.apply(&[count_event(&hourly, &long_key)], T0);
    assert!(matches!(result, Err(StateError::TooLong { .. })));
    let result = reservation.apply(&[count_event(&hourly, b"k")], -1);
    assert!(matches!(result, Err(StateError::InvalidTime { .. })));
    let big_verdict = vec![0u8; MAX_VERDICT_LEN + 1];
    let result = reservation.commit(entry(T0, &big_verdict));
    assert!(matches!(result, Err(StateError::TooLong { .. })));
    assert!(store.value(&hourly, &long_key, T0).is_err());
    assert!(store.value(&hourly, b"k", i64::MAX).is_err());
    assert_eq!(
        commit_count(&store, "t", b"k", T0),
        1,
        "a rejected commit frees the id"
    );
}

#[test]
fn arbitrary_id_bytes_round_trip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    let ids = [
        "\u{0}",
        "é/\\\n",
        "ID with spaces",
        &"z".repeat(MAX_TXN_ID_LEN),
    ];
    for id in ids {
        commit_count(&store, id, id.as_bytes(), T0);
        assert!(matches!(store.begin(id), Ok(Begin::Seen(_))), "{id:?}");
    }
    let stored = store.audit_range(0, T0 + 1, 100).expect("range read");
    assert_eq!(stored.len(), ids.len());
}

#[test]
fn expired_buckets_dropped_by_compaction() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(AtomicI64::new(T0));
    let clock_reader = Arc::clone(&clock);
    let options = OpenOptions {
        expiry_clock: Arc::new(move || clock_reader.load(Ordering::Relaxed)),
        ..fast_options()
    };
    let store = open(dir.path(), options.clone());
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    let weekly = spec("count_7d", AggregateKind::Count, 7 * 86_400);
    let mut reservation = reserve(&store, "t");
    reservation
        .apply(
            &[count_event(&hourly, b"acct"), count_event(&weekly, b"acct")],
            T0,
        )
        .expect("apply");
    reservation
        .commit(entry(T0, b"v"))
        .expect("queued")
        .wait_blocking()
        .expect("durable");
    // Expiry runs on the aggregates family, where a checkpoint puts deltas.
    checkpoint(&store);

    // Two hours later the hourly bucket is still within its slack.
    clock.store(T0 + 2 * HOUR - 1, Ordering::Relaxed);
    store.compact().expect("compaction");
    drop(store);
    let store = open(dir.path(), options.clone());
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 1);

    // A day later it is gone; the weekly bucket stays.
    clock.store(T0 + 24 * HOUR, Ordering::Relaxed);
    store.compact().expect("compaction");
    drop(store);
    let store = open(dir.path(), options);
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 0);
    assert_eq!(store.value(&weekly, b"acct", T0).expect("read").value, 1);
    assert!(
        store.is_seen("t").expect("read seen"),
        "expiry leaves seen ids"
    );
}

#[test]
fn every_sync_policy_persists() {
    let policies = ["every_batch", "interval_ms(5)", "none"];
    for policy in policies {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = OpenOptions {
            sync: policy.parse::<SyncPolicy>().expect("valid policy"),
            ..fast_options()
        };
        let store = open(dir.path(), options.clone());
        for i in 0..20 {
            commit_count(&store, &format!("{policy}-{i}"), b"acct", T0);
        }
        let stats = store.stats();
        assert_eq!(stats.commits_written, 20, "{policy}");
        if policy == "every_batch" {
            assert_eq!(
                stats.syncs, stats.groups_written,
                "{policy} syncs every group"
            );
        }
        drop(store);
        let store = open(dir.path(), options);
        let hourly = spec("count_1h", AggregateKind::Count, 3600);
        assert_eq!(
            store.value(&hourly, b"acct", T0).expect("read").value,
            20,
            "{policy}"
        );
    }
}

#[test]
fn small_cache_stays_correct() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = OpenOptions {
        cache_capacity: 4,
        ..fast_options()
    };
    let store = open(dir.path(), options);
    for round in 0..3 {
        for key in 0..40 {
            let txn_id = format!("r{round}-k{key}");
            let count = commit_count(&store, &txn_id, format!("k{key}").as_bytes(), T0);
            assert_eq!(count, round + 1, "{txn_id}");
        }
        // Merged into RocksDB, the series may go: new ones evict them, and
        // the next round reads them back.
        checkpoint(&store);
        for filler in 0..40 {
            let key = format!("r{round}-f{filler}");
            assert_eq!(commit_count(&store, &key, key.as_bytes(), T0), 1, "{key}");
        }
    }
    // Once the fillers are merged too, the next new series evicts the others.
    checkpoint(&store);
    commit_count(&store, "last", b"k-last", T0);
    assert!(
        store.stats().cached_series <= 5,
        "eviction bounds the cache: {} series",
        store.stats().cached_series
    );
}

#[test]
fn unmerged_series_are_never_evicted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = OpenOptions {
        cache_capacity: 4,
        checkpoint_interval: Duration::from_secs(3600),
        ..fast_options()
    };
    let store = open(dir.path(), options.clone());
    for round in 0..3 {
        for key in 0..40 {
            let txn_id = format!("r{round}-k{key}");
            let count = commit_count(&store, &txn_id, format!("k{key}").as_bytes(), T0);
            assert_eq!(count, round + 1, "{txn_id}");
        }
    }
    assert!(
        store.stats().cached_series >= 40,
        "series with deltas only in the journal stay cached: {} series",
        store.stats().cached_series
    );
    checkpoint(&store);
    commit_count(&store, "last", b"k-last", T0);
    assert!(
        store.stats().cached_series <= 5,
        "after a checkpoint they may go: {} series",
        store.stats().cached_series
    );
    drop(store);
    let store = open(dir.path(), options);
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    for key in 0..40 {
        let key = format!("k{key}");
        let value = store.value(&hourly, key.as_bytes(), T0).expect("read");
        assert_eq!(value.value, 3, "{key} after reopening");
    }
}

#[test]
fn reopened_store_reads_series_stored_before() {
    // A store opened on stored aggregates lists their series in the
    // background. Once it has, a listed series is read from disk, not
    // created empty.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path(), fast_options());
    assert!(
        store.stats().stored_series_listed,
        "a new store has no series to list"
    );
    for key in 0..40 {
        let key = format!("k{key}");
        commit_count(&store, &key, key.as_bytes(), T0);
    }
    drop(store);

    let store = open(dir.path(), fast_options());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !store.stats().stored_series_listed {
        assert!(
            Instant::now() < deadline,
            "the stored series were never listed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    for key in 0..40 {
        let key = format!("k{key}");
        let value = store.value(&hourly, key.as_bytes(), T0).expect("read");
        assert_eq!(value.value, 1, "{key} after reopening");
    }
    let value = store.value(&hourly, b"never-written", T0).expect("read");
    assert_eq!(value.value, 0);
}

#[test]
fn concurrent_transactions_count_in_one_order() {
    // Transactions that update one account's hour, week and month counts
    // at once, all at the same time: every event falls in all three
    // windows, so each transaction must get three equal counts. A cache
    // of four series and checkpoints every millisecond make the series go
    // and come back from disk while others wait on them.
    let dir = tempfile::tempdir().expect("temp dir");
    let options = OpenOptions {
        cache_capacity: 4,
        checkpoint_interval: Duration::from_millis(1),
        ..fast_options()
    };
    let store = open(dir.path(), options);

    let windows = [
        spec("count_1h", AggregateKind::Count, 3600),
        spec("count_7d", AggregateKind::Count, 7 * 86_400),
        spec("count_30d", AggregateKind::Count, 30 * 86_400),
    ];
    let threads = 4;
    let per_thread = 300;
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let store = &store;
            let windows = &windows;
            scope.spawn(move || {
                for n in 0..per_thread {
                    let txn_id = format!("t{thread}-{n}");
                    let updates: Vec<_> = windows
                        .iter()
                        .map(|window| count_event(window, b"acct"))
                        .collect();

                    let mut reservation = reserve(store, &txn_id);
                    let values = reservation.apply(&updates, T0).expect("apply");
                    let counts: Vec<u64> = values.iter().map(|value| value.value).collect();
                    assert!(
                        counts.iter().all(|count| *count == counts[0]),
                        "{txn_id} got {counts:?}"
                    );

                    reservation
                        .commit(entry(T0, txn_id.as_bytes()))
                        .expect("commit queued")
                        .wait_blocking()
                        .expect("commit durable");

                    // A series of its own evicts the account's when idle.
                    commit_count(store, &format!("{txn_id}-own"), txn_id.as_bytes(), T0);
                }
            });
        }
    });

    let total = threads * per_thread;
    for window in &windows {
        let value = store.value(window, b"acct", T0).expect("read");
        assert_eq!(value.value, total as u64);
    }
}

#[test]
fn abort_leaves_checkpointed_and_unmerged_deltas() {
    // One committed delta merged by a checkpoint, one only in the journal,
    // then an aborted one: the abort removes exactly its own.
    let dir = tempfile::tempdir().expect("temp dir");
    let options = OpenOptions {
        checkpoint_interval: Duration::from_secs(3600),
        ..fast_options()
    };
    let store = open(dir.path(), options);
    let hourly = spec("count_1h", AggregateKind::Count, 3600);
    commit_count(&store, "merged", b"acct", T0);
    checkpoint(&store);
    commit_count(&store, "journaled", b"acct", T0);
    let mut reservation = reserve(&store, "aborted");
    let values = reservation
        .apply(&[count_event(&hourly, b"acct")], T0)
        .expect("apply");
    assert_eq!(values[0].value, 3);
    drop(reservation);
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 2);
    checkpoint(&store);
    assert_eq!(store.value(&hourly, b"acct", T0).expect("read").value, 2);
}
