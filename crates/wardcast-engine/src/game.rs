//! How a game plugs into Wardcast: a [`Game`] parses its GSI bodies and
//! makes engines; a [`GameEngine`] turns one source's consecutive bodies into
//! events and info updates. The rest of Wardcast (pipeline, broker, protocol,
//! clients) sees only these traits, so a new game is one new crate that
//! implements them, listed once in the binary's registry of games.

use serde_json::{Map, Value};
use wardcast_gsi::{Mode, ParseError, Parsed};

use crate::catalogue::{FeatureSpec, Support};
use crate::health::{Freshness, HealthReport};
use crate::{EngineConfig, Error, Output};

/// What a game says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GameInfo {
    /// Its short name, as `--game` takes it (`dota2`, `cs2`).
    pub name: &'static str,
    /// Its title, as Overwolf's `getRunningGameInfo` reports it.
    pub title: &'static str,
    /// Its Steam app id, as its bodies carry it in `provider.appid`.
    pub app_id: u32,
    /// Overwolf's game class id (Dota 2: 7314, Counter-Strike 2: 22730).
    pub class_id: u32,
    /// Every feature, in Overwolf's documentation order.
    pub catalogue: &'static [FeatureSpec],
    /// Where the game's GSI cfg goes and what it asks for.
    pub setup: Setup,
}

/// How a game is set up for GSI: where its `gamestate_integration_*.cfg`
/// goes and what it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The game's folder in `steamapps/common` of its Steam library
    /// (`dota 2 beta`, `Counter-Strike Global Offensive`).
    pub install_dir: &'static str,
    /// A folder inside it that only a real install has (`game/dota`).
    pub marker: &'static str,
    /// Where the cfg goes inside it (`game/dota/cfg/gamestate_integration`).
    pub cfg_dir: &'static str,
    /// The data sections the cfg asks for (all the game has).
    pub data: &'static [&'static str],
    /// The launch option that turns GSI on, if the game needs one.
    pub launch_option: Option<&'static str>,
}

/// A game Wardcast serves.
pub trait Game: Send + Sync + 'static {
    /// What the game says about itself.
    fn info(&self) -> &GameInfo;

    /// Parses one GSI body with the game's model.
    fn parse(&self, body: &[u8]) -> Result<Parsed, ParseError>;

    /// A new engine for one source, with the given settings.
    fn engine(&self, config: &EngineConfig) -> Result<Box<dyn GameEngine>, Error>;

    /// Whether a feature is produced with these settings (some are opt-in).
    fn support(&self, spec: &FeatureSpec, config: &EngineConfig) -> Support {
        let _ = config;
        spec.support
    }
}

/// What a source's engine last saw, for status pages and the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The client's mode in the last body.
    pub mode: Mode,
    /// The match id, when the game sends one (Dota's `map.matchid`).
    pub match_id: Option<String>,
    /// The match's state, in the game's words (Dota's `map.game_state`,
    /// CS2's `map.phase`).
    pub match_state: Option<String>,
    /// The game's own overview fields (clock, scores, map name, ...), as the
    /// dashboard shows them.
    pub fields: Map<String, Value>,
}

impl Default for View {
    fn default() -> Self {
        Self {
            mode: Mode::Idle,
            match_id: None,
            match_state: None,
            fields: Map::new(),
        }
    }
}

/// One source's engine: pure (no IO, no clock), fed bodies in arrival order.
pub trait GameEngine: Send {
    /// Processes the next body (parsed by this engine's game: a body of
    /// another game yields nothing) and returns what changed since the
    /// previous one. `body` is the body as received, for engines that read
    /// raw fields.
    fn process(&mut self, parsed: Parsed, body: &[u8]) -> Output;

    /// Forgets everything, as if the engine were new, and returns a `null`
    /// reset for every info key that had a value.
    fn reset(&mut self) -> Output;

    /// The health report for the last body, given whether data is arriving.
    fn health(&self, freshness: Freshness) -> HealthReport;

    /// The current value of every info key: (feature, category, key, value).
    fn info(&self) -> Vec<(&'static str, &'static str, &'static str, Value)>;

    /// Tells a new engine what its consumers already hold for one info key
    /// (an ingest restarting in tournament mode), so it fires only on a
    /// change. False for a key the catalogue does not list.
    fn seed_info(&mut self, feature: &str, category: &str, key: &str, value: Value) -> bool;

    /// What the last body showed.
    fn view(&self) -> View;
}

impl std::fmt::Debug for dyn Game {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Game").field(&self.info().name).finish()
    }
}
