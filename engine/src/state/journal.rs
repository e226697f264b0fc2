//! The aggregate journal: how aggregate deltas reach the `aggregates`
//! column family without one memtable insert per transaction and series.
//!
//! Each group write puts one `journal` record, keyed by the group's
//! sequence number, that contains every aggregate delta of the group. It is
//! in the same atomic batch as the group's audit records, so a commit is
//! durable exactly as before. The writer thread also sums the deltas per
//! bucket in memory. At each checkpoint it writes one merge operand per
//! bucket touched since the previous checkpoint, and deletes the journal
//! records those sums cover, again in one atomic batch. Opening a store
//! merges whatever journal records a crash left behind before anything
//! reads an aggregate.
//!
//! A checkpoint runs when [`OpenOptions::checkpoint_interval`] has passed
//! since the last one, when the sums reach [`MAX_SUMS`] buckets, and when
//! the store closes. A hot account then costs one memtable insert per
//! bucket per checkpoint instead of one per transaction, and the memtable
//! flushes have fewer merge operands to combine.
//!
//! Reads stay consistent because a series touched since the last
//! checkpoint stays pending until that checkpoint is written: the cache
//! neither evicts nor prunes it, so its deltas not yet in RocksDB are in
//! memory, and a series missing from the cache has all its deltas in the
//! `aggregates` family.
//!
//! [`OpenOptions::checkpoint_interval`]: super::OpenOptions::checkpoint_interval

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use rocksdb::{IteratorMode, WriteBatch, WriteOptions, DB};
use tracing::{debug, error, info};

use super::bucket::BucketValue;
use super::error::StateError;
use super::rocks::{handle, CF_AGGREGATES, CF_JOURNAL};
use super::series::SeriesCell;

/// Summed buckets at which a checkpoint runs before its interval is up, to
/// bound the writer's memory: about 150 bytes each, so about 40 MiB.
pub(crate) const MAX_SUMS: usize = 1 << 18;

/// Journal records merged per batch when a store opens.
const REPLAY_BATCH: usize = 1024;

/// Appends one delta to a journal record: the bucket key and the encoded
/// delta, each after its length as 4 bytes little-endian.
pub(crate) fn append_delta(record: &mut Vec<u8>, key: &[u8], delta: &[u8]) {
    for part in [key, delta] {
        // Keys and deltas are bounded far below 4 GiB (`keys.rs`).
        record.extend_from_slice(&(part.len() as u32).to_le_bytes());
        record.extend_from_slice(part);
    }
}

/// One delta of a journal record: a bucket key and an encoded bucket value.
pub(crate) type Delta<'a> = (&'a [u8], &'a [u8]);

/// The first and last journal keys a replay batch merged.
type KeyRange = (Box<[u8]>, Box<[u8]>);

/// Splits a journal record into its (bucket key, encoded delta) pairs.
pub(crate) fn decode_record(mut record: &[u8]) -> Result<Vec<Delta<'_>>, String> {
    let mut deltas = Vec::new();
    while !record.is_empty() {
        let key = take_part(&mut record, "bucket key")?;
        let delta = take_part(&mut record, "delta")?;
        deltas.push((key, delta));
    }
    if deltas.is_empty() {
        return Err("record is empty".to_owned());
    }
    Ok(deltas)
}

/// Takes one length-prefixed part off the front of `record`.
fn take_part<'a>(record: &mut &'a [u8], part_name: &str) -> Result<&'a [u8], String> {
    let (len, rest) = record
        .split_first_chunk::<4>()
        .ok_or_else(|| format!("record ends inside the length of a {part_name}"))?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(format!(
            "a {part_name} of {len} bytes runs past the record's end ({} bytes left)",
            rest.len()
        ));
    }
    let (part, rest) = rest.split_at(len);
    *record = rest;
    Ok(part)
}

