//! The `me` info category: the local player's team, Steam id and hero.
//!
//! In spectator mode there is no local player in the body, so `me` is not set.

use crate::{Sink, Step};

const HERO_PREFIX: &str = "npc_dota_hero_";

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    if step.mode != wardcast_gsi::Mode::Playing {
        return;
    }
    if let Some(player) = step.next.local_player() {
        if let Some(team) = player
            .team_name
            .as_deref()
            .filter(|t| matches!(*t, "radiant" | "dire"))
        {
            sink.info("me", "me", "team", team.into());
        }
        if let Some(id) = player.steamid.as_deref() {
            sink.info("me", "me", "steam_id", id.into());
        }
    }
    if let Some(name) = step.next.local_hero().and_then(|h| h.name.as_deref()) {
        let short = name.strip_prefix(HERO_PREFIX).unwrap_or(name);
        sink.info("me", "me", "hero", short.into());
    }
}
