//! The state store handle the pipeline holds.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use foldhash::fast::RandomState;
use rocksdb::{ReadOptions, DB};
use tokio::sync::{oneshot, watch};

use super::aggregate::AggregateValue;
use super::audit::{AuditEntry, AuditRecord, IdRecord};
use super::bucket::BucketValue;
use super::cache::SeriesCache;
use super::clearance::{Clearance, ClearanceKey, ClearanceStatus};
use super::error::StateError;
use super::keys::{append_time_key, check_len, parse_time_key, series_key, MAX_TXN_ID_LEN};
use super::options::OpenOptions;
use super::rocks::{
    family_empty, handle, open_db, CF_AGGREGATES, CF_AUDIT, CF_AUDIT_BY_TIME, CF_CLEARANCES,
    CF_SEEN, COLUMN_FAMILIES,
};
use super::series::{Applied, SeriesCell};
use super::spec::{check_time, AggregateSpec};
use super::txn::{Begin, InFlightWait, Reservation};
use super::writer::{
    discard_applied, release_txn, CommitHandle, Ops, WriteRequest, Writer, WriterCounters,
};

/// The engine's durable state: aggregates, seen transaction ids, the audit
/// log and clearances, in one RocksDB database. Cheap to clone; all clones
/// share one database and one writer thread. When the last clone (and the
/// last [`Reservation`]) is dropped, queued commits are written and synced,
/// and the database closes before the drop returns.
#[derive(Clone)]
pub struct StateStore {
    shared: Arc<Shared>,
    /// Dropped last of all clones: stops and joins the writer thread.
    writer: Arc<Writer>,
}

/// Notifies the callers waiting on an in-flight transaction id of its
/// committed record.
pub(crate) type InFlightSender = watch::Sender<Option<Arc<AuditRecord>>>;

/// State shared by the store's handles and the writer thread.
pub(crate) struct Shared {
    pub db: DB,
    pub dir: PathBuf,
    pub cache: SeriesCache,
    /// Transaction ids reserved by [`StateStore::begin`] and not yet written
    /// or released. Inserted by `begin`; removed by the writer thread after
    /// the write, or by a reservation's drop. The sender is made when a
    /// second caller requests the same id, and notifies the callers waiting.
    pub in_flight: DashMap<Box<str>, Option<InFlightSender>, RandomState>,
    /// Set once by the writer thread when a write or sync fails; from then
    /// on every commit is rejected with this reason.
    pub failure: OnceLock<String>,
    pub counters: WriterCounters,
}

/// Counters for metrics and benches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateStats {
    /// Aggregate series held in memory.
    pub cached_series: usize,
    /// Whether the series RocksDB contained at open have all been listed, so a
    /// series new to the cache and never stored is created without a read.
    pub stored_series_listed: bool,
    /// Write batches written by the writer thread.
    pub groups_written: u64,
    /// Commits in those batches.
    pub commits_written: u64,
    /// WAL fsyncs.
    pub syncs: u64,
}

impl StateStore {
    /// Opens or creates the state in `dir` and starts its writer thread.
    ///
    /// Fails with a message naming `dir` when it holds other files, a RocksDB
    /// database without our column families, or a state of another format
    /// version, unless `options.allow_reset` permits erasing the database.
    pub fn open(dir: impl AsRef<Path>, options: OpenOptions) -> Result<StateStore, StateError> {
        let dir = dir.as_ref().to_owned();
        let db = open_db(&dir, &options)?;
        super::journal::replay(&db)?;
        let cache = SeriesCache::new(options.cache_capacity);
        if family_empty(&db, CF_AGGREGATES)? {
            cache.stored().mark_complete();
        }
        let shared = Arc::new(Shared {
            db,
            dir,
            cache,
            in_flight: DashMap::with_hasher(RandomState::default()),
            failure: OnceLock::new(),
            counters: WriterCounters::default(),
        });
        let writer = Writer::start(
            Arc::clone(&shared),
            options.sync,
            options.max_group,
            options.checkpoint_interval,
        )?;
        Ok(StateStore {
            shared,
            writer: Arc::new(writer),
        })
    }

