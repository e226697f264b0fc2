//! The in-memory buckets of one series (one aggregate and one key), kept
//! consistent with the `aggregates` column family.
//!
//! Invariant: every bucket with index at or above `loaded_from` is complete
//! in memory. The settled buckets contain what RocksDB contains plus every
//! delta written to the journal and not yet merged into RocksDB by a checkpoint
//! (`unmerged` counts those). Deltas of transactions that applied but
//! whose write has not finished are kept apart (`in_flight`), each under
//! a token, so an aborted or failed transaction removes exactly its own.
//! Reads fold both.
//!
//! A read or update that needs older buckets first loads them from
//! RocksDB. That load is complete because buckets are dropped from memory,
//! and the series evicted, only while nothing is in flight or unmerged. So
//! a series missing from memory has all its deltas in RocksDB. A series
//! the filter of stored series rules out starts complete, with nothing to
//! load (`stored.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rocksdb::{IteratorMode, ReadOptions, DB};

use super::aggregate::AggregateValue;
use super::bucket::BucketValue;
use super::distinct::union_count;
use super::error::StateError;
use super::keys::bucket_key;
use super::rocks::{handle, CF_AGGREGATES};
use super::spec::{AggregateKind, AggregateSpec};

/// `loaded_from` when nothing is loaded.
const NOT_LOADED: u64 = u64::MAX;

/// One cached series. Shared through `Arc` by the cache, by transactions
/// that applied to it, and by the writer thread that finishes their writes.
pub(crate) struct SeriesCell {
    key: Box<[u8]>,
    spec: AggregateSpec,
    /// Cache clock tick of the last use; eviction drops the oldest.
    last_used: AtomicU64,
    state: Mutex<SeriesState>,
}

struct SeriesState {
    /// Set by eviction: the cell is out of the cache and must not be used.
    evicted: bool,
    /// Applied deltas whose write has not finished.
    in_flight: Vec<InFlight>,
    /// The token of the next applied delta.
    next_token: u64,
    /// Written deltas that no checkpoint has merged into RocksDB yet.
    unmerged: u32,
    loaded_from: u64,
    /// The latest time the series was read or updated at; sets what to keep.
    latest_ms: i64,
    /// Settled buckets by ascending index.
    buckets: Vec<(u64, BucketValue)>,
}

/// One applied delta whose write has not finished.
struct InFlight {
    token: u64,
    index: u64,
    delta: BucketValue,
}

/// A delta applied to a series and not yet written: the series, and the
/// token naming the delta there.
pub(crate) struct Applied {
    pub cell: Arc<SeriesCell>,
    pub token: u64,
}

/// A series locked by [`SeriesCell::lock_for_update`]. A transaction holds
/// the locks of all the series it updates at once, so two transactions
/// that update the same series see each other in the same order in every
/// one of them.
pub(crate) struct LockedSeries<'a> {
    cell: &'a SeriesCell,
    state: MutexGuard<'a, SeriesState>,
}

impl LockedSeries<'_> {
    /// Checks that `delta` fits the aggregate and loads the buckets of the
    /// window ending at `now_ms`. Changes nothing a read would see.
    pub(crate) fn prepare(
        &mut self,
        db: &DB,
        now_ms: i64,
        delta: &BucketValue,
    ) -> Result<(), StateError> {
        let cell = self.cell;
        if delta.kind() != cell.spec.kind() {
            return Err(StateError::corrupt(
                CF_AGGREGATES,
                &cell.key,
                format!(
                    "a {} delta for a {} aggregate",
                    delta.kind(),
                    cell.spec.kind()
                ),
            ));
        }
        let (first, _) = cell.spec.window_buckets(now_ms);
        cell.load(&mut self.state, db, first)
    }

    /// Adds `delta` to the bucket of `now_ms` as in flight, and returns the
    /// window's value including it, with the token naming the delta. Call
    /// [`prepare`](Self::prepare) with the same time and delta first.
    pub(crate) fn add(&mut self, now_ms: i64, delta: &BucketValue) -> (AggregateValue, u64) {
        let spec = &self.cell.spec;
        let (first, last) = spec.window_buckets(now_ms);
        let state = &mut *self.state;
        let token = state.next_token;
        state.next_token += 1;
        state.in_flight.push(InFlight {
            token,
            index: last,
            delta: delta.clone(),
        });
        state.latest_ms = state.latest_ms.max(now_ms);
        (state.fold(spec.kind(), first, last), token)
    }
}

