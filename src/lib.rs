//! Wardcast: Game State Integration (Dota 2, Counter-Strike 2) in,
//! Overwolf-compatible game events out over WebSocket.
//!
//! # Layout
//! Data flows one way: GSI ingest → engine → broker.
//! - `wardcast_gsi` answers the game's POSTs and queues snapshots, each
//!   parsed by its game's model, on a bounded channel per source.
//! - [`games`] lists the games (`games/dota2`, `games/cs2`), each a
//!   `wardcast_engine::Game`; the body's `provider.appid` picks one.
//! - The pipeline task (`pipeline.rs`) feeds each snapshot to its source's
//!   pure engine (the game's `GameEngine`) and publishes what it returns to
//!   the `wardcast_broker::Broker`, which fans it out to WebSocket clients.
//! - [`run`] wires these on one listener: `POST /gsi` and `POST /`, `GET /ws`,
//!   `GET /healthz`. The caller binds the listener and passes a shutdown future,
//!   so tests run on `127.0.0.1:0`.
//! - [`demo`] plays a simulated match into the pipeline until a real game posts;
//!   [`record`] writes accepted bodies to a JSONL file; [`replay`] posts one back.

pub mod demo;
pub mod discovery;
#[cfg(feature = "nats")]
pub mod federation;
pub mod games;
pub mod gsi_cfg;
pub mod metrics;
pub mod overview;
mod pipeline;
pub mod record;
pub mod replay;
pub mod setup;
pub mod token;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use pipeline::{version_batch, SourceRouter, Sources};
use wardcast_broker::{
    Broker, BrokerConfig, Catalogue, FeatureDef, GameIdentity, InfoKey, ServedGame,
};
use wardcast_engine::{EngineConfig, Game, Support};
use wardcast_gsi::{IngestConfig, IngestStats};

pub use demo::{DemoMode, DemoOptions};

/// Overwolf's game class id for Dota 2.
pub const DOTA2_CLASS_ID: u32 = 7314;

/// The JavaScript client (`web/wardcast.js`), served at `/wardcast.js`: one
/// file, no build step, with the drop-in `overwolf.games.events` shim.
const CLIENT_JS: &str = include_str!("../web/wardcast.js");
/// Its TypeScript typings, served at `/wardcast.d.ts`.
const CLIENT_DTS: &str = include_str!("../web/wardcast.d.ts");
/// The dashboard (`web/dashboard.html`), served at `GET /`.
const DASHBOARD_HTML: &str = include_str!("../web/dashboard.html");

/// Everything `run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The GSI endpoint's settings.
    pub ingest: IngestConfig,
    /// The feature engine's settings.
    pub engine: EngineConfig,
    /// The broker's settings.
    pub broker: BrokerConfig,
    /// Append every accepted GSI body to this JSONL file.
    pub record: Option<PathBuf>,
    /// Play the demo match until a real game posts.
    pub demo: Option<DemoOptions>,
    /// After this long without a GSI body the game counts as stopped.
    pub game_timeout: Duration,
    /// After this long without a GSI body during a match, health turns red.
    pub stale_after: Duration,
    /// How long a client may take to send a request's headers (slowloris guard).
    pub header_timeout: Duration,
    /// The most HTTP connections served at once, WebSockets aside (an upgraded
    /// connection counts against the broker's `max_connections` instead). When
    /// all are busy, new connections wait in the kernel's accept queue.
    pub max_http_connections: usize,
    /// The kernel send buffer of each connection (SO_SNDBUF), in bytes; `None`
    /// leaves the kernel's autotuning. A small value bounds how much a client
    /// that stops reading can hold in the kernel, so it is found slow sooner.
    pub tcp_send_buffer: Option<usize>,
    /// Tournament mode: federate with other brokers over NATS (`--nats`).
    #[cfg(feature = "nats")]
    pub federation: Option<federation::FederationConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ingest: IngestConfig::default(),
            engine: EngineConfig::default(),
            broker: BrokerConfig {
                game: GameIdentity {
                    class_id: DOTA2_CLASS_ID,
                    title: "Dota 2".into(),
                },
                ..BrokerConfig::default()
            },
            record: None,
            demo: None,
            game_timeout: Duration::from_secs(40),
            stale_after: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            max_http_connections: 1024,
            tcp_send_buffer: None,
            #[cfg(feature = "nats")]
            federation: None,
        }
    }
}

