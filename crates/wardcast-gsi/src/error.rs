//! The crate's one error type.

use crate::body::ParseError;

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
    /// The request comes from a web page (it carries an `Origin` header, which
    /// the game never sends): a site the user visits must not post game state.
    #[error("GSI posts from web pages are refused (the request has an Origin header)")]
    CrossOrigin,
    /// The body did not arrive within the deadline.
    #[error("GSI body not received within {seconds} s")]
    Timeout {
        /// The deadline in seconds.
        seconds: u64,
    },
    /// The processing queue is full, or too many bodies are arriving at once;
    /// the game will send the full state again.
    #[error("GSI ingest busy, retry")]
    Busy,
    /// The broker is shutting down.
    #[error("shutting down")]
    Closed,
    /// The snapshot was not stored in time (tournament mode: NATS is
    /// unreachable, or another ingest writes the source). It may still be
    /// stored later; the game sends its state again either way.
    #[error("GSI body not stored yet: {0}")]
    NotStored(String),
    /// The source id in `POST /gsi/<source>` is not one the receiver can serve.
    #[error("{0}")]
    Source(String),
}

impl Error {
    /// The HTTP status code this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Parse(_) => 400,
            Error::Unauthorized => 401,
            Error::CrossOrigin => 403,
            Error::Timeout { .. } => 408,
            Error::TooLarge { .. } => 413,
            Error::Busy | Error::Closed | Error::NotStored(_) => 503,
            Error::Source(_) => 404,
        }
    }

    /// A short machine-readable reason, used in logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Parse(_) => "malformed",
            Error::Unauthorized => "unauthorized",
            Error::CrossOrigin => "cross_origin",
            Error::Timeout { .. } => "timeout",
            Error::TooLarge { .. } => "too_large",
            Error::Busy => "busy",
            Error::Closed => "closed",
            Error::NotStored(_) => "not_stored",
            Error::Source(_) => "source",
        }
    }
}
