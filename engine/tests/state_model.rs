//! Model-based test: random sequences of transactions (committed or
//! aborted, retried ids included), aggregate reads at varying times, audit
//! reads, and close-and-reopen, run against the RocksDB store and against a
//! plain in-memory model that keeps every event. Every read must agree.
//!
//! The cache holds only 4 series, so eviction and reloading from RocksDB
//! happen all the time.

mod state_support;

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use screener::state::{
    AggregateKind, AggregateSpec, AggregateUpdate, AggregateValue, AuditEntry, Begin, Contribution,
    OpenOptions, StateStore,
};
use state_support::{entry, fast_options, spec, HOUR, MINUTE, T0};

const KEYS: [&[u8]; 3] = [
    b"DE89370400440532013000",
    b"0x52908400098527886E0F",
    b"party-7",
];
const VALUES: [&[u8]; 6] = [b"c1", b"c2", b"c3", b"c4", b"c5", b"c6"];

fn specs() -> Vec<AggregateSpec> {
    vec![
        spec("count_1m", AggregateKind::Count, 60),
        spec("sum_1h", AggregateKind::Sum, 3600),
        spec("distinct_10m", AggregateKind::DistinctCount, 600),
        spec("max_1d", AggregateKind::Max, 86_400),
        spec("count_90d", AggregateKind::Count, 90 * 86_400),
    ]
}

#[derive(Clone, Debug)]
struct UpdateChoice {
    spec: usize,
    key: usize,
    amount: u64,
    value: usize,
}

#[derive(Clone, Debug)]
enum Step {
    Txn {
        id: u8,
        updates: Vec<UpdateChoice>,
        advance_ms: i64,
        back_ms: i64,
        abort: bool,
    },
    Read {
        spec: usize,
        key: usize,
        back_ms: i64,
    },
    ReadAudit {
        id: u8,
    },
    Reopen,
}

fn update_choice() -> impl Strategy<Value = UpdateChoice> {
    (0..5usize, 0..KEYS.len(), 0..1_000_000u64, 0..VALUES.len()).prop_map(
        |(spec, key, amount, value)| UpdateChoice {
            spec,
            key,
            amount,
            value,
        },
    )
}

fn step() -> impl Strategy<Value = Step> {
    let advance = prop_oneof![
        4 => 0..=5_000i64,
        2 => 0..=10 * MINUTE,
        1 => 0..=3 * HOUR,
    ];
    let back = prop_oneof![3 => Just(0i64), 1 => 0..=5 * MINUTE];
    let read_back = prop_oneof![2 => Just(0i64), 1 => 0..=2 * HOUR, 1 => 0..=3 * 86_400_000i64];
    prop_oneof![
        10 => (0..30u8, prop::collection::vec(update_choice(), 0..4), advance, back, prop::bool::weighted(0.15))
            .prop_map(|(id, updates, advance_ms, back_ms, abort)| Step::Txn {
                id,
                updates,
                advance_ms,
                back_ms,
                abort,
            }),
        6 => (0..5usize, 0..KEYS.len(), read_back)
            .prop_map(|(spec, key, back_ms)| Step::Read { spec, key, back_ms }),
        2 => (0..30u8).prop_map(|id| Step::ReadAudit { id }),
        1 => Just(Step::Reopen),
    ]
}

/// One committed contribution, as the model keeps it.
#[derive(Clone, Debug)]
struct Event {
    spec: usize,
    key: usize,
    time_ms: i64,
    amount: u64,
    value: usize,
}

/// Every committed event and audit entry, with window values computed by
/// scanning them.
#[derive(Default)]
struct Model {
    events: Vec<Event>,
    audit: HashMap<String, AuditEntry>,
}

impl Model {
    /// Computes the value over the buckets from the one containing
    /// `now - window` to the one containing `now`, as the store documents
    /// its windows.
    fn value(events: &[Event], spec: &AggregateSpec, index: usize, key: usize, now: i64) -> u64 {
        let width = spec.bucket_width().as_millis() as i64;
        let window = spec.window().as_millis() as i64;
        let first = (now - window).max(0) / width;
        let last = now / width;
        let in_window = events
            .iter()
            .filter(|e| e.spec == index && e.key == key)
            .filter(|e| (first..=last).contains(&(e.time_ms / width)));
        match spec.kind() {
            AggregateKind::Count => in_window.count() as u64,
            AggregateKind::Sum => in_window.map(|e| e.amount).sum(),
            AggregateKind::Max => in_window.map(|e| e.amount).max().unwrap_or(0),
            AggregateKind::DistinctCount => {
                in_window.map(|e| e.value).collect::<BTreeSet<_>>().len() as u64
            }
        }
    }
}

fn options() -> OpenOptions {
    OpenOptions {
        cache_capacity: 4,
        ..fast_options()
    }
}

