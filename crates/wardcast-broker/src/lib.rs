#![doc = include_str!("../README.md")]
//!
//! ## Layout
//! - [`Broker`]: the handle shared by the publisher and the connections. A
//!   publisher calls [`Broker::publish`] with one [`Batch`] per game snapshot.
//! - `hub`: the sequence counter, the last-value info store (for late joiners
//!   and `getInfo`) and the broadcast ring of published frames, behind one
//!   mutex that is never held across an `.await`.
//! - `wire`: every message the broker sends, rendered once per data format and
//!   shared between clients as reference-counted bytes.
//! - `session`: one task per connection. It decodes requests, filters the
//!   ring by the client's features, feeds every frame due and flushes once.
//! - [`http`]: the `GET /ws` upgrade into a tokio-tungstenite stream.
//! - [`protocol`]: owned, typed messages of the protocol, for clients and tests.
//! - [`Error`]: the crate's error type.

mod batch;
pub mod bus;
mod catalogue;
mod error;
pub mod http;
mod hub;
mod outgoing;
pub mod protocol;
mod rpc;
mod session;
mod source;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use batch::{Batch, EventItem, GameIdentity, ServedGame};
pub use catalogue::{Catalogue, FeatureDef, FeatureId, InfoKey};
pub use error::Error;
pub use hub::{HistoryLimits, OutOfOrder};
pub use session::serve_connection;
pub use source::{validate_source_id, Source, SourceSummary, MAX_SOURCE_ID};

/// Settings of the broker.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// The game's identity, reported by `getRunningGameInfo` and
    /// `onGameInfoUpdated`, for a broker of one game ([`Broker::new`]).
    pub game: GameIdentity,
    /// How many published snapshots the shared ring holds. A client that falls
    /// further behind than this is a slow consumer and is closed with 4008.
    pub ring_capacity: usize,
    /// The most memory the ring keeps alive for clients that are behind, in
    /// bytes (rendered size × 8, the in-memory estimate): a client behind by
    /// more is a slow consumer too, so huge snapshots cannot pile up.
    pub ring_max_bytes: usize,
    /// The largest frame a client may send, in bytes (clients send small requests).
    pub max_client_frame: usize,
    /// The most simultaneous WebSocket connections.
    pub max_connections: usize,
    /// How long one flush to a client may take before it is dropped as stalled.
    pub write_timeout: Duration,
    /// How often the broker pings an idle client.
    pub ping_interval: Duration,
    /// How long a client may stay silent (no pong, no request) before it is dropped as dead.
    pub idle_timeout: Duration,
    /// How long shutdown waits for clients to take their close frame.
    pub shutdown_grace: Duration,
    /// What `resume` can replay: the most notifications and the oldest kept.
    pub history: HistoryLimits,
    /// Requests a client may send at once before the rate limit applies.
    pub rate_burst: u32,
    /// Requests per second a client's budget refills by.
    pub rate_per_sec: u32,
    /// Who may connect.
    pub access: AccessPolicy,
    /// The source of clients that name none, and of [`Broker::publish`].
    pub default_source: String,
    /// The most sources the broker serves (each has its own history and ring).
    pub max_sources: usize,
    /// Whether a new source takes subscriptions at once (false when sources
    /// are read from a bus: each becomes ready once caught up).
    pub sources_start_ready: bool,
}

/// Who may open a WebSocket (and read `/status`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// The access token clients present as `?token=` or `Authorization: Bearer`.
    pub token: Option<String>,
    /// Require the token from loopback clients too (it is always required from
    /// other addresses when a token is set).
    pub require_token: bool,
    /// Browser origins allowed besides the built-in list (no `Origin`,
    /// `null`/`file://`, `http(s)://localhost`, `127.0.0.1`, `[::1]` on any port,
    /// the broker's own address, and `overwolf-extension://`).
    pub allowed_origins: Vec<String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            game: GameIdentity::default(),
            ring_capacity: 256,
            ring_max_bytes: 64 * 1024 * 1024,
            max_client_frame: 64 * 1024,
            max_connections: 10_000,
            write_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(45),
            shutdown_grace: Duration::from_secs(3),
            history: HistoryLimits {
                max_notifications: 10_000,
                max_age: Duration::from_secs(300),
                max_bytes: 16 * 1024 * 1024,
            },
            rate_burst: 100,
            rate_per_sec: 20,
            access: AccessPolicy::default(),
            default_source: "default".into(),
            max_sources: 64,
            sources_start_ready: true,
        }
    }
}

