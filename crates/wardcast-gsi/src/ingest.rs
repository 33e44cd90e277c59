//! The HTTP side of GSI: accept a POST, answer at once, process after.
//!
//! The game sends nothing new until it gets a reply, so the handler only parses
//! (to answer 400 for malformed JSON) and checks the token (to answer 401), then
//! queues the snapshot with `try_send` and replies. Engine and fan-out work happen
//! on the receiving side of the channel.
//!
//! A request from a web page (with an `Origin` header) is refused before its
//! body is read, a body must arrive whole within a deadline however it is
//! trickled, and only a few bodies may be arriving at once, so neither a site
//! the user visits nor a slow client on the network can feed or tie up the
//! endpoint.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use crate::{Error, ParseError, Parsed};

/// Settings of the GSI endpoint.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The largest accepted body in bytes; larger bodies get 413.
    pub max_body: usize,
    /// When set, a body whose `auth.token` differs gets 401 and is dropped.
    pub token: Option<String>,
    /// How long a body may take to arrive, from the end of the headers to its
    /// last byte; a slower one gets 408.
    pub body_timeout: Duration,
    /// How many bodies may be arriving at once; one more gets 503. The game
    /// sends one at a time.
    pub max_in_flight: usize,
    /// Reply only once the sink says the snapshot is stored, or 503 after
    /// this long (tournament mode: a 200 then means the snapshot is safe in
    /// NATS, so killing the ingest loses nothing the game was told it took).
    /// `None`: reply as soon as the snapshot is queued.
    pub wait_stored: Option<Duration>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_body: 4 * 1024 * 1024,
            token: None,
            body_timeout: Duration::from_secs(10),
            max_in_flight: 8,
            wait_stored: None,
        }
    }
}

/// One accepted GSI body, parsed by its game's model.
#[derive(Debug)]
pub struct Snapshot {
    /// The parsed body (the sink's [`SnapshotSink::parse`] chose the model).
    pub parsed: Parsed,
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
    /// Posts refused as coming from a web page (403).
    pub cross_origin: AtomicU64,
    /// Bodies that did not arrive in time (408).
    pub timeout: AtomicU64,
    /// Bodies refused as too large (413).
    pub too_large: AtomicU64,
    /// Bodies refused because the queue was full (503).
    pub busy: AtomicU64,
    /// Bodies posted to a source the broker cannot serve (404).
    pub bad_source: AtomicU64,
}

