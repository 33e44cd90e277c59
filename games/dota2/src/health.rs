//! Live feature health, in the shape of Overwolf's game-events status JSON.
//!
//! Health is derived from the data actually arriving: the last snapshot, the
//! mode it shows, and whether bodies are still coming (`Freshness`, measured by
//! the caller, since the engine has no clock). States: 0 unsupported, 1 green,
//! 2 yellow (the feature's source fields are missing in this mode, or no data
//! yet), 3 red (in a match but no game data for 30 s).

use wardcast_engine::health::{self, Basis};
pub use wardcast_engine::health::{FeatureHealth, Freshness, HealthReport, KeyHealth};
use wardcast_engine::EngineConfig;

use crate::catalogue::{FeatureSpec, Support, CATALOGUE, CHAT_OPT_IN};
use crate::model::{GameState, Mode};
use crate::players::{me, players};

const NO_DATA: &str = "no game data yet: is gamestate_integration_wardcast.cfg installed and -gamestateintegration set?";
const STOPPED: &str = "the game stopped sending data (is Dota 2 running?)";

/// Whether a feature is produced with these settings (`chat` is opt-in).
pub fn support(spec: &FeatureSpec, config: &EngineConfig) -> Support {
    match spec.support {
        Support::Unsupported(why) if why == CHAT_OPT_IN && config.allow_chat => Support::Supported,
        other => other,
    }
}

/// Builds the report from the last snapshot and whether data is arriving.
pub fn report(
    last: Option<&GameState>,
    freshness: Freshness,
    config: &EngineConfig,
) -> HealthReport {
    let mode = last.map_or(Mode::Idle, GameState::mode);
    let basis = Basis {
        game_id: 7314,
        no_data: NO_DATA,
        stopped: STOPPED,
        catalogue: CATALOGUE,
        mode: last.map(GameState::mode),
        support: &|spec| support(spec, config),
        missing: &|feature, key| last.and_then(|state| missing(feature, key, state, mode)),
    };
    health::report(&basis, freshness)
}

/// Why a feature's source fields are missing from a snapshot in a match, if they are.
fn missing(feature: &str, key: &str, state: &GameState, mode: Mode) -> Option<&'static str> {
    let spectating = mode == Mode::Spectating;
    let map = state.map.as_ref();
    let all = players(state, mode);
    let any = |f: &dyn Fn(&crate::players::PlayerView<'_>) -> bool| all.iter().any(f);
    let events = state.events.is_some();
    let stats = any(&|p| {
        p.player
            .is_some_and(|p| p.kills.is_some() || p.gold.is_some())
    });
    const NO_STATS: &str = "no player statistics: enable \"player\" in the cfg";
    const NO_EVENTS: &str = "no events section: enable \"events\" in the cfg";
    match feature {
        "kill" | "assist" | "death" | "cs" | "xpm" | "gpm" | "gold" => (!stats).then_some(NO_STATS),
        "hero_leveled_up"
        | "hero_respawned"
        | "hero_buyback_info_changed"
        | "hero_boughtback"
        | "hero_health_mana_info"
        | "hero_status_effect_changed"
        | "hero_attributes_skilled" => (!any(&|p| p.hero.is_some_and(|h| h.level.is_some())))
            .then_some(
                "no hero state yet: it arrives once the hero spawns (enable \"hero\" in the cfg)",
            ),
        f if f.starts_with("hero_ability_") => (!any(&|p| p.abilities.is_some())).then_some(
            "no abilities yet: they arrive once the hero spawns (enable \"abilities\" in the cfg)",
        ),
        f if f.starts_with("hero_item_") => (!any(&|p| p.items.is_some())).then_some(
            "no items yet: they arrive once the hero spawns (enable \"items\" in the cfg)",
        ),
        "ward_purchase_cooldown_changed" => {
            let present = map.is_some_and(|m| {
                m.ward_purchase_cooldown.is_some() || m.radiant_ward_purchase_cooldown.is_some()
            });
            (!present).then_some("the map has no ward purchase cooldown yet")
        }
        "match_info" if key == "team_score" => map
            .is_none_or(|m| m.radiant_score.is_none())
            .then_some("this game build sends no team scores"),
        "roster" if key == "players" => {
            (!spectating).then_some("player mode: only the local player is known")
        }
        "roster" => {
            let drafted = state
                .draft
                .as_ref()
                .is_some_and(|d| d.rest.contains_key("team2"));
            (!drafted)
                .then_some("no draft: only spectator and Captains Mode views send picks and bans")
        }
        "me" => (spectating && me(&all).is_none()).then_some("spectator mode: no hero is selected"),
        "scoreboard" => {
            if key == "me" && spectating {
                Some("spectator mode: the board is in scoreboard.player_0 to player_9")
            } else if key != "me" && !spectating {
                Some("player mode: GSI sends only the local player, in scoreboard.me")
            } else {
                (!stats).then_some(NO_STATS)
            }
        }
        "damage" => (!spectating).then_some("player mode: GSI sends damage only when spectating"),
        "roshan" if key == "state" || key == "state_end_seconds" => map
            .is_none_or(|m| m.roshan_state.is_none())
            .then_some("player mode: GSI sends Roshan's state only when spectating"),
        "courier" => {
            if !spectating {
                Some("player mode: courier kills are sent only when spectating")
            } else {
                (!events).then_some(NO_EVENTS)
            }
        }
        "roshan" | "bounty_rune" | "tip" | "kill_feed" | "chat" => (!events).then_some(NO_EVENTS),
        "buildings" => match &state.buildings {
            None => Some("no buildings section: enable \"buildings\" in the cfg"),
            // Player mode: the game sends only the local player's team.
            Some(sides) if matches!(key, "radiant" | "dire") && !sides.contains_key(key) => {
                Some(if spectating {
                    "this side's buildings are missing from the buildings section"
                } else {
                    "player mode: GSI sends only your own team's buildings"
                })
            }
            Some(_) => None,
        },
        "pause" => map
            .is_none_or(|m| m.paused.is_none())
            .then_some("the map has no pause state"),
        "win_chance" => map
            .is_none_or(|m| m.radiant_win_chance.is_none())
            .then_some("player mode: the win chance is sent only when spectating"),
        _ => None,
    }
}
