//! Game and match state: `game_state_changed`, `match_state_changed`,
//! `match_ended`, and the `game` info category.

use crate::model::Mode;
use serde_json::{json, Map, Value};

use crate::{Sink, Step};

/// Remembers which match already fired `match_ended`, `new_game` and
/// `game_over`, so a flickering state cannot fire them twice.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    ended_match: Option<String>,
    started_match: Option<String>,
    over_match: Option<String>,
}

const IN_PROGRESS: &str = "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS";

fn match_key(step: &Step<'_>) -> String {
    step.next
        .map
        .as_ref()
        .or_else(|| step.prev.and_then(|p| p.map.as_ref()))
        .and_then(|m| m.matchid.clone())
        .unwrap_or_default()
}

/// `game_state_changed`, `match_state_changed`, `new_game` and the `game` info.
pub(crate) fn run_state(step: &Step<'_>, tracker: &mut Tracker, sink: &mut Sink<'_>) {
    let map = step.next.map.as_ref();
    let match_state = map.and_then(|m| m.game_state.as_deref());

    // Overwolf fires `idle` only when a played or spectated game closes, never
    // for the menu at start-up; the engine starts in an implicit idle.
    let prev_mode = step.prev_mode.unwrap_or(Mode::Idle);
    if step.mode != prev_mode {
        let mut data = Map::new();
        data.insert("game_state".into(), step.mode.as_str().into());
        if step.mode != Mode::Idle {
            if let Some(state) = match_state {
                data.insert("match_state".into(), state.into());
            }
            if let Some(id) = map.and_then(|m| m.matchid.as_deref()) {
                data.insert("match_id".into(), id.into());
            }
            if step.mode == Mode::Playing {
                let player = step.next.local_player();
                if let Some(id) = player.and_then(|p| p.steamid.as_deref()) {
                    data.insert("player_steam_id".into(), id.into());
                }
                if let Some(team) = player.and_then(|p| p.team_name.as_deref()) {
                    data.insert("player_team".into(), team.into());
                }
            }
        }
        sink.event(
            "game_state_changed",
            "game_state_changed",
            Value::Object(data),
        );
    }
    sink.info("game", "game", "game_state", step.mode.as_str().into());

    let prev_state = step
        .prev
        .and_then(|p| p.map.as_ref())
        .and_then(|m| m.game_state.as_deref());
    if let Some(state) = match_state {
        if prev_state != Some(state) {
            sink.event(
                "match_state_changed",
                "match_state_changed",
                json!({ "match_state": state }),
            );
        }
        sink.info("match_state_changed", "game", "match_state", state.into());
        sink.info("game", "game", "match_state", state.into());
        if state == IN_PROGRESS && prev_state.is_some_and(|p| p != IN_PROGRESS) {
            let key = match_key(step);
            if tracker.started_match.as_ref() != Some(&key) {
                tracker.started_match = Some(key);
                sink.event("game_state", "new_game", Value::Null);
            }
        }
    }
    // Leaving a match that was in progress, with no winner: the game is over too.
    if step.mode == Mode::Idle && prev_state == Some(IN_PROGRESS) {
        game_over(step, tracker, sink);
    }
}

fn game_over(step: &Step<'_>, tracker: &mut Tracker, sink: &mut Sink<'_>) {
    let key = match_key(step);
    if tracker.over_match.as_ref() != Some(&key) {
        tracker.over_match = Some(key);
        sink.event("game_state", "game_over", Value::Null);
    }
}

/// `match_ended`: `win_team` turns from `none` to a side, once per match.
pub(crate) fn run_end(step: &Step<'_>, tracker: &mut Tracker, sink: &mut Sink<'_>) {
    let Some(map) = step.next.map.as_ref() else {
        return;
    };
    let Some(winner) = map
        .win_team
        .as_deref()
        .filter(|w| matches!(*w, "radiant" | "dire"))
    else {
        return;
    };
    let Some(prev_map) = step.prev.and_then(|p| p.map.as_ref()) else {
        return;
    };
    let was_open = prev_map.win_team.as_deref().is_none_or(|w| w == "none");
    let match_key = map.matchid.clone().unwrap_or_default();
    if was_open && tracker.ended_match.as_ref() != Some(&match_key) {
        tracker.ended_match = Some(match_key);
        sink.event("match_ended", "match_ended", json!({ "winner": winner }));
        game_over(step, tracker, sink);
    }
}
