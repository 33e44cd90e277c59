#![doc = include_str!("../README.md")]
//!
//! ## Layout
//! - [`model`]: serde types for a Dota 2 GSI body ([`GameState`]), tolerant of
//!   every missing or unknown field, for player, spectator and idle bodies
//!   alike, and [`parse`], which reports the JSON path of a malformed field.
//! - [`catalogue`]: every Overwolf Dota 2 feature, its events and info keys, and
//!   whether Wardcast supports it (with the reason when not).
//! - `features`: one module per feature family. Each reads a `Step` (the
//!   previous and next snapshot plus derived facts) and pushes events and desired
//!   info values. Adding a feature is a local change there and in the catalogue.
//! - [`Engine`]: owns the previous snapshot, the per-family trackers and the info
//!   DB; info values are diffed centrally so an update fires only on change.
//! - [`GAME`]: Dota 2 as a [`wardcast_engine::Game`], how Wardcast plugs it in.

pub mod catalogue;
mod features;
mod game;
pub mod health;
pub mod model;
mod players;

use serde_json::Value;
use wardcast_engine::InfoDb;

pub use catalogue::{key, no_key, FeatureSpec, InfoSpec, Support, CATALOGUE};
pub use game::{Dota2, APP_ID, GAME};
pub use health::{Freshness, HealthReport};
pub use model::{parse, GameState, Mode};
pub use wardcast_engine::{EngineConfig, Error, Event, InfoChange, Output};

/// The feature engine: feed it snapshots in arrival order.
#[derive(Debug, Default)]
pub struct Engine {
    config: EngineConfig,
    prev: Option<GameState>,
    mode: Option<Mode>,
    trackers: features::Trackers,
    info: InfoDb,
}

/// One step of the engine: the previous snapshot, the next one, and derived facts
/// every feature family needs.
pub(crate) struct Step<'a> {
    /// The previous snapshot of the same match, or `None` on the first snapshot or
    /// when the match changed (counters are then a fresh baseline, not increases).
    pub prev: Option<&'a GameState>,
    /// The new snapshot.
    pub next: &'a GameState,
    /// The mode before this snapshot (`None` before the first one).
    pub prev_mode: Option<Mode>,
    /// The mode of the new snapshot.
    pub mode: Mode,
    /// The game clock in seconds: `map.clock_time`, else `provider.timestamp`.
    pub clock: Option<i64>,
    /// The engine settings.
    pub config: &'a EngineConfig,
    /// The players of the next snapshot, each with its previous view (same index).
    /// After a [seek](Step::seek) every previous view is `None`: a new baseline.
    pub players: Vec<(Option<players::PlayerView<'a>>, players::PlayerView<'a>)>,
    /// Whether this snapshot jumps to another point of the same match (a replay
    /// rewind or seek; see [`is_seek`]). A seek starts a new timeline: counters,
    /// heroes, items and buildings are a new baseline, the `events` window is
    /// history, and only map-level state (clock, match state, pause, daytime)
    /// is still diffed.
    pub seek: bool,
}

impl<'a> Step<'a> {
    /// "Me" in the next and the previous snapshot.
    pub fn me(
        &self,
    ) -> (
        Option<players::PlayerView<'a>>,
        Option<players::PlayerView<'a>>,
    ) {
        let next: Vec<_> = self.players.iter().map(|(_, n)| *n).collect();
        let me = players::me(&next);
        let prev = me.and_then(|m| {
            self.players
                .iter()
                .find(|(_, n)| n.index == m.index)
                .and_then(|(p, _)| *p)
        });
        (prev, me)
    }
}

/// Where a feature family writes what it found.
pub(crate) struct Sink<'a> {
    out: &'a mut Output,
    info: &'a mut InfoDb,
}

