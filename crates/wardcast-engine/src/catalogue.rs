//! The Overwolf Dota 2 feature catalogue (game class id 7314).
//!
//! Every feature Overwolf documents is listed, in its documentation order, with
//! the events it yields and the info keys it writes. A feature Wardcast cannot
//! or does not yet produce is listed with [`Support::Unsupported`] and a reason,
//! so clients are told rather than left waiting.

/// Whether Wardcast produces a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Produced from GSI.
    Supported,
    /// Not produced, and why.
    Unsupported(&'static str),
}

/// One feature: its name, its events and its info keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSpec {
    /// The feature name, exactly as Overwolf's.
    pub name: &'static str,
    /// Names of the events the feature yields.
    pub events: &'static [&'static str],
    /// `(category, key)` of each info key the feature writes.
    pub info: &'static [(&'static str, &'static str)],
    /// Whether Wardcast produces it.
    pub support: Support,
}

const NOT_YET: Support = Support::Unsupported("not built in this version of Wardcast yet");

const fn supported(
    name: &'static str,
    events: &'static [&'static str],
    info: &'static [(&'static str, &'static str)],
) -> FeatureSpec {
    FeatureSpec {
        name,
        events,
        info,
        support: Support::Supported,
    }
}

const fn unsupported(
    name: &'static str,
    events: &'static [&'static str],
    info: &'static [(&'static str, &'static str)],
    why: Support,
) -> FeatureSpec {
    FeatureSpec {
        name,
        events,
        info,
        support: why,
    }
}

/// Every Overwolf Dota 2 feature, in the order of Overwolf's documentation.
pub const CATALOGUE: &[FeatureSpec] = &[
    unsupported("gep_internal", &[], &[("gep_internal", "version_info")], NOT_YET),
    unsupported("game_state", &["new_game", "game_over"], &[], NOT_YET),
    supported("game_state_changed", &["game_state_changed"], &[]),
    supported("match_state_changed", &["match_state_changed"], &[("game", "match_state")]),
    unsupported(
        "match_detected",
        &["match_detected"],
        &[],
        Support::Unsupported(
            "GSI starts only once the map loads, so the accept screen, the game mode and the 10 players are never sent",
        ),
    ),
    unsupported("daytime_changed", &["daytime_changed"], &[], NOT_YET),
    unsupported("clock_time_changed", &["clock_time_changed"], &[], NOT_YET),
    unsupported("ward_purchase_cooldown_changed", &["ward_purchase_cooldown_changed"], &[], NOT_YET),
    supported("match_ended", &["match_ended"], &[]),
    supported("kill", &["kill"], &[]),
    supported("assist", &["assist"], &[]),
    supported("death", &["death"], &[]),
    supported("cs", &["cs"], &[]),
    supported("xpm", &["xpm"], &[]),
    supported("gpm", &["gpm"], &[]),
    supported("gold", &["gold"], &[]),
    supported("hero_leveled_up", &["hero_leveled_up"], &[]),
    unsupported("hero_respawned", &["hero_respawned"], &[], NOT_YET),
    unsupported("hero_buyback_info_changed", &["hero_buyback_info_changed"], &[], NOT_YET),
    unsupported("hero_boughtback", &["hero_boughtback"], &[], NOT_YET),
    unsupported("hero_health_mana_info", &["hero_health_mana_info"], &[], NOT_YET),
    unsupported("hero_status_effect_changed", &["hero_status_effect_changed"], &[], NOT_YET),
    unsupported("hero_attributes_skilled", &["hero_attributes_skilled"], &[], NOT_YET),
    unsupported("hero_ability_skilled", &["hero_ability_skilled"], &[], NOT_YET),
    unsupported("hero_ability_used", &["hero_ability_used"], &[], NOT_YET),
    unsupported("hero_ability_cooldown_changed", &["hero_ability_cooldown_changed"], &[], NOT_YET),
    unsupported("hero_ability_changed", &["hero_ability_changed"], &[], NOT_YET),
    unsupported("hero_item_cooldown_changed", &["hero_item_cooldown_changed"], &[], NOT_YET),
    unsupported("hero_item_changed", &["hero_item_changed"], &[], NOT_YET),
    unsupported("hero_item_used", &["hero_item_used"], &[], NOT_YET),
    unsupported("hero_item_consumed", &["hero_item_consumed"], &[], NOT_YET),
    unsupported("hero_item_charged", &["hero_item_charged"], &[], NOT_YET),
    supported(
        "match_info",
        &[],
        &[("match_info", "pseudo_match_id"), ("team_score", "team_score")],
    ),
    unsupported(
        "roster",
        &[],
        &[("roster", "players"), ("roster", "bans"), ("roster", "draft")],
        NOT_YET,
    ),
    unsupported(
        "party",
        &[],
        &[("party", "party")],
        Support::Unsupported("the party is Game Coordinator data, which GSI does not send"),
    ),
    unsupported(
        "hero_pool",
        &[],
        &[("game_info", "hero_pool")],
        Support::Unsupported("the Single/Random Draft hero pool is not in GSI"),
    ),
    supported("me", &[], &[("me", "team"), ("me", "steam_id"), ("me", "hero")]),
    supported("game", &[], &[("game", "game_state"), ("game", "match_state")]),
    unsupported(
        "damage",
        &[],
        &[("damage", "damage_dealt_hero"), ("damage", "damage_dealt_tower")],
        NOT_YET,
    ),
    unsupported("error", &[], &[("error", "plugin_error")], NOT_YET),
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
            assert!(
                !f.events.is_empty() || !f.info.is_empty(),
                "{} yields nothing",
                f.name
            );
        }
    }
}