/// Why Wardcast stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or socket operation failed.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// An input (file, argument) is invalid.
    #[error("{0}")]
    Input(String),
    /// The broker refused its configuration.
    #[error(transparent)]
    Broker(#[from] wardcast_broker::Error),
    /// The engine refused its configuration.
    #[error(transparent)]
    Engine(#[from] wardcast_engine::Error),
}

fn reason(support: Support) -> Option<String> {
    match support {
        Support::Supported => None,
        Support::Unsupported(why) => Some(why.into()),
    }
}

/// The broker's catalogue of `game`, built from the game's for these engine
/// settings (Dota's `chat` is supported only with `allow_chat`).
pub fn catalogue(game: &dyn Game, engine: &EngineConfig) -> Catalogue {
    Catalogue::new(
        game.info()
            .catalogue
            .iter()
            .map(|f| {
                let support = game.support(f, engine);
                FeatureDef {
                    name: f.name.into(),
                    events: f.events.iter().map(|e| (*e).into()).collect(),
                    info: f
                        .info
                        .iter()
                        .map(|i| {
                            let supported =
                                support == Support::Supported && i.support == Support::Supported;
                            InfoKey {
                                category: i.category.into(),
                                key: i.key.into(),
                                supported,
                                reason: reason(support).or_else(|| reason(i.support)),
                                // Until the first health report: yellow, no data yet.
                                state: if supported { 2 } else { 0 },
                            }
                        })
                        .collect(),
                    supported: support == Support::Supported,
                    reason: reason(support),
                    state: if support == Support::Supported { 2 } else { 0 },
                }
            })
            .collect(),
    )
}

/// Every game as the broker serves it: identity and catalogue, the default
/// game first.
pub fn served_games(engine: &EngineConfig) -> Vec<ServedGame> {
    games::GAMES
        .iter()
        .map(|game| ServedGame {
            identity: GameIdentity {
                class_id: game.info().class_id,
                title: game.info().title.into(),
            },
            catalogue: catalogue(*game, engine),
        })
        .collect()
}

/// Serves GSI ingest, the WebSocket broker and health on `listener` until
/// `shutdown` completes; then closes every client with 1001.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    #[cfg(feature = "nats")]
    let federated = config.federation.is_some();
    #[cfg(not(feature = "nats"))]
    let federated = false;
    // In tournament mode each source takes clients once it has caught up
    // with its stream, and its first batches come from there (the ingest
    // writes the version, once).
    let broker = Broker::with_games(
        BrokerConfig {
            sources_start_ready: !federated,
            ..config.broker.clone()
        },
        served_games(&config.engine),
    )?;
    if !federated {
        broker.set_source_init(version_batch);
    }
    let stats = Arc::new(IngestStats::default());
    let recorder = match &config.record {
        Some(path) => Some(record::Recorder::open(path).await?),
        None => None,
    };
    let stop = CancellationToken::new();
    let demo = config.demo.clone().map(|options| {
        let (demo_tx, demo_rx) = mpsc::channel(4);
        let demo_stop = stop.child_token();
        tokio::spawn(demo::play(options, demo_tx, demo_stop.clone()));
        (demo_rx, demo_stop)
    });
    let pipeline_metrics = metrics::PipelineMetrics::default();
    let registry = Arc::new(metrics::registry(&broker, stats.clone(), &pipeline_metrics));
    #[cfg(feature = "nats")]
    // The bus connects in the background: the node binds and serves at once
    // (its sources say "not ready" until they have caught up).
    let bus = config.federation.as_ref().map(|federation| {
        let (tx, rx) = tokio::sync::watch::channel(None);
        tokio::spawn(connect_bus(federation.bus.clone(), tx, stop.clone()));
        rx
    });
    let sources = Arc::new(Sources {
        broker: broker.clone(),
        #[cfg(feature = "nats")]
        bus: bus.clone(),
        #[cfg(feature = "nats")]
        own: Arc::default(),
        config: config.clone(),
        metrics: pipeline_metrics,
        stop: stop.clone(),
        tasks: tokio_util::task::TaskTracker::new(),
        pipelines: std::sync::Mutex::new(Vec::new()),
    });
    let ingests = sources.ingests();
    // The default source's pipeline plays the demo and feeds the recorder;
    // it carries the demo's game from the start.
    if ingests {
        sources.start(
            &config.broker.default_source,
            config
                .demo
                .as_ref()
                .map_or_else(games::default_game, |demo| demo.game),
            recorder,
            demo,
        )?;
    }
    #[cfg(feature = "nats")]
    if let (Some(bus), Some(federation)) = (&bus, &config.federation) {
        if federation.role.serves() {
            sources.tasks.spawn(federation::run_edge(
                bus.clone(),
                broker.clone(),
                sources.own.clone(),
                stop.clone(),
            ));
        }
    }

    let app = Router::new()
        .merge(wardcast_gsi::router(
            ingest_config(&config),
            SourceRouter(sources.clone()),
            stats.clone(),
        ))
        .merge(if sources.serves() {
            wardcast_broker::http::router(broker.clone())
        } else {
            Router::new()
        })
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/wardcast.js",
            get(|| async {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/javascript; charset=utf-8",
                    )],
                    CLIENT_JS,
                )
            }),
        )
        .route(
            "/wardcast.d.ts",
            get(|| async {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; charset=utf-8",
                    )],
                    CLIENT_DTS,
                )
            }),
        )
        .route(
            "/metrics",
            get({
                let access = config.broker.access.clone();
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      request: axum::extract::Request| {
                    let response = match refused(&access, &peer, &request) {
                        Some(refusal) => refusal,
                        None => (
                            [(
                                axum::http::header::CONTENT_TYPE,
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )],
                            metrics::render(&registry),
                        )
                            .into_response(),
                    };
                    async move { response }
                }
            }),
        )
        .route("/", get(|| async { axum::response::Html(DASHBOARD_HTML) }))
        .route(
            "/status",
            get({
                let access = config.broker.access.clone();
                let sources = sources.clone();
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      request: axum::extract::Request| {
                    let source = source_param(&request);
                    let report = gated(&access, &peer, &request, |_| {
                        sources.health_of(source.as_deref())
                    });
                    async move { report }
                }
            }),
        )
        .route(
            "/api/sources",
            get({
                let access = config.broker.access.clone();
                let broker = broker.clone();
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      request: axum::extract::Request| {
                    let list = gated(
                        &access,
                        &peer,
                        &request,
                        |_| serde_json::json!({ "sources": broker.sources() }),
                    );
                    async move { list }
                }
            }),
        )
        .route(
            "/api/overview",
            get({
                let access = config.broker.access.clone();
                let overview = overview::OverviewSource {
                    broker: broker.clone(),
                    sources: sources.clone(),
                    stats: stats.clone(),
                    listen: listener
                        .local_addr()
                        .map_err(|e| Error::Io("listener address".into(), e))?,
                    gsi_token: config.ingest.token.clone(),
                    game_timeout: config.game_timeout,
                };
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      request: axum::extract::Request| {
                    let source = source_param(&request);
                    let body = gated(&access, &peer, &request, |local| {
                        overview.overview(source.as_deref(), local)
                    });
                    async move { body }
                }
            }),
        );
    let server = tokio::spawn(serve_http(
        listener,
        app,
        HttpLimits {
            header_timeout: config.header_timeout,
            max_connections: config.max_http_connections,
            send_buffer: config.tcp_send_buffer,
        },
        stop.clone(),
    ));

    shutdown.await;
    tracing::info!("shutting down");
    stop.cancel();
    broker.shutdown().await;
    sources.tasks.close();
    sources.tasks.wait().await;
    server
        .await
        .map_err(|e| Error::Input(format!("http server task failed: {e}")))
}