/// The writer thread's journal state: deltas written to the journal and
/// not yet merged into the `aggregates` family.
pub(crate) struct Journal {
    /// Summed deltas by bucket key.
    sums: HashMap<Box<[u8]>, BucketValue, RandomState>,
    /// Deltas whose kind differs from the sum already under their key. The
    /// merge operator rejects such a pair too; keeping them apart lets it
    /// report the key rather than this thread dropping a delta.
    apart: Vec<(Box<[u8]>, Vec<u8>)>,
    /// The first journal key not yet covered by a checkpoint.
    first_open: Option<u64>,
    /// The key of the next journal record.
    next_key: u64,
    /// One cell per delta since the last checkpoint; each is released, and
    /// so made evictable, once the checkpoint is written.
    unmerged_cells: Vec<Arc<SeriesCell>>,
    last_checkpoint: Instant,
    interval: Duration,
}

impl Journal {
    pub(crate) fn new(interval: Duration) -> Self {
        Journal {
            sums: HashMap::with_hasher(RandomState::default()),
            apart: Vec::new(),
            first_open: None,
            next_key: 0,
            unmerged_cells: Vec::new(),
            last_checkpoint: Instant::now(),
            interval,
        }
    }

    /// Takes the key of the next journal record.
    pub(crate) fn take_key(&mut self) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        self.first_open.get_or_insert(key);
        key
    }

    /// Adds the deltas of a written group to the sums.
    pub(crate) fn add(&mut self, deltas: Vec<(&[u8], BucketValue)>) {
        for (key, delta) in deltas {
            match self.sums.get_mut(key) {
                Some(sum) => {
                    if !sum.merge(&delta) {
                        self.apart.push((key.into(), delta.encode()));
                    }
                }
                None => {
                    self.sums.insert(key.into(), delta);
                }
            }
        }
    }

    /// Holds a series with a written delta until the next checkpoint.
    pub(crate) fn hold(&mut self, cell: Arc<SeriesCell>) {
        self.unmerged_cells.push(cell);
    }

    /// Returns whether anything awaits a checkpoint.
    fn is_open(&self) -> bool {
        self.first_open.is_some() || !self.unmerged_cells.is_empty()
    }

    /// Returns whether a checkpoint is due now.
    pub(crate) fn due(&self) -> bool {
        self.is_open()
            && (self.sums.len() >= MAX_SUMS || self.last_checkpoint.elapsed() >= self.interval)
    }

    /// Returns how long until a checkpoint is due, or `None` when nothing
    /// awaits one.
    pub(crate) fn wait_limit(&self) -> Option<Duration> {
        self.is_open()
            .then(|| self.interval.saturating_sub(self.last_checkpoint.elapsed()))
    }

    /// Merges the sums into the `aggregates` family and deletes the journal
    /// records they cover, in one batch, then releases the held series.
    /// The batch is not synced: until a later sync, a crash leaves the
    /// journal records, which the next open merges. Returns whether a
    /// batch was written.
    pub(crate) fn checkpoint(
        &mut self,
        db: &DB,
        failure: &std::sync::OnceLock<String>,
    ) -> Result<bool, StateError> {
        self.last_checkpoint = Instant::now();
        if !self.is_open() {
            return Ok(false);
        }
        let unmerged_cells = std::mem::take(&mut self.unmerged_cells);
        let started = Instant::now();
        let buckets = self.sums.len() + self.apart.len();
        self.write(db, failure)?;
        debug!(
            buckets,
            series_deltas = unmerged_cells.len(),
            micros = started.elapsed().as_micros() as u64,
            "aggregate checkpoint written"
        );
        // A failed write returned above, so the series keep their unmerged
        // count and stay in memory with their deltas. The next open merges
        // the journal.
        for cell in unmerged_cells {
            cell.checkpointed();
        }
        Ok(true)
    }

    fn write(&mut self, db: &DB, failure: &std::sync::OnceLock<String>) -> Result<(), StateError> {
        if let Some(reason) = failure.get() {
            return Err(StateError::Failed {
                reason: reason.clone(),
            });
        }
        let aggregates = handle(db, CF_AGGREGATES)?;
        let journal = handle(db, CF_JOURNAL)?;

        let mut sums: Vec<(Box<[u8]>, BucketValue)> = self.sums.drain().collect();
        // In key order, consecutive memtable inserts share most of their
        // skip list search.
        sums.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut batch = WriteBatch::default();
        let mut value = Vec::new();
        for (key, sum) in &sums {
            value.clear();
            sum.encode_into(&mut value);
            batch.merge_cf(aggregates, key, &value);
        }
        for (key, delta) in self.apart.drain(..) {
            batch.merge_cf(aggregates, key, delta);
        }
        if let Some(first) = self.first_open.take() {
            batch.delete_range_cf(journal, first.to_be_bytes(), self.next_key.to_be_bytes());
        }

        db.write_opt(batch, &WriteOptions::default())
            .map_err(|source| {
                error!(error = %source, "state checkpoint failed; rejecting further writes");
                let _ = failure.set(source.to_string());
                StateError::Write { source }
            })
    }
}

