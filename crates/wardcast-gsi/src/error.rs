//! The crate's one error type.

use crate::model::ParseError;

/// Why a GSI body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The body is not valid JSON, or a field has the wrong type.
    #[error("malformed GSI body: {0}")]
    Parse(ParseError),
    /// The body is larger than the configured limit.
    #[error("GSI body larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body's `auth.token` does not match the configured token.
    #[error("GSI auth token missing or wrong")]
    Unauthorized,
    /// The processing queue is full; the game will send the full state again.
    #[error("GSI ingest queue full, retry")]
    Busy,
    /// The broker is shutting down.
    #[error("shutting down")]
    Closed,
}

impl Error {
    /// The HTTP status code this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Parse(_) => 400,
            Error::Unauthorized => 401,
            Error::TooLarge { .. } => 413,
            Error::Busy | Error::Closed => 503,
        }
    }

    /// A short machine-readable reason, used in logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Parse(_) => "malformed",
            Error::Unauthorized => "unauthorized",
            Error::TooLarge { .. } => "too_large",
            Error::Busy => "busy",
            Error::Closed => "closed",
        }
    }
}
