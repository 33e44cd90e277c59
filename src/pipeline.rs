//! The engine stage: one `Pipeline` per source turns its GSI snapshots into
//! batches with the game's engine and publishes them (to the broker, or in
//! tournament mode to the source's stream first); `Sources` finds or starts
//! a source's pipeline and answers the status pages from it. Data flows one
//! way: ingest (`SourceRouter`) → `Pipeline` → broker.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wardcast_broker::{Batch, Broker, Catalogue, FeatureState};
use wardcast_engine::{Freshness, Game, GameEngine, HealthReport, Mode, Output};
use wardcast_gsi::{ParseError, Parsed, Snapshot};

#[cfg(feature = "nats")]
use crate::{bus_ready, federation, BusCell};
use crate::{games, metrics, overview, record, Config, Error};

/// How many parsed snapshots may wait for the engine. The game posts one at a
/// time and waits for the reply, so this only fills if the engine stalls; the
/// game then gets 503 and resends its full state.
const INGEST_QUEUE: usize = 64;

/// How often health is re-derived (only when something changed it may change).
const HEALTH_TICK: Duration = Duration::from_secs(1);

/// `gep_internal.version_info`, which never changes during a run: every
/// source starts with it.
pub(crate) fn version_batch(catalogue: &Catalogue) -> Batch {
    let mut batch = Batch::default();
    if let Some(id) = catalogue.id("gep_internal") {
        let version = env!("CARGO_PKG_VERSION");
        batch.info(
            id,
            "gep_internal",
            "version_info",
            serde_json::json!({ "local_version": version, "public_version": version, "is_updated": true }),
        );
    }
    batch
}

/// One source's pipeline, as the ingest and the status pages reach it.
pub(crate) struct PipelineHandle {
    source: String,
    tx: mpsc::Sender<wardcast_gsi::Offered>,
    health: tokio::sync::watch::Receiver<HealthReport>,
    view: tokio::sync::watch::Receiver<overview::PipelineView>,
}

/// The engine stages of every source: the default one starts with the
/// broker, another on the first GSI body posted to `POST /gsi/<source>`.
pub(crate) struct Sources {
    pub(crate) broker: Broker,
    /// Tournament mode: the bus every source's pipeline publishes to.
    #[cfg(feature = "nats")]
    pub(crate) bus: Option<BusCell>,
    /// The sources this node writes (an edge task must not follow them).
    #[cfg(feature = "nats")]
    pub(crate) own: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    pub(crate) config: Config,
    pub(crate) metrics: metrics::PipelineMetrics,
    pub(crate) stop: CancellationToken,
    pub(crate) tasks: tokio_util::task::TaskTracker,
    /// Held only to look up or add, never across an `.await`.
    pub(crate) pipelines: std::sync::Mutex<Vec<PipelineHandle>>,
}

impl Sources {
    /// Whether this node takes GSI (an edge of a federation does not).
    pub(crate) fn ingests(&self) -> bool {
        #[cfg(feature = "nats")]
        if let Some(f) = &self.config.federation {
            return f.role.ingests();
        }
        true
    }

    /// Whether this node serves WebSocket clients (an ingest of a federation does not).
    pub(crate) fn serves(&self) -> bool {
        #[cfg(feature = "nats")]
        if let Some(f) = &self.config.federation {
            return f.role.serves();
        }
        true
    }

