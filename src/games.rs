//! The games Wardcast serves: one line per game. Everything else (the
//! pipeline, the broker, the protocol, the clients) reaches a game only
//! through its [`Game`], found here by its Steam app id, Overwolf class id
//! or short name.

use wardcast_engine::Game;

/// Every game, the default (a source's game before its first body) first.
pub static GAMES: &[&dyn Game] = &[&wardcast_dota2::GAME, &wardcast_cs2::GAME];

/// The default game: Dota 2.
pub fn default_game() -> &'static dyn Game {
    GAMES[0]
}

/// The game whose bodies carry `provider.appid` = `app_id`.
pub fn by_app_id(app_id: u32) -> Option<&'static dyn Game> {
    GAMES.iter().copied().find(|g| g.info().app_id == app_id)
}

/// The game of Overwolf class id `class_id`.
pub fn by_class_id(class_id: u32) -> Option<&'static dyn Game> {
    GAMES
        .iter()
        .copied()
        .find(|g| g.info().class_id == class_id)
}

/// The game named `name` (`dota2`, `cs2`).
pub fn by_name(name: &str) -> Option<&'static dyn Game> {
    GAMES.iter().copied().find(|g| g.info().name == name)
}

/// The games' short names, for help texts and errors.
pub fn names() -> Vec<&'static str> {
    GAMES.iter().map(|g| g.info().name).collect()
}

/// Parses a body with the model of the game its `provider.appid` names
/// (the default game's when it names none Wardcast knows).
pub fn parse(body: &[u8]) -> Result<wardcast_gsi::Parsed, wardcast_gsi::ParseError> {
    wardcast_gsi::app_id(body)
        .and_then(by_app_id)
        .unwrap_or_else(default_game)
        .parse(body)
}