impl Sink<'_> {
    /// Emits an event.
    pub fn event(&mut self, feature: &'static str, name: &'static str, data: Value) {
        self.out.events.push(Event {
            feature,
            name,
            data,
        });
    }

    /// Emits a per-player event: in spectator mode `player_index` and `team` are
    /// added to the data (an event without data then gets just those two).
    pub fn player_event(
        &mut self,
        who: &players::PlayerView<'_>,
        feature: &'static str,
        name: &'static str,
        data: Value,
    ) {
        let data = match (who.index, data) {
            (None, data) => data,
            (Some(index), Value::Object(mut map)) => {
                map.insert("player_index".into(), index.into());
                map.insert("team".into(), who.team.unwrap_or_default().into());
                Value::Object(map)
            }
            (Some(index), _) => {
                serde_json::json!({ "player_index": index, "team": who.team.unwrap_or_default() })
            }
        };
        self.event(feature, name, data);
    }

    /// Sets an info key; a change is emitted only if the value differs from the
    /// stored one. Several changes of one key in one step collapse to the last.
    pub fn info(
        &mut self,
        feature: &'static str,
        category: &'static str,
        key: &'static str,
        value: Value,
    ) {
        self.out.set_info(self.info, feature, category, key, value);
    }

    /// The value an info key holds now (before this step's changes, or with
    /// them once made).
    pub fn current(
        &self,
        feature: &'static str,
        category: &'static str,
        key: &'static str,
    ) -> Option<&Value> {
        self.info.get(feature, category, key)
    }

    /// Resets every info key to `null` (the match is over or the game left).
    pub fn reset_info(&mut self) {
        let keys: Vec<_> = self.info.iter().map(|(f, c, k, _)| (f, c, k)).collect();
        for (feature, category, key) in keys {
            self.info(feature, category, key, Value::Null);
        }
    }
}

impl Engine {
    /// Creates an engine with the given settings.
    pub fn new(config: EngineConfig) -> Result<Self, Error> {
        if config.multikill_window_secs < 0 {
            return Err(Error::InvalidConfig {
                name: "multikill_window_secs",
                reason: "must not be negative",
            });
        }
        Ok(Self {
            config,
            ..Self::default()
        })
    }

    /// Processes the next snapshot and returns what changed since the previous one.
    pub fn process(&mut self, next: GameState) -> Output {
        let mode = next.mode();
        let same_match = self
            .prev
            .as_ref()
            .is_some_and(|prev| same_match(prev, &next));
        if !same_match {
            self.trackers.new_match();
        }
        let clock = next
            .map
            .as_ref()
            .and_then(|m| m.clock_time)
            .or_else(|| next.provider.as_ref().and_then(|p| p.timestamp));
        let prev = if same_match { self.prev.as_ref() } else { None };
        let seek = prev.is_some_and(|p| is_seek(p, &next));
        if seek {
            self.trackers.seek();
        }
        let prev_players = prev
            .filter(|_| !seek)
            .map(|p| players::players(p, p.mode()))
            .unwrap_or_default();
        let pairs = players::players(&next, mode)
            .into_iter()
            .map(|n| (prev_players.iter().find(|p| p.index == n.index).copied(), n))
            .collect();
        let step = Step {
            prev,
            next: &next,
            prev_mode: self.mode,
            mode,
            clock,
            config: &self.config,
            players: pairs,
            seek,
        };
        let mut out = Output::default();
        let mut sink = Sink {
            out: &mut out,
            info: &mut self.info,
        };
        // Leaving a match clears the match-scoped info, so the next match's
        // first values fire again even when they are equal (Overwolf's reset).
        let left_match = mode == Mode::Idle && self.mode.is_some_and(|m| m != Mode::Idle);
        if left_match || self.prev.as_ref().is_some_and(|p| switched_match(p, &next)) {
            sink.reset_info();
        }
        features::run(&step, &mut self.trackers, &mut sink);
        self.mode = Some(mode);
        self.prev = Some(next);
        out
    }

    /// Forgets everything, as if the engine were new, and returns a `null` reset
    /// for every info key that had a value, so consumers clear their state too.
    pub fn reset(&mut self) -> Output {
        let info = self
            .info
            .iter()
            .map(|(feature, category, key, _)| InfoChange {
                feature,
                category,
                key,
                value: Value::Null,
            })
            .collect();
        *self = Self {
            config: self.config.clone(),
            ..Self::default()
        };
        Output {
            events: Vec::new(),
            info,
        }
    }