/// Merges every journal record into the `aggregates` family and deletes
/// it, in synced batches. Run when a store opens, before the writer starts
/// and before any read: records are left only by a stop without the final
/// checkpoint. Returns the number of records merged.
pub(crate) fn replay(db: &DB) -> Result<u64, StateError> {
    let aggregates = handle(db, CF_AGGREGATES)?;
    let journal = handle(db, CF_JOURNAL)?;
    let read_error = |source| StateError::Read {
        cf: CF_JOURNAL,
        source,
    };
    let mut merged = 0u64;
    let mut batch = WriteBatch::default();
    let mut range: Option<KeyRange> = None;
    let mut in_batch = 0usize;
    for item in db.iterator_cf(journal, IteratorMode::Start) {
        let (key, record) = item.map_err(read_error)?;
        let corrupt = |reason: String| {
            StateError::corrupt(
                CF_JOURNAL,
                &key,
                format!(
                    "{reason}; the aggregate deltas of one write group are unreadable, \
                     so restore the state directory from a backup or start with an \
                     empty one"
                ),
            )
        };
        for (bucket, delta) in decode_record(&record).map_err(corrupt)? {
            BucketValue::decode(delta).map_err(|reason| corrupt(format!("bad delta: {reason}")))?;
            batch.merge_cf(aggregates, bucket, delta);
        }
        range = Some(match range {
            Some((first, _)) => (first, key),
            None => (key.clone(), key),
        });
        merged += 1;
        in_batch += 1;
        if in_batch == REPLAY_BATCH {
            write_replayed(db, journal, &mut batch, range.take())?;
            in_batch = 0;
        }
    }
    write_replayed(db, journal, &mut batch, range.take())?;
    if merged > 0 {
        info!(
            records = merged,
            "merged aggregate journal records left by an unclean stop"
        );
    }
    Ok(merged)
}