    /// Returns the state directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Reserves `txn_id` for screening. Returns the stored record instead when
    /// the id was screened before, or a wait when another caller has it
    /// reserved now.
    ///
    /// The id is 1 to 256 bytes. Reserving happens in memory before any
    /// aggregate is computed, so an id submitted twice at once is counted
    /// once.
    pub fn begin(&self, txn_id: &str) -> Result<Begin, StateError> {
        check_len("transaction id", txn_id.as_bytes(), MAX_TXN_ID_LEN)?;
        match self.shared.in_flight.entry(txn_id.into()) {
            Entry::Occupied(mut entry) => {
                let waiters = entry
                    .get_mut()
                    .get_or_insert_with(|| watch::channel(None).0);
                return Ok(Begin::InFlight(InFlightWait::new(waiters.subscribe())));
            }
            Entry::Vacant(entry) => {
                entry.insert(None);
            }
        }
        // Written ids left the in-flight map only after their write, so a
        // write of this id that finished before the reservation is visible.
        let stored = match self.read_seen(txn_id) {
            Ok(stored) => stored,
            Err(error) => {
                release_txn(&self.shared, txn_id, None);
                return Err(error);
            }
        };
        match stored {
            Some(record) => {
                release_txn(&self.shared, txn_id, Some(Arc::new(record.clone())));
                Ok(Begin::Seen(record))
            }
            None => Ok(Begin::New(Reservation::new(self.clone(), txn_id.into()))),
        }
    }

    /// Returns the value of `spec` for `key` over the window ending at `now_ms`,
    /// including transactions applied but not yet committed.
    pub fn value(
        &self,
        spec: &AggregateSpec,
        key: &[u8],
        now_ms: i64,
    ) -> Result<AggregateValue, StateError> {
        check_time("now_ms", now_ms)?;
        check_len("aggregate key", key, super::keys::MAX_AGGREGATE_KEY_LEN)?;
        let series = series_key(spec.prefix(), key);
        loop {
            let cell = self.shared.cache.cell(spec, &series);
            if let Some(value) = cell.read(&self.shared.db, now_ms)? {
                return Ok(value);
            }
        }
    }

    /// Returns whether `txn_id` was screened and committed.
    pub fn is_seen(&self, txn_id: &str) -> Result<bool, StateError> {
        check_len("transaction id", txn_id.as_bytes(), MAX_TXN_ID_LEN)?;
        let audit = handle(&self.shared.db, CF_AUDIT)?;
        let value = self
            .shared
            .db
            .get_pinned_cf(audit, txn_id)
            .map_err(|source| StateError::Read {
                cf: CF_AUDIT,
                source,
            })?;
        Ok(value.is_some())
    }

    /// Returns the audit record of `txn_id`, if it was committed.
    pub fn audit(&self, txn_id: &str) -> Result<Option<AuditRecord>, StateError> {
        check_len("transaction id", txn_id.as_bytes(), MAX_TXN_ID_LEN)?;
        let audit = handle(&self.shared.db, CF_AUDIT)?;
        let value = self
            .shared
            .db
            .get_pinned_cf(audit, txn_id)
            .map_err(|source| StateError::Read {
                cf: CF_AUDIT,
                source,
            })?;
        let Some(bytes) = value else {
            return Ok(None);
        };
        let entry = match IdRecord::decode(txn_id.as_bytes(), &bytes)? {
            IdRecord::Entry(entry) => entry,
            IdRecord::AtTime(time) => {
                let mut key = Vec::with_capacity(8 + txn_id.len());
                append_time_key(&mut key, time, txn_id.as_bytes());
                let by_time = handle(&self.shared.db, CF_AUDIT_BY_TIME)?;
                let value = self
                    .shared
                    .db
                    .get_pinned_cf(by_time, &key)
                    .map_err(|source| StateError::Read {
                        cf: CF_AUDIT_BY_TIME,
                        source,
                    })?;
                let bytes = value.ok_or_else(|| {
                    StateError::corrupt(
                        CF_AUDIT,
                        txn_id.as_bytes(),
                        format!("no audit entry at its time {time}"),
                    )
                })?;
                AuditEntry::decode(&key, &bytes)?
            }
        };
        Ok(Some(AuditRecord {
            txn_id: txn_id.to_owned(),
            entry,
        }))
    }

