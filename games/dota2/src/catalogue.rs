//! The Overwolf Dota 2 feature catalogue (game class id 7314).
//!
//! Every feature Overwolf documents is listed, in its documentation order, with
//! the events it yields and the info keys it writes. A feature Wardcast cannot
//! or does not yet produce is listed with [`Support::Unsupported`] and a reason,
//! so clients are told rather than left waiting.

use wardcast_engine::catalogue::{
    addition as extra, overwolf as ow, overwolf_unsupported as ow_unsupported,
};
pub use wardcast_engine::{key, no_key, FeatureSpec, InfoSpec, Support};

/// Why the `chat` feature is off unless the broker opts in.
pub const CHAT_OPT_IN: &str = "chat is private text: start wardcast with --allow-chat to enable";

/// Every Overwolf Dota 2 feature, in the order of Overwolf's documentation,
/// then Wardcast's additions from the GSI `events` array and spectator fields,
/// and the live `scoreboard`.
pub const CATALOGUE: &[FeatureSpec] = &[
    ow("gep_internal", &[], &[key("gep_internal", "version_info"), key("gep_internal", "health")]),
    ow("game_state", &["new_game", "game_over"], &[]),
    ow("game_state_changed", &["game_state_changed"], &[]),
    ow("match_state_changed", &["match_state_changed"], &[key("game", "match_state")]),
    ow_unsupported(
        "match_detected",
        &["match_detected"],
        &[],
        "GSI starts only once the map loads, so the accept screen, the game mode and the 10 players are never sent",
    ),
    ow("daytime_changed", &["daytime_changed"], &[]),
    ow("clock_time_changed", &["clock_time_changed"], &[]),
    ow("ward_purchase_cooldown_changed", &["ward_purchase_cooldown_changed"], &[]),
    ow("match_ended", &["match_ended"], &[]),
    ow("kill", &["kill"], &[]),
    ow("assist", &["assist"], &[]),
    ow("death", &["death"], &[]),
    ow("cs", &["cs"], &[]),
    ow("xpm", &["xpm"], &[]),
    ow("gpm", &["gpm"], &[]),
    ow("gold", &["gold"], &[]),
    ow("hero_leveled_up", &["hero_leveled_up"], &[]),
    ow("hero_respawned", &["hero_respawned"], &[]),
    ow("hero_buyback_info_changed", &["hero_buyback_info_changed"], &[]),
    ow("hero_boughtback", &["hero_boughtback"], &[]),
    ow("hero_health_mana_info", &["hero_health_mana_info"], &[]),
    ow("hero_status_effect_changed", &["hero_status_effect_changed"], &[]),
    ow("hero_attributes_skilled", &["hero_attributes_skilled"], &[]),
    ow("hero_ability_skilled", &["hero_ability_skilled"], &[]),
    ow("hero_ability_used", &["hero_ability_used"], &[]),
    ow("hero_ability_cooldown_changed", &["hero_ability_cooldown_changed"], &[]),
    ow("hero_ability_changed", &["hero_ability_changed"], &[]),
    ow("hero_item_cooldown_changed", &["hero_item_cooldown_changed"], &[]),
    ow("hero_item_changed", &["hero_item_changed"], &[]),
    ow("hero_item_used", &["hero_item_used"], &[]),
    ow("hero_item_consumed", &["hero_item_consumed"], &[]),
    ow("hero_item_charged", &["hero_item_charged"], &[]),
    ow(
        "match_info",
        &[],
        &[
            key("match_info", "pseudo_match_id"),
            no_key("match_info", "game_mode", "GSI has no game mode or lobby type field"),
            key("team_score", "team_score"),
        ],
    ),
    ow(
        "roster",
        &[],
        &[
            key("roster", "players"),
            key("roster", "bans"),
            key("roster", "draft"),
            // Fields of Overwolf's player objects, not keys of their own: listed
            // so that their absence from `players` is stated, not silent.
            no_key(
                "roster",
                "players.role",
                "GSI has no player roles (safelane, offlane, ...): the players' entries have no role field",
            ),
            no_key(
                "roster",
                "players.rank",
                "GSI has no ranks: the players' entries have no rank field",
            ),
        ],
    ),
    ow_unsupported(
        "party",
        &[],
        &[no_key("party", "party", "the party is Game Coordinator data, which GSI does not send")],
        "the party is Game Coordinator data, which GSI does not send",
    ),
    ow_unsupported(
        "hero_pool",
        &[],
        &[no_key("game_info", "hero_pool", "the Single/Random Draft hero pool is not in GSI")],
        "the Single/Random Draft hero pool is not in GSI",
    ),
    ow(
        "me",
        &[],
        &[
            key("me", "team"),
            key("me", "steam_id"),
            key("me", "hero"),
            no_key("me", "mmr", "GSI has no MMR or rank"),
        ],
    ),
    ow("game", &[], &[key("game", "game_state"), key("game", "match_state")]),
    ow("damage", &[], &[key("damage", "damage_dealt_hero"), key("damage", "damage_dealt_tower")]),
    ow("error", &[], &[key("error", "plugin_error")]),
    extra(
        "roshan",
        &["roshan_killed", "aegis_picked_up", "aegis_denied"],
        &[key("roshan", "state"), key("roshan", "state_end_seconds")],
    ),
    extra("bounty_rune", &["bounty_rune_pickup"], &[]),
    extra("tip", &["tip"], &[]),
    extra("courier", &["courier_killed"], &[]),
    extra("buildings", &["building_destroyed"], &[key("buildings", "radiant"), key("buildings", "dire")]),
    extra("pause", &["game_paused", "game_unpaused"], &[key("pause", "paused")]),
    extra("win_chance", &[], &[key("win_chance", "radiant_win_chance")]),
    extra("kill_feed", &["kill_feed"], &[]),
    extra(
        "scoreboard",
        &[],
        &[
            key("scoreboard", "me"),
            key("scoreboard", "player_0"),
            key("scoreboard", "player_1"),
            key("scoreboard", "player_2"),
            key("scoreboard", "player_3"),
            key("scoreboard", "player_4"),
            key("scoreboard", "player_5"),
            key("scoreboard", "player_6"),
            key("scoreboard", "player_7"),
            key("scoreboard", "player_8"),
            key("scoreboard", "player_9"),
        ],
    ),
    FeatureSpec {
        name: "chat",
        events: &["chat_message"],
        info: &[],
        support: Support::Unsupported(CHAT_OPT_IN),
        overwolf: false,
    },
];

/// Looks a feature up by name.
pub fn find(name: &str) -> Option<&'static FeatureSpec> {
    wardcast_engine::catalogue::find(CATALOGUE, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_reasons_present() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
        for f in CATALOGUE {
            if let Support::Unsupported(why) = f.support {
                assert!(!why.is_empty(), "{} needs a reason", f.name);
            }
            assert!(
                !f.events.is_empty() || !f.info.is_empty(),
                "{} yields nothing",
                f.name
            );
        }
    }
}
