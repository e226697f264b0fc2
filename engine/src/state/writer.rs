//! Group commit: one thread writes every commit to RocksDB, merging the
//! commits that wait into one write batch and one WAL sync.
//!
//! The thread takes a request from the channel, then every request already
//! waiting (up to `max_group`), writes them all as one `WriteBatch`, syncs
//! as the [`SyncPolicy`] requires, and only then completes each request. A
//! batch is atomic, so each transaction's aggregate updates and audit
//! record are written all together or not at all.
//!
//! Aggregate updates go into the group's journal record rather than into
//! the `aggregates` family. The writer merges them there, summed per
//! bucket, at each checkpoint (`journal.rs`).
//!
//! Under [`SyncPolicy::EveryBatch`] the fsync runs on a second thread, so
//! the writer can write checkpoint chunks while a group syncs. The WAL is
//! one sequential file, so one fsync covers every group written before it.
//! The sync thread takes all groups waiting, syncs once, and completes
//! them in order. A group is visible to RocksDB reads before its fsync
//! ends, but its transaction ids stay in the in-flight map until then, so
//! no caller acts on it early.
//!
//! While the sync thread syncs, the writer leaves new requests in the
//! channel (see [`SyncGate`]). They could not be acknowledged before the
//! next fsync anyway. Taken together when the sync ends, they make one
//! large group rather than many small ones. Each group costs a RocksDB
//! write, and a wake of the writer by the request that found it idle.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rocksdb::{WriteBatch, WriteOptions};
use tokio::sync::oneshot;
use tracing::{error, info, warn};

use super::audit::AuditRecord;
use super::bucket::BucketValue;
use super::error::StateError;
use super::journal::{append_delta, Journal, Step};
use super::options::SyncPolicy;
use super::rocks::{handle, CF_AGGREGATES, CF_JOURNAL, COLUMN_FAMILIES};
use super::series::Applied;
use super::store::Shared;
use super::stored::run_scan;

/// The kind of a RocksDB operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    Put,
    Merge,
    Delete,
}

/// One RocksDB operation of a commit, borrowed from its [`Ops`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Op<'a> {
    pub kind: OpKind,
    pub cf: &'static str,
    pub key: &'a [u8],
    pub value: &'a [u8],
}

/// The RocksDB operations of one commit. Every key and value is in one
/// buffer, so a commit allocates the same few times whatever it writes,
/// and the thread that completes it frees them together.
#[derive(Default)]
pub(crate) struct Ops {
    bytes: Vec<u8>,
    entries: Vec<OpEntry>,
}

/// An operation in [`Ops::bytes`]: its key is `start..key_end` and its value
/// `key_end..end`.
struct OpEntry {
    kind: OpKind,
    cf: &'static str,
    start: usize,
    key_end: usize,
    end: usize,
}

impl Ops {
    /// Appends an operation whose key and value the closures write.
    pub(crate) fn push_with(
        &mut self,
        kind: OpKind,
        cf: &'static str,
        key: impl FnOnce(&mut Vec<u8>),
        value: impl FnOnce(&mut Vec<u8>),
    ) {
        let start = self.bytes.len();
        key(&mut self.bytes);
        let key_end = self.bytes.len();
        value(&mut self.bytes);
        self.entries.push(OpEntry {
            kind,
            cf,
            start,
            key_end,
            end: self.bytes.len(),
        });
    }

    pub(crate) fn put(&mut self, cf: &'static str, key: &[u8], value: &[u8]) {
        self.push_with(
            OpKind::Put,
            cf,
            |out| out.extend_from_slice(key),
            |out| out.extend_from_slice(value),
        );
    }

    pub(crate) fn delete(&mut self, cf: &'static str, key: &[u8]) {
        self.push_with(OpKind::Delete, cf, |out| out.extend_from_slice(key), |_| {});
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the operations in the order they were added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Op<'_>> {
        self.entries.iter().map(|entry| Op {
            kind: entry.kind,
            cf: entry.cf,
            key: &self.bytes[entry.start..entry.key_end],
            value: &self.bytes[entry.key_end..entry.end],
        })
    }
}

