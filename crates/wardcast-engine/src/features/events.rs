//! Features from the GSI `events` array: `roshan`, `bounty_rune`, `tip`,
//! `courier`, `kill_feed` (`generic_event`) and the opt-in `chat`.
//!
//! The array is a sliding window the game re-sends on every tick, newest first.
//! An entry is new when the next window holds it more times than the previous
//! one, comparing whole payloads, so two identical entries in one tick (two
//! bounty runes in the same second) both come out and a re-sent entry never
//! repeats. New entries are emitted oldest first.

use serde_json::{Map, Value};
use wardcast_gsi::model::GsiEvent;

use crate::{Sink, Step};

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    let Some(next) = step.next.events.as_ref() else {
        return;
    };
    // Entries already in the window when a match is first seen are history.
    let Some(prev) = step
        .prev
        .filter(|p| p.map.is_some())
        .and_then(|p| p.events.as_ref())
    else {
        return;
    };
    let mut unmatched: Vec<&GsiEvent> = prev.iter().collect();
    let mut new = Vec::new();
    for entry in next {
        match unmatched.iter().position(|p| *p == entry) {
            Some(i) => {
                unmatched.swap_remove(i);
            }
            None => new.push(entry),
        }
    }
    for entry in new.into_iter().rev() {
        emit(step, entry, sink);
    }
}

/// The entry's own fields plus `game_time`.
fn fields(entry: &GsiEvent) -> Map<String, Value> {
    let mut data = entry.rest.clone();
    if let Some(t) = entry.game_time {
        data.insert("game_time".into(), t.into());
    }
    data
}

fn emit(step: &Step<'_>, entry: &GsiEvent, sink: &mut Sink<'_>) {
    let Some(kind) = entry.event_type.as_deref() else {
        return;
    };
    let (feature, name) = match kind {
        "roshan_killed" => ("roshan", "roshan_killed"),
        "aegis_picked_up" => ("roshan", "aegis_picked_up"),
        "aegis_denied" => ("roshan", "aegis_denied"),
        "bounty_rune_pickup" => ("bounty_rune", "bounty_rune_pickup"),
        "tip" => ("tip", "tip"),
        "courier_killed" => ("courier", "courier_killed"),
        "chat_message" if step.config.allow_chat => ("chat", "chat_message"),
        "generic_event" => {
            if let Some(data) = kill_feed(entry) {
                sink.event("kill_feed", "kill_feed", Value::Object(data));
            }
            return;
        }
        _ => return,
    };
    sink.event(feature, name, Value::Object(fields(entry)));
}

/// A `generic_event`'s `data` is JSON in a string: parse it, and name its type
/// without the `CHAT_MESSAGE_` prefix, in lower case.
fn kill_feed(entry: &GsiEvent) -> Option<Map<String, Value>> {
    let text = entry.rest.get("data")?.as_str()?;
    let Ok(Value::Object(mut data)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let kind = data.get("type")?.as_str()?;
    let short = kind
        .strip_prefix("CHAT_MESSAGE_")
        .unwrap_or(kind)
        .to_ascii_lowercase();
    data.insert("type".into(), short.into());
    if let Some(t) = entry.game_time {
        data.insert("game_time".into(), t.into());
    }
    Some(data)
}
