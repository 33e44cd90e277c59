//! A game-agnostic WebSocket pub/sub broker speaking the Overwolf game-events
//! protocol (`setRequiredFeatures`, `onNewEvents`, `onInfoUpdates2`, ...) over
//! JSON-RPC 2.0. It knows features only as names in a [`Catalogue`] handed to it.
//!
//! # Layout
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

mod catalogue;
mod error;
pub mod http;
mod hub;
mod outgoing;
pub mod protocol;
mod rpc;
mod session;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use catalogue::{Catalogue, FeatureDef, FeatureId, InfoKey};
pub use error::Error;
pub use hub::{Batch, EventItem, GameIdentity, HistoryLimits};
pub use session::serve_connection;

/// Settings of the broker.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// The game's identity, reported by `getRunningGameInfo` and `onGameInfoUpdated`.
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
}

/// One connected client's entry in the registry.
struct ClientEntry {
    peer: Peer,
    /// Shared with the session's subscription.
    features: Arc<[String]>,
    since: std::time::Instant,
}

/// The broker handle: cheap to clone, shared by the publisher and every connection.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    config: BrokerConfig,
    catalogue: Catalogue,
    hub: hub::Hub,
    /// Connected clients by connection id. Entries are inserted, updated and
    /// removed synchronously by their own session; no guard lives across an `.await`.
    clients: DashMap<u64, ClientEntry>,
    /// Cancelled on shutdown; every session then closes with 1001.
    shutdown: CancellationToken,
    /// Tracks session tasks so shutdown can wait for them.
    tasks: TaskTracker,
    /// Live health per feature, by feature id; written by the publisher, read by
    /// `getFeatures`. Held only to copy in or out, never across an `.await`.
    states: std::sync::RwLock<Vec<FeatureState>>,
    /// Counters and the latency histogram, updated by the sessions.
    metrics: BrokerMetrics,
}

impl Broker {
    /// Creates a broker for the given catalogue.
    pub fn new(config: BrokerConfig, catalogue: Catalogue) -> Result<Self, Error> {
        if config.ring_capacity == 0 {
            return Err(Error::Config("ring_capacity must be at least 1"));
        }
        let hub = hub::Hub::new(
            &catalogue,
            config.ring_capacity,
            config.ring_max_bytes,
            config.game.clone(),
            config.history,
        );
        let states = catalogue
            .features()
            .iter()
            .map(|f| FeatureState {
                state: f.state,
                info: f.info.iter().map(|k| k.state).collect(),
            })
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                catalogue,
                hub,
                clients: DashMap::new(),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
                states: std::sync::RwLock::new(states),
                metrics: BrokerMetrics::default(),
            }),
        })
    }

    /// The catalogue the broker serves.
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
    }

    /// The name of this broker run, sent to clients as `epoch`.
    pub fn epoch(&self) -> &str {
        self.inner.hub.epoch()
    }

    /// Publishes everything one snapshot produced. Each notification is
    /// serialized once here and shared by every client that receives it.
    pub fn publish(&self, batch: Batch) {
        self.inner.hub.publish(batch);
    }

    /// Records that the game is (or is no longer) sending data; a change is
    /// pushed to subscribed clients as `onGameInfoUpdated`.
    pub fn set_game_running(&self, running: bool) {
        self.inner.hub.set_running(running);
    }

    /// Records when the last game data arrived, for `getRunningGameInfo`.
    pub fn touch_game(&self) {
        self.inner.hub.touch();
    }

    /// Sets the live health state of features (by feature id), as `getFeatures`
    /// reports it: the feature's state and its info keys' states, in catalogue order.
    pub fn set_feature_states(&self, states: &[(FeatureId, FeatureState)]) {
        let mut current = self.inner.states.write().unwrap_or_else(|e| e.into_inner());
        for (id, state) in states {
            if let Some(slot) = current.get_mut(usize::from(id.0)) {
                *slot = state.clone();
            }
        }
    }

    /// The catalogue with the current health state of each feature and info key.
    pub fn features(&self) -> Vec<FeatureDef> {
        let states = self
            .inner
            .states
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        self.inner
            .catalogue
            .features()
            .iter()
            .zip(states)
            .map(|(f, s)| {
                let mut def = f.clone();
                def.state = s.state;
                for (key, state) in def.info.iter_mut().zip(s.info) {
                    key.state = state;
                }
                def
            })
            .collect()
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

    /// The sequence number of the last notification published.
    pub fn last_seq(&self) -> u64 {
        self.inner.hub.last_seq()
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