/// Bytes of a RocksDB write batch's header: sequence number and count.
const BATCH_HEADER: usize = 12;
/// Bytes a batch record adds to its key and value, at most: a type tag, a
/// column family id and two length prefixes, each a varint of up to 5 bytes.
const BATCH_RECORD_OVERHEAD: usize = 16;

/// A commit waiting for the writer thread.
pub(crate) struct WriteRequest {
    pub ops: Ops,
    /// The transaction's record: its id is released from the in-flight map
    /// after the write, and callers waiting on that id receive the record.
    pub txn: Option<Arc<AuditRecord>>,
    /// The deltas this commit applied to series, in flight until written.
    pub touched: Vec<Applied>,
    /// Run a checkpoint once this group is written, before acknowledging.
    pub checkpoint: bool,
    pub ack: oneshot::Sender<Result<(), StateError>>,
}

/// Counters of the writer thread, for metrics and benches.
#[derive(Default)]
pub(crate) struct WriterCounters {
    pub groups: AtomicU64,
    pub commits: AtomicU64,
    pub syncs: AtomicU64,
    pub checkpoints: AtomicU64,
}

/// A thread fed by one channel. Dropping it closes the channel; the thread
/// handles what is queued and exits, and drop waits for that.
struct Worker<T> {
    /// Cloned by nothing: work goes through this one sender, so dropping it
    /// is what stops the thread.
    sender: Option<Sender<T>>,
    thread: Option<JoinHandle<()>>,
    name: &'static str,
}

impl<T: Send + 'static> Worker<T> {
    fn start(
        name: &'static str,
        body: impl FnOnce(Receiver<T>) + Send + 'static,
    ) -> std::io::Result<Worker<T>> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || body(receiver))?;
        Ok(Worker {
            sender: Some(sender),
            thread: Some(thread),
            name,
        })
    }

    /// Queues `item`; returns it when the thread is gone.
    fn send(&self, item: T) -> Result<(), T> {
        match &self.sender {
            Some(sender) => sender.send(item).map_err(|error| error.0),
            None => Err(item),
        }
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                error!(thread = self.name, "state thread panicked");
            }
        }
    }
}

/// The writer thread, and the scan of stored series while it runs.
/// Dropping it stops the scan and writes and syncs what is queued first.
pub(crate) struct Writer {
    /// Held to be dropped first, so a scan still running stops before the
    /// writer does.
    _scan: Option<Worker<()>>,
    worker: Worker<WriteRequest>,
}

impl Writer {
    pub(crate) fn start(
        shared: Arc<Shared>,
        policy: SyncPolicy,
        max_group: usize,
        checkpoint_interval: Duration,
    ) -> Result<Writer, StateError> {
        let dir = shared.dir.clone();
        let scan = start_scan(&shared);
        let worker = Worker::start("state-writer", move |receiver| {
            let mut journal = Journal::new(checkpoint_interval);
            run(&shared, &receiver, policy, max_group.max(1), &mut journal)
        })
        .map_err(|source| StateError::Io {
            dir,
            action: "start the writer thread for",
            source,
        })?;
        Ok(Writer {
            _scan: scan,
            worker,
        })
    }

    /// Queues a request. On failure returns it so the caller can undo it.
    pub(crate) fn send(&self, request: WriteRequest) -> Result<(), WriteRequest> {
        self.worker.send(request)
    }
}

/// Starts the scan of the series stored in RocksDB, unless the filter of
/// stored series is complete already. Without the thread the filter stays
/// incomplete, which costs reads and nothing else.
fn start_scan(shared: &Arc<Shared>) -> Option<Worker<()>> {
    if shared.cache.stored().is_complete() {
        return None;
    }
    let scanned = Arc::clone(shared);
    match Worker::start("state-scan", move |stop| {
        run_scan(&scanned.db, scanned.cache.stored(), &stop);
    }) {
        Ok(worker) => Some(worker),
        Err(error) => {
            warn!(%error, "could not start the scan of stored aggregate series; every series new to the cache is read from disk");
            None
        }
    }
}

