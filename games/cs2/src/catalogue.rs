//! The Counter-Strike 2 feature catalogue: Overwolf's CS2 features (game id
//! 22730) first, then the legacy CS:GO features (game id 7764) whose names
//! do not collide with a CS2 one, then Wardcast's spectator additions. Every
//! feature and info key is either produced from GSI or listed as
//! unsupported with the reason.
//!
//! Collision rule: `gep_internal` and `match_info` are names of both games;
//! the CS2 features keep them, unchanged. The CS:GO `match_info` keys
//! `pseudo_match_id`, `game_mode` and `match_outcome` are the CS2 feature's
//! own; its `phase` is CS2's `live_data` `game_phase`; its `server_info` is
//! not in GSI.

// `csgo`: a legacy CS:GO (7764) feature Wardcast produces; `extra`: a
// Wardcast addition.
use wardcast_engine::catalogue::{addition as extra, overwolf as csgo};
use wardcast_engine::{key, no_key, FeatureSpec, InfoSpec, Support};

const MATCH_INFO_KEYS: &[InfoSpec] = &[
    key("live_data", "steam_id"),
    key("live_data", "game_phase"),
    key("live_data", "round_phase"),
    key("live_data", "score"),
    key("live_data", "mode_name"),
    key("live_data", "map_name"),
    key("live_data", "kills"),
    key("live_data", "deaths"),
    key("live_data", "assists"),
    key("live_data", "round_number"),
    key("match_info", "match_outcome"),
    key("match_info", "pseudo_match_id"),
    key("match_info", "is_ranked"),
    key("match_info", "game_mode"),
    key("match_info", "roster_0"),
    key("match_info", "roster_1"),
    key("match_info", "roster_2"),
    key("match_info", "roster_3"),
    key("match_info", "roster_4"),
    key("match_info", "roster_5"),
    key("match_info", "roster_6"),
    key("match_info", "roster_7"),
    key("match_info", "roster_8"),
    key("match_info", "roster_9"),
    no_key(
        "match_info",
        "elo_points",
        "GSI does not carry the Premier points at stake",
    ),
    no_key(
        "match_info",
        "mm_state",
        "matchmaking happens in the game's menus; GSI sends nothing about it",
    ),
];

const SCOREBOARD_KEYS: &[InfoSpec] = &[
    key("game_info", "scoreboard_0"),
    key("game_info", "scoreboard_1"),
    key("game_info", "scoreboard_2"),
    key("game_info", "scoreboard_3"),
    key("game_info", "scoreboard_4"),
    key("game_info", "scoreboard_5"),
    key("game_info", "scoreboard_6"),
    key("game_info", "scoreboard_7"),
    key("game_info", "scoreboard_8"),
    key("game_info", "scoreboard_9"),
    // Fields of Overwolf's scoreboard entries, not keys of their own: listed
    // so that their absence is stated, not silent.
    no_key(
        "game_info",
        "scoreboard_xx.adr",
        "GSI has no damage totals; a spectator's round_totaldmg is zeroed on death, so an average would be wrong",
    ),
    no_key(
        "game_info",
        "scoreboard_xx.ud",
        "GSI has no utility damage",
    ),
    no_key(
        "game_info",
        "scoreboard_xx.ef",
        "GSI has no enemies-flashed count",
    ),
    no_key("game_info", "scoreboard_xx.ping", "GSI has no ping"),
];

