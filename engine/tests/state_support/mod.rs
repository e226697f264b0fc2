//! Helpers shared by the state store tests.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use screener::state::{
    AggregateKind, AggregateSpec, AuditEntry, Begin, Decision, OpenOptions, Reservation,
    StateStore, SyncPolicy,
};

/// 2023-11-14T22:13:20Z, a time near today so nothing looks expired.
pub const T0: i64 = 1_700_000_000_000;
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;

pub fn spec(id: &str, kind: AggregateKind, window_secs: u64) -> AggregateSpec {
    AggregateSpec::new(id, kind, Duration::from_secs(window_secs)).expect("valid spec")
}

/// Options that never expire buckets and skip fsync, for fast tests.
pub fn fast_options() -> OpenOptions {
    OpenOptions {
        sync: SyncPolicy::None,
        expiry_clock: std::sync::Arc::new(|| 0),
        ..OpenOptions::default()
    }
}

pub fn open(dir: &Path, options: OpenOptions) -> StateStore {
    StateStore::open(dir, options).expect("state store opens")
}

pub fn entry(time_ms: i64, verdict: &[u8]) -> AuditEntry {
    AuditEntry {
        screened_at_ms: time_ms,
        decision: Decision::Review,
        list_version: "lists-1".to_owned(),
        rule_version: "rules-1".to_owned(),
        request_digest: vec![7; 32],
        verdict: verdict.to_vec(),
    }
}

/// Reserves an id that must be new.
pub fn reserve(store: &StateStore, txn_id: &str) -> Reservation {
    match store.begin(txn_id).expect("begin succeeds") {
        Begin::New(reservation) => reservation,
        Begin::Seen(_) => panic!("{txn_id} was already seen"),
        Begin::InFlight(_) => panic!("{txn_id} is already in flight"),
    }
}
