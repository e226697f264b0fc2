//! The engine's durable state in RocksDB: what it must remember to judge
//! the next transaction.
//!
//! Parts:
//! - [`StateStore`] (`store.rs`): open a state directory, reserve
//!   transaction ids, read aggregates, the audit log and clearances.
//! - [`Begin`], [`Reservation`] (`txn.rs`): screening one transaction:
//!   reserve its id, apply its aggregate updates, commit with its verdict.
//! - [`AggregateSpec`] (`spec.rs`): an aggregate's kind, window and bucket
//!   width; [`AggregateUpdate`] and [`AggregateValue`] (`aggregate.rs`).
//! - Storage of aggregates: bucket values and their merge operator
//!   (`bucket.rs`), distinct counting (`distinct.rs`), and the in-memory
//!   series with their cache (`series.rs`, `cache.rs`), and the filter of
//!   series RocksDB may contain, which spares a series new to the cache its
//!   read (`stored.rs`).
//! - Records: audit records (`audit.rs`) and clearances (`clearance.rs`).
//! - Disk: key layout (`keys.rs`), the group-commit writer (`writer.rs`),
//!   the aggregate journal and its checkpoints (`journal.rs`), and opening
//!   RocksDB with its column families and expiry (`rocks.rs`).
//!
//! This module knows nothing of the rule graph or gRPC types: the pipeline
//! maps rule aggregates to [`AggregateSpec`]s and stores each verdict as the
//! bytes it encoded.
//!
//! # Screening one transaction
//!
//! ```no_run
//! # async fn screen(store: &screener::state::StateStore, spec: &screener::state::AggregateSpec)
//! # -> Result<(), screener::state::StateError> {
//! use screener::state::{AggregateUpdate, AuditEntry, Begin, Contribution, Decision};
//! let reservation = match store.begin("E2E-0001")? {
//!     Begin::Seen(record) => return Ok(()), // answer with record.entry.verdict
//!     Begin::InFlight(wait) => return Ok(()), // wait.wait().await, then the same
//!     Begin::New(reservation) => reservation,
//! };
//! let mut reservation = reservation;
//! let now_ms = 1_700_000_000_000;
//! let update = AggregateUpdate { spec, key: b"DE89370400440532013000", contribution: Contribution::Event };
//! let values = reservation.apply(&[update], now_ms)?; // includes this transaction
//! // ... evaluate rules with `values`, build and encode the verdict ...
//! let entry = AuditEntry {
//!     screened_at_ms: now_ms,
//!     decision: Decision::Allow,
//!     list_version: "lists-1".into(),
//!     rule_version: "rules-1".into(),
//!     request_digest: vec![0; 32], // for example SHA-256 of the request
//!     verdict: vec![1, 2, 3],
//! };
//! reservation.commit(entry)?.await?; // durable: now send the verdict
//! # Ok(()) }
//! ```
//!
//! # Durability
//!
//! A transaction's aggregate deltas and its audit record (which also marks
//! its id as seen) are one `WriteBatch`, so after a crash either all of them are in the database
//! or none is. One writer thread merges the batches waiting in its channel
//! into one write (group commit). The deltas of a group go into one record
//! of the `journal` family. A checkpoint, once per
//! [`OpenOptions::checkpoint_interval`], merges them into the `aggregates`
//! family summed per bucket, and opening a store merges any journal records
//! a crash left (`journal.rs`). A [`CommitHandle`] resolves only after
//! that write is in the write-ahead log, and synced as [`SyncPolicy`] says:
//!
//! | policy          | process killed        | power loss or kernel crash                 |
//! |-----------------|-----------------------|--------------------------------------------|
//! | `every_batch`   | nothing acknowledged lost | nothing acknowledged lost              |
//! | `interval_ms(N)`| nothing acknowledged lost | up to N ms (plus one fsync) of acknowledged work lost |
//! | `none`          | nothing acknowledged lost | recent acknowledged work lost (the OS flush delay) |
//!
//! The store can hold more than was acknowledged: a write that reached the
//! WAL just before a crash is recovered although its caller never heard
//! back. A client that retries such a transaction gets the stored verdict.
//!
//! # Concurrency and idempotency
//!
//! - [`StateStore::begin`] reserves the transaction id in memory before any
//!   aggregate is read, so the same id submitted twice at once is applied
//!   once; the second caller gets [`Begin::InFlight`] and can wait for the
//!   first's record.
//! - Two transactions for the same key both count. Each applies its delta
//!   to the series in memory under the series' lock. The delta reaches
//!   RocksDB as part of a merge operand (addition, maximum or set union)
//!   rather than a new total, so the order of writes does not matter.
//! - A transaction that aborts, or whose write fails, removes exactly its
//!   own deltas from memory; values read afterwards no longer include them.
//! - The values [`Reservation::apply`] returns include the current
//!   transaction and every other one applied to the same series, committed
//!   or not yet ("count in the last hour, including this one").
//!
//! # Aggregates
//!
//! Each series (aggregate plus key) is a list of time buckets, one merge
//! operand per checkpoint and bucket; see `spec.rs` for bucket widths and
//! what a window read covers. Distinct counts are exact up to 128 values per
//! bucket and estimated with HyperLogLog above (`distinct.rs`);
//! [`AggregateValue::exact`] says which. Expired buckets are dropped by a
//! compaction filter (`rocks.rs`). Audit records, and with them the seen
//! ids, stay until [`StateStore::prune_audit`] removes those older than the
//! configured retention. Clearances stay until removed.
//!
//! # Errors
//!
//! Every fallible call returns [`StateError`]. Opening a directory that
//! holds something else fails with a message naming the directory and what
//! was found; nothing is erased unless [`OpenOptions::allow_reset`] is set.
//! Ids, keys and fields from clients are bounded (`keys.rs` lists the
//! limits) and rejected with the field, length and limit.

mod aggregate;
mod audit;
mod bucket;
mod cache;
mod clearance;
mod distinct;
mod error;
mod journal;
mod keys;
mod options;
mod rocks;
mod series;
mod spec;
mod store;
mod stored;
mod txn;
mod writer;

pub use aggregate::{AggregateUpdate, AggregateValue, Contribution};
pub use audit::{AuditEntry, AuditRecord, Decision};
pub use clearance::{Clearance, ClearanceKey, ClearanceStatus};
pub use distinct::{EXACT_CAP, WINDOW_EXACT_CAP};
pub use error::StateError;
pub use keys::{
    pair_key, MAX_AGGREGATE_ID_LEN, MAX_AGGREGATE_KEY_LEN, MAX_CLEARANCE_FIELD_LEN, MAX_DIGEST_LEN,
    MAX_DISTINCT_VALUE_LEN, MAX_NOTE_LEN, MAX_TXN_ID_LEN, MAX_VERDICT_LEN, MAX_VERSION_LEN,
};
pub use options::{system_clock, Clock, OpenOptions, SyncPolicy};
pub use rocks::{EXPIRY_SLACK_MS, FORMAT_MARKER};
pub use spec::{
    AggregateKind, AggregateSpec, MAX_TIME_MS, MAX_WINDOW, MIN_WINDOW, WIDTH_LADDER_SECS,
};
pub use store::{StateStats, StateStore};
pub use txn::{Begin, InFlightWait, Reservation};
pub use writer::CommitHandle;