/// Every CS2 feature: Overwolf's CS2 ones in its documentation order, the
/// legacy CS:GO ones in theirs, then Wardcast's additions.
pub const CATALOGUE: &[FeatureSpec] = &[
    FeatureSpec {
        name: "gep_internal",
        events: &[],
        info: &[
            key("gep_internal", "version_info"),
            key("gep_internal", "health"),
        ],
        support: Support::Supported,
        overwolf: true,
    },
    FeatureSpec {
        name: "match_info",
        events: &[
            "match_start",
            "match_end",
            "kill",
            "death",
            "assist",
            "round_start",
            "round_end",
            "kill_feed",
        ],
        info: MATCH_INFO_KEYS,
        support: Support::Supported,
        overwolf: true,
    },
    FeatureSpec {
        name: "live_data",
        events: &[],
        info: &[
            key("live_data", "provider"),
            no_key(
                "live_data",
                "player",
                "Overwolf sets it only for a body whose first section is `player`, which CS2 does not send: the whole body is in live_data.provider",
            ),
        ],
        support: Support::Supported,
        overwolf: true,
    },
    csgo("kill", &["kill"], &[]),
    csgo("death", &["death"], &[]),
    csgo("assist", &["assist"], &[]),
    csgo("headshot", &["headshot"], &[]),
    csgo("round_start", &["round_start"], &[]),
    csgo("match_start", &["match_start"], &[]),
    csgo("match_end", &["match_end"], &[]),
    csgo("team_round_win", &["team_round_win"], &[]),
    csgo("bomb_planted", &["bomb_planted"], &[]),
    csgo("bomb_change", &["bomb_change"], &[]),
    csgo("reloading", &["reloading"], &[]),
    csgo("fired", &["fired"], &[]),
    csgo("weapon_change", &["weapon_change"], &[]),
    csgo("weapon_acquired", &["weapon_acquired"], &[]),
    csgo(
        "info",
        &[],
        &[
            key("player", "totalKills"),
            key("player", "totalDeaths"),
            key("player", "totalMvps"),
            key("player", "score"),
            key("player", "team"),
            key("player", "steamid"),
            key("round", "map"),
            key("round", "mode"),
            key("round", "numOfRound"),
            key("round", "phase"),
            key("scene", "scene"),
        ],
    ),
    csgo(
        "roster",
        &[],
        &[
            no_key(
                "roster",
                "lobby",
                "the lobby is the game's menus and Game Coordinator; GSI starts only once a map loads",
            ),
            key("roster", "match"),
        ],
    ),
    csgo("player_activity_change", &["player_activity_change"], &[]),
    csgo("team_set", &["team_set"], &[]),
    csgo("match_score", &["score"], &[]),
    FeatureSpec {
        name: "replay",
        events: &[],
        info: &[no_key(
            "replay",
            "replay_list",
            "the replays of the Steam profile are not in GSI",
        )],
        support: Support::Unsupported("the replays of the Steam profile are not in GSI"),
        overwolf: true,
    },
    FeatureSpec {
        name: "counters",
        events: &[],
        info: &[no_key("performance", "ping", "GSI has no ping")],
        support: Support::Unsupported("GSI has no ping"),
        overwolf: true,
    },
    csgo("mvp", &["mvp"], &[]),
    csgo("scoreboard", &[], SCOREBOARD_KEYS),
    csgo("kill_feed", &["kill_feed"], &[]),
    extra(
        "bomb",
        &[],
        &[
            key("bomb", "state"),
            key("bomb", "countdown"),
            key("bomb", "player"),
        ],
    ),
    extra(
        "phase_countdowns",
        &[],
        &[
            key("phase_countdowns", "phase"),
            key("phase_countdowns", "phase_ends_in"),
        ],
    ),
];

/// Looks a feature up by name.
pub fn find(name: &str) -> Option<&'static FeatureSpec> {
    CATALOGUE.iter().find(|f| f.name == name)
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
            for k in f.info {
                if let Support::Unsupported(why) = k.support {
                    assert!(!why.is_empty(), "{}.{} needs a reason", f.name, k.key);
                }
            }
            assert!(!f.events.is_empty() || !f.info.is_empty(), "{}", f.name);
        }
    }

    #[test]
    fn the_cs2_features_come_first_and_keep_their_names() {
        let first: Vec<_> = CATALOGUE.iter().take(3).map(|f| f.name).collect();
        assert_eq!(first, ["gep_internal", "match_info", "live_data"]);
    }
}