/// The broker's Prometheus metrics. The handles are cheap to clone and update
/// atomically; `Broker::register_metrics` adds them to a registry.
#[derive(Debug, Clone)]
pub struct BrokerMetrics {
    /// Connected WebSocket clients.
    pub clients: prometheus_client::metrics::gauge::Gauge,
    /// Bytes of notifications and responses written to clients.
    pub bytes_sent: prometheus_client::metrics::counter::Counter,
    /// Clients closed as slow consumers (4008).
    pub slow_disconnects: prometheus_client::metrics::counter::Counter,
    /// Seconds from a GSI body's arrival to the end of each client's write of
    /// what it produced.
    pub latency: prometheus_client::metrics::histogram::Histogram,
}

impl Default for BrokerMetrics {
    fn default() -> Self {
        Self {
            clients: Default::default(),
            bytes_sent: Default::default(),
            slow_disconnects: Default::default(),
            // 100 µs to about 3.3 s.
            latency: prometheus_client::metrics::histogram::Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.0001, 2.0, 16),
            ),
        }
    }
}

/// The live health of one feature and of its info keys (0 unsupported, 1 green,
/// 2 yellow, 3 red).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureState {
    /// The feature's state.
    pub state: u8,
    /// Each info key's state, in the catalogue's order.
    pub info: Vec<u8>,
}

/// What the broker knows of one connected client, for status pages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClientInfo {
    /// The connection's id, unique for the broker's lifetime.
    pub id: u64,
    /// The peer address.
    pub peer: String,
    /// The name the client gave with `/ws?client=NAME`, if any.
    pub name: Option<String>,
    /// The features the client subscribed to.
    pub features: Vec<String>,
    /// The source the client watches.
    pub source: String,
    /// Whole seconds since the client connected.
    pub connected_secs: u64,
}

/// Who is on the other end of a connection, as the upgrade saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    /// The peer address.
    pub addr: String,
    /// The name the client gave itself (`/ws?client=NAME`), for status pages.
    pub name: Option<String>,
    /// The source the client asked for (`/ws?source=ID`); `None` for the default.
    pub source: Option<String>,
}

/// One connected client's entry in the registry.
struct ClientEntry {
    peer: Peer,
    /// The id of the source the client watches.
    source: Arc<str>,
    /// Shared with the session's subscription.
    features: Arc<[String]>,
    since: std::time::Instant,
}

/// Makes a source's first batch from its catalogue.
type SourceInit = dyn Fn(&Catalogue) -> Batch + Send + Sync;

/// The broker handle: cheap to clone, shared by the publisher and every connection.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    config: BrokerConfig,
    /// The games served; a new source has the first one unless told otherwise.
    games: Vec<Arc<ServedGame>>,
    /// Every source, the configured default first. Only grows, up to
    /// `max_sources`; the lock is held to look up or add, never across an `.await`.
    sources: std::sync::RwLock<Vec<Arc<source::SourceState>>>,
    /// Makes the first batch of every source, for its catalogue (the
    /// publisher's constant info, such as a version).
    init: std::sync::Mutex<Option<Arc<SourceInit>>>,
    /// Connected clients by connection id. Entries are inserted, updated and
    /// removed synchronously by their own session; no guard lives across an `.await`.
    clients: DashMap<u64, ClientEntry>,
    /// Cancelled on shutdown; every session then closes with 1001.
    shutdown: CancellationToken,
    /// Tracks session tasks so shutdown can wait for them.
    tasks: TaskTracker,
    /// Counters and the latency histogram, updated by the sessions.
    metrics: BrokerMetrics,
}

