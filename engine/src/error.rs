//! Errors the server returns to clients, each with a stable code string
//! that clients and dashboards can match on.

use screener_proto::v1::ScreenError;
use tonic::Status;

/// The gRPC metadata key that carries the stable error code.
pub const ERROR_CODE_METADATA: &str = "screener-error-code";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServerError {
    /// A request field is missing, too long or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: String },
    /// The state store failed; the transaction was not acknowledged and can
    /// be retried.
    #[error("state store failed, retry the request: {0}")]
    State(String),
    /// The server is shutting down and takes no new work.
    #[error("server is shutting down; retry on another instance")]
    ShuttingDown,
    /// A reload or other admin action was rejected.
    #[error("{0}")]
    Rejected(String),
    /// A transaction id that was screened before arrived with different
    /// content: not a retry, so its stored verdict does not apply.
    #[error(
        "end_to_end_id {id:?} was already screened with different content; resend a retry \
         unchanged, and give a new payment its own end_to_end_id"
    )]
    IdReused { id: String },
}

impl ServerError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ServerError {
        ServerError::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The stable code, such as "invalid_argument".
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::InvalidArgument { .. } => "invalid_argument",
            ServerError::NotFound { .. } => "not_found",
            ServerError::State(_) => "state_unavailable",
            ServerError::ShuttingDown => "shutting_down",
            ServerError::Rejected(_) => "rejected",
            ServerError::IdReused { .. } => "id_reused",
        }
    }

    /// The gRPC status, with the stable code in metadata.
    pub fn to_status(&self) -> Status {
        let message = self.to_string();
        let mut status = match self {
            ServerError::InvalidArgument { .. } => Status::invalid_argument(message),
            ServerError::NotFound { .. } => Status::not_found(message),
            ServerError::State(_) | ServerError::ShuttingDown => Status::unavailable(message),
            ServerError::Rejected(_) => Status::failed_precondition(message),
            ServerError::IdReused { .. } => Status::already_exists(message),
        };
        if let Ok(value) = self.code().parse() {
            status.metadata_mut().insert(ERROR_CODE_METADATA, value);
        }
        crate::metrics::record_error(self.code());
        status
    }

    /// Returns the request field at fault, or "" when the error is not
    /// about one.
    pub fn field(&self) -> &str {
        match self {
            ServerError::InvalidArgument { field, .. } => field,
            ServerError::IdReused { .. } => "end_to_end_id",
            _ => "",
        }
    }

    /// The error as carried inside a streamed verdict.
    pub fn to_proto(&self) -> ScreenError {
        ScreenError {
            code: self.code().to_string(),
            message: self.to_string(),
            field: self.field().to_string(),
        }
    }
}

/// Maximum rejected transactions logged per second; the rest are counted
/// and the count is logged with the next one that is logged.
const REJECTIONS_LOGGED_PER_SECOND: u64 = 20;

/// Logs a transaction the server rejected with an error, with its id, code
/// and field. State failures are logged where they happen and are skipped
/// here. A client sending many bad transactions cannot flood the log: past
/// [`REJECTIONS_LOGGED_PER_SECOND`], rejections are counted instead.
pub fn log_rejected(end_to_end_id: &str, error: &ServerError) {
    static LIMIT: RateLimit = RateLimit::new(REJECTIONS_LOGGED_PER_SECOND);
    if matches!(error, ServerError::State(_)) {
        return;
    }
    let Some(skipped) = LIMIT.admit(unix_seconds()) else {
        return;
    };
    // An oversized id is among the reasons to reject, so the log gets its
    // first 64 characters only.
    tracing::warn!(
        end_to_end_id = %crate::validate::truncate(end_to_end_id),
        code = error.code(),
        field = error.field(),
        error = %error,
        rejections_not_logged_before = skipped,
        "transaction rejected"
    );
}

/// Maximum state store failures logged per second. Once a write fails,
/// the store rejects every later one, so each transaction after it fails
/// the same way. The rest are counted, and the count is logged with the
/// next one logged.
const STATE_FAILURES_LOGGED_PER_SECOND: u64 = 5;

/// Logs a failure of the state store, at most
/// [`STATE_FAILURES_LOGGED_PER_SECOND`] a second, so a full disk does not
/// also flood the log with one line per transaction.
pub fn log_state_failure(error: &impl std::fmt::Display) {
    static LIMIT: RateLimit = RateLimit::new(STATE_FAILURES_LOGGED_PER_SECOND);
    let Some(skipped) = LIMIT.admit(unix_seconds()) else {
        return;
    };
    tracing::error!(
        error = %error,
        failures_not_logged_before = skipped,
        "state store failed"
    );
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Admits at most `per_second` events in each second of a clock.
struct RateLimit {
    per_second: u64,
    second: std::sync::atomic::AtomicU64,
    admitted: std::sync::atomic::AtomicU64,
    skipped: std::sync::atomic::AtomicU64,
}

impl RateLimit {
    const fn new(per_second: u64) -> RateLimit {
        RateLimit {
            per_second,
            second: std::sync::atomic::AtomicU64::new(0),
            admitted: std::sync::atomic::AtomicU64::new(0),
            skipped: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Returns the number of events skipped since the last admitted one
    /// when an event at second `now` is admitted, `None` when it is skipped.
    fn admit(&self, now: u64) -> Option<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        let second = self.second.load(Relaxed);
        if now != second
            && self
                .second
                .compare_exchange(second, now, Relaxed, Relaxed)
                .is_ok()
        {
            self.admitted.store(0, Relaxed);
        }
        if self.admitted.fetch_add(1, Relaxed) < self.per_second {
            Some(self.skipped.swap(0, Relaxed))
        } else {
            self.skipped.fetch_add(1, Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_failures_do_not_flood_log() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use tracing_subscriber::layer::SubscriberExt;

        struct Count(Arc<AtomicUsize>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
            fn on_event(
                &self,
                _event: &tracing::Event<'_>,
                _context: tracing_subscriber::layer::Context<'_, S>,
            ) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }

        let logged = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(Count(Arc::clone(&logged)));
        tracing::subscriber::with_default(subscriber, || {
            for _ in 0..1000 {
                log_state_failure(&"No space left on device");
            }
        });
        // The calls may straddle one second boundary, so at most two
        // seconds' worth are logged.
        let logged = logged.load(Ordering::Relaxed) as u64;
        assert!(logged >= 1, "the first failure is logged");
        assert!(
            logged <= 2 * STATE_FAILURES_LOGGED_PER_SECOND,
            "{logged} lines for 1000 failures"
        );
    }

    #[test]
    fn rate_limit_counts_what_it_skips() {
        let limit = RateLimit::new(2);
        assert_eq!(limit.admit(100), Some(0));
        assert_eq!(limit.admit(100), Some(0));
        assert_eq!(limit.admit(100), None);
        assert_eq!(limit.admit(100), None);
        // A new second admits again and reports the two skipped.
        assert_eq!(limit.admit(101), Some(2));
        assert_eq!(limit.admit(101), Some(0));
        assert_eq!(limit.admit(101), None);
        assert_eq!(limit.admit(105), Some(1));
    }
}