impl SeriesCell {
    /// Makes a cell with nothing loaded, or, when RocksDB has no bucket of
    /// the series (`stored` false), a complete and empty one.
    pub(crate) fn new(key: Box<[u8]>, spec: AggregateSpec, tick: u64, stored: bool) -> Self {
        SeriesCell {
            key,
            spec,
            last_used: AtomicU64::new(tick),
            state: Mutex::new(SeriesState {
                evicted: false,
                in_flight: Vec::new(),
                next_token: 0,
                unmerged: 0,
                loaded_from: if stored { NOT_LOADED } else { 0 },
                latest_ms: 0,
                buckets: Vec::new(),
            }),
        }
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    pub(crate) fn touch(&self, tick: u64) {
        self.last_used.store(tick, Ordering::Relaxed);
    }

    pub(crate) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// Locks the series for a transaction's update. `None` when the cell
    /// was evicted.
    pub(crate) fn lock_for_update(&self) -> Option<LockedSeries<'_>> {
        let state = self.lock();
        if state.evicted {
            return None;
        }
        Some(LockedSeries { cell: self, state })
    }

    /// Returns the window's value at `now_ms`. `None` when the cell was evicted.
    pub(crate) fn read(&self, db: &DB, now_ms: i64) -> Result<Option<AggregateValue>, StateError> {
        let mut state = self.lock();
        if state.evicted {
            return Ok(None);
        }
        let (first, last) = self.spec.window_buckets(now_ms);
        self.load(&mut state, db, first)?;
        state.latest_ms = state.latest_ms.max(now_ms);
        let value = state.fold(self.spec.kind(), first, last);
        state.prune_if_idle(&self.spec);
        Ok(Some(value))
    }

    /// Settles the delta of `token`, now written to the journal. It stays
    /// unmerged until [`checkpointed`](Self::checkpointed).
    pub(crate) fn written(&self, token: u64) {
        let mut state = self.lock();
        if let Some(delta) = state.take_in_flight(token) {
            // Kinds were checked when the delta was applied, and loaded
            // buckets are checked as they load, so the merge succeeds.
            let _ = state.add(delta.index, &delta.delta);
            state.unmerged += 1;
        }
    }

    /// Drops the delta of `token`, whose transaction aborted or whose write
    /// failed.
    pub(crate) fn discard(&self, token: u64) {
        let mut state = self.lock();
        state.take_in_flight(token);
        state.prune_if_idle(&self.spec);
    }

    /// Records that a checkpoint merged one written delta into RocksDB.
    pub(crate) fn checkpointed(&self) {
        let mut state = self.lock();
        state.unmerged = state.unmerged.saturating_sub(1);
        state.prune_if_idle(&self.spec);
    }

