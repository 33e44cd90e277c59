//! Match-wide map state: `daytime_changed`, `clock_time_changed`,
//! `ward_purchase_cooldown_changed`, `pause`, `win_chance`, and Roshan's state.

use serde_json::json;

use crate::{Sink, Step};

/// The most clock seconds one snapshot fills in with `clock_time_changed`
/// events. A longer jump (a dropped post, a replay seek) gives one event, for
/// the new time; so does any [seek](crate::Step::seek).
const MAX_CLOCK_FILL: i64 = 10;

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    let Some(next) = step.next.map.as_ref() else {
        return;
    };
    if let Some(chance) = next.radiant_win_chance {
        sink.info(
            "win_chance",
            "win_chance",
            "radiant_win_chance",
            chance.into(),
        );
    }
    if let Some(state) = next.roshan_state.as_deref() {
        sink.info("roshan", "roshan", "state", state.into());
    }
    if let Some(secs) = next.roshan_state_end_seconds {
        sink.info("roshan", "roshan", "state_end_seconds", secs.into());
    }
    if let Some(paused) = next.paused {
        sink.info("pause", "pause", "paused", paused.into());
    }
    let Some(prev) = step.prev.and_then(|p| p.map.as_ref()) else {
        return;
    };

    if let (Some(was), Some(now)) = (prev.paused, next.paused) {
        if was != now {
            let name = if now { "game_paused" } else { "game_unpaused" };
            sink.event("pause", name, serde_json::Value::Null);
        }
    }

    let day = |clock: i64| {
        json!({
            "daytime": next.daytime,
            "clock_time": clock,
            "nightstalker_night": next.nightstalker_night,
        })
    };
    if let Some(now) = next.clock_time {
        if prev.daytime != next.daytime || prev.nightstalker_night != next.nightstalker_night {
            sink.event("daytime_changed", "daytime_changed", day(now));
        }
        if let Some(was) = prev.clock_time {
            let elapsed = now.checked_sub(was);
            if !step.seek && elapsed.is_some_and(|e| (1..=MAX_CLOCK_FILL).contains(&e)) {
                for clock in was + 1..=now {
                    sink.event("clock_time_changed", "clock_time_changed", day(clock));
                }
            } else if elapsed != Some(0) {
                sink.event("clock_time_changed", "clock_time_changed", day(now));
            }
        }
    }

    const WARD: &str = "ward_purchase_cooldown_changed";
    if let (Some(a), Some(b)) = (prev.ward_purchase_cooldown, next.ward_purchase_cooldown) {
        if a != b {
            sink.event(WARD, WARD, json!({ "ward_purchase_cooldown": b }));
        }
    }
    for (team, was, now) in [
        (
            "radiant",
            prev.radiant_ward_purchase_cooldown,
            next.radiant_ward_purchase_cooldown,
        ),
        (
            "dire",
            prev.dire_ward_purchase_cooldown,
            next.dire_ward_purchase_cooldown,
        ),
    ] {
        if let (Some(a), Some(b)) = (was, now) {
            if a != b {
                sink.event(
                    WARD,
                    WARD,
                    json!({ "ward_purchase_cooldown": b, "team": team }),
                );
            }
        }
    }
}
