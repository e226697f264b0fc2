//! Screening one transaction against the store: reserving its id, applying
//! its aggregate updates, and committing them with its verdict.

use std::sync::Arc;

use tokio::sync::{oneshot, watch};

use super::aggregate::{AggregateUpdate, AggregateValue};
use super::audit::{AuditEntry, AuditRecord, IdRecord};
use super::error::StateError;
use super::keys::{append_bucket_key, append_series_key, append_time_key};
use super::rocks::{CF_AGGREGATES, CF_AUDIT, CF_AUDIT_BY_TIME};
use super::series::Applied;
use super::spec::check_time;
use super::store::StateStore;
use super::writer::{discard_applied, release_txn, CommitHandle, OpKind, Ops, WriteRequest};

/// The outcome of [`StateStore::begin`] for a transaction id.
pub enum Begin {
    /// The id is new and now reserved: screen the transaction, apply its
    /// aggregates, and commit. Dropping the reservation releases the id.
    New(Reservation),
    /// The id was screened before: reply with this stored record, and do
    /// not count the transaction again.
    Seen(AuditRecord),
    /// Another caller has the id reserved right now. Wait for its outcome.
    InFlight(InFlightWait),
}

/// A wait for another caller screening the same transaction id.
pub struct InFlightWait {
    receiver: watch::Receiver<Option<Arc<AuditRecord>>>,
}

impl InFlightWait {
    pub(crate) fn new(receiver: watch::Receiver<Option<Arc<AuditRecord>>>) -> Self {
        InFlightWait { receiver }
    }

    /// Waits until the other caller's commit is durable and returns its
    /// record, or `None` when it aborted or its write failed; then call
    /// [`StateStore::begin`] again.
    pub async fn wait(mut self) -> Option<AuditRecord> {
        let committed = self.receiver.wait_for(Option::is_some).await.ok()?;
        committed.as_deref().cloned()
    }
}

/// A reserved transaction id and the aggregate deltas applied under it.
///
/// Until commit, the deltas are in memory only: reads of the same series by
/// other transactions include them, and nothing is on disk. Dropping the
/// reservation without committing releases the id and discards the deltas.
pub struct Reservation {
    store: StateStore,
    txn_id: Box<str>,
    ops: Ops,
    touched: Vec<Applied>,
    finished: bool,
}

impl Reservation {
    pub(crate) fn new(store: StateStore, txn_id: Box<str>) -> Self {
        Reservation {
            store,
            txn_id,
            ops: Ops::default(),
            touched: Vec::new(),
            finished: false,
        }
    }

    /// Returns the reserved transaction id.
    pub fn txn_id(&self) -> &str {
        &self.txn_id
    }

    /// Applies this transaction's contributions at `now_ms` (its time, Unix
    /// milliseconds) and returns each aggregate's value over the window
    /// ending at `now_ms`, in the order of `updates`.
    ///
    /// Each value includes this transaction ("count in the last hour,
    /// including this one") and every other transaction already applied to
    /// the same series, committed or still in flight.
    ///
    /// All updates are checked, and their series read, before any is
    /// applied, so a failure applies none. Another transaction updating
    /// some of the same series is counted before this one in all of them
    /// or after it in all of them.
    pub fn apply(
        &mut self,
        updates: &[AggregateUpdate<'_>],
        now_ms: i64,
    ) -> Result<Vec<AggregateValue>, StateError> {
        check_time("now_ms", now_ms)?;
        let deltas = updates
            .iter()
            .map(AggregateUpdate::delta)
            .collect::<Result<Vec<_>, _>>()?;
        // One buffer for every series key, and `ends[i]` is where key i ends.
        let mut keys = Vec::new();
        let mut ends = Vec::with_capacity(updates.len());
        for update in updates {
            append_series_key(&mut keys, update.spec.prefix(), update.key);
            ends.push(keys.len());
        }
        let mut requests = Vec::with_capacity(updates.len());
        let mut start = 0;
        for ((update, delta), end) in updates.iter().zip(&deltas).zip(&ends) {
            requests.push((update.spec, &keys[start..*end], delta));
            start = *end;
        }
        let applied = self.store.shared().apply_all(&requests, now_ms)?;
        let mut values = Vec::with_capacity(updates.len());
        for ((update, delta), (applied, value)) in updates.iter().zip(&deltas).zip(applied) {
            let bucket = update.spec.bucket_index(now_ms);
            self.ops.push_with(
                OpKind::Merge,
                CF_AGGREGATES,
                |key| append_bucket_key(key, applied.cell.key(), bucket),
                |value| delta.encode_into(value),
            );
            self.touched.push(applied);
            values.push(value);
        }
        Ok(values)
    }

    /// Queues the applied deltas and the audit record, with its time index
    /// entry, as one atomic write. Await the handle (or call
    /// [`CommitHandle::wait_blocking`]) before sending the verdict: it
    /// resolves once the write is in the WAL and synced as the store's sync
    /// policy requires.
    ///
    /// An invalid `entry` is rejected here, and the reservation is then
    /// dropped as if aborted.
    pub fn commit(mut self, entry: AuditEntry) -> Result<CommitHandle, StateError> {
        entry.validate()?;

        // The audit entry, keyed by time, and the record under the id that
        // marks the id as seen and leads to the entry join the deltas.
        let time = entry.screened_at_ms;
        let id = self.txn_id.as_bytes();
        self.ops.push_with(
            OpKind::Put,
            CF_AUDIT_BY_TIME,
            |key| append_time_key(key, time, id),
            |value| entry.encode_into(value),
        );
        self.ops.push_with(
            OpKind::Put,
            CF_AUDIT,
            |key| key.extend_from_slice(id),
            |value| IdRecord::encode_at_time(value, time),
        );

        // Hand everything to the writer thread.
        let record = Arc::new(AuditRecord {
            txn_id: self.txn_id.to_string(),
            entry,
        });
        let (ack, receiver) = oneshot::channel();
        self.finished = true;
        let request = WriteRequest {
            ops: std::mem::take(&mut self.ops),
            txn: Some(record),
            touched: std::mem::take(&mut self.touched),
            checkpoint: false,
            ack,
        };
        self.store.send(request)?;
        Ok(CommitHandle::new(receiver))
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.finished {
            release_txn(self.store.shared(), &self.txn_id, None);
            discard_applied(&self.touched);
        }
    }
}
