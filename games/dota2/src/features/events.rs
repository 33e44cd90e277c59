//! Features from the GSI `events` array: `roshan`, `bounty_rune`, `tip`,
//! `courier`, `kill_feed` (`generic_event`) and the opt-in `chat`.
//!
//! The array is a sliding window the game re-sends on every tick, newest
//! first (at most 16 entries, each for about 30 s). Real spectator and replay
//! bodies also repeat an entry inside one array, a count that grows from post
//! to post, and after a rewind they carry entries from the future. So an entry
//! is identified by its whole content (field order aside):
//! - copies of one entry, in one array or across posts, fire once;
//! - entries that differ in any field are different events;
//! - an entry whose `game_time` is ahead of `map.game_time` is held: it fires
//!   when the clock reaches it, or never if it leaves the window first;
//! - the window of a match's first snapshot, and of a seek, is history.
//!
//! New entries are emitted oldest first.

use crate::model::GsiEvent;
use serde_json::{Map, Value};

use crate::{Sink, Step};

/// How many of a window's newest entries are read. The game sends at most
/// 16; the bound keeps a hostile body from costing more than that many times
/// [`MAX_FIRED`] comparisons.
const MAX_WINDOW: usize = 64;

/// Game seconds a fired entry is remembered after it left the window, so an
/// entry that flickers out of one post and back in is still the same event.
const KEEP_SECS: i64 = 120;

/// The most fired entries remembered (the oldest are forgotten first).
const MAX_FIRED: usize = 512;

/// The entries of the current timeline that fired (or were history), oldest first.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    fired: Vec<GsiEvent>,
    /// Whether a window of this timeline was read (before that, it is history).
    primed: bool,
}

impl Tracker {
    fn knows(&self, entry: &GsiEvent) -> bool {
        self.fired.iter().any(|f| f == entry)
    }

    /// Forgets entries that left the window more than [`KEEP_SECS`] ago, then
    /// the oldest beyond [`MAX_FIRED`].
    fn prune(&mut self, window: &[GsiEvent], now: Option<i64>) {
        self.fired.retain(|f| {
            let recent = match (f.game_time, now) {
                (Some(t), Some(now)) => now.saturating_sub(t) <= KEEP_SECS,
                _ => false,
            };
            recent || window.contains(f)
        });
        let over = self.fired.len().saturating_sub(MAX_FIRED);
        self.fired.drain(..over);
    }
}

pub(crate) fn run(step: &Step<'_>, tracker: &mut Tracker, sink: &mut Sink<'_>) {
    let Some(all) = step.next.events.as_ref() else {
        return;
    };
    let window = &all[..all.len().min(MAX_WINDOW)];
    let now = step.next.map.as_ref().and_then(|m| m.game_time);
    let due = |e: &GsiEvent| match (e.game_time, now) {
        (Some(t), Some(now)) => t <= now,
        _ => true,
    };
    // The first window of a match (or of a return from the menu, or after a
    // replay seek) is history; entries from its future still fire later. A
    // body that leaves the section out changes nothing.
    let history = !tracker.primed || step.prev.and_then(|p| p.map.as_ref()).is_none();
    if history {
        tracker.fired.clear();
        tracker.primed = true;
    }
    for entry in window.iter().rev() {
        if !due(entry) || tracker.knows(entry) {
            continue;
        }
        tracker.fired.push(entry.clone());
        if !history {
            emit(step, entry, sink);
        }
    }
    tracker.prune(window, now);
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