/// A commit in progress. It resolves once the commit is in the WAL and
/// synced as the sync policy requires. Dropping it does not cancel the commit.
#[must_use = "a commit is acknowledged only when this resolves"]
pub struct CommitHandle {
    receiver: oneshot::Receiver<Result<(), StateError>>,
}

impl CommitHandle {
    pub(crate) fn new(receiver: oneshot::Receiver<Result<(), StateError>>) -> Self {
        CommitHandle { receiver }
    }

    /// Blocks the thread until the commit is durable. Panics if called from
    /// inside an async runtime; await the handle there instead.
    pub fn wait_blocking(self) -> Result<(), StateError> {
        self.receiver
            .blocking_recv()
            .unwrap_or(Err(StateError::Closed))
    }
}

impl Future for CommitHandle {
    type Output = Result<(), StateError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.receiver)
            .poll(cx)
            .map(|result| result.unwrap_or(Err(StateError::Closed)))
    }
}

/// Tracks when the WAL was last fsynced under the interval policy.
struct SyncClock {
    policy: SyncPolicy,
    last_sync: Instant,
    unsynced: bool,
}

impl SyncClock {
    /// Returns how long to wait for the next request before an interval sync
    /// is due.
    fn wait_limit(&self) -> Option<Duration> {
        match self.policy {
            SyncPolicy::Interval(every) if self.unsynced => {
                Some(every.saturating_sub(self.last_sync.elapsed()))
            }
            _ => None,
        }
    }

    fn sync_due(&self) -> bool {
        matches!(self.policy, SyncPolicy::Interval(every)
            if self.unsynced && self.last_sync.elapsed() >= every)
    }
}