    /// Tells a new engine what its consumers already hold for one info key
    /// (an ingest that restarts in tournament mode, with the store of its
    /// stream): the key then fires only when its value changes, not on the
    /// first snapshot. Returns false for a key the catalogue does not list.
    pub fn seed_info(&mut self, feature: &str, category: &str, key: &str, value: Value) -> bool {
        let Some(spec) = catalogue::find(feature) else {
            return false;
        };
        let Some(info) = spec
            .info
            .iter()
            .find(|i| i.category == category && i.key == key)
        else {
            return false;
        };
        self.info.set(spec.name, info.category, info.key, value);
        true
    }

    /// The health report for the last snapshot, given whether data is arriving.
    pub fn health(&self, freshness: Freshness) -> HealthReport {
        health::report(self.prev.as_ref(), freshness, &self.config)
    }

    /// The current value of every info key, by feature, in catalogue order.
    pub fn info(&self) -> impl Iterator<Item = (&'static str, &'static str, &'static str, &Value)> {
        self.info.iter()
    }
}

/// Whether the client went straight from one match to another (a caster
/// switching games), as opposed to a match getting its real id after `"0"`.
fn switched_match(prev: &GameState, next: &GameState) -> bool {
    let id = |s: &GameState| s.map.as_ref().and_then(|m| m.matchid.clone());
    matches!((id(prev), id(next)), (Some(a), Some(b)) if a != b && a != "0")
}

/// The largest forward jump of the game clock, in seconds, that is still the
/// same timeline. GSI posts at least once a second during a match (and a
/// heartbeat every 30 s while nothing changes), so a longer gap is a seek.
pub const SEEK_FORWARD_SECS: i64 = 60;

/// Whether `next` jumps to another point of the match `prev` showed: the game
/// time (`map.game_time`, monotonic while a match plays) goes backwards or
/// more than [`SEEK_FORWARD_SECS`] forwards. Bodies without a game time fall
/// back to `map.clock_time`, but only within one game state, because the
/// clock legitimately jumps back when the state changes (hero selection starts
/// it at -74, pre-game at about -90).
pub fn is_seek(prev: &GameState, next: &GameState) -> bool {
    let (Some(a), Some(b)) = (prev.map.as_ref(), next.map.as_ref()) else {
        return false;
    };
    let jumped = |was: i64, now: i64| {
        now.checked_sub(was)
            .is_none_or(|d| !(0..=SEEK_FORWARD_SECS).contains(&d))
    };
    match (a.game_time, b.game_time) {
        (Some(was), Some(now)) => jumped(was, now),
        (None, None) => {
            a.game_state == b.game_state
                && matches!((a.clock_time, b.clock_time), (Some(was), Some(now)) if jumped(was, now))
        }
        // The game time appearing or vanishing is a change of shape, not a jump.
        _ => false,
    }
}

/// Whether two snapshots belong to the same match, so counters can be diffed.
fn same_match(prev: &GameState, next: &GameState) -> bool {
    match (&prev.map, &next.map) {
        (Some(a), Some(b)) => a.matchid == b.matchid,
        // Leaving or entering a match: diff only what both sides have (the
        // counters are absent on the idle side, so nothing is mistaken for an increase).
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(hero: &str) -> GameState {
        let text = serde_json::json!({
            "map": {"matchid": "1", "game_time": 10, "clock_time": 1,
                    "game_state": "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"},
            "player": {"steamid": "76561198000000000", "team_name": "radiant", "kills": 0},
            "hero": {"name": hero},
        })
        .to_string();
        parse(text.as_bytes()).expect("body")
    }

    #[test]
    fn seeded_info_fires_only_when_it_changes() {
        let mut engine = Engine::default();
        assert!(engine.seed_info("me", "me", "hero", "invoker".into()));
        assert!(!engine.seed_info("me", "me", "nope", "x".into()));
        assert!(!engine.seed_info("nope", "me", "hero", "x".into()));
        let out = engine.process(body("npc_dota_hero_invoker"));
        assert!(
            !out.info.iter().any(|c| c.key == "hero"),
            "unchanged: {:?}",
            out.info
        );
        let out = engine.process(body("npc_dota_hero_lina"));
        assert!(out
            .info
            .iter()
            .any(|c| c.key == "hero" && c.value == "lina"));
    }
}