impl Broker {
    /// Creates a broker of one game (`config.game`, with `catalogue`), with
    /// its default source.
    pub fn new(config: BrokerConfig, catalogue: Catalogue) -> Result<Self, Error> {
        let game = ServedGame {
            identity: config.game.clone(),
            catalogue,
        };
        Self::with_games(config, vec![game])
    }

    /// Creates a broker of several games (the first is a new source's,
    /// unless [`Broker::source_of`] names another), with its default source.
    pub fn with_games(config: BrokerConfig, games: Vec<ServedGame>) -> Result<Self, Error> {
        if config.ring_capacity == 0 {
            return Err(Error::Config("ring_capacity must be at least 1"));
        }
        if games.is_empty() {
            return Err(Error::Config("a broker serves at least one game"));
        }
        let limit = usize::try_from(hub::OWN / 2).unwrap_or(usize::MAX);
        if games.iter().any(|g| g.catalogue.len() >= limit) {
            // A batch has at most two notifications per feature, and they must
            // fit below the connection-own seqs of the batch.
            return Err(Error::Config("a catalogue has at most 16,383 features"));
        }
        if config.max_sources == 0 {
            return Err(Error::Config("max_sources must be at least 1"));
        }
        validate_source_id(&config.default_source)?;
        let broker = Self {
            inner: Arc::new(Inner {
                config,
                games: games.into_iter().map(Arc::new).collect(),
                sources: std::sync::RwLock::new(Vec::new()),
                init: std::sync::Mutex::new(None),
                clients: DashMap::new(),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
                metrics: BrokerMetrics::default(),
            }),
        };
        let id = broker.inner.config.default_source.clone();
        broker.source(&id)?;
        Ok(broker)
    }

    fn new_source_state(&self, id: &str, game: &Arc<ServedGame>) -> Arc<source::SourceState> {
        let config = &self.inner.config;
        let catalogue = &game.catalogue;
        Arc::new(source::SourceState {
            id: id.to_string(),
            hub: hub::Hub::new(
                catalogue,
                config.ring_capacity,
                config.ring_max_bytes,
                game.identity.clone(),
                config.history,
            ),
            game: game.clone(),
            retired: std::sync::atomic::AtomicBool::new(false),
            states: std::sync::RwLock::new(
                catalogue
                    .features()
                    .iter()
                    .map(|f| FeatureState {
                        state: f.state,
                        info: f.info.iter().map(|k| k.state).collect(),
                    })
                    .collect(),
            ),
            details: std::sync::RwLock::new(serde_json::Map::new()),
            fed: std::sync::atomic::AtomicBool::new(false),
            ready: std::sync::atomic::AtomicBool::new(config.sources_start_ready),
        })
    }

    fn handle(&self, state: Arc<source::SourceState>) -> Source {
        Source { inner: state }
    }