fn contribution(spec: &AggregateSpec, choice: &UpdateChoice) -> Contribution<'static> {
    match spec.kind() {
        AggregateKind::Count => Contribution::Event,
        AggregateKind::Sum | AggregateKind::Max => Contribution::Amount(choice.amount),
        AggregateKind::DistinctCount => Contribution::Value(VALUES[choice.value]),
    }
}

struct Run {
    dir: tempfile::TempDir,
    store: Option<StateStore>,
    specs: Vec<AggregateSpec>,
    model: Model,
    clock: i64,
}

impl Run {
    fn store(&self) -> &StateStore {
        self.store.as_ref().expect("store is open between steps")
    }

    fn txn(
        &mut self,
        id: u8,
        updates: &[UpdateChoice],
        time: i64,
        abort: bool,
    ) -> Result<(), TestCaseError> {
        let txn_id = format!("tx{id}");
        let mut reservation = match self.store().begin(&txn_id).expect("begin succeeds") {
            Begin::New(reservation) => reservation,
            Begin::Seen(record) => {
                let expected = self.model.audit.get(&txn_id);
                prop_assert_eq!(
                    Some(&record.entry),
                    expected,
                    "stored verdict of {}",
                    txn_id
                );
                return Ok(());
            }
            Begin::InFlight(_) => return Err(TestCaseError::fail("no caller holds the id")),
        };
        prop_assert!(
            !self.model.audit.contains_key(&txn_id),
            "{} was committed",
            txn_id
        );

        // Apply, and compare each value with the model plus this
        // transaction's earlier contributions.
        let store_updates: Vec<AggregateUpdate<'_>> = updates
            .iter()
            .map(|choice| AggregateUpdate {
                spec: &self.specs[choice.spec],
                key: KEYS[choice.key],
                contribution: contribution(&self.specs[choice.spec], choice),
            })
            .collect();
        let values = reservation
            .apply(&store_updates, time)
            .expect("apply succeeds");
        let mut events = self.model.events.clone();
        for (choice, value) in updates.iter().zip(&values) {
            events.push(Event {
                spec: choice.spec,
                key: choice.key,
                time_ms: time,
                amount: choice.amount,
                value: choice.value,
            });
            let spec = &self.specs[choice.spec];
            let expected = Model::value(&events, spec, choice.spec, choice.key, time);
            prop_assert_eq!(
                *value,
                AggregateValue {
                    value: expected,
                    exact: true
                },
                "{} apply",
                spec.id()
            );
        }

        // Commit or abort.
        if abort {
            drop(reservation);
            return Ok(());
        }
        let entry = entry(time, txn_id.as_bytes());
        reservation
            .commit(entry.clone())
            .expect("commit queued")
            .wait_blocking()
            .expect("commit durable");
        self.model.events = events;
        self.model.audit.insert(txn_id, entry);
        Ok(())
    }

    fn read(&self, index: usize, key: usize, now: i64) -> Result<(), TestCaseError> {
        let spec = &self.specs[index];
        let value = self
            .store()
            .value(spec, KEYS[key], now)
            .expect("read succeeds");
        let expected = Model::value(&self.model.events, spec, index, key, now);
        prop_assert_eq!(
            value,
            AggregateValue {
                value: expected,
                exact: true
            },
            "{} at {}",
            spec.id(),
            now
        );
        Ok(())
    }

    fn read_audit(&self, id: u8) -> Result<(), TestCaseError> {
        let txn_id = format!("tx{id}");
        let record = self.store().audit(&txn_id).expect("audit read succeeds");
        let stored = record.map(|r| r.entry);
        prop_assert_eq!(stored.as_ref(), self.model.audit.get(&txn_id));
        prop_assert_eq!(
            self.store().is_seen(&txn_id).expect("seen read succeeds"),
            self.model.audit.contains_key(&txn_id)
        );
        Ok(())
    }

    fn reopen(&mut self) {
        drop(self.store.take());
        self.store = Some(StateStore::open(self.dir.path(), options()).expect("reopen"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(steps in prop::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = StateStore::open(dir.path(), options()).expect("open");
        let mut run = Run { dir, store: Some(store), specs: specs(), model: Model::default(), clock: T0 };
        for step in steps {
            match step {
                Step::Txn { id, updates, advance_ms, back_ms, abort } => {
                    run.clock += advance_ms;
                    run.txn(id, &updates, run.clock - back_ms, abort)?;
                }
                Step::Read { spec, key, back_ms } => run.read(spec, key, run.clock - back_ms)?,
                Step::ReadAudit { id } => run.read_audit(id)?,
                Step::Reopen => run.reopen(),
            }
        }
        let committed = run.model.audit.len();
        let stored = run.store().audit_range(0, screener::state::MAX_TIME_MS, usize::MAX).expect("range read");
        prop_assert_eq!(stored.len(), committed);
    }
}
