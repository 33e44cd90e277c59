//! The `match_info` feature: `pseudo_match_id` and `team_score`.

use serde_json::json;
use uuid::Uuid;

use crate::{Sink, Step};

/// The namespace of pseudo match ids: a UUID v5 of the match key in it.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f0a_5d2e_8c1b_4f7a_9e3d_2b6c_1a04_7314);

/// Remembers the current match, so a pseudo id is stable for its whole length.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    /// `(matchid, pseudo id)` of the match in progress.
    current: Option<(String, String)>,
}

pub(crate) fn run(step: &Step<'_>, tracker: &mut Tracker, sink: &mut Sink<'_>) {
    let Some(map) = step.next.map.as_ref() else {
        // Back in the menu: the next match with the same id (bot games all use "0") is a new match.
        tracker.current = None;
        return;
    };
    if let Some(matchid) = map.matchid.as_deref() {
        let known = tracker
            .current
            .as_ref()
            .is_some_and(|(id, _)| id == matchid);
        // The game sends "0" while a match initialises and its real id after:
        // that is still the same match, so its pseudo id stays.
        let assigned = tracker.current.as_ref().is_some_and(|(id, _)| id == "0") && matchid != "0";
        if assigned {
            if let Some((id, _)) = tracker.current.as_mut() {
                *id = matchid.to_string();
            }
        } else if !known {
            // Bot and local games all have match id "0"; tell them apart by
            // when the match started on the game's clock.
            let key = if matchid == "0" {
                let started = step
                    .next
                    .provider
                    .as_ref()
                    .and_then(|p| p.timestamp)
                    .unwrap_or(0)
                    .saturating_sub(map.game_time.unwrap_or(0));
                format!("0@{started}")
            } else {
                matchid.to_string()
            };
            let pseudo = Uuid::new_v5(&NAMESPACE, key.as_bytes()).to_string();
            tracker.current = Some((matchid.to_string(), pseudo));
        }
        if let Some((_, pseudo)) = &tracker.current {
            sink.info(
                "match_info",
                "match_info",
                "pseudo_match_id",
                pseudo.as_str().into(),
            );
        }
    }
    if let (Some(radiant), Some(dire)) = (map.radiant_score, map.dire_score) {
        sink.info(
            "match_info",
            "team_score",
            "team_score",
            json!({ "radiant": radiant, "dire": dire }),
        );
    }
}
