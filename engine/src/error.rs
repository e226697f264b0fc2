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
        "transaction {id:?} was already screened with different content; resend a retry \
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

    /// The error as carried inside a streamed verdict.
    pub fn to_proto(&self) -> ScreenError {
        let field = match self {
            ServerError::InvalidArgument { field, .. } => field.clone(),
            ServerError::IdReused { .. } => "end_to_end_id".to_owned(),
            _ => String::new(),
        };
        ScreenError {
            code: self.code().to_string(),
            message: self.to_string(),
            field,
        }
    }
}