    /// The pipeline of source `id`, started for `game` if it is not running
    /// (the broker creates the source, up to its limit). A running pipeline
    /// takes a body of another game itself (the source changes game).
    pub(crate) fn start(
        &self,
        id: &str,
        game: &'static dyn Game,
        recorder: Option<record::Recorder>,
        demo: Option<(mpsc::Receiver<Snapshot>, CancellationToken)>,
    ) -> Result<mpsc::Sender<wardcast_gsi::Offered>, Error> {
        // Found or started under one lock, so two first posts of a source
        // cannot start it twice.
        let mut pipelines = self.lock();
        if let Some(running) = pipelines.iter().find(|p| p.source == id) {
            return Ok(running.tx.clone());
        }
        let source = self.broker.source_of(id, game.info().class_id)?;
        #[cfg(feature = "nats")]
        self.own
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string());
        let engine = game.engine(&self.config.engine)?;
        let (health_tx, health) = tokio::sync::watch::channel(engine.health(Freshness::NeverSeen));
        let (view_tx, view) = tokio::sync::watch::channel(overview::PipelineView {
            view: engine.view(),
            ..Default::default()
        });
        let (tx, rx) = mpsc::channel(INGEST_QUEUE);
        let pipeline = Pipeline {
            engine,
            game,
            sources_broker: self.broker.clone(),
            engine_config: self.config.engine.clone(),
            source,
            recorder,
            game_timeout: self.config.game_timeout,
            stale_after: self.config.stale_after,
            health: health_tx,
            view: view_tx,
            health_published: false,
            metrics: self.metrics.clone(),
            health_basis: None,
            mode: Mode::Idle,
            lost_match: false,
            plugin_error: serde_json::Value::Null,
            details: serde_json::Map::new(),
            details_changed: false,
            #[cfg(feature = "nats")]
            stop: self.stop.clone(),
            #[cfg(feature = "nats")]
            bus: self.bus.clone(),
            #[cfg(feature = "nats")]
            upstream: None,
            #[cfg(feature = "nats")]
            bus_name: self
                .config
                .federation
                .as_ref()
                .map(|f| f.bus.name.clone())
                .unwrap_or_default(),
        };
        self.tasks.spawn(pipeline.run(rx, demo, self.stop.clone()));
        pipelines.push(PipelineHandle {
            source: id.to_string(),
            tx: tx.clone(),
            health,
            view,
        });
        Ok(tx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PipelineHandle>> {
        self.pipelines.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The id a request names, or the source clients get by default.
    fn resolve(&self, source: Option<&str>) -> String {
        source.map_or_else(
            || self.broker.default_source().id().to_string(),
            str::to_string,
        )
    }

    /// The health report of a source (a source with no pipeline yet has had no data).
    pub(crate) fn health_of(&self, source: Option<&str>) -> serde_json::Value {
        let id = self.resolve(source);
        if let Some(p) = self.lock().iter().find(|p| p.source == id) {
            return serde_json::to_value(&*p.health.borrow()).unwrap_or_default();
        }
        // A source this node does not ingest: the report its ingest sent
        // along (tournament mode), else one of no data yet.
        let carried = self
            .broker
            .find_source(&id)
            .and_then(|s| s.info_of("gep_internal"))
            .and_then(|info| info.get("gep_internal")?.get("health").cloned());
        #[allow(unused_mut)]
        let mut report = carried.unwrap_or_else(|| {
            let game = self.game_of(&id);
            game.engine(&self.config.engine)
                .map(|e| serde_json::to_value(e.health(Freshness::NeverSeen)).unwrap_or_default())
                .unwrap_or_default()
        });
        #[cfg(feature = "nats")]
        if self
            .bus
            .as_ref()
            .is_some_and(|cell| !cell.borrow().as_ref().is_some_and(|b| b.connected()))
        {
            federation::mark_upstream_lost(&mut report);
        }
        report
    }

    /// The game source `id` carries now (the default game for a source the
    /// broker does not serve yet).
    pub(crate) fn game_of(&self, id: &str) -> &'static dyn Game {
        self.broker
            .find_source(id)
            .and_then(|s| games::by_class_id(s.game().class_id))
            .unwrap_or_else(games::default_game)
    }

    /// What the pipeline of a source last saw, and the source's id.
    pub(crate) fn view_of(&self, source: Option<&str>) -> (String, overview::PipelineView) {
        let id = self.resolve(source);
        let view = self
            .lock()
            .iter()
            .find(|p| p.source == id)
            .map(|p| p.view.borrow().clone())
            .unwrap_or_else(|| {
                // No pipeline yet: the view of the source's game before any
                // data, so the overview has the game's fields (all null).
                let game = self.game_of(&id);
                let view = game
                    .engine(&self.config.engine)
                    .map(|engine| engine.view())
                    .unwrap_or_default();
                overview::PipelineView {
                    view,
                    ..Default::default()
                }
            });
        (id, view)
    }
}

/// The GSI endpoint's sink: each snapshot goes to its source's pipeline,
/// started on the source's first body.
pub(crate) struct SourceRouter(pub(crate) Arc<Sources>);

impl wardcast_gsi::SnapshotSink for SourceRouter {
    fn offer(
        &self,
        source: Option<&str>,
        offered: wardcast_gsi::Offered,
    ) -> Result<(), wardcast_gsi::Error> {
        let sources = &self.0;
        if !sources.ingests() {
            return Err(wardcast_gsi::Error::Source(
                "this node is an edge: post GSI to an ingest node".into(),
            ));
        }
        let id = source.unwrap_or(&sources.config.broker.default_source);
        let game = games::by_app_id(offered.snapshot.parsed.app_id())
            .unwrap_or_else(|| sources.game_of(id));
        #[cfg(feature = "nats")]
        if sources.config.federation.is_some() {
            let carried = sources.game_of(id);
            let running = sources.lock().iter().any(|p| p.source == id);
            if running && !std::ptr::addr_eq(carried, game) {
                // A stream carries one game, named in its metadata.
                return Err(wardcast_gsi::Error::Source(format!(
                    "source {id:?} carries {} in tournament mode: post {} to a source of its own (POST /gsi/<source>)",
                    carried.info().title,
                    game.info().title
                )));
            }
        }
        sources
            .start(id, game, None, None)
            .map_err(|e| wardcast_gsi::Error::Source(e.to_string()))?
            .offer(source, offered)
    }

