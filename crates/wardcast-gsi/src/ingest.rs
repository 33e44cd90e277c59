//! The HTTP side of GSI: accept a POST, answer at once, process after.
//!
//! The game sends nothing new until it gets a reply, so the handler only parses
//! (to answer 400 for malformed JSON) and checks the token (to answer 401), then
//! queues the snapshot with `try_send` and replies. Engine and fan-out work happen
//! on the receiving side of the channel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::model::{self, GameState};
use crate::Error;

/// Settings of the GSI endpoint.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The largest accepted body in bytes; larger bodies get 413.
    pub max_body: usize,
    /// When set, a body whose `auth.token` differs gets 401 and is dropped.
    pub token: Option<String>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_body: 4 * 1024 * 1024,
            token: None,
        }
    }
}

/// One accepted GSI body, parsed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The parsed body.
    pub state: GameState,
    /// The body exactly as received, for recording.
    pub body: Bytes,
    /// When the body was received (monotonic).
    pub received_at: Instant,
}

/// Counters of what the endpoint accepted and refused.
#[derive(Debug, Default)]
pub struct IngestStats {
    /// Bodies accepted and queued.
    pub accepted: AtomicU64,
    /// Bodies refused as malformed (400).
    pub malformed: AtomicU64,
    /// Bodies refused for a wrong token (401).
    pub unauthorized: AtomicU64,
    /// Bodies refused as too large (413).
    pub too_large: AtomicU64,
    /// Bodies refused because the queue was full (503).
    pub busy: AtomicU64,
}

impl IngestStats {
    fn count(&self, err: &Error) {
        let counter = match err {
            Error::Parse(_) => &self.malformed,
            Error::Unauthorized => &self.unauthorized,
            Error::TooLarge { .. } => &self.too_large,
            Error::Busy | Error::Closed => &self.busy,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

struct Ingest {
    config: IngestConfig,
    /// Accepted snapshots go to the engine pipeline. Bounded: when it is full the
    /// game gets 503 and resends its full state, so nothing accumulates here.
    tx: mpsc::Sender<Snapshot>,
    stats: Arc<IngestStats>,
    /// Rate limit for the "wrong token" warning: when it was last logged.
    last_auth_warning: Mutex<Option<Instant>>,
}

/// How often at most a wrong-token warning is logged.
const AUTH_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Builds the router for `POST /gsi` and `POST /`.
///
/// Accepted snapshots are sent to `tx`; `stats` counts outcomes.
pub fn router(config: IngestConfig, tx: mpsc::Sender<Snapshot>, stats: Arc<IngestStats>) -> Router {
    let limit = config.max_body;
    let state = Arc::new(Ingest {
        config,
        tx,
        stats,
        last_auth_warning: Mutex::new(None),
    });
    Router::new()
        .route("/gsi", post(handle))
        .route("/", post(handle))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn handle(
    State(ingest): State<Arc<Ingest>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let received_at = Instant::now();
    let result = match body {
        Ok(body) => ingest.accept(body, received_at),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(Error::TooLarge {
                limit: ingest.config.max_body,
            })
        }
        Err(rejection) => Err(Error::Parse(model::ParseError {
            path: String::new(),
            message: rejection.body_text(),
        })),
    };
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => {
            ingest.stats.count(&err);
            if !matches!(err, Error::Unauthorized) {
                tracing::debug!(reason = err.reason(), "gsi body refused: {err}");
            }
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, format!("{err}\n")).into_response()
        }
    }
}

impl Ingest {
    fn accept(&self, body: Bytes, received_at: Instant) -> Result<(), Error> {
        let state = model::parse(&body).map_err(Error::Parse)?;
        if let Some(expected) = &self.config.token {
            let given = state.auth.as_ref().and_then(|a| a.token.as_deref());
            if given != Some(expected.as_str()) {
                self.warn_wrong_token(given.is_some());
                return Err(Error::Unauthorized);
            }
        }
        let snapshot = Snapshot {
            state,
            body,
            received_at,
        };
        match self.tx.try_send(snapshot) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => Err(Error::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Error::Closed),
        }
    }

    /// Logs a wrong token at most once per [`AUTH_WARNING_INTERVAL`]; the token itself is never logged.
    fn warn_wrong_token(&self, present: bool) {
        let now = Instant::now();
        let mut last = self
            .last_auth_warning
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| now.duration_since(t) < AUTH_WARNING_INTERVAL) {
            return;
        }
        *last = Some(now);
        let refused = self.stats.unauthorized.load(Ordering::Relaxed) + 1;
        let what = if present { "a different" } else { "no" };
        tracing::warn!(
            refused_so_far = refused,
            "gsi body with {what} auth token refused: check the token in gamestate_integration_wardcast.cfg"
        );
    }
}