impl IngestStats {
    fn count(&self, err: &Error) {
        let counter = match err {
            Error::Parse(_) => &self.malformed,
            Error::Unauthorized => &self.unauthorized,
            Error::CrossOrigin => &self.cross_origin,
            Error::Timeout { .. } => &self.timeout,
            Error::TooLarge { .. } => &self.too_large,
            Error::Busy | Error::Closed | Error::NotStored(_) => &self.busy,
            Error::Source(_) => &self.bad_source,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Tells the endpoint that an accepted snapshot is stored (sent by the sink
/// once it is; dropped unsent if it never will be).
pub type Stored = tokio::sync::oneshot::Sender<()>;

/// An accepted snapshot on its way to the engine, and whom to tell when it
/// is stored (when the endpoint waits for that; see
/// [`IngestConfig::wait_stored`]).
#[derive(Debug)]
pub struct Offered {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Send `()` once the snapshot is stored.
    pub stored: Option<Stored>,
}

/// Where accepted snapshots go. It must not wait: when it cannot take one
/// (its queue is full) it answers [`Error::Busy`], and the game resends its
/// full state, so nothing accumulates in the endpoint.
pub trait SnapshotSink: Send + Sync + 'static {
    /// Takes a snapshot of `source` (named by the path, `POST /gsi/<source>`;
    /// `None` for `POST /gsi` and `POST /`), or says why not.
    fn offer(&self, source: Option<&str>, offered: Offered) -> Result<(), Error>;

    /// Parses a body posted for `source` with the model of the game that
    /// sent it (told by [`crate::app_id`], or by what the source is). The
    /// default knows no game: the body as a plain JSON object.
    fn parse(&self, source: Option<&str>, body: &[u8]) -> Result<Parsed, ParseError> {
        let _ = source;
        Parsed::json(body)
    }
}

/// One bounded channel for every source.
impl SnapshotSink for mpsc::Sender<Offered> {
    fn offer(&self, _source: Option<&str>, offered: Offered) -> Result<(), Error> {
        match self.try_send(offered) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(Error::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Error::Closed),
        }
    }
}

type StoredReceiver = tokio::sync::oneshot::Receiver<()>;

struct Ingest {
    config: IngestConfig,
    /// Accepted snapshots go to the engine pipeline.
    sink: Box<dyn SnapshotSink>,
    stats: Arc<IngestStats>,
    /// Rate limit for the "wrong token" warning: when it was last logged.
    last_auth_warning: Mutex<Option<Instant>>,
    /// Bodies being received ([`IngestConfig::max_in_flight`] permits).
    in_flight: Semaphore,
}

/// How often at most a wrong-token warning is logged.
const AUTH_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Builds the router for `POST /gsi`, `POST /gsi/<source>` and `POST /`.
///
/// Accepted snapshots are offered to `sink`; `stats` counts outcomes.
pub fn router(config: IngestConfig, sink: impl SnapshotSink, stats: Arc<IngestStats>) -> Router {
    let state = Arc::new(Ingest {
        in_flight: Semaphore::new(config.max_in_flight.max(1)),
        config,
        sink: Box::new(sink),
        stats,
        last_auth_warning: Mutex::new(None),
    });
    Router::new()
        .route("/gsi", post(handle))
        .route("/gsi/{source}", post(handle_source))
        .route("/", post(handle))
        .with_state(state)
}

async fn handle(State(ingest): State<Arc<Ingest>>, request: Request) -> Response {
    answer(&ingest, None, request).await
}

async fn handle_source(
    State(ingest): State<Arc<Ingest>>,
    Path(source): Path<String>,
    request: Request,
) -> Response {
    answer(&ingest, Some(source), request).await
}

async fn answer(ingest: &Ingest, source: Option<String>, request: Request) -> Response {
    let result = match ingest.receive(request).await {
        Ok((body, received_at)) => match ingest.accept(source, body, received_at) {
            Ok(Some(stored)) => ingest.stored(stored).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
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
    /// Reads the body: refused at once if a web page sent it or too many are
    /// arriving, and bounded in size and in total time.
    async fn receive(&self, request: Request) -> Result<(Bytes, Instant), Error> {
        if request.headers().contains_key(header::ORIGIN) {
            return Err(Error::CrossOrigin);
        }
        let _permit = self.in_flight.try_acquire().map_err(|_| Error::Busy)?;
        let limit = self.config.max_body;
        let read = axum::body::to_bytes(request.into_body(), limit);
        let body = match tokio::time::timeout(self.config.body_timeout, read).await {
            Err(_) => {
                return Err(Error::Timeout {
                    seconds: self.config.body_timeout.as_secs(),
                })
            }
            Ok(Ok(body)) => body,
            Ok(Err(e)) => {
                // `to_bytes` reports the limit through its error's source chain.
                let too_large =
                    std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                        e.source()
                    })
                    .any(|e| e.is::<http_body_util::LengthLimitError>());
                return Err(if too_large {
                    Error::TooLarge { limit }
                } else {
                    Error::Parse(ParseError {
                        path: String::new(),
                        message: format!("the body could not be read: {e}"),
                    })
                });
            }
        };
        Ok((body, Instant::now()))
    }

    /// Waits (bounded) until the sink says the snapshot is stored.
    async fn stored(&self, (wait, stored): (Duration, StoredReceiver)) -> Result<(), Error> {
        match tokio::time::timeout(wait, stored).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::NotStored(
                "this ingest may not write the source now".into(),
            )),
            Err(_) => Err(Error::NotStored(format!(
                "not stored within {} ms (is NATS reachable?); it is kept and stored when it can be",
                wait.as_millis()
            ))),
        }
    }

    /// Parses, checks and queues a body; with [`IngestConfig::wait_stored`],
    /// returns what to wait on before replying.
    fn accept(
        &self,
        source: Option<String>,
        body: Bytes,
        received_at: Instant,
    ) -> Result<Option<(Duration, StoredReceiver)>, Error> {
        let parsed = self
            .sink
            .parse(source.as_deref(), &body)
            .map_err(Error::Parse)?;
        if let Some(expected) = &self.config.token {
            let given = parsed.token();
            if given != Some(expected.as_str()) {
                self.warn_wrong_token(given.is_some());
                return Err(Error::Unauthorized);
            }
        }
        let snapshot = Snapshot {
            parsed,
            body,
            received_at,
        };
        let (stored, wait) = match self.config.wait_stored {
            Some(wait) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                (Some(tx), Some((wait, rx)))
            }
            None => (None, None),
        };
        self.sink
            .offer(source.as_deref(), Offered { snapshot, stored })?;
        self.stats.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(wait)
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
