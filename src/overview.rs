//! `GET /api/overview`: what the dashboard shows, in one JSON document.
//!
//! The pipeline publishes a [`PipelineView`] on a watch channel (one value,
//! replaced on every snapshot, so it never grows); the handler reads it with
//! the broker's client list, the health report and the ingest counters.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use wardcast_broker::{Broker, ClientInfo, SourceSummary};
use wardcast_engine::{Mode, View};
use wardcast_gsi::IngestStats;

use crate::gsi_cfg;

/// Where the snapshots the engine sees come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Nothing has posted yet (or the game stopped).
    #[default]
    None,
    /// The built-in demo match.
    Demo,
    /// The game (or a replay posting over HTTP).
    Game,
}

/// What the pipeline last saw, published for the overview.
#[derive(Debug, Clone, Default)]
pub struct PipelineView {
    /// Where the last snapshot came from; `None` once the game timed out.
    pub source: Source,
    /// The mode of the last snapshot.
    pub mode: Option<Mode>,
    /// When the last snapshot arrived.
    pub last_snapshot: Option<Instant>,
    /// Snapshots the engine processed.
    pub snapshots: u64,
    /// What the engine made of the last snapshot (its game's overview
    /// fields: Dota's clock and scores, CS2's map, round and score).
    pub view: View,
}

/// What the overview handler reads from.
#[derive(Clone)]
pub struct OverviewSource {
    /// The broker, for its clients, sources and sequences.
    pub broker: Broker,
    /// The sources' pipelines: their views and health reports.
    pub(crate) sources: Arc<crate::pipeline::Sources>,
    /// GSI ingest counters.
    pub stats: Arc<IngestStats>,
    /// The address the broker listens on.
    pub listen: SocketAddr,
    /// The GSI auth token the cfg must carry.
    pub gsi_token: Option<String>,
    /// After this long without a body GSI counts as not arriving.
    pub game_timeout: Duration,
}

/// The `GET /api/overview` document (see protocol/README.md §9).
#[derive(Debug, Serialize)]
pub struct Overview {
    /// Wardcast's version.
    pub version: &'static str,
    /// The listening address.
    pub listen: String,
    /// The source this overview describes (`?source=`, else the default).
    pub source_id: String,
    /// Every source the broker serves.
    pub sources: Vec<SourceSummary>,
    /// The source's epoch.
    pub epoch: String,
    /// The source's last notification's sequence number.
    pub last_seq: u64,
    /// Where snapshots come from now.
    pub source: Source,
    /// The mode of the last snapshot: `playing`, `spectating` or `idle`.
    pub mode: &'static str,
    /// The source's game.
    pub game: GameView,
    /// GSI arrival.
    pub gsi: GsiView,
    /// The match as of the last snapshot, in its game's fields (Dota 2:
    /// `game_state`, `clock_time`, `daytime`, `paused`, `match_id`,
    /// `radiant_score`, `dire_score`; Counter-Strike 2: `map_name`,
    /// `game_mode`, `phase`, `round`, `round_phase`, `score_ct`, `score_t`).
    #[serde(rename = "match")]
    pub match_view: serde_json::Map<String, serde_json::Value>,
    /// The Overwolf health report, as `GET /status`.
    pub health: serde_json::Value,
    /// What GSI cannot supply, with the reasons.
    pub unsupported: Vec<Unsupported>,
    /// The connected WebSocket clients.
    pub clients: Vec<ClientInfo>,
    /// How to set up the game.
    pub setup: SetupView,
}

/// A source's game, as `getRunningGameInfo` names it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GameView {
    /// Overwolf's game class id (Dota 2: 7314, Counter-Strike 2: 22730).
    pub class_id: u32,
    /// Its title.
    pub title: String,
    /// Its short name, as `--game` takes it.
    pub name: &'static str,
}

/// GSI arrival, for the overview.
#[derive(Debug, Serialize)]
pub struct GsiView {
    /// Whether a body arrived within the game timeout.
    pub arriving: bool,
    /// Milliseconds since the last snapshot, `null` if none yet.
    pub last_snapshot_age_ms: Option<u64>,
    /// Snapshots the engine processed (game and demo).
    pub snapshots: u64,
    /// GSI bodies accepted over HTTP.
    pub accepted: u64,
    /// GSI bodies refused, by reason.
    pub rejected: Rejected,
}

/// GSI bodies refused, by reason.
#[derive(Debug, Serialize)]
pub struct Rejected {
    /// 400: not a GSI body.
    pub malformed: u64,
    /// 401: wrong `auth.token`.
    pub unauthorized: u64,
    /// 403: posted by a web page.
    pub cross_origin: u64,
    /// 408: the body did not arrive in time.
    pub timeout: u64,
    /// 413: over the body limit.
    pub too_large: u64,
    /// 503: the engine queue was full, or too many bodies at once.
    pub busy: u64,
    /// 404: a source id the broker cannot serve (`POST /gsi/<source>`).
    pub bad_source: u64,
}

