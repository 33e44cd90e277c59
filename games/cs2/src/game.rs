//! Counter-Strike 2 as Wardcast plugs it in: [`GAME`], a [`Game`] whose
//! engines wrap an [`Engine`].

use serde_json::{Map, Value};
use wardcast_engine::health::{self, Basis};
use wardcast_engine::{
    EngineConfig, Error, Freshness, Game, GameEngine, GameInfo, HealthReport, Output, ParseError,
    Parsed, Setup, View,
};

use crate::model::GameState;
use crate::{Engine, CATALOGUE};

/// Counter-Strike 2, for Wardcast's registry of games.
pub static GAME: Cs2 = Cs2;

/// The type of [`GAME`].
#[derive(Debug)]
pub struct Cs2;

/// Overwolf's game class id for Counter-Strike 2.
pub const CLASS_ID: u32 = 22730;

static INFO: GameInfo = GameInfo {
    name: "cs2",
    title: "Counter-Strike 2",
    app_id: 730,
    class_id: CLASS_ID,
    catalogue: CATALOGUE,
    // Every data key there is: the spectator ones are simply absent in
    // player mode (cs2-gsi.md 2.2).
    setup: Setup {
        install_dir: "Counter-Strike Global Offensive",
        marker: "game/csgo",
        cfg_dir: "game/csgo/cfg",
        data: &[
            "provider",
            "map",
            "map_round_wins",
            "round",
            "player_id",
            "player_state",
            "player_weapons",
            "player_match_stats",
            "player_position",
            "allplayers_id",
            "allplayers_state",
            "allplayers_match_stats",
            "allplayers_weapons",
            "allplayers_position",
            "allgrenades",
            "bomb",
            "phase_countdowns",
        ],
        launch_option: None,
    },
};

impl Game for Cs2 {
    fn info(&self) -> &GameInfo {
        &INFO
    }

    fn parse(&self, body: &[u8]) -> Result<Parsed, ParseError> {
        let state = crate::parse(body)?;
        let token = state.auth.as_ref().and_then(|a| a.token.clone());
        Ok(Parsed::new(INFO.app_id, token, state))
    }

    fn engine(&self, _config: &EngineConfig) -> Result<Box<dyn GameEngine>, Error> {
        Ok(Box::new(Cs2Engine::default()))
    }
}

/// A CS2 [`Engine`] with what the last body showed.
#[derive(Debug, Default)]
struct Cs2Engine {
    engine: Engine,
    view: Option<View>,
}

/// The dashboard's view of a body: the map, its phase, the round and the score.
/// Every field is there, null before any body.
fn view_of(state: Option<&GameState>) -> View {
    let map = state.and_then(|s| s.map.as_ref());
    let mut fields = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        fields.insert(name.into(), value.unwrap_or(Value::Null));
    };
    put(
        "map_name",
        map.and_then(|m| m.name.clone()).map(Value::from),
    );
    put(
        "game_mode",
        map.and_then(|m| m.mode.clone()).map(Value::from),
    );
    put("phase", map.and_then(|m| m.phase.clone()).map(Value::from));
    put("round", map.and_then(|m| m.round).map(Value::from));
    put(
        "round_phase",
        state
            .and_then(|s| s.round.as_ref())
            .and_then(|r| r.phase.clone())
            .map(Value::from),
    );
    let score = |team: Option<&crate::model::Team>| team.and_then(|t| t.score).map(Value::from);
    put("score_ct", score(map.and_then(|m| m.team_ct.as_ref())));
    put("score_t", score(map.and_then(|m| m.team_t.as_ref())));
    View {
        mode: state.map_or(wardcast_engine::Mode::Idle, GameState::mode),
        match_id: None,
        match_state: map.and_then(|m| m.phase.clone()),
        fields,
    }
}

impl GameEngine for Cs2Engine {
    fn process(&mut self, parsed: Parsed, body: &[u8]) -> Output {
        match parsed.downcast::<GameState>() {
            Ok(state) => {
                self.view = Some(view_of(Some(&state)));
                self.engine.process(state, body)
            }
            Err(_) => Output::default(),
        }
    }

    fn reset(&mut self) -> Output {
        self.view = None;
        self.engine.reset()
    }

    fn health(&self, freshness: Freshness) -> HealthReport {
        let basis = Basis {
            game_id: CLASS_ID,
            no_data: "no game data yet: is gamestate_integration_wardcast.cfg installed in game/csgo/cfg (`wardcast setup --game cs2`)?",
            stopped: "the game stopped sending data (is Counter-Strike 2 running?)",
            catalogue: CATALOGUE,
            mode: self.view.as_ref().map(|v| v.mode),
            support: &|spec| spec.support,
            missing: &|_, _| None,
        };
        health::report(&basis, freshness)
    }

    fn info(&self) -> Vec<(&'static str, &'static str, &'static str, Value)> {
        self.engine
            .info()
            .map(|(f, c, k, v)| (f, c, k, v.clone()))
            .collect()
    }

    fn seed_info(&mut self, _feature: &str, _category: &str, _key: &str, _value: Value) -> bool {
        false
    }

    fn view(&self) -> View {
        self.view.clone().unwrap_or_else(|| view_of(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_game_parses_its_bodies_and_views_the_last_one() {
        let body = br#"{"provider": {"appid": 730, "steamid": 76561197960265729},
            "auth": {"token": "t"},
            "map": {"mode": "competitive", "name": "de_dust2", "phase": "live", "round": 3,
                    "team_ct": {"score": 2}, "team_t": {"score": 1}}}"#;
        let parsed = GAME.parse(body).expect("a CS2 body");
        assert_eq!((parsed.app_id(), parsed.token()), (730, Some("t")));
        let mut engine = GAME.engine(&EngineConfig::default()).expect("engine");
        assert_eq!(engine.health(Freshness::NeverSeen).game_id, 22730);
        engine.process(parsed, body);
        let view = engine.view();
        assert_eq!(view.mode, wardcast_engine::Mode::Playing);
        assert_eq!(view.match_state.as_deref(), Some("live"));
        assert_eq!(
            (&view.fields["score_ct"], &view.fields["map_name"]),
            (&2.into(), &"de_dust2".into())
        );
        assert!(engine
            .process(Parsed::new(570, None, 1_u8), b"{}")
            .is_empty());
        assert_eq!(engine.health(Freshness::Fresh).state, 1);
    }
}
