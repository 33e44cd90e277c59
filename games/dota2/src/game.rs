//! Dota 2 as Wardcast plugs it in: [`GAME`], a [`Game`] whose engines are
//! [`Engine`]s.

use serde_json::{Map, Value};
use wardcast_engine::{
    EngineConfig, Error, FeatureSpec, Freshness, Game, GameEngine, GameInfo, HealthReport, Mode,
    Output, ParseError, Parsed, Setup, Support, View,
};

use crate::model::GameState;
use crate::{Engine, CATALOGUE};

/// Dota 2's Steam app id.
pub const APP_ID: u32 = 570;

/// Dota 2, for Wardcast's registry of games.
pub static GAME: Dota2 = Dota2;

/// The type of [`GAME`].
#[derive(Debug)]
pub struct Dota2;

static INFO: GameInfo = GameInfo {
    name: "dota2",
    title: "Dota 2",
    app_id: APP_ID,
    class_id: 7314,
    catalogue: CATALOGUE,
    setup: Setup {
        install_dir: "dota 2 beta",
        marker: "game/dota",
        cfg_dir: "game/dota/cfg/gamestate_integration",
        data: &[
            "provider",
            "map",
            "player",
            "hero",
            "abilities",
            "items",
            "events",
            "buildings",
            "league",
            "draft",
            "wearables",
            "minimap",
            "roshan",
            "couriers",
            "neutralitems",
        ],
        launch_option: Some("-gamestateintegration"),
    },
};

impl Game for Dota2 {
    fn info(&self) -> &GameInfo {
        &INFO
    }

    fn parse(&self, body: &[u8]) -> Result<Parsed, ParseError> {
        let state = crate::parse(body)?;
        let token = state.auth.as_ref().and_then(|a| a.token.clone());
        Ok(Parsed::new(APP_ID, token, state))
    }

    fn engine(&self, config: &EngineConfig) -> Result<Box<dyn GameEngine>, Error> {
        Ok(Box::new(Engine::new(config.clone())?))
    }

    fn support(&self, spec: &FeatureSpec, config: &EngineConfig) -> Support {
        crate::health::support(spec, config)
    }
}

impl GameEngine for Engine {
    fn process(&mut self, parsed: Parsed, _body: &[u8]) -> Output {
        match parsed.downcast::<GameState>() {
            Ok(state) => Engine::process(self, state),
            Err(_) => Output::default(),
        }
    }

    fn reset(&mut self) -> Output {
        Engine::reset(self)
    }

    fn health(&self, freshness: Freshness) -> HealthReport {
        Engine::health(self, freshness)
    }

    fn info(&self) -> Vec<(&'static str, &'static str, &'static str, Value)> {
        Engine::info(self)
            .map(|(f, c, k, v)| (f, c, k, v.clone()))
            .collect()
    }

    fn seed_info(&mut self, feature: &str, category: &str, key: &str, value: Value) -> bool {
        Engine::seed_info(self, feature, category, key, value)
    }

    fn view(&self) -> View {
        // Every field is there, null before any body, so a page's layout
        // does not depend on the data having come.
        let state = self.prev.as_ref();
        let mut fields = Map::new();
        let map = state.and_then(|s| s.map.as_ref());
        let mut put = |name: &str, value: Option<Value>| {
            fields.insert(name.into(), value.unwrap_or(Value::Null));
        };
        put(
            "game_state",
            map.and_then(|m| m.game_state.clone()).map(Value::from),
        );
        put(
            "clock_time",
            map.and_then(|m| m.clock_time).map(Value::from),
        );
        put("daytime", map.and_then(|m| m.daytime).map(Value::from));
        put("paused", map.and_then(|m| m.paused).map(Value::from));
        put(
            "match_id",
            map.and_then(|m| m.matchid.clone()).map(Value::from),
        );
        put(
            "radiant_score",
            map.and_then(|m| m.radiant_score).map(Value::from),
        );
        put(
            "dire_score",
            map.and_then(|m| m.dire_score).map(Value::from),
        );
        View {
            mode: state.map_or(Mode::Idle, GameState::mode),
            match_id: map.and_then(|m| m.matchid.clone()),
            match_state: map.and_then(|m| m.game_state.clone()),
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_game_parses_its_bodies_and_views_the_last_one() {
        let body = br#"{"provider": {"appid": 570}, "auth": {"token": "t"},
            "map": {"matchid": "8", "clock_time": 5, "game_state": "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"},
            "player": {"steamid": "76561198000000000"}}"#;
        let parsed = GAME.parse(body).expect("a Dota body");
        assert_eq!((parsed.app_id(), parsed.token()), (570, Some("t")));
        let mut engine = GAME.engine(&EngineConfig::default()).expect("engine");
        // Before any body: idle, every field there and null.
        let empty = engine.view();
        assert_eq!((empty.mode, empty.match_id), (Mode::Idle, None));
        assert!(empty.fields.len() >= 7 && empty.fields.values().all(Value::is_null));
        engine.process(parsed, body);
        let view = engine.view();
        assert_eq!(view.mode, wardcast_engine::Mode::Playing);
        assert_eq!(view.match_id.as_deref(), Some("8"));
        assert_eq!(view.fields["clock_time"], 5);
        // Another game's body changes nothing.
        assert!(engine
            .process(Parsed::new(730, None, 1_u8), b"{}")
            .is_empty());
        assert_eq!(engine.view(), view);
    }
}
