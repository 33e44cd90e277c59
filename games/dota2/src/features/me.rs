//! The `me` info (team, Steam id, hero) and the `damage` info.
//!
//! "Me" is the local player in player mode and, in spectator mode, the player
//! whose hero the observer has selected. Damage exists only in spectator mode.

use serde_json::json;

use crate::{Sink, Step};

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    let (prev, Some(me)) = step.me() else {
        return;
    };
    if let Some(player) = me.player {
        if let Some(team) = me.side() {
            sink.info("me", "me", "team", team.into());
        }
        if let Some(id) = player.steamid.as_deref() {
            sink.info("me", "me", "steam_id", id.into());
        }
    }
    if let Some(name) = me.hero_name() {
        sink.info("me", "me", "hero", name.into());
    }

    let before = prev.and_then(|p| p.player);
    for (key, total, was) in [
        (
            "damage_dealt_hero",
            me.player.and_then(|p| p.hero_damage),
            before.and_then(|p| p.hero_damage),
        ),
        (
            "damage_dealt_tower",
            me.player.and_then(|p| p.tower_damage),
            before.and_then(|p| p.tower_damage),
        ),
    ] {
        let Some(total) = total else { continue };
        // Only a change of the total is news; "current" is what it grew by.
        if was == Some(total) {
            continue;
        }
        let current = was.map_or(0, |w| total.saturating_sub(w).max(0));
        sink.info(
            "damage",
            "damage",
            key,
            json!({ "total_damage": total, "current_damage": current }),
        );
    }
}
