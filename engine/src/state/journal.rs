//! The aggregate journal: how aggregate deltas reach the `aggregates`
//! column family without one memtable insert per transaction and series.
//!
//! Each group write puts one `journal` record, keyed by the group's
//! sequence number, that contains every aggregate delta of the group. It is
//! in the same atomic batch as the group's audit records, so a commit is
//! durable exactly as before. The writer thread also sums the deltas per
//! bucket in memory. A checkpoint seals those sums, and a helper thread
//! encodes and sorts them while the writer goes on writing groups. The
//! writer then writes one merge operand per bucket, in key order, a chunk
//! of [`CHUNK`] buckets between one group write and the next, so commits
//! wait for one chunk at a time.
//! Each chunk but the last also stores a progress marker in `meta` (the
//! journal records covered and the last bucket merged). The last chunk
//! deletes those journal records and the marker. Opening a store merges
//! whatever journal records a crash left behind, skipping the deltas the
//! marker records as merged, before anything reads an aggregate.
//!
//! A checkpoint begins when [`OpenOptions::checkpoint_interval`] has passed
//! since the last one began, when the sums reach [`MAX_SUMS`] buckets, on
//! request, and when the store closes. A hot account then costs one
//! memtable insert per bucket per checkpoint instead of one per
//! transaction, and the memtable flushes have fewer merge operands to
//! combine.
//!
//! Reads stay consistent because a series keeps its written deltas in
//! memory until a finished checkpoint has merged them. The cache neither
//! evicts nor prunes it until then, so a series missing from the cache has
//! all its deltas in the `aggregates` family.
//!
//! [`OpenOptions::checkpoint_interval`]: super::OpenOptions::checkpoint_interval

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use rocksdb::{IteratorMode, WriteBatch, WriteOptions, DB};
use tracing::{debug, error, info};

use super::bucket::BucketValue;
use super::error::StateError;
use super::rocks::{handle, CF_AGGREGATES, CF_JOURNAL, CF_META};
use super::series::SeriesCell;

/// Summed buckets at which a checkpoint runs before its interval is up, to
/// bound the writer's memory. At an estimated 150 bytes each, that is
/// about 40 MiB.
pub(crate) const MAX_SUMS: usize = 1 << 18;

/// Journal records merged per batch when a store opens.
const REPLAY_BATCH: usize = 1024;

/// Summed buckets a checkpoint writes per batch. The writer writes one
/// chunk between group writes, so a checkpoint holds up commits for one
/// chunk's write at a time rather than for all of it. At 25,000
/// transactions a second a chunk of 2,048 took about 2 ms to write.
const CHUNK: usize = 512;

/// How long the writer waits for a request, at most, while a checkpoint's
/// sums are being sorted, before it looks whether the sort has finished.
const PREPARE_POLL: Duration = Duration::from_millis(1);

/// Sealed sums and the deltas kept apart, as handed to the helper thread.
type Sealed = (Sums, Vec<(Box<[u8]>, Vec<u8>)>);

/// Summed deltas by bucket key.
type Sums = HashMap<Box<[u8]>, BucketValue, RandomState>;

/// Encoded sums sorted by key, and the emptied map for the next sums.
type Prepared = (Vec<(Box<[u8]>, Vec<u8>)>, Sums);

/// The key in `meta` of the progress marker of a checkpoint written in
/// part.
const PROGRESS_KEY: &[u8] = b"checkpoint_progress";

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
    /// Summed deltas by bucket key, of the records from `first_open` on.
    sums: Sums,
    /// An emptied map with its capacity, back from the helper thread, to
    /// take the sums after the next checkpoint begins.
    spare: Option<Sums>,
    /// Deltas whose kind differs from the sum already under their key. The
    /// merge operator rejects such a pair too, so they are kept apart for it
    /// to report the key, rather than this thread dropping a delta.
    apart: Vec<(Box<[u8]>, Vec<u8>)>,
    /// The first journal key that no checkpoint covers yet.
    first_open: Option<u64>,
    /// The key of the next journal record.
    next_key: u64,
    /// One cell per delta since the last checkpoint began. Each is released,
    /// and so made evictable, once that delta is merged.
    unmerged_cells: Vec<Arc<SeriesCell>>,
    /// The checkpoint whose sums the helper thread is sorting.
    preparing: Option<Preparing>,
    /// The checkpoint being written, chunk by chunk.
    running: Option<Checkpoint>,
    /// The thread that encodes and sorts sums, started with the first
    /// checkpoint; `None` until then, or when it could not start.
    helper: Option<Helper>,
    last_checkpoint: Instant,
    interval: Duration,
}