/// Writes a replay batch with the deletion of the records it merged.
fn write_replayed(
    db: &DB,
    journal: &rocksdb::ColumnFamily,
    batch: &mut WriteBatch,
    range: Option<KeyRange>,
) -> Result<(), StateError> {
    let Some((first, last)) = range else {
        return Ok(());
    };
    // The end bound is exclusive: the last key with a zero byte appended
    // is the next key after it.
    let mut end = last.into_vec();
    end.push(0);
    batch.delete_range_cf(journal, &first[..], &end[..]);
    let mut sync = WriteOptions::default();
    sync.set_sync(true);
    db.write_opt(std::mem::take(batch), &sync)
        .map_err(|source| StateError::Write { source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{
        AggregateKind, AggregateSpec, AggregateUpdate, AuditEntry, Begin, Contribution,
        OpenOptions, StateStore, SyncPolicy,
    };

    const T0: i64 = 1_700_000_000_000;

    fn options() -> OpenOptions {
        OpenOptions {
            sync: SyncPolicy::None,
            checkpoint_interval: Duration::from_secs(3600),
            expiry_clock: Arc::new(|| 0),
            ..OpenOptions::default()
        }
    }

    fn commit(store: &StateStore, spec: &AggregateSpec, txn_id: &str, amount: u64) {
        let Ok(Begin::New(mut reservation)) = store.begin(txn_id) else {
            panic!("{txn_id} is new");
        };
        let update = AggregateUpdate {
            spec,
            key: b"acct",
            contribution: Contribution::Amount(amount),
        };
        reservation.apply(&[update], T0).expect("apply");
        let entry = AuditEntry {
            screened_at_ms: T0,
            decision: crate::state::Decision::Allow,
            list_version: "lists-1".to_owned(),
            rule_version: "rules-1".to_owned(),
            request_digest: vec![0; 32],
            verdict: b"v".to_vec(),
        };
        let commit = reservation.commit(entry).expect("queued");
        commit.wait_blocking().expect("durable");
    }

    fn journal_records(store: &StateStore) -> usize {
        let db = &store.shared().db;
        let journal = handle(db, CF_JOURNAL).expect("journal family");
        db.iterator_cf(journal, IteratorMode::Start).count()
    }

    #[test]
    fn unclean_stop_replays_journal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = AggregateSpec::new("sum_1h", AggregateKind::Sum, Duration::from_secs(3600))
            .expect("valid spec");
        let store = StateStore::open(dir.path().join("live"), options()).expect("open");
        commit(&store, &spec, "a", 1);
        commit(&store, &spec, "b", 10);
        store
            .checkpoint()
            .expect("queued")
            .wait_blocking()
            .expect("checkpoint");
        commit(&store, &spec, "c", 100);
        commit(&store, &spec, "d", 1000);
        assert_eq!(journal_records(&store), 2, "c and d wait for a checkpoint");

        // A copy of the files as they are now is what a crash leaves: the
        // final checkpoint never ran.
        let copy = dir.path().join("copy");
        rocksdb::checkpoint::Checkpoint::new(&store.shared().db)
            .expect("checkpoint object")
            .create_checkpoint(&copy)
            .expect("copy the store");
        let reopened = StateStore::open(&copy, options()).expect("open the copy");
        assert_eq!(journal_records(&reopened), 0, "opening merged the journal");
        let value = reopened.value(&spec, b"acct", T0).expect("read");
        assert_eq!(value.value, 1111);
        drop(reopened);
        let reopened = StateStore::open(&copy, options()).expect("open again");
        let value = reopened.value(&spec, b"acct", T0).expect("read");
        assert_eq!(value.value, 1111, "a second open merges nothing twice");

        // The live store merges at close instead.
        drop(store);
        let store = StateStore::open(dir.path().join("live"), options()).expect("reopen");
        assert_eq!(journal_records(&store), 0);
        assert_eq!(store.value(&spec, b"acct", T0).expect("read").value, 1111);
    }

    #[test]
    fn record_round_trips() {
        let mut record = Vec::new();
        append_delta(&mut record, b"series-a\0\0\0\0\0\0\0\x01", b"\x01delta");
        append_delta(&mut record, b"", b"");
        append_delta(&mut record, b"series-b", &[7; 300]);
        let decoded = decode_record(&record).expect("our own record decodes");
        assert_eq!(
            decoded,
            [
                (&b"series-a\0\0\0\0\0\0\0\x01"[..], &b"\x01delta"[..]),
                (&b""[..], &b""[..]),
                (&b"series-b"[..], &[7u8; 300][..]),
            ]
        );
    }

    #[test]
    fn truncated_record_rejected() {
        let mut record = Vec::new();
        append_delta(&mut record, b"series", b"delta");
        for cut in 0..record.len() {
            let error = decode_record(&record[..cut]).expect_err("a cut record fails");
            assert!(
                error.contains("length")
                    || error.contains("past the record's end")
                    || error == "record is empty",
                "cut at {cut}: {error}"
            );
        }
    }

    #[test]
    fn oversized_length_rejected() {
        let mut record = u32::MAX.to_le_bytes().to_vec();
        record.extend_from_slice(b"key");
        let error = decode_record(&record).expect_err("length beyond the record");
        assert!(error.contains("4294967295 bytes"), "{error}");
    }
}
