//! The crate's one error type.

/// Errors of the broker.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is out of range.
    #[error("invalid broker setting: {0}")]
    Config(&'static str),
    /// The WebSocket upgrade request was not valid.
    #[error("bad websocket upgrade: {0}")]
    Upgrade(&'static str),
    /// A source id is not 1 to 32 letters, digits, `_` or `-`.
    #[error("invalid source id {0:?}: use 1 to 32 letters, digits, '_' or '-'")]
    InvalidSource(String),
    /// The broker already serves its most sources.
    #[error("too many sources (at most {0})")]
    TooManySources(usize),
    /// A source was asked for with a game the broker does not serve.
    #[error("this broker serves no game with class id {0}")]
    UnknownGame(u32),
    /// A batch from the bus cannot be read.
    #[error("bus batch: {0}")]
    Bus(String),
    /// The connection limit is reached.
    #[error("too many connections")]
    TooManyConnections,
    /// The WebSocket failed.
    #[error("websocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
}