/// The outcome of one [`Journal::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing awaited a checkpoint.
    Idle,
    /// A checkpoint's sums are still being sorted; nothing was written.
    Preparing,
    /// Wrote a chunk; the checkpoint goes on.
    Chunk,
    /// Wrote the last chunk of a checkpoint.
    Finished,
}

/// A checkpoint under way: the sums of journal records `first..end`,
/// written in key order a chunk at a time between group writes.
struct Checkpoint {
    /// Journal records covered, or `None` when only cells await release.
    range: Option<(u64, u64)>,
    /// Encoded sums sorted by key, so equal keys are adjacent.
    entries: Vec<(Box<[u8]>, Vec<u8>)>,
    /// Entries before this one are written.
    written: usize,
    cells: Vec<Arc<SeriesCell>>,
    started: Instant,
    chunks: u32,
}

/// A checkpoint whose sums the helper thread is encoding and sorting.
struct Preparing {
    range: Option<(u64, u64)>,
    cells: Vec<Arc<SeriesCell>>,
    started: Instant,
}

/// The helper thread that encodes and sorts a checkpoint's sums, so that
/// the writer does not hold up commits for it (tens of milliseconds for
/// some 50,000 buckets). It takes one job at a time and returns the
/// results in order.
struct Helper {
    jobs: Option<Sender<Sealed>>,
    results: Receiver<Prepared>,
    thread: Option<JoinHandle<()>>,
}

