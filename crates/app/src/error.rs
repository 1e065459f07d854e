//! The use-case error: what went wrong in terms a caller can act on. The web
//! layer maps each variant to a status and a stable code.

use courrier_domain::Permission;
use courrier_domain::{Code, Invalid};
use courrier_store::StoreError;
use courrier_store::blob::BlobError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Several rules refused the input at once (a letter with a wrong page
    /// size and an unreadable window): all of them, so the sender fixes
    /// everything in one go. Never empty.
    #[error("{} problems, first: {}", .0.len(), .0.first().map(|i| i.to_string()).unwrap_or_default())]
    Findings(Vec<Invalid>),
    #[error("not found")]
    NotFound,
    #[error("sign in first")]
    Unauthenticated,
    #[error("the permission {} is required", .0.as_str())]
    Forbidden(Permission),
    /// A uniqueness rule, with a stable code such as `user.email_taken`.
    #[error("conflict: {0}")]
    Conflict(Code),
    /// A business rule refused the change, with a stable code.
    #[error("refused: {0}")]
    Refused(Code),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    /// Something failed on our side. The error keeps its chain of causes
    /// for the log; a caller is told only that it failed.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    /// An internal failure described by a message.
    pub fn internal(
        message: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
    ) -> Self {
        AppError::Internal(anyhow::Error::msg(message))
    }

    /// An internal failure caused by `source`, with what was being done.
    pub fn internal_from(
        source: impl Into<anyhow::Error>,
        context: impl std::fmt::Display + Send + Sync + 'static,
    ) -> Self {
        AppError::Internal(source.into().context(context))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { what } => AppError::Conflict(what),
            StoreError::Refused { what } => AppError::Refused(what),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<courrier_domain::access::Forbidden> for AppError {
    fn from(e: courrier_domain::access::Forbidden) -> Self {
        AppError::Forbidden(e.0)
    }
}