    /// Parses a body with its game's model: the game its `provider.appid`
    /// names, else the game its source carries (a body without a provider).
    fn parse(&self, source: Option<&str>, body: &[u8]) -> Result<Parsed, ParseError> {
        let game = match wardcast_gsi::app_id(body).and_then(games::by_app_id) {
            Some(game) => game,
            None => {
                let sources = &self.0;
                sources.game_of(source.unwrap_or(&sources.config.broker.default_source))
            }
        };
        game.parse(body)
    }
}

/// The engine stage of one source: snapshots in, batches out to the broker.
struct Pipeline {
    /// The engine of the source's game.
    engine: Box<dyn GameEngine>,
    /// The source's game.
    game: &'static dyn Game,
    /// Where a source that changes game gets its new self.
    sources_broker: Broker,
    /// The settings a new engine gets.
    engine_config: wardcast_engine::EngineConfig,
    source: wardcast_broker::Source,
    recorder: Option<record::Recorder>,
    game_timeout: Duration,
    stale_after: Duration,
    /// The latest health report, for `GET /status`. A watch channel holds one
    /// value, so it never grows; the pipeline is its only writer.
    health: tokio::sync::watch::Sender<HealthReport>,
    /// The mode of the last snapshot.
    mode: Mode,
    /// The last `error.plugin_error` sent (`null`: none, or cleared).
    plugin_error: serde_json::Value,
    /// The game stopped sending during a match and has not sent since: health
    /// stays red (see `Freshness::Lost`).
    lost_match: bool,
    /// Snapshots and events counted for `/metrics`.
    metrics: metrics::PipelineMetrics,
    /// What the pipeline last saw, for `GET /api/overview`.
    view: tokio::sync::watch::Sender<overview::PipelineView>,
    /// Whether a health report has been published yet (the first always is).
    health_published: bool,
    /// The freshness and mode of the last report, to report transitions at once.
    health_basis: Option<(Freshness, Mode)>,
    /// What `listSources` last said about the source.
    details: serde_json::Map<String, serde_json::Value>,
    /// `details` changed since the last batch was published.
    details_changed: bool,
    /// Cancelled on shutdown (a publish waiting for NATS gives up).
    #[cfg(feature = "nats")]
    stop: CancellationToken,
    /// Tournament mode: the bus, and the source's stream once open.
    #[cfg(feature = "nats")]
    bus: Option<BusCell>,
    #[cfg(feature = "nats")]
    upstream: Option<federation::Upstream>,
    /// This node's name for leases (its NATS connection name).
    #[cfg(feature = "nats")]
    bus_name: String,
}

impl Pipeline {
    async fn run(
        mut self,
        mut real: mpsc::Receiver<wardcast_gsi::Offered>,
        mut demo: Option<(mpsc::Receiver<Snapshot>, CancellationToken)>,
        stop: CancellationToken,
    ) {
        #[cfg(feature = "nats")]
        {
            if !self.open_upstream(&stop).await {
                return;
            }
            if self.upstream.is_some() && self.source.next_batch() == 1 {
                // A new stream: its first batch is the version, as an
                // embedded broker's source starts with it.
                let version = version_batch(self.source.catalogue());
                self.emit(version).await;
            }
        }
        let mut last_seen: Option<Instant> = None;
        let mut ever_seen = false;
        let mut health_tick = tokio::time::interval(HEALTH_TICK);
        health_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let demo_next = async {
                match demo.as_mut() {
                    Some((rx, _)) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let stale_at = last_seen.map(|t| t + self.game_timeout);
            let stale = async {
                match stale_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                offered = real.recv() => {
                    let Some(wardcast_gsi::Offered { snapshot, stored }) = offered else { break };
                    if let Some((_, demo_stop)) = demo.take() {
                        demo_stop.cancel();
                        tracing::info!("game connected: demo stopped");
                        let reset = self.engine.reset();
                        self.publish(reset, None).await;
                    }
                    if let Some(recorder) = &self.recorder {
                        recorder.record(snapshot.received_at, snapshot.body.clone());
                    }
                    let published = self.handle(snapshot, overview::Source::Game, &mut last_seen).await;
                    if let (true, Some(stored)) = (published, stored) {
                        // The game's reply waits for this (tournament mode).
                        let _ = stored.send(());
                    }
                    ever_seen = true;
                }
                Some(snapshot) = demo_next => {
                    self.handle(snapshot, overview::Source::Demo, &mut last_seen).await;
                    ever_seen = true;
                }
                _ = health_tick.tick() => {
                    let freshness = match last_seen {
                        _ if !ever_seen => Freshness::NeverSeen,
                        None if self.lost_match => Freshness::Lost,
                        Some(t) if t.elapsed() < self.stale_after => Freshness::Fresh,
                        _ => Freshness::Stale,
                    };
                    self.update_health(freshness).await;
                }
                () = stale => {
                    tracing::info!("no game state for {:?}: game stopped", self.game_timeout);
                    last_seen = None;
                    self.set_running(false).await;
                    self.describe(&wardcast_engine::View::default());
                    let reset = self.engine.reset();
                    let idle = self.engine.view();
                    self.view.send_modify(|v| {
                        v.source = overview::Source::None;
                        v.mode = None;
                        v.view = idle;
                    });
                    self.publish(reset, None).await;
                    self.lost_match = self.mode != Mode::Idle;
                    if self.lost_match {
                        self.update_health(Freshness::Lost).await;
                    }
                }
            }
        }
    }

    /// Re-derives health and, when it changed, publishes it: `getFeatures`
    /// states, `GET /status`, and `gep_internal.health` / `error.plugin_error`
    /// to the clients that asked for them.
    async fn update_health(&mut self, freshness: Freshness) {
        let report = self.engine.health(freshness);
        self.health_basis = Some((freshness, self.mode));
        if self.health_published && *self.health.borrow() == report {
            return;
        }
        self.health_published = true;
        let catalogue = self.source.catalogue();
        let states: Vec<_> = report
            .features
            .iter()
            .filter_map(|f| {
                let info = f
                    .keys
                    .iter()
                    .filter(|k| k.kind == 1)
                    .map(|k| k.state)
                    .collect();
                catalogue.id(f.name).map(|id| {
                    (
                        id,
                        FeatureState {
                            state: f.state,
                            info,
                        },
                    )
                })
            })
            .collect();
        self.source.set_feature_states(&states);
        let mut batch = Batch::default();
        if let Some(id) = catalogue.id("gep_internal") {
            batch.info(
                id,
                "gep_internal",
                "health",
                serde_json::to_value(&report).unwrap_or_default(),
            );
        }
        if let Some(id) = catalogue.id("error") {
            let error = if report.state == 3 {
                serde_json::Value::from("gsi_timeout")
            } else {
                serde_json::Value::Null
            };
            // Like every info key, it is sent only when it changes (`null`
            // when it clears; never a `null` for a key that had no value).
            if error != self.plugin_error {
                self.plugin_error = error.clone();
                batch.info(id, "error", "plugin_error", error);
            }
        }
        self.emit(batch).await;
        self.health.send_replace(report);
    }

    async fn handle(
        &mut self,
        snapshot: Snapshot,
        source: overview::Source,
        last_seen: &mut Option<Instant>,
    ) -> bool {
        if snapshot.parsed.app_id() != self.game.info().app_id {
            if let Some(game) = games::by_app_id(snapshot.parsed.app_id()) {
                self.change_game(game).await;
            }
        }
        // Once per change (and again in a source that changed game).
        self.set_running(true).await;
        let now = Instant::now();
        *last_seen = Some(now);
        self.lost_match = false;
        self.source.touch_game();
        // The engine is written not to panic on any input (fuzzed, property-
        // tested); should it still, one bad snapshot must not stop the service:
        // start a fresh engine, clear the clients' info, and carry on.
        let received_at = snapshot.received_at;
        let engine = &mut self.engine;
        let (parsed, body) = (snapshot.parsed, snapshot.body);
        let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine.process(parsed, &body)
        }));
        let view = self.engine.view();
        self.mode = view.mode;
        self.describe(&view);
        let mode = self.mode;
        self.view.send_modify(|v| {
            v.source = source;
            v.mode = Some(mode);
            v.last_snapshot = Some(now);
            v.snapshots += 1;
            v.view = view;
        });
        let mut published = false;
        match output {
            Ok(output) => {
                self.metrics.snapshots.inc();
                published = self.publish(output, Some(received_at)).await;
            }
            Err(_) => {
                tracing::error!("the feature engine failed on a snapshot; starting it afresh");
                let reset = self.engine.reset();
                self.publish(reset, None).await;
            }
        }
        // Data arriving after none, or a new mode, changes health at once; the
        // slower changes (a section appearing) wait for the next tick.
        if self.health_basis != Some((Freshness::Fresh, self.mode)) {
            self.update_health(Freshness::Fresh).await;
        }
        published
    }

    /// The source's game changed (the client posting to it now plays
    /// another game): the source starts over for the new game (a new epoch
    /// and catalogue; its clients are closed with 4010 and resubscribe), with
    /// a new engine.
    async fn change_game(&mut self, game: &'static dyn Game) {
        let engine = match game.engine(&self.engine_config) {
            Ok(engine) => engine,
            Err(e) => {
                tracing::error!(
                    source = self.source.id(),
                    "no engine for {}: {e}",
                    game.info().title
                );
                return;
            }
        };
        #[cfg(feature = "nats")]
        if self.upstream.is_some() {
            // A stream carries one game (its metadata says which, so every
            // edge makes the source with the right catalogue).
            tracing::warn!(
                source = self.source.id(),
                "a {} body was posted to a {} source in tournament mode: post each game to its own source",
                game.info().title,
                self.game.info().title
            );
            return;
        }
        match self
            .sources_broker
            .source_of(self.source.id(), game.info().class_id)
        {
            Ok(source) => {
                tracing::info!(
                    source = source.id(),
                    "the source now carries {} (was {})",
                    game.info().title,
                    self.game.info().title
                );
                self.source = source;
                self.game = game;
                self.engine = engine;
                self.health_published = false;
                self.health_basis = None;
                self.plugin_error = serde_json::Value::Null;
                self.details = serde_json::Map::new();
                self.details_changed = false;
            }
            Err(e) => tracing::error!(source = self.source.id(), "cannot change game: {e}"),
        }
    }

    /// Tells `listSources` the source's game, match id, match state and mode, when they change.
    fn describe(&mut self, view: &wardcast_engine::View) {
        let mut details = serde_json::Map::new();
        details.insert("mode".into(), self.mode.as_str().into());
        details.insert("game".into(), self.game.info().name.into());
        if let Some(id) = &view.match_id {
            details.insert("matchId".into(), id.clone().into());
        }
        if let Some(state) = &view.match_state {
            details.insert("matchState".into(), state.clone().into());
        }
        if details != self.details {
            self.source.set_details(details.clone());
            self.details = details;
            // In tournament mode the next batch carries it to the edges.
            self.details_changed = true;
        }
    }

    /// Tells subscribers the game started or stopped sending (once per change).
    async fn set_running(&mut self, running: bool) {
        if self.source.game_running() == running {
            return;
        }
        self.emit(Batch::game_running(running)).await;
    }

    /// Publishes a batch: to the hub, or in tournament mode to the source's
    /// stream first (then the hub). Whether it was stored (tournament mode)
    /// or published.
    async fn emit(&mut self, mut batch: Batch) -> bool {
        if batch.is_empty() {
            return true;
        }
        if std::mem::take(&mut self.details_changed) {
            batch.details(self.details.clone());
        }
        #[cfg(feature = "nats")]
        if let Some(upstream) = self.upstream.as_mut() {
            use federation::PublishError;
            return match upstream.publish(&self.source, batch, &self.stop).await {
                Ok(()) => true,
                Err(PublishError::Stopped) => false,
                Err(PublishError::Lost { batch, running }) => {
                    let events = self.source.events_of(*batch);
                    self.start_over(events, running).await
                }
                Err(PublishError::Fenced(e)) => {
                    // Another ingest writes the source now: this one waits
                    // for its lease (the game gets 503 meanwhile), then
                    // carries on after what the other one stored.
                    tracing::error!(source = self.source.id(), "not published: {e}");
                    self.upstream = None;
                    let stop = self.stop.clone();
                    self.open_upstream(&stop).await;
                    false
                }
                Err(e @ PublishError::Local(_)) => {
                    // Stored, but this node's own hub refused it.
                    tracing::error!(source = self.source.id(), "not applied here: {e}");
                    true
                }
            };
        }
        self.source.publish(batch);
        true
    }

    /// The source's stream was lost (NATS lost its store) and the source
    /// started over in a new one: publishes what its clients must hold
    /// first: the version, whether the game runs (`running`), and every info
    /// the engine holds (health and `listSources` details follow with the
    /// next batches), then `events`, the events of the batch the lost stream
    /// did not take. Whether those were stored.
    #[cfg(feature = "nats")]
    async fn start_over(&mut self, mut events: Batch, running: bool) -> bool {
        loop {
            self.health_published = false;
            self.plugin_error = serde_json::Value::Null;
            self.details_changed = true;
            let catalogue = self.source.catalogue();
            let mut state = Batch::default();
            for (feature, category, key, value) in self.engine.info() {
                if let Some(id) = catalogue.id(feature) {
                    state.info(id, category, key, value);
                }
            }
            let mut batches = vec![version_batch(catalogue)];
            if running {
                batches.push(Batch::game_running(true));
            }
            batches.push(state);
            // The state first, then the events the lost stream did not take.
            let mut lost = false;
            for batch in batches {
                match self.store_afresh(batch).await {
                    Ok(()) => {}
                    Err(Some(_)) => {
                        lost = true;
                        break;
                    }
                    Err(None) => return false,
                }
            }
            if !lost {
                match self.store_afresh(std::mem::take(&mut events)).await {
                    Ok(()) => return true,
                    Err(None) => return false,
                    Err(Some(batch)) => events = self.source.events_of(*batch),
                }
            }
            // Lost again: start over again (the state is read afresh).
        }
    }

    /// One batch of [`Pipeline::start_over`]: `Err(Some(batch))` when the
    /// stream was lost again, `Err(None)` when it cannot be published.
    #[cfg(feature = "nats")]
    async fn store_afresh(
        &mut self,
        mut batch: Batch,
    ) -> Result<(), Option<Box<wardcast_broker::bus::BusBatch>>> {
        if batch.is_empty() {
            return Ok(());
        }
        if std::mem::take(&mut self.details_changed) {
            batch.details(self.details.clone());
        }
        let Some(upstream) = self.upstream.as_mut() else {
            return Err(None);
        };
        match upstream.publish(&self.source, batch, &self.stop).await {
            Ok(()) => Ok(()),
            Err(federation::PublishError::Lost { batch, .. }) => Err(Some(batch)),
            Err(e) => {
                tracing::error!(source = self.source.id(), "not published: {e}");
                Err(None)
            }
        }
    }

    /// Tells the engine what the source's clients already hold (a restarted
    /// ingest), so unchanged info does not fire again.
    #[cfg(feature = "nats")]
    fn seed_engine(&mut self) {
        for spec in self.game.info().catalogue {
            let Some(info) = self.source.info_of(spec.name) else {
                continue;
            };
            for (category, keys) in info {
                let serde_json::Value::Object(keys) = keys else {
                    continue;
                };
                for (key, value) in keys {
                    self.engine.seed_info(spec.name, &category, &key, value);
                }
            }
        }
    }

    /// Tournament mode: opens the source's stream (retrying while NATS is
    /// down); false if shutdown came first.
    #[cfg(feature = "nats")]
    async fn open_upstream(&mut self, stop: &CancellationToken) -> bool {
        let Some(mut cell) = self.bus.clone() else {
            return true;
        };
        let Some(bus) = bus_ready(&mut cell, stop).await else {
            return false;
        };
        let mut attempt = 0u32;
        loop {
            match federation::Upstream::open(&bus, &self.source, &self.bus_name).await {
                Ok(upstream) => {
                    self.upstream = Some(upstream);
                    self.seed_engine();
                    return true;
                }
                Err(e) => {
                    if let federation::OpenError::Owned(reason) = &e {
                        // Said in /status and the dashboard, not only the log.
                        self.health
                            .send_modify(|r| federation::mark_refused(r, reason));
                    }
                    if attempt == 0 {
                        tracing::warn!(
                            source = self.source.id(),
                            "cannot open the source's stream yet: {e}"
                        );
                    }
                    attempt = attempt.saturating_add(1);
                    let wait = Duration::from_millis(200 * u64::from(attempt.min(20)));
                    tokio::select! {
                        () = stop.cancelled() => return false,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Publishes what the engine made of a snapshot; whether it was (or,
    /// empty, needed nothing), so the game's reply can say so.
    async fn publish(&mut self, output: Output, received_at: Option<Instant>) -> bool {
        if output.is_empty() {
            return true;
        }
        let catalogue = self.source.catalogue();
        let mut batch = Batch::default();
        if let Some(at) = received_at {
            batch.received_at(at);
        }
        for event in &output.events {
            self.metrics
                .events
                .get_or_create(&vec![("feature", event.feature)])
                .inc();
        }
        for event in output.events {
            if let Some(id) = catalogue.id(event.feature) {
                batch.event(id, event.name, event.data);
            }
        }
        for change in output.info {
            if let Some(id) = catalogue.id(change.feature) {
                batch.info(id, change.category, change.key, change.value);
            }
        }
        self.emit(batch).await
    }
}