    /// Audit records screened in `from_ms..to_ms`, ordered by time then id,
    /// at most `limit` of them. To page, call again from the last record's
    /// time and skip the ids already returned at that time.
    pub fn audit_range(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StateError> {
        check_time("from_ms", from_ms)?;
        check_time("to_ms", to_ms)?;
        if from_ms >= to_ms || limit == 0 {
            return Ok(Vec::new());
        }
        self.scan_time_index(from_ms, to_ms, limit, |key, value| {
            self.record_of_time_key(key, value)
        })
    }

    /// Returns whether an analyst's clearance of `key` applies to the entity
    /// as it is now, given the digest of its current content.
    pub fn clearance(
        &self,
        key: ClearanceKey<'_>,
        current_digest: &[u8],
    ) -> Result<ClearanceStatus, StateError> {
        let encoded = key.encode()?;
        let clearances = handle(&self.shared.db, CF_CLEARANCES)?;
        let value = self
            .shared
            .db
            .get_pinned_cf(clearances, &encoded)
            .map_err(|source| StateError::Read {
                cf: CF_CLEARANCES,
                source,
            })?;
        match value {
            Some(bytes) => Ok(Clearance::decode(&encoded, &bytes)?.status(current_digest)),
            None => Ok(ClearanceStatus::None),
        }
    }

    /// Stores an analyst's clearance, replacing any earlier one for `key`.
    /// Durable once the handle resolves.
    pub fn put_clearance(
        &self,
        key: ClearanceKey<'_>,
        clearance: &Clearance,
    ) -> Result<CommitHandle, StateError> {
        clearance.validate()?;
        let mut ops = Ops::default();
        ops.put(CF_CLEARANCES, &key.encode()?, &clearance.encode());
        self.write(ops)
    }

    /// Removes the clearance of `key`, if any. Durable once the handle resolves.
    pub fn remove_clearance(&self, key: ClearanceKey<'_>) -> Result<CommitHandle, StateError> {
        let mut ops = Ops::default();
        ops.delete(CF_CLEARANCES, &key.encode()?);
        self.write(ops)
    }

    /// Deletes at most `limit` audit records of transactions screened before
    /// `before_ms`, with their time index entries. A pruned id is no longer
    /// seen.
    ///
    /// Returns the number deleted and the handle of the write, which is
    /// durable once the handle resolves. A pruned transaction id is screened
    /// afresh if it is submitted again.
    pub fn prune_audit(
        &self,
        before_ms: i64,
        limit: usize,
    ) -> Result<(usize, Option<CommitHandle>), StateError> {
        check_time("before_ms", before_ms)?;
        if before_ms <= 0 || limit == 0 {
            return Ok((0, None));
        }
        let keys = self.scan_time_index(0, before_ms, limit, |key, _| Ok(key.to_vec()))?;
        let pruned = keys.len();
        let mut ops = Ops::default();
        for key in keys {
            if let Some((_, id)) = parse_time_key(&key) {
                ops.delete(CF_AUDIT, id);
                // Stores written before the audit record marked an id as
                // seen also hold the id in the seen column family.
                ops.delete(CF_SEEN, id);
            }
            ops.delete(CF_AUDIT_BY_TIME, &key);
        }
        if ops.is_empty() {
            return Ok((0, None));
        }
        Ok((pruned, Some(self.write(ops)?)))
    }

    /// Compacts every column family now, which also drops expired buckets.
    /// Runs in the calling thread; on a large store it takes long.
    pub fn compact(&self) -> Result<(), StateError> {
        for name in COLUMN_FAMILIES {
            let family = handle(&self.shared.db, name)?;
            self.shared
                .db
                .compact_range_cf(family, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Merges the aggregate deltas written since the last checkpoint into
    /// the `aggregates` column family now instead of at the next interval.
    /// The handle resolves once that is written. Durability does not depend
    /// on it: it lets a read of the column family, or an eviction, happen
    /// without waiting for the interval.
    pub fn checkpoint(&self) -> Result<CommitHandle, StateError> {
        self.request(Ops::default(), true)
    }

    /// Flushes memtables to SST files and syncs the write-ahead log, so a
    /// restart replays little. Durability does not depend on it.
    pub fn flush(&self) -> Result<(), StateError> {
        for name in COLUMN_FAMILIES {
            let family = handle(&self.shared.db, name)?;
            self.shared
                .db
                .flush_cf(family)
                .map_err(|source| StateError::Write { source })?;
        }
        self.shared
            .db
            .flush_wal(true)
            .map_err(|source| StateError::Write { source })
    }

    /// Estimated size of each column family in bytes: RocksDB's estimate of
    /// the live data in its files plus the size of its memtables, so data
    /// not yet flushed to a file counts too.
    pub fn column_family_sizes(&self) -> Vec<(&'static str, u64)> {
        let db = &self.shared.db;
        COLUMN_FAMILIES
            .iter()
            .filter_map(|name| {
                let family = handle(db, name).ok()?;
                let property = |key: &str| db.property_int_value_cf(family, key).ok().flatten();
                let in_files = property("rocksdb.estimate-live-data-size")?;
                let in_memory = property("rocksdb.cur-size-all-mem-tables").unwrap_or(0);
                Some((*name, in_files + in_memory))
            })
            .collect()
    }

    /// Current counters.
    pub fn stats(&self) -> StateStats {
        let counters = &self.shared.counters;
        StateStats {
            cached_series: self.shared.cache.len(),
            stored_series_listed: self.shared.cache.stored().is_complete(),
            groups_written: counters.groups.load(Ordering::Relaxed),
            commits_written: counters.commits.load(Ordering::Relaxed),
            syncs: counters.syncs.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Queues a request; when the writer is gone, undoes it and fails.
    pub(crate) fn send(&self, request: WriteRequest) -> Result<(), StateError> {
        if let Some(reason) = self.shared.failure.get() {
            self.undo(request);
            return Err(StateError::Failed {
                reason: reason.clone(),
            });
        }
        self.writer.send(request).map_err(|request| {
            self.undo(request);
            StateError::Closed
        })
    }

    fn undo(&self, request: WriteRequest) {
        if let Some(record) = &request.txn {
            release_txn(&self.shared, &record.txn_id, None);
        }
        discard_applied(&request.touched);
    }

    fn write(&self, ops: Ops) -> Result<CommitHandle, StateError> {
        self.request(ops, false)
    }

    fn request(&self, ops: Ops, checkpoint: bool) -> Result<CommitHandle, StateError> {
        let (ack, receiver) = oneshot::channel();
        self.send(WriteRequest {
            ops,
            txn: None,
            touched: Vec::new(),
            checkpoint,
            ack,
        })?;
        Ok(CommitHandle::new(receiver))
    }

    /// Returns the stored audit record of `txn_id`. An id is seen exactly
    /// when its record is stored.
    fn read_seen(&self, txn_id: &str) -> Result<Option<AuditRecord>, StateError> {
        self.audit(txn_id)
    }

    /// Calls `visit` with the key and value of each audit time index entry
    /// in `from_ms..to_ms`, in order, at most `limit` of them, and returns
    /// what it returned. Values are borrowed from the iterator, so a caller
    /// that needs only keys copies no entries.
    fn scan_time_index<T>(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<T, StateError>,
    ) -> Result<Vec<T>, StateError> {
        let mut options = ReadOptions::default();
        options.set_iterate_lower_bound((from_ms.max(0) as u64).to_be_bytes().to_vec());
        options.set_iterate_upper_bound((to_ms.max(0) as u64).to_be_bytes().to_vec());
        let by_time = handle(&self.shared.db, CF_AUDIT_BY_TIME)?;
        let mut iterator = self.shared.db.raw_iterator_cf_opt(by_time, options);
        iterator.seek_to_first();
        let mut visited = Vec::new();
        while visited.len() < limit {
            let (Some(key), Some(value)) = (iterator.key(), iterator.value()) else {
                break;
            };
            visited.push(visit(key, value)?);
            iterator.next();
        }
        iterator.status().map_err(|source| StateError::Read {
            cf: CF_AUDIT_BY_TIME,
            source,
        })?;
        Ok(visited)
    }

    /// Returns the audit record of a time index entry: its value, or for
    /// entries of the earlier layout, which have none, the record under its
    /// id.
    fn record_of_time_key(&self, key: &[u8], value: &[u8]) -> Result<AuditRecord, StateError> {
        let corrupt = |reason| StateError::corrupt(CF_AUDIT_BY_TIME, key, reason);
        let (_, id) = parse_time_key(key).ok_or_else(|| corrupt("key is shorter than 8 bytes"))?;
        let txn_id = std::str::from_utf8(id).map_err(|_| corrupt("id is not UTF-8"))?;
        if value.is_empty() {
            return self
                .audit(txn_id)?
                .ok_or_else(|| corrupt("the index entry has no audit record"));
        }
        Ok(AuditRecord {
            txn_id: txn_id.to_owned(),
            entry: AuditEntry::decode(key, value)?,
        })
    }
}

impl Shared {
    /// Applies one delta to each of `updates`' series at `now_ms`, all or
    /// none, and returns what each applied with the window's value.
    ///
    /// The series are locked together, in the order of their cells'
    /// addresses so that no two callers wait on each other, and loaded
    /// before any delta is added. Two transactions that update the same
    /// series therefore see each other in one order in all of them: a
    /// count over an hour never exceeds the same count over a week. The
    /// lookup starts over when eviction raced it.
    pub(crate) fn apply_all(
        &self,
        updates: &[(&AggregateSpec, &[u8], &BucketValue)],
        now_ms: i64,
    ) -> Result<Vec<(Applied, AggregateValue)>, StateError> {
        'lookup: loop {
            let cells: Vec<Arc<SeriesCell>> = updates
                .iter()
                .map(|(spec, series, _)| self.cache.cell(spec, series))
                .collect();
            let mut order: Vec<usize> = (0..cells.len()).collect();
            order.sort_by_key(|&i| Arc::as_ptr(&cells[i]) as usize);
            // slot[i] is the place in `locked` of the lock of cells[i]. An
            // update repeating a series shares the lock taken for it.
            let mut slot = vec![0; cells.len()];
            let mut locked = Vec::with_capacity(cells.len());
            let mut previous: Option<*const SeriesCell> = None;
            for &i in &order {
                let address = Arc::as_ptr(&cells[i]);
                if previous != Some(address) {
                    match cells[i].lock_for_update() {
                        Some(series) => locked.push(series),
                        None => continue 'lookup,
                    }
                    previous = Some(address);
                }
                slot[i] = locked.len() - 1;
            }
            for (i, (_, _, delta)) in updates.iter().enumerate() {
                locked[slot[i]].prepare(&self.db, now_ms, delta)?;
            }
            let mut applied = Vec::with_capacity(updates.len());
            for (i, (_, _, delta)) in updates.iter().enumerate() {
                let (value, token) = locked[slot[i]].add(now_ms, delta);
                let cell = Arc::clone(&cells[i]);
                applied.push((Applied { cell, token }, value));
            }
            return Ok(applied);
        }
    }
}
