//! The `roster` feature: `players`, `bans` and `draft`.
//!
//! Spectator mode has all ten players and the draft; player mode knows only
//! the local player and has an empty draft. GSI has no roles or ranks, so those
//! fields of Overwolf's player objects are left out.

use crate::model::Mode;
use serde_json::{json, Map, Value};

use crate::{Sink, Step};

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    if step.mode == Mode::Idle {
        return;
    }
    let players: Vec<Value> = step
        .players
        .iter()
        .filter_map(|(_, who)| {
            let p = who.player?;
            let hero = who.hero;
            let hero_id = hero.and_then(|h| h.id).filter(|id| *id > 0);
            // While a match loads, the player section is still empty: nobody
            // to list yet.
            if p.steamid.is_none() && p.name.is_none() && hero_id.is_none() {
                return None;
            }
            let team = match who.side() {
                Some("radiant") => 2,
                Some("dire") => 3,
                _ => 0,
            };
            let mut entry = json!({
                "steamId": p.steamid.clone().unwrap_or_default(),
                "name": p.name.clone().unwrap_or_default(),
                "pickConfirmed": hero_id.is_some(),
                "hero": who.hero_name().unwrap_or(""),
                "heroId": hero_id.unwrap_or(0),
                "team": team,
            });
            // Bodies from before 2022 have no team_slot; then the slot is not
            // known in player mode and is left out rather than guessed.
            let team_slot = who.team_slot();
            let player_index = who.player_index();
            if let Some(map) = entry.as_object_mut() {
                if let Some(slot) = team_slot {
                    map.insert("team_slot".into(), slot.into());
                }
                if let Some(index) = player_index {
                    map.insert("player_index".into(), index.into());
                }
            }
            Some(entry)
        })
        .collect();
    if !players.is_empty() {
        sink.info("roster", "roster", "players", Value::Array(players));
    }

    let Some(draft) = step.next.draft.as_ref() else {
        return;
    };
    let (mut bans, mut picks) = (Vec::new(), Vec::new());
    for (team_key, team) in [("team2", 2), ("team3", 3)] {
        let Some(Value::Object(side)) = draft.rest.get(team_key) else {
            continue;
        };
        collect(side, "ban", team, &mut bans);
        collect(side, "pick", team, &mut picks);
    }
    if draft.rest.contains_key("team2") || draft.rest.contains_key("team3") {
        sink.info("roster", "roster", "bans", Value::Array(bans));
        sink.info("roster", "roster", "draft", Value::Array(picks));
    }
}

/// Appends `{heroId, hero, team}` for every `<kind>N_id` that is set.
fn collect(side: &Map<String, Value>, kind: &str, team: i64, out: &mut Vec<Value>) {
    for n in 0..10 {
        let Some(id) = side
            .get(&format!("{kind}{n}_id"))
            .and_then(Value::as_i64)
            .filter(|id| *id > 0)
        else {
            continue;
        };
        let class = side
            .get(&format!("{kind}{n}_class"))
            .and_then(Value::as_str)
            .unwrap_or("");
        out.push(json!({ "heroId": id, "hero": class, "team": team }));
    }
}