/// Answers with `f(local)` as JSON when the access policy lets the request in
/// (the same rule as `GET /ws`), where `local` says the request came from this
/// machine; otherwise with the refusal.
fn gated<T: serde::Serialize>(
    access: &wardcast_broker::AccessPolicy,
    peer: &SocketAddr,
    request: &axum::extract::Request,
    f: impl FnOnce(bool) -> T,
) -> axum::response::Response {
    match refused(access, peer, request) {
        Some(refusal) => refusal,
        None => axum::Json(f(peer.ip().is_loopback())).into_response(),
    }
}

/// The answer to a request the access policy refuses, or `None` to let it in.
fn refused(
    access: &wardcast_broker::AccessPolicy,
    peer: &SocketAddr,
    request: &axum::extract::Request,
) -> Option<axum::response::Response> {
    wardcast_broker::http::check_access(access, request.headers(), request.uri().query(), peer)
        .err()
        .map(IntoResponse::into_response)
}

/// How long shutdown waits for HTTP requests in flight.
const HTTP_GRACE: Duration = Duration::from_secs(3);

/// Accepts connections and serves HTTP/1.1 with upgrades until `stop`, with a
/// limit on how long a client may take to send its headers (a slowloris
/// client is disconnected, not kept). WebSocket upgrades leave hyper and are
/// tracked by the broker.
/// The HTTP server's limits (see [`Config`]).
struct HttpLimits {
    header_timeout: Duration,
    max_connections: usize,
    send_buffer: Option<usize>,
}

