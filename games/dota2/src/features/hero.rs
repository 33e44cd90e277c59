//! Each player's hero: `hero_leveled_up`, `hero_respawned`,
//! `hero_buyback_info_changed`, `hero_boughtback`, `hero_health_mana_info`,
//! `hero_status_effect_changed` and `hero_attributes_skilled`.

use crate::model::Hero;
use serde_json::{json, Value};

use super::increase;
use crate::players::PlayerView;
use crate::{Sink, Step};

/// Overwolf refreshes buyback info this often (game-clock seconds), because the
/// cost grows with game time.
const BUYBACK_INFO_PERIOD: i64 = 4;

fn status(h: &Hero) -> [Option<bool>; 9] {
    [
        h.silenced,
        h.stunned,
        h.disarmed,
        h.magicimmune,
        h.hexed,
        h.muted,
        h.break_,
        h.has_debuff,
        h.smoked,
    ]
}

pub(crate) fn run(
    step: &Step<'_>,
    prev_view: Option<&PlayerView<'_>>,
    who: &PlayerView<'_>,
    buyback_info_clock: &mut Option<i64>,
    sink: &mut Sink<'_>,
) {
    let Some(next) = who.hero else {
        return;
    };
    let Some(prev) = prev_view.and_then(|p| p.hero) else {
        // First sighting: a baseline. The buyback period starts now.
        *buyback_info_clock = step.clock;
        return;
    };

    // The first level appears with the hero at spawn and is no level-up.
    let leveled = increase(prev.level, next.level);
    if let Some((from, to)) = leveled {
        for level in from + 1..=to {
            sink.player_event(
                who,
                "hero_leveled_up",
                "hero_leveled_up",
                json!({ "hero_level": level }),
            );
        }
    }

    // A death and a respawn can both fall between two snapshots (a quick
    // buyback): the deaths counter rose while the hero shows alive on both
    // sides. Report the respawn too, so no client is left with a dead hero.
    let died_between = increase(
        prev_view.and_then(|p| p.player).and_then(|p| p.deaths),
        who.player.and_then(|p| p.deaths),
    )
    .is_some()
        && prev.alive == Some(true);
    if next.alive == Some(true) && (prev.alive == Some(false) || died_between) {
        sink.player_event(who, "hero_respawned", "hero_respawned", Value::Null);
    }

    if next.buyback_cost.is_some() {
        let cooldown_changed = prev.buyback_cooldown != next.buyback_cooldown;
        let period_due = match (*buyback_info_clock, step.clock) {
            (Some(last), Some(now)) => {
                now < last || now.saturating_sub(last) >= BUYBACK_INFO_PERIOD
            }
            (None, Some(_)) => true,
            _ => false,
        };
        if leveled.is_some() || cooldown_changed || period_due {
            *buyback_info_clock = step.clock;
            sink.player_event(
                who,
                "hero_buyback_info_changed",
                "hero_buyback_info_changed",
                json!({ "buyback_cost": next.buyback_cost, "buyback_cooldown": next.buyback_cooldown.unwrap_or(0) }),
            );
        }
    }

    let bought_back =
        prev.buyback_cooldown.unwrap_or(0) == 0 && next.buyback_cooldown.is_some_and(|c| c > 0);
    if bought_back {
        sink.player_event(
            who,
            "hero_boughtback",
            "hero_boughtback",
            json!({ "buyback_cooldown": next.buyback_cooldown }),
        );
    }

    let pools = |h: &Hero| (h.health, h.max_health, h.mana, h.max_mana);
    if pools(prev) != pools(next) && next.health.is_some() {
        sink.player_event(
            who,
            "hero_health_mana_info",
            "hero_health_mana_info",
            json!({
                "health": next.health,
                "max_health": next.max_health,
                "mana": next.mana,
                "max_mana": next.max_mana,
            }),
        );
    }

    if status(prev) != status(next) && next.stunned.is_some() {
        let f = |v: Option<bool>| v.unwrap_or(false);
        sink.player_event(
            who,
            "hero_status_effect_changed",
            "hero_status_effect_changed",
            json!({
                "silenced": f(next.silenced),
                "stunned": f(next.stunned),
                "disarmed": f(next.disarmed),
                "magicimmune": f(next.magicimmune),
                "hexed": f(next.hexed),
                "muted": f(next.muted),
                "break": f(next.break_),
                "has_debuff": f(next.has_debuff),
                "smoked": f(next.smoked),
            }),
        );
    }

    if let Some((_, to)) = increase(prev.attributes_level, next.attributes_level) {
        sink.player_event(
            who,
            "hero_attributes_skilled",
            "hero_attributes_skilled",
            json!({ "attributes_level": to }),
        );
    }
}
