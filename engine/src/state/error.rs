//! The state layer's error type.

use std::path::PathBuf;
use std::time::Duration;

use super::spec::AggregateKind;

/// Every failure of the state store: opening the directory, bad input from a
/// client, RocksDB reads and writes, and corrupt records.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "state directory {dir} does not exist or is empty; create it, or open with \
         create_if_missing"
    )]
    Missing { dir: PathBuf },

    #[error(
        "state directory {dir} is not a screener state: it contains other files ({found}) \
         and no RocksDB database; choose an empty or new directory (a reset never \
         deletes files it does not recognise, so remove them yourself if they are not needed)"
    )]
    ForeignDirectory { dir: PathBuf, found: String },

    #[error(
        "state directory {dir} is a file, not a directory; set state.dir to a directory \
         (an empty or new one starts an empty state)"
    )]
    NotADirectory { dir: PathBuf },

    #[error(
        "state directory {dir} holds a RocksDB database with column families [{found}], \
         expected [{expected}]; choose another directory, or restart with `screener serve \
         --reset-state` to erase it"
    )]
    ForeignDatabase {
        dir: PathBuf,
        found: String,
        expected: String,
    },

    #[error(
        "state directory {dir} holds a RocksDB database with data but no screener format \
         marker in the meta column family; choose another directory, or restart with \
         `screener serve --reset-state` to erase it"
    )]
    MissingMarker { dir: PathBuf },

    #[error(
        "state directory {dir} has format marker {found:?} but this build reads \
         {expected:?}; run a screener build that matches, or restart with `screener serve \
         --reset-state` to erase it"
    )]
    FormatVersion {
        dir: PathBuf,
        found: String,
        expected: String,
    },

    #[error(
        "failed to open the RocksDB database in {dir}: {source}; check that no other \
         process uses the directory; if the database is corrupt, restart with \
         `screener serve --reset-state` to erase it"
    )]
    Open {
        dir: PathBuf,
        #[source]
        source: rocksdb::Error,
    },

    #[error(
        "state directory {dir} is in use by another process, which holds its RocksDB lock \
         ({source}); stop that process, or give this one another state.dir"
    )]
    InUse {
        dir: PathBuf,
        #[source]
        source: rocksdb::Error,
    },

    #[error("failed to {action} state directory {dir}: {source}")]
    Io {
        dir: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("{field} is {len} bytes, above the limit of {max} bytes; send a shorter value")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },

    #[error("{field} is empty; a value is required")]
    Empty { field: &'static str },

    #[error("{field} is {value} ms, outside the accepted 0..={max} Unix milliseconds")]
    InvalidTime {
        field: &'static str,
        value: i64,
        max: i64,
    },

    #[error("aggregate {id:?}: window {window:?} is invalid: {reason}")]
    InvalidWindow {
        id: String,
        window: Duration,
        reason: &'static str,
    },

    #[error(
        "aggregate {id:?} is a {kind} aggregate but the update carries {given}; \
         send {expected}"
    )]
    ContributionMismatch {
        id: String,
        kind: AggregateKind,
        given: &'static str,
        expected: &'static str,
    },

    #[error("failed to read the {cf} column family: {source}")]
    Read {
        cf: &'static str,
        #[source]
        source: rocksdb::Error,
    },

    #[error("failed to write to the state store: {source}")]
    Write {
        #[source]
        source: rocksdb::Error,
    },

    #[error("corrupt record in the {cf} column family at key {key}: {reason}")]
    Corrupt {
        cf: &'static str,
        key: String,
        reason: String,
    },

    #[error(
        "the state store rejects writes since an earlier write failed ({reason}); fix the \
         storage and restart the engine"
    )]
    Failed { reason: String },

    #[error("the state store is closed; its writer thread has stopped")]
    Closed,
}

impl StateError {
    /// Builds a [`StateError::Corrupt`] showing at most 64 bytes of the key in hex.
    pub(crate) fn corrupt(cf: &'static str, key: &[u8], reason: impl Into<String>) -> Self {
        let mut shown = hex::encode(&key[..key.len().min(64)]);
        if key.len() > 64 {
            shown.push_str("...");
        }
        StateError::Corrupt {
            cf,
            key: shown,
            reason: reason.into(),
        }
    }
}