fn run(
    shared: &Arc<Shared>,
    receiver: &Receiver<WriteRequest>,
    policy: SyncPolicy,
    max_group: usize,
    journal: &mut Journal,
) {
    let gate = Arc::new(SyncGate::default());
    let syncer = match policy {
        SyncPolicy::EveryBatch => match start_syncer(Arc::clone(shared), Arc::clone(&gate)) {
            Ok(syncer) => Some(syncer),
            Err(source) => {
                error!(error = %source, "could not start the state sync thread; syncing in the writer");
                None
            }
        },
        _ => None,
    };
    let mut clock = SyncClock {
        policy,
        last_sync: Instant::now(),
        unsynced: false,
    };
    loop {
        // Let requests gather while the previous group syncs.
        gate.wait(GATE_LIMIT);
        // Wait for a request, or until an interval sync or a checkpoint is due.
        let limit = match (clock.wait_limit(), journal.wait_limit()) {
            (Some(sync), Some(checkpoint)) => Some(sync.min(checkpoint)),
            (sync, checkpoint) => sync.or(checkpoint),
        };
        let first = match limit {
            Some(limit) => match receiver.recv_timeout(limit) {
                Ok(request) => Some(request),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match receiver.recv() {
                Ok(request) => Some(request),
                Err(_) => break,
            },
        };

        // Write the group, then sync if due.
        if let Some(first) = first {
            let mut group = vec![first];
            while group.len() < max_group {
                match receiver.try_recv() {
                    Ok(request) => group.push(request),
                    Err(_) => break,
                }
            }
            match &syncer {
                Some(syncer) => {
                    let result = write_group(shared, &mut group, false, journal);
                    if group.iter().any(|request| request.checkpoint) {
                        checkpoint_all(shared, journal);
                    }
                    // The sync thread stops only when `syncer` is dropped below.
                    gate.start();
                    if syncer.send(Written { group, result }).is_err() {
                        gate.end();
                    }
                }
                None => {
                    let sync = policy == SyncPolicy::EveryBatch;
                    let result = write_group(shared, &mut group, sync, journal);
                    if group.iter().any(|request| request.checkpoint) {
                        clock.unsynced |= checkpoint_all(shared, journal);
                    }
                    clock.unsynced |= result.is_ok() && !sync;
                    complete(shared, group, result);
                }
            }
        }
        if journal.due() {
            checkpoint_step(shared, journal, false);
        }
        if clock.sync_due() {
            sync_wal(shared, &mut clock);
        }
    }
    // Joins the sync thread after it synced and completed every group.
    drop(syncer);
    if checkpoint_all(shared, journal) {
        clock.unsynced = true;
    }
    if clock.unsynced || policy == SyncPolicy::None {
        sync_wal(shared, &mut clock);
    }
    let counters = &shared.counters;
    info!(
        dir = %shared.dir.display(),
        groups = counters.groups.load(Ordering::Relaxed),
        commits = counters.commits.load(Ordering::Relaxed),
        syncs = counters.syncs.load(Ordering::Relaxed),
        checkpoints = counters.checkpoints.load(Ordering::Relaxed),
        "state writer stopped"
    );
}

/// Writes one chunk of a checkpoint and returns what it did. With `wait`
/// it waits for a checkpoint's sorted sums rather than return
/// [`Step::Preparing`].
fn checkpoint_step(shared: &Shared, journal: &mut Journal, wait: bool) -> Step {
    match journal.step(&shared.db, &shared.failure, wait) {
        Ok(step) => {
            if step == Step::Finished {
                shared.counters.checkpoints.fetch_add(1, Ordering::Relaxed);
            }
            step
        }
        // Logged where it failed. Every later write is rejected.
        Err(_) => Step::Idle,
    }
}

/// Writes checkpoints until no delta awaits one, and returns whether it
/// wrote anything.
fn checkpoint_all(shared: &Shared, journal: &mut Journal) -> bool {
    let mut wrote = false;
    while checkpoint_step(shared, journal, true) != Step::Idle {
        wrote = true;
    }
    wrote
}

/// A written group on its way to the sync thread.
struct Written {
    group: Vec<WriteRequest>,
    result: Result<(), StateError>,
}

/// Maximum time the writer leaves requests waiting for a sync to end. After
/// a sync this slow (on a disk busy with a memtable flush, for example),
/// the writer writes the requests that gathered meanwhile.
/// NOTE: 10 ms was chosen, not tuned. No other value was measured.
const GATE_LIMIT: Duration = Duration::from_millis(10);

/// A flag that is set while the sync thread syncs groups the writer handed
/// it. The writer sets it before it hands a group over, and the sync thread
/// clears it once it has completed every group it took.
#[derive(Default)]
struct SyncGate {
    syncing: Mutex<bool>,
    ended: Condvar,
}

impl SyncGate {
    /// Sets the flag: a sync of a handed-over group is about to run.
    fn start(&self) {
        *self.syncing.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }

    /// Clears the flag and wakes the writer if it waits.
    fn end(&self) {
        *self.syncing.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.ended.notify_all();
    }

    /// Waits until no sync runs, or at most `limit`. Returns whether the
    /// sync ended (or none ran) within the limit.
    fn wait(&self, limit: Duration) -> bool {
        let syncing = self.syncing.lock().unwrap_or_else(PoisonError::into_inner);
        let (syncing, _) = self
            .ended
            .wait_timeout_while(syncing, limit, |syncing| *syncing)
            .unwrap_or_else(PoisonError::into_inner);
        !*syncing
    }
}

/// Starts the thread that fsyncs written groups and then completes them.
fn start_syncer(shared: Arc<Shared>, gate: Arc<SyncGate>) -> std::io::Result<Worker<Written>> {
    Worker::start("state-sync", move |receiver| {
        sync_loop(&shared, &receiver, &gate)
    })
}

fn sync_loop(shared: &Shared, receiver: &Receiver<Written>, gate: &SyncGate) {
    while let Ok(first) = receiver.recv() {
        let mut written = vec![first];
        while let Ok(next) = receiver.try_recv() {
            written.push(next);
        }
        let mut synced = Ok(());
        if written.iter().any(|group| group.result.is_ok()) {
            match shared.db.flush_wal(true) {
                Ok(()) => {
                    shared.counters.syncs.fetch_add(1, Ordering::Relaxed);
                }
                Err(source) => {
                    error!(error = %source, "state WAL sync failed; rejecting further writes");
                    let _ = shared.failure.set(source.to_string());
                    synced = Err(StateError::Write { source });
                }
            }
        }
        for Written { group, result } in written {
            let result = match (&synced, result) {
                (Err(StateError::Write { source }), Ok(())) => Err(StateError::Write {
                    source: source.clone(),
                }),
                (_, result) => result,
            };
            complete(shared, group, result);
        }
        gate.end();
    }
}

/// Writes a group as one batch. Its aggregate merges become one journal
/// record. Once written, their deltas join the journal's sums and settle
/// in their series, which the journal keeps until the next checkpoint.
fn write_group(
    shared: &Shared,
    group: &mut [WriteRequest],
    sync: bool,
    journal: &mut Journal,
) -> Result<(), StateError> {
    write_batch(shared, group, sync, journal)?;
    for request in group.iter_mut() {
        for applied in request.touched.drain(..) {
            applied.cell.written(applied.token);
            journal.hold(applied.cell);
        }
    }
    Ok(())
}

fn write_batch(
    shared: &Shared,
    group: &[WriteRequest],
    sync: bool,
    journal: &mut Journal,
) -> Result<(), StateError> {
    if let Some(reason) = shared.failure.get() {
        return Err(StateError::Failed {
            reason: reason.clone(),
        });
    }
    // Each family's handle is looked up by name once per group.
    let mut handles = Vec::with_capacity(COLUMN_FAMILIES.len());
    for name in COLUMN_FAMILIES {
        handles.push(handle(&shared.db, name)?);
    }
    // In key order, consecutive memtable inserts share most of their skip
    // list search. Ops are ranked by family position, then key, then their
    // place in the group, so writes to one key keep their order.
    let mut ops: Vec<(usize, Op<'_>)> = Vec::new();
    let mut record = Vec::new();
    let mut deltas: Vec<(&[u8], BucketValue)> = Vec::new();
    for op in group.iter().flat_map(|request| request.ops.iter()) {
        if op.kind == OpKind::Merge && op.cf == CF_AGGREGATES {
            // A delta that does not decode goes to RocksDB as it is, whose
            // merge operator then reports its key.
            if let Ok(delta) = BucketValue::decode(op.value) {
                append_delta(&mut record, op.key, op.value);
                deltas.push((op.key, delta));
                continue;
            }
        }
        let family = COLUMN_FAMILIES
            .iter()
            .position(|name| *name == op.cf)
            .ok_or_else(|| StateError::ForeignDatabase {
                dir: shared.dir.clone(),
                found: format!("no {}", op.cf),
                expected: COLUMN_FAMILIES.join(", "),
            })?;
        ops.push((family, op));
    }
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (family_a, op_a) = ops[a];
        let (family_b, op_b) = ops[b];
        (family_a, op_a.key, a).cmp(&(family_b, op_b.key, b))
    });
    // Sized up front: a batch grows by copying its whole buffer.
    let bytes: usize = ops
        .iter()
        .map(|(_, op)| op.key.len() + op.value.len() + BATCH_RECORD_OVERHEAD)
        .sum();
    let mut batch = WriteBatch::with_capacity_bytes(
        BATCH_HEADER + bytes + record.len() + BATCH_RECORD_OVERHEAD + 8,
    );
    if !record.is_empty() {
        let key = journal.take_key();
        batch.put_cf(handle(&shared.db, CF_JOURNAL)?, key.to_be_bytes(), &record);
    }
    for index in order {
        let (family, op) = ops[index];
        let cf = handles[family];
        match op.kind {
            OpKind::Put => batch.put_cf(cf, op.key, op.value),
            OpKind::Merge => batch.merge_cf(cf, op.key, op.value),
            OpKind::Delete => batch.delete_cf(cf, op.key),
        }
    }
    let mut options = WriteOptions::default();
    options.set_sync(sync);
    if let Err(source) = shared.db.write_opt(batch, &options) {
        error!(error = %source, commits = group.len(), "state write failed; rejecting further writes");
        let _ = shared.failure.set(source.to_string());
        return Err(StateError::Write { source });
    }
    journal.add(deltas);
    shared.counters.groups.fetch_add(1, Ordering::Relaxed);
    shared
        .counters
        .commits
        .fetch_add(group.len() as u64, Ordering::Relaxed);
    if sync {
        shared.counters.syncs.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

fn sync_wal(shared: &Shared, clock: &mut SyncClock) {
    if let Err(source) = shared.db.flush_wal(true) {
        error!(error = %source, "state WAL sync failed; rejecting further writes");
        let _ = shared.failure.set(source.to_string());
    }
    shared.counters.syncs.fetch_add(1, Ordering::Relaxed);
    clock.last_sync = Instant::now();
    clock.unsynced = false;
}

/// Releases each request's transaction id and pending series, then acks it.
fn complete(shared: &Shared, group: Vec<WriteRequest>, result: Result<(), StateError>) {
    for request in group {
        let outcome = match &result {
            Ok(()) => Ok(()),
            Err(StateError::Write { source }) => Err(StateError::Write {
                source: source.clone(),
            }),
            Err(other) => Err(StateError::Failed {
                reason: other.to_string(),
            }),
        };
        if let Some(record) = &request.txn {
            let committed = outcome.is_ok().then(|| Arc::clone(record));
            release_txn(shared, &record.txn_id, committed);
        }
        // A written group's deltas left `touched` when it was written.
        discard_applied(&request.touched);
        let _ = request.ack.send(outcome);
    }
}

/// Releases a transaction id from the in-flight map. Callers waiting on it
/// receive `committed`, or learn that the id is free again when it is `None`.
pub(crate) fn release_txn(shared: &Shared, txn_id: &str, committed: Option<Arc<AuditRecord>>) {
    if let Some((_, Some(waiters))) = shared.in_flight.remove(txn_id) {
        if let Some(record) = committed {
            waiters.send_replace(Some(record));
        }
    }
}

/// Drops applied deltas that will not be written.
pub(crate) fn discard_applied(touched: &[Applied]) {
    for applied in touched {
        applied.cell.discard(applied.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::rocks::CF_AUDIT;

    #[test]
    fn gate_waits_for_sync_end() {
        let gate = Arc::new(SyncGate::default());
        assert!(gate.wait(Duration::ZERO), "no sync runs yet");
        gate.start();
        assert!(!gate.wait(Duration::from_millis(20)), "the sync still runs");
        let sync_thread = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                gate.end();
            })
        };
        assert!(gate.wait(Duration::from_secs(60)), "the sync ended");
        sync_thread
            .join()
            .expect("the thread that ends the sync finishes");
        assert!(gate.wait(Duration::ZERO), "no sync runs after the end");
    }

    #[test]
    fn ops_keep_keys_and_values_apart() {
        let mut ops = Ops::default();
        ops.put(CF_AUDIT, b"key-1", b"value-1");
        ops.delete(CF_AUDIT, b"key-2");
        ops.push_with(
            OpKind::Merge,
            CF_AUDIT,
            |key| key.extend_from_slice(b"key-3"),
            |value| value.extend_from_slice(b"delta"),
        );
        let all: Vec<(OpKind, &[u8], &[u8])> =
            ops.iter().map(|op| (op.kind, op.key, op.value)).collect();
        assert_eq!(
            all,
            [
                (OpKind::Put, &b"key-1"[..], &b"value-1"[..]),
                (OpKind::Delete, &b"key-2"[..], &b""[..]),
                (OpKind::Merge, &b"key-3"[..], &b"delta"[..]),
            ]
        );
    }
}