impl Helper {
    fn start() -> std::io::Result<Helper> {
        let (jobs, job_receiver) = mpsc::channel::<Sealed>();
        let (result_sender, results) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("state-checkpoint".to_owned())
            .spawn(move || {
                for (sums, apart) in job_receiver {
                    if result_sender.send(prepare(sums, apart)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Helper {
            jobs: Some(jobs),
            results,
            thread: Some(thread),
        })
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                error!("state checkpoint thread panicked");
            }
        }
    }
}

/// Encodes the sums and sorts them, with the deltas kept apart, by key.
/// In key order, consecutive memtable inserts share most of their skip
/// list search, and a chunk boundary is one key.
fn prepare(mut sums: Sums, apart: Vec<(Box<[u8]>, Vec<u8>)>) -> Prepared {
    let mut entries: Vec<(Box<[u8]>, Vec<u8>)> = sums
        .drain()
        .map(|(key, sum)| (key, sum.encode()))
        .chain(apart)
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    (entries, sums)
}

impl Journal {
    pub(crate) fn new(interval: Duration) -> Self {
        Journal {
            sums: HashMap::with_hasher(RandomState::default()),
            spare: None,
            apart: Vec::new(),
            first_open: None,
            next_key: 0,
            unmerged_cells: Vec::new(),
            preparing: None,
            running: None,
            helper: None,
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

    /// Keeps a series with a written delta until a checkpoint merges it.
    pub(crate) fn hold(&mut self, cell: Arc<SeriesCell>) {
        self.unmerged_cells.push(cell);
    }

    /// Returns whether deltas await a checkpoint that has not begun.
    fn is_open(&self) -> bool {
        self.first_open.is_some() || !self.unmerged_cells.is_empty()
    }

    /// Returns whether [`step`](Self::step) has work: a checkpoint is under
    /// way, or one is due.
    pub(crate) fn due(&self) -> bool {
        self.running.is_some()
            || self.preparing.is_some()
            || (self.is_open()
                && (self.sums.len() >= MAX_SUMS || self.last_checkpoint.elapsed() >= self.interval))
    }

    /// Returns how long the writer may wait before [`due`](Self::due), or
    /// `None` when nothing awaits a checkpoint.
    pub(crate) fn wait_limit(&self) -> Option<Duration> {
        if self.running.is_some() {
            return Some(Duration::ZERO);
        }
        if self.preparing.is_some() {
            return Some(PREPARE_POLL);
        }
        self.is_open()
            .then(|| self.interval.saturating_sub(self.last_checkpoint.elapsed()))
    }

    /// Writes the next chunk of the running checkpoint, beginning one when
    /// none runs and deltas await one. A checkpoint begins by handing its
    /// sums to the helper thread. Until the sorted sums are back, this
    /// returns [`Step::Preparing`], or with `wait` waits for them.
    ///
    /// No batch is synced. A crash before a later sync leaves the journal
    /// records and the progress marker as of the last chunk written, and
    /// the next open merges the rest.
    pub(crate) fn step(
        &mut self,
        db: &DB,
        failure: &std::sync::OnceLock<String>,
        wait: bool,
    ) -> Result<Step, StateError> {
        if self.running.is_none() {
            if self.preparing.is_none() {
                if !self.is_open() {
                    return Ok(Step::Idle);
                }
                self.begin();
            }
            if self.preparing.is_some() && !self.collect(wait, failure)? {
                return Ok(Step::Preparing);
            }
        }
        let Some(running) = self.running.as_mut() else {
            return Ok(Step::Idle);
        };
        if let Err(error) = write_chunk(db, failure, running) {
            // The store now rejects every write, so the checkpoint is
            // dropped rather than retried without pause. Its series stay
            // pinned in memory with their deltas, and the next open merges
            // the journal.
            self.running = None;
            return Err(error);
        }
        if running.written < running.entries.len() {
            return Ok(Step::Chunk);
        }
        if let Some(done) = self.running.take() {
            debug!(
                buckets = done.entries.len(),
                series_deltas = done.cells.len(),
                chunks = done.chunks,
                micros = done.started.elapsed().as_micros() as u64,
                "aggregate checkpoint written"
            );
            for cell in done.cells {
                cell.checkpointed();
            }
        }
        Ok(Step::Finished)
    }

    /// Seals the open sums and hands them to the helper thread, or sorts
    /// them here when the thread cannot run.
    fn begin(&mut self) {
        self.last_checkpoint = Instant::now();
        let next = self
            .spare
            .take()
            .unwrap_or_else(|| HashMap::with_hasher(RandomState::default()));
        let sealed = (
            std::mem::replace(&mut self.sums, next),
            std::mem::take(&mut self.apart),
        );
        let preparing = Preparing {
            range: self.first_open.take().map(|first| (first, self.next_key)),
            cells: std::mem::take(&mut self.unmerged_cells),
            started: Instant::now(),
        };
        if self.helper.is_none() {
            match Helper::start() {
                Ok(helper) => self.helper = Some(helper),
                Err(source) => {
                    error!(error = %source, "could not start the state checkpoint thread; sorting in the writer");
                }
            }
        }
        let sent = match self.helper.as_ref().and_then(|helper| helper.jobs.as_ref()) {
            Some(jobs) => jobs.send(sealed).map_err(|returned| returned.0),
            None => Err(sealed),
        };
        match sent {
            Ok(()) => self.preparing = Some(preparing),
            Err((sums, apart)) => {
                // No helper thread: sort here, as the checkpoint's first step.
                let (entries, spare) = prepare(sums, apart);
                self.spare = Some(spare);
                self.running = Some(Checkpoint::new(preparing, entries));
            }
        }
    }

    /// Takes the sorted sums of the preparing checkpoint from the helper
    /// thread, waiting for them with `wait`. Returns whether the checkpoint
    /// now runs. Fails, and fails the store, when the thread is gone.
    fn collect(
        &mut self,
        wait: bool,
        failure: &std::sync::OnceLock<String>,
    ) -> Result<bool, StateError> {
        let Some(helper) = self.helper.as_ref() else {
            return Ok(false);
        };
        let received = if wait {
            helper
                .results
                .recv()
                .map_err(|_| TryRecvError::Disconnected)
        } else {
            helper.results.try_recv()
        };
        let (entries, spare) = match received {
            Ok(prepared) => prepared,
            Err(TryRecvError::Empty) => return Ok(false),
            Err(TryRecvError::Disconnected) => {
                // The sums went with the thread. The journal records stay for
                // the next open to merge, and the series stay pinned.
                self.preparing = None;
                let reason = "the state checkpoint thread stopped; restart the server to merge \
                              the aggregate journal"
                    .to_owned();
                error!("{reason}");
                let _ = failure.set(reason.clone());
                return Err(StateError::Failed { reason });
            }
        };
        self.spare = Some(spare);
        if let Some(preparing) = self.preparing.take() {
            self.running = Some(Checkpoint::new(preparing, entries));
        }
        Ok(true)
    }
}

impl Checkpoint {
    fn new(preparing: Preparing, entries: Vec<(Box<[u8]>, Vec<u8>)>) -> Self {
        Checkpoint {
            range: preparing.range,
            entries,
            written: 0,
            cells: preparing.cells,
            started: preparing.started,
            chunks: 0,
        }
    }
}

/// Writes the next chunk of `running` as one batch. A chunk ends after a
/// run of equal keys. Every chunk but the last records in the progress
/// marker how far the checkpoint got. The last deletes the journal records
/// the checkpoint covers, and the marker.
fn write_chunk(
    db: &DB,
    failure: &std::sync::OnceLock<String>,
    running: &mut Checkpoint,
) -> Result<(), StateError> {
    if let Some(reason) = failure.get() {
        return Err(StateError::Failed {
            reason: reason.clone(),
        });
    }
    let aggregates = handle(db, CF_AGGREGATES)?;
    let journal = handle(db, CF_JOURNAL)?;
    let meta = handle(db, CF_META)?;

    let entries = &running.entries;
    let mut chunk_end = (running.written + CHUNK).min(entries.len());
    while chunk_end < entries.len()
        && chunk_end > 0
        && entries[chunk_end].0 == entries[chunk_end - 1].0
    {
        chunk_end += 1;
    }
    let mut batch = WriteBatch::default();
    for (key, value) in &entries[running.written..chunk_end] {
        batch.merge_cf(aggregates, key, value);
    }
    match running.range {
        Some((first, end)) if chunk_end < entries.len() => {
            let marker = encode_progress(first, end, &entries[chunk_end - 1].0);
            batch.put_cf(meta, PROGRESS_KEY, marker);
        }
        Some((first, end)) => {
            batch.delete_range_cf(journal, first.to_be_bytes(), end.to_be_bytes());
            batch.delete_cf(meta, PROGRESS_KEY);
        }
        None => {}
    }

    db.write_opt(batch, &WriteOptions::default())
        .map_err(|source| {
            error!(error = %source, "state checkpoint failed; rejecting further writes");
            let _ = failure.set(source.to_string());
            StateError::Write { source }
        })?;
    running.written = chunk_end;
    running.chunks += 1;
    Ok(())
}

/// The progress marker of a checkpoint written in part: its journal
/// records `first..end`, and the last bucket key merged.
struct Progress {
    first: u64,
    end: u64,
    merged_through: Box<[u8]>,
}

fn encode_progress(first: u64, end: u64, merged_through: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + merged_through.len());
    out.extend_from_slice(&first.to_be_bytes());
    out.extend_from_slice(&end.to_be_bytes());
    out.extend_from_slice(merged_through);
    out
}

fn read_progress(db: &DB) -> Result<Option<Progress>, StateError> {
    let meta = handle(db, CF_META)?;
    let Some(value) = db
        .get_cf(meta, PROGRESS_KEY)
        .map_err(|source| StateError::Read {
            cf: CF_META,
            source,
        })?
    else {
        return Ok(None);
    };
    let too_short = || {
        StateError::corrupt(
            CF_META,
            PROGRESS_KEY,
            format!(
                "checkpoint progress marker has {} bytes, fewer than 16; restore the state \
                 directory from a backup or start with an empty one",
                value.len()
            ),
        )
    };
    let (first, rest) = value.split_first_chunk::<8>().ok_or_else(too_short)?;
    let (end, merged_through) = rest.split_first_chunk::<8>().ok_or_else(too_short)?;
    Ok(Some(Progress {
        first: u64::from_be_bytes(*first),
        end: u64::from_be_bytes(*end),
        merged_through: merged_through.into(),
    }))
}

/// Merges every journal record into the `aggregates` family and deletes
/// it, in synced batches. Run when a store opens, before the writer starts
/// and before any read: records are left only by a stop without the final
/// checkpoint. Deltas that a checkpoint written in part already merged,
/// as its progress marker records, are skipped. Returns the number of records
/// merged.
pub(crate) fn replay(db: &DB) -> Result<u64, StateError> {
    let aggregates = handle(db, CF_AGGREGATES)?;
    let journal = handle(db, CF_JOURNAL)?;
    let progress = read_progress(db)?;
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
        let number = <[u8; 8]>::try_from(&key[..])
            .map(u64::from_be_bytes)
            .map_err(|_| corrupt(format!("key has {} bytes, expected 8", key.len())))?;
        // Buckets up to this key are merged for records the marker covers.
        let merged_through = progress
            .as_ref()
            .filter(|marker| (marker.first..marker.end).contains(&number))
            .map(|marker| &marker.merged_through[..]);
        for (bucket, delta) in decode_record(&record).map_err(corrupt)? {
            BucketValue::decode(delta)
                .map_err(|reason| corrupt(format!("invalid delta: {reason}")))?;
            if merged_through.is_some_and(|through| bucket <= through) {
                continue;
            }
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

    if progress.is_some() {
        // Deleted last, so a stop during the replay leaves it for the next.
        batch.delete_cf(handle(db, CF_META)?, PROGRESS_KEY);
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
    if let Some((first, last)) = range {
        // The end bound is exclusive: the last key with a zero byte
        // appended is the next key after it.
        let mut end = last.into_vec();
        end.push(0);
        batch.delete_range_cf(journal, &first[..], &end[..]);
    }
    if batch.is_empty() {
        return Ok(());
    }
    let mut sync = WriteOptions::default();
    sync.set_sync(true);
    db.write_opt(std::mem::take(batch), &sync)
        .map_err(|source| StateError::Write { source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::keys::{bucket_key, series_key};
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
    fn partial_checkpoint_replays_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, spec, names, keys) = count_fixture(dir.path(), CHUNK * 2 + 100);
        let db = &store.shared().db;

        // A journal of its own, beside the store's idle one: two records
        // that each count every key once, so every sum is 2.
        let mut journal = Journal::new(Duration::from_secs(3600));
        let failure = std::sync::OnceLock::new();
        for _ in 0..2 {
            journal_group(db, &mut journal, &keys);
        }
        assert_eq!(
            journal.step(db, &failure, true).expect("first chunk"),
            Step::Chunk
        );
        assert!(read_progress(db).expect("read marker").is_some());

        // What a crash after the first chunk leaves.
        let copy = dir.path().join("copy");
        rocksdb::checkpoint::Checkpoint::new(db)
            .expect("checkpoint object")
            .create_checkpoint(&copy)
            .expect("copy the store");
        let reopened = StateStore::open(&copy, options()).expect("open the copy");
        let samples = [0, CHUNK - 1, CHUNK, CHUNK + 1, names.len() - 1];
        for name in samples.map(|i| &names[i]) {
            let value = reopened.value(&spec, name.as_bytes(), T0).expect("read");
            assert_eq!(value.value, 2, "{name} in the copy");
        }
        assert_eq!(journal_records(&reopened), 0);
        assert!(read_progress(&reopened.shared().db)
            .expect("read")
            .is_none());

        // The live journal finishes in the same number of steps as chunks.
        assert_eq!(
            journal.step(db, &failure, true).expect("second chunk"),
            Step::Chunk
        );
        assert_eq!(
            journal.step(db, &failure, true).expect("last chunk"),
            Step::Finished
        );
        assert_eq!(
            journal.step(db, &failure, true).expect("nothing left"),
            Step::Idle
        );
        assert!(read_progress(db).expect("read marker").is_none());
        assert_eq!(journal_records(&store), 0);
        for name in samples.map(|i| &names[i]) {
            let value = store.value(&spec, name.as_bytes(), T0).expect("read");
            assert_eq!(value.value, 2, "{name} in the live store");
        }
    }

    /// Opens a store under `dir` and returns it with a one-hour count and
    /// the names and bucket keys of `count` series of it, k0 and up.
    fn count_fixture(
        dir: &std::path::Path,
        count: usize,
    ) -> (StateStore, AggregateSpec, Vec<String>, Vec<Vec<u8>>) {
        let spec = AggregateSpec::new("count_1h", AggregateKind::Count, Duration::from_secs(3600))
            .expect("valid spec");
        let store = StateStore::open(dir.join("live"), options()).expect("open");
        // The journals of these tests write series the cache never contained,
        // which in a running store only an earlier process leaves.
        store.shared().cache.stored().mark_incomplete();
        let bucket = spec.bucket_index(T0);
        let names: Vec<String> = (0..count).map(|i| format!("k{i}")).collect();
        let keys: Vec<Vec<u8>> = names
            .iter()
            .map(|name| bucket_key(&series_key(spec.prefix(), name.as_bytes()), bucket))
            .collect();
        (store, spec, names, keys)
    }

    /// Writes a journal record that counts each key once, as a group write
    /// does, and adds it to the journal's sums.
    fn journal_group(db: &DB, journal: &mut Journal, keys: &[Vec<u8>]) {
        let single_count = BucketValue::Count(1).encode();
        let mut record = Vec::new();
        let mut deltas = Vec::new();
        for key in keys {
            append_delta(&mut record, key, &single_count);
            deltas.push((&key[..], BucketValue::Count(1)));
        }
        let number = journal.take_key();
        let family = handle(db, CF_JOURNAL).expect("journal family");
        db.put_cf(family, number.to_be_bytes(), &record)
            .expect("write the record");
        journal.add(deltas);
    }

    #[test]
    fn late_deltas_wait_for_next_checkpoint() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, spec, names, keys) = count_fixture(dir.path(), CHUNK * 3);
        let db = &store.shared().db;
        let mut journal = Journal::new(Duration::from_secs(3600));
        let failure = std::sync::OnceLock::new();

        // The first checkpoint seals one record; a second record arrives
        // while its sums are sorted, between steps that do not wait.
        journal_group(db, &mut journal, &keys);
        let mut steps = Vec::new();
        loop {
            let step = journal.step(db, &failure, false).expect("step");
            if steps.is_empty() {
                journal_group(db, &mut journal, &keys);
            }
            steps.push(step);
            if step == Step::Finished {
                break;
            }
            if step == Step::Preparing {
                std::thread::sleep(Duration::from_millis(1));
            }
            assert!(steps.len() < 10_000, "the checkpoint never finished");
        }
        let chunks = steps
            .iter()
            .filter(|step| **step != Step::Preparing)
            .count();
        assert_eq!(chunks, 3, "{steps:?}");
        for name in [&names[0], &names[names.len() - 1]] {
            let value = store.value(&spec, name.as_bytes(), T0).expect("read");
            assert_eq!(value.value, 1, "{name} after the first checkpoint");
        }
        assert_eq!(journal_records(&store), 1, "the second record stays");
        assert!(journal.due() || journal.wait_limit().is_some());

        // The second checkpoint, waited for, merges the second record.
        let mut second = Vec::new();
        loop {
            let step = journal.step(db, &failure, true).expect("step");
            second.push(step);
            if step == Step::Idle {
                break;
            }
        }
        assert!(!second.contains(&Step::Preparing), "{second:?}");
        assert_eq!(second.last(), Some(&Step::Idle));
        assert_eq!(journal_records(&store), 0);
        // Keys not read before: the store caches a series once read.
        for name in [&names[1], &names[CHUNK], &names[names.len() - 2]] {
            let value = store.value(&spec, name.as_bytes(), T0).expect("read");
            assert_eq!(value.value, 2, "{name} after the second checkpoint");
        }
    }

    #[test]
    fn failed_checkpoint_is_not_retried() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = StateStore::open(dir.path(), options()).expect("open");
        let db = &store.shared().db;
        let mut journal = Journal::new(Duration::from_secs(3600));
        let key = journal.take_key();
        let mut record = Vec::new();
        append_delta(
            &mut record,
            b"series\0\0\0\0\0\0\0\x01",
            &BucketValue::Count(1).encode(),
        );
        db.put_cf(
            handle(db, CF_JOURNAL).expect("family"),
            key.to_be_bytes(),
            &record,
        )
        .expect("write the record");
        journal.add(vec![(b"series\0\0\0\0\0\0\0\x01", BucketValue::Count(1))]);

        let failure = std::sync::OnceLock::new();
        failure.set("disk full".to_owned()).expect("first failure");
        let error = journal
            .step(db, &failure, true)
            .expect_err("a failed store writes nothing");
        assert!(error.to_string().contains("disk full"), "{error}");
        assert_eq!(
            journal.step(db, &failure, true).expect("no retry"),
            Step::Idle
        );
        assert!(!journal.due(), "a failed checkpoint is not due again");
        assert_eq!(
            journal.wait_limit(),
            None,
            "the writer may wait without limit"
        );
        assert_eq!(
            journal_records(&store),
            1,
            "the record stays for the next open"
        );
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