/// A feature, or one info key of a feature, that GSI cannot supply.
#[derive(Debug, Serialize)]
pub struct Unsupported {
    /// The feature.
    pub name: String,
    /// The info key, when only that key is unsupported.
    pub key: Option<String>,
    /// Why.
    pub reason: String,
}

/// How to set up the game, for the dashboard's help panel.
#[derive(Debug, Serialize)]
pub struct SetupView {
    /// The cfg file's name.
    pub cfg_file: &'static str,
    /// Where it goes, relative to the Steam library.
    pub cfg_dir: String,
    /// The file's exact content, with the GSI token if one is set (shown to
    /// this machine only: see `token_hidden`).
    pub cfg: String,
    /// Whether the GSI token was left out of `cfg` because the dashboard is
    /// open on another machine: whoever holds it can post game state.
    pub token_hidden: bool,
    /// Whether the broker requires a GSI token at all (without one, any
    /// program on this machine can post game state).
    pub token_set: bool,
    /// The launch option that turns GSI on (Dota 2: `-gamestateintegration`;
    /// empty for Counter-Strike 2, which needs none).
    pub launch_option: &'static str,
    /// The command that writes the file.
    pub setup_command: String,
}

impl OverviewSource {
    /// Builds the overview as of now; `local` when it is for this machine,
    /// the only one shown the GSI token.
    pub fn overview(&self, source: Option<&str>, local: bool) -> Overview {
        let (source_id, view) = self.sources.view_of(source);
        let health = self.sources.health_of(Some(&source_id));
        let handle = self.broker.find_source(&source_id);
        let game = handle
            .as_ref()
            .and_then(|s| crate::games::by_class_id(s.game().class_id))
            .unwrap_or_else(crate::games::default_game);
        let setup = crate::setup::GameSetup::of(game.info().name);
        let age = view.last_snapshot.map(|t| t.elapsed());
        let stats = &self.stats;
        let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        Overview {
            version: env!("CARGO_PKG_VERSION"),
            listen: self.listen.to_string(),
            epoch: handle
                .as_ref()
                .map(|s| s.epoch().to_string())
                .unwrap_or_default(),
            last_seq: handle.as_ref().map_or(0, |s| s.last_seq()),
            sources: self.broker.sources(),
            source_id,
            source: view.source,
            mode: view.mode.unwrap_or(Mode::Idle).as_str(),
            game: GameView {
                class_id: game.info().class_id,
                title: game.info().title.into(),
                name: game.info().name,
            },
            gsi: GsiView {
                arriving: age.is_some_and(|a| a < self.game_timeout),
                last_snapshot_age_ms: age.map(|a| u64::try_from(a.as_millis()).unwrap_or(u64::MAX)),
                snapshots: view.snapshots,
                accepted: load(&stats.accepted),
                rejected: Rejected {
                    malformed: load(&stats.malformed),
                    unauthorized: load(&stats.unauthorized),
                    cross_origin: load(&stats.cross_origin),
                    timeout: load(&stats.timeout),
                    too_large: load(&stats.too_large),
                    busy: load(&stats.busy),
                    bad_source: load(&stats.bad_source),
                },
            },
            match_view: view.view.fields,
            health,
            unsupported: unsupported(handle.as_ref()),
            clients: self.broker.clients(),
            setup: SetupView {
                cfg_file: crate::setup::CFG_NAME,
                cfg_dir: setup.cfg_dir.clone(),
                cfg: gsi_cfg::render(
                    setup.game,
                    self.listen,
                    match self.gsi_token.as_deref() {
                        Some(_) if !local => Some(HIDDEN_TOKEN),
                        token => token,
                    },
                ),
                token_hidden: self.gsi_token.is_some() && !local,
                token_set: self.gsi_token.is_some(),
                launch_option: setup.launch_option,
                setup_command: setup.command.clone(),
            },
        }
    }
}

/// What the cfg shows instead of the GSI token on another machine.
const HIDDEN_TOKEN: &str =
    "(hidden: open the dashboard on the broker's machine, or run wardcast setup there)";

/// Every unsupported feature of the source's game, and every unsupported
/// key of a supported one.
fn unsupported(source: Option<&wardcast_broker::Source>) -> Vec<Unsupported> {
    let mut out = Vec::new();
    for feature in source.map(|s| s.features()).unwrap_or_default() {
        if !feature.supported {
            out.push(Unsupported {
                name: feature.name.clone(),
                key: None,
                reason: feature.reason.clone().unwrap_or_default(),
            });
            continue;
        }
        for key in feature.info.iter().filter(|k| !k.supported) {
            out.push(Unsupported {
                name: feature.name.clone(),
                key: Some(key.key.clone()),
                reason: key.reason.clone().unwrap_or_default(),
            });
        }
    }
    out
}
