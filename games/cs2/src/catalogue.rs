//! The Overwolf Counter-Strike 2 feature catalogue (game id 22730): every
//! feature and info key Overwolf documents, each either produced from GSI or
//! listed as unsupported with the reason.

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

/// Every CS2 feature, in Overwolf's documentation order.
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
];