    /// Marks the cell evicted unless it is busy, has deltas in flight, or
    /// has deltas RocksDB lacks.
    pub(crate) fn try_evict(&self) -> bool {
        match self.state.try_lock() {
            Ok(mut state) if state.is_idle() => {
                state.evicted = true;
                true
            }
            _ => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, SeriesState> {
        // Nothing panics while holding the lock, and the state is valid
        // between statements, so a poisoned lock is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Loads buckets `from..loaded_from` from RocksDB.
    fn load(&self, state: &mut SeriesState, db: &DB, from: u64) -> Result<(), StateError> {
        if from >= state.loaded_from {
            return Ok(());
        }
        let mut options = ReadOptions::default();
        // Both bounds lie in this series, the family's prefix.
        options.set_prefix_same_as_start(true);
        options.set_iterate_lower_bound(bucket_key(&self.key, from));
        options.set_iterate_upper_bound(bucket_key(&self.key, state.loaded_from));
        let family = handle(db, CF_AGGREGATES)?;
        let mut loaded = Vec::new();
        for item in db.iterator_cf_opt(family, options, IteratorMode::Start) {
            let (key, value) = item.map_err(|source| StateError::Read {
                cf: CF_AGGREGATES,
                source,
            })?;
            loaded.push(self.decode_bucket(&key, &value)?);
        }
        loaded.append(&mut state.buckets);
        state.buckets = loaded;
        state.loaded_from = from;
        Ok(())
    }

    fn decode_bucket(&self, key: &[u8], value: &[u8]) -> Result<(u64, BucketValue), StateError> {
        let corrupt = |reason: String| StateError::corrupt(CF_AGGREGATES, key, reason);
        let index: [u8; 8] = key
            .strip_prefix(&self.key[..])
            .and_then(|rest| rest.try_into().ok())
            .ok_or_else(|| corrupt("key is not a bucket of this series".to_owned()))?;
        let value = BucketValue::decode(value).map_err(corrupt)?;
        if value.kind() != self.spec.kind() {
            return Err(corrupt(format!(
                "bucket holds a {} value in a {} aggregate",
                value.kind(),
                self.spec.kind()
            )));
        }
        Ok((u64::from_be_bytes(index), value))
    }
}

impl SeriesState {
    /// Returns whether memory contains nothing RocksDB lacks.
    fn is_idle(&self) -> bool {
        self.in_flight.is_empty() && self.unmerged == 0
    }

    fn take_in_flight(&mut self, token: u64) -> Option<InFlight> {
        let at = self
            .in_flight
            .iter()
            .position(|entry| entry.token == token)?;
        Some(self.in_flight.swap_remove(at))
    }

    fn prune_if_idle(&mut self, spec: &AggregateSpec) {
        if self.is_idle() {
            self.prune(spec);
        }
    }

    fn add(&mut self, index: u64, delta: &BucketValue) -> Result<(), StateError> {
        match self.buckets.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => {
                let merged = self.buckets[at].1.merge(delta);
                if !merged {
                    return Err(StateError::corrupt(
                        CF_AGGREGATES,
                        &index.to_be_bytes(),
                        "bucket kind differs from its aggregate",
                    ));
                }
            }
            Err(at) => self.buckets.insert(at, (index, delta.clone())),
        }
        Ok(())
    }

    /// Folds the settled and in-flight deltas of buckets `first..=last`.
    fn fold(&self, kind: AggregateKind, first: u64, last: u64) -> AggregateValue {
        let start = self.buckets.partition_point(|(i, _)| *i < first);
        let settled = self.buckets[start..]
            .iter()
            .take_while(|(i, _)| *i <= last)
            .map(|(_, value)| value);
        let in_flight = self
            .in_flight
            .iter()
            .filter(|entry| (first..=last).contains(&entry.index))
            .map(|entry| &entry.delta);
        let window = settled.chain(in_flight);
        let exact = |value| AggregateValue { value, exact: true };
        match kind {
            AggregateKind::Count | AggregateKind::Sum => {
                exact(window.fold(0u64, |total, value| total.saturating_add(scalar(value))))
            }
            AggregateKind::Max => exact(window.map(scalar).max().unwrap_or(0)),
            AggregateKind::DistinctCount => {
                let sets = window.filter_map(|value| match value {
                    BucketValue::Distinct(set) => Some(set),
                    _ => None,
                });
                let (value, exact) = union_count(sets);
                AggregateValue { value, exact }
            }
        }
    }

    /// Drops buckets older than the window of the latest time seen.
    fn prune(&mut self, spec: &AggregateSpec) {
        if self.loaded_from == NOT_LOADED {
            return;
        }
        let keep_from = spec.window_buckets(self.latest_ms).0;
        if keep_from > self.loaded_from {
            let cut = self.buckets.partition_point(|(i, _)| *i < keep_from);
            self.buckets.drain(..cut);
            self.loaded_from = keep_from;
        }
    }
}

fn scalar(value: &BucketValue) -> u64 {
    match value {
        BucketValue::Count(n) | BucketValue::Sum(n) | BucketValue::Max(n) => *n,
        BucketValue::Distinct(set) => set.count(),
    }
}