    fn sources_read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<source::SourceState>>> {
        self.inner.sources.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The source `id`, created if the broker does not serve it yet (and has
    /// room for it).
    pub fn source(&self, id: &str) -> Result<Source, Error> {
        Ok(self.handle(self.source_state(id)?))
    }

    pub(crate) fn source_state(&self, id: &str) -> Result<Arc<source::SourceState>, Error> {
        self.source_state_of(id, None)
    }

    /// The source `id` for the game of class id `class_id`, created if the
    /// broker does not serve it yet. A source that carries another game is
    /// replaced by a new one (a new epoch, another catalogue): its
    /// subscribed clients are closed with 4010 and resubscribe to the new
    /// game, and its old handles publish to no one.
    pub fn source_of(&self, id: &str, class_id: u32) -> Result<Source, Error> {
        Ok(self.handle(self.source_state_of(id, Some(class_id))?))
    }

    fn source_state_of(
        &self,
        id: &str,
        class_id: Option<u32>,
    ) -> Result<Arc<source::SourceState>, Error> {
        let game = match class_id {
            None => None,
            Some(class) => Some(
                self.inner
                    .games
                    .iter()
                    .find(|g| g.identity.class_id == class)
                    .cloned()
                    .ok_or(Error::UnknownGame(class))?,
            ),
        };
        let wanted = game.as_ref().map(|g| g.identity.class_id);
        let fits = |s: &source::SourceState| wanted.is_none_or(|c| c == s.game.identity.class_id);
        if let Some(found) = self.sources_read().iter().find(|s| s.id == id) {
            if fits(found) {
                return Ok(found.clone());
            }
        }
        validate_source_id(id)?;
        let game = game.unwrap_or_else(|| self.inner.games[0].clone());
        let (created, retired) = {
            let mut sources = self
                .inner
                .sources
                .write()
                .unwrap_or_else(|e| e.into_inner());
            match sources.iter().position(|s| s.id == id) {
                Some(i) if fits(&sources[i]) => return Ok(sources[i].clone()),
                Some(i) => {
                    let state = self.new_source_state(id, &game);
                    let old = std::mem::replace(&mut sources[i], state.clone());
                    (state, Some(old))
                }
                None => {
                    if sources.len() >= self.inner.config.max_sources {
                        return Err(Error::TooManySources(self.inner.config.max_sources));
                    }
                    let state = self.new_source_state(id, &game);
                    sources.push(state.clone());
                    (state, None)
                }
            }
        };
        if let Some(old) = retired {
            old.retired
                .store(true, std::sync::atomic::Ordering::Relaxed);
            // Its subscribers see the ring closed: 4010, and they come back
            // to the new source.
            old.hub.reset(&created.hub.epoch());
            tracing::info!(
                source = id,
                game = %game.identity.title,
                "the source's game changed: a new source replaces it"
            );
        } else {
            tracing::info!(source = id, game = %game.identity.title, "new source");
        }
        let init = self
            .inner
            .init
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(init) = init {
            created.hub.publish(init(&created.game.catalogue));
        }
        Ok(created)
    }

    /// The source `id`, if the broker serves it.
    pub fn find_source(&self, id: &str) -> Option<Source> {
        let found = self.sources_read().iter().find(|s| s.id == id).cloned();
        found.map(|s| self.handle(s))
    }

    /// The source a client that names none gets: the configured default, or,
    /// while the default has had no game data, the one other source if there
    /// is exactly one with data (so a single match posted under its own id is
    /// everyone's default).
    pub fn default_source(&self) -> Source {
        let state = self.default_state();
        self.handle(state)
    }

    pub(crate) fn default_state(&self) -> Arc<source::SourceState> {
        let sources = self.sources_read();
        let default = sources[0].clone();
        if default.is_fed() {
            return default;
        }
        let mut fed = sources.iter().skip(1).filter(|s| s.is_fed());
        match (fed.next(), fed.next()) {
            (Some(only), None) => only.clone(),
            _ => default,
        }
    }

    /// Every source, the configured default first, with its clients and liveness.
    pub fn sources(&self) -> Vec<SourceSummary> {
        let sources: Vec<_> = self.sources_read().clone();
        let default = self.default_state();
        // One pass over the clients, not one per source.
        let mut clients: std::collections::HashMap<Arc<str>, usize> =
            std::collections::HashMap::new();
        for c in self.inner.clients.iter() {
            *clients.entry(c.source.clone()).or_default() += 1;
        }
        sources
            .iter()
            .map(|s| {
                let (running, age) = s.hub.running();
                SourceSummary {
                    source: s.id.clone(),
                    epoch: s.hub.epoch().to_string(),
                    running,
                    last_update_age_ms: age,
                    clients: clients.get(s.id.as_str()).copied().unwrap_or(0),
                    default: Arc::ptr_eq(s, &default),
                    details: s.details(),
                }
            })
            .collect()
    }

    /// Publishes `init(catalogue)` into every source now, and into each
    /// source created later, as its first batch (for info that never changes
    /// during a run), each with its game's catalogue.
    pub fn set_source_init(&self, init: impl Fn(&Catalogue) -> Batch + Send + Sync + 'static) {
        let init: Arc<SourceInit> = Arc::new(init);
        *self.inner.init.lock().unwrap_or_else(|e| e.into_inner()) = Some(init.clone());
        let sources: Vec<_> = self.sources_read().clone();
        for s in sources {
            s.hub.publish(init(&s.game.catalogue));
        }
    }

    /// The configured default source (the first one).
    fn first(&self) -> Source {
        let first = self.sources_read()[0].clone();
        self.handle(first)
    }

    /// The catalogue of the broker's first game (a new source's, unless
    /// told otherwise).
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.games[0].catalogue
    }

    /// The games the broker serves, the first one a new source's by default.
    pub fn games(&self) -> impl Iterator<Item = &ServedGame> {
        self.inner.games.iter().map(|g| &**g)
    }

    /// The epoch of the configured default source, sent to its clients.
    pub fn epoch(&self) -> String {
        self.first().epoch().to_string()
    }

    /// Publishes one snapshot's batch into the configured default source
    /// (see [`Source::publish`]).
    pub fn publish(&self, batch: Batch) {
        self.first().publish(batch);
    }

    /// [`Source::set_game_running`] of the configured default source.
    pub fn set_game_running(&self, running: bool) {
        self.first().set_game_running(running);
    }

    /// [`Source::touch_game`] of the configured default source.
    pub fn touch_game(&self) {
        self.first().touch_game();
    }

    /// [`Source::set_feature_states`] of the configured default source.
    pub fn set_feature_states(&self, states: &[(FeatureId, FeatureState)]) {
        self.first().set_feature_states(states);
    }

    /// [`Source::features`] of the configured default source.
    pub fn features(&self) -> Vec<FeatureDef> {
        self.first().features()
    }

    /// Adds the broker's metrics to a Prometheus registry.
    pub fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        let m = &self.inner.metrics;
        registry.register(
            "wardcast_clients",
            "Connected WebSocket clients",
            m.clients.clone(),
        );
        registry.register(
            "wardcast_bytes_sent",
            "Bytes written to WebSocket clients",
            m.bytes_sent.clone(),
        );
        registry.register(
            "wardcast_slow_consumer_disconnects",
            "Clients closed with 4008 for falling too far behind",
            m.slow_disconnects.clone(),
        );
        registry.register(
            "wardcast_ingest_to_send_seconds",
            "Seconds from a GSI body's arrival to the end of a client's write of its notifications",
            m.latency.clone(),
        );
    }

    /// The connected clients, oldest connection first.
    pub fn clients(&self) -> Vec<ClientInfo> {
        let mut clients: Vec<ClientInfo> = self
            .inner
            .clients
            .iter()
            .map(|e| {
                let c = e.value();
                ClientInfo {
                    id: *e.key(),
                    peer: c.peer.addr.clone(),
                    name: c.peer.name.clone(),
                    features: c.features.to_vec(),
                    source: c.source.to_string(),
                    connected_secs: c.since.elapsed().as_secs(),
                }
            })
            .collect();
        clients.sort_by_key(|c| c.id);
        clients
    }

    /// The number of connected clients.
    pub fn client_count(&self) -> usize {
        self.inner.clients.len()
    }

    /// The sequence number of the last notification published in the
    /// configured default source.
    pub fn last_seq(&self) -> u64 {
        self.first().last_seq()
    }

    /// Closes every connection with 1001 and waits up to the grace period for them.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        let grace = self.inner.config.shutdown_grace
            + self.inner.config.write_timeout.min(Duration::from_secs(1));
        if tokio::time::timeout(grace, self.inner.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                remaining = self.inner.tasks.len(),
                "shutdown grace elapsed with connections still open"
            );
        }
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }
}