async fn serve_http(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    stop: CancellationToken,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let connections = tokio_util::task::TaskTracker::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let send_buffer = limits.send_buffer;
    loop {
        // A slot first: with every slot taken, new connections wait in the
        // kernel's queue until a request ends or a slow one times out.
        let slot = tokio::select! {
            () = stop.cancelled() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (tcp, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Frames are flushed once per snapshot already; Nagle would only add delay.
        let _ = tcp.set_nodelay(true);
        if let Some(size) = send_buffer {
            let _ = socket2::SockRef::from(&tcp).set_send_buffer_size(size);
        }
        let service =
            app.clone()
                .map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let connection = http
            .serve_connection(TokioIo::new(tcp), service)
            .with_upgrades();
        let stop = stop.clone();
        connections.spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!("http connection from {peer} ended: {e}");
            }
        });
    }
    connections.close();
    if tokio::time::timeout(HTTP_GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::debug!("http connections still open after the grace period");
    }
}

/// The bus, once connected (`None` until then).
#[cfg(feature = "nats")]
type BusCell = tokio::sync::watch::Receiver<Option<wardcast_bus::Bus>>;

/// Connects to NATS, retrying until it answers (or shutdown), and hands the
/// connection over.
#[cfg(feature = "nats")]
async fn connect_bus(
    config: wardcast_bus::BusConfig,
    tx: tokio::sync::watch::Sender<Option<wardcast_bus::Bus>>,
    stop: CancellationToken,
) {
    let mut attempt = 0u32;
    loop {
        match wardcast_bus::Bus::connect(&config).await {
            Ok(bus) => {
                tracing::info!("connected to NATS");
                let _ = tx.send(Some(bus));
                return;
            }
            Err(e) => {
                if attempt == 0 || matches!(e, wardcast_bus::Error::Server(_)) {
                    tracing::warn!("waiting for NATS: {e}");
                }
                attempt = attempt.saturating_add(1);
                let wait = Duration::from_millis(250 * u64::from(attempt.min(8)));
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// Waits for the bus (or shutdown: `None`).
#[cfg(feature = "nats")]
pub(crate) async fn bus_ready(
    cell: &mut BusCell,
    stop: &CancellationToken,
) -> Option<wardcast_bus::Bus> {
    tokio::select! {
        () = stop.cancelled() => None,
        bus = cell.wait_for(Option::is_some) => bus.ok().and_then(|b| b.clone()),
    }
}

/// How long, in tournament mode, a GSI post waits for its snapshot to be
/// stored before it is answered 503 (the game's own timeout is 5 s).
#[cfg(feature = "nats")]
const WAIT_STORED: Duration = Duration::from_secs(2);

/// The GSI endpoint's settings: in tournament mode a post is answered 200
/// only once its snapshot is stored in NATS, so nothing the game was told
/// was taken is lost with the ingest.
fn ingest_config(config: &Config) -> IngestConfig {
    #[allow(unused_mut)] // changed only in tournament mode
    let mut ingest = config.ingest.clone();
    #[cfg(feature = "nats")]
    if config.federation.is_some() && ingest.wait_stored.is_none() {
        ingest.wait_stored = Some(WAIT_STORED);
    }
    ingest
}

/// The `source` query parameter of a request.
fn source_param(request: &axum::extract::Request) -> Option<String> {
    wardcast_broker::http::query_param(request.uri().query(), "source")
}
