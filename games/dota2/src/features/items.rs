//! Each player's items: `hero_item_cooldown_changed`, `hero_item_changed`,
//! `hero_item_used`, `hero_item_consumed` and `hero_item_charged`.

use crate::model::Item;
use serde_json::{json, Value};

use crate::players::PlayerView;
use crate::Sink;

/// Where a slot key is, and its number: `slot3` is `("hero", 3)`.
fn location(key: &str) -> Option<(&'static str, i64)> {
    let split = key.find(|c: char| c.is_ascii_digit())?;
    let (kind, n) = key.split_at(split);
    let n: i64 = n.parse().ok()?;
    let location = match kind {
        "slot" if n <= 5 => "hero",
        "slot" => "backpack",
        "stash" => "stash",
        "teleport" => "teleport",
        "neutral" => "neutral",
        _ => return None,
    };
    Some((location, n))
}

fn data(location: &str, slot: i64, item: &Item, charges: Option<i64>) -> Value {
    json!({
        "slot": slot,
        "location": location,
        "name": item.name,
        "can_cast": item.can_cast,
        "passive": item.passive,
        "cooldown": item.cooldown,
        "charges": charges,
    })
}

fn is_empty(item: &Item) -> bool {
    item.name.as_deref().is_none_or(|n| n == "empty")
}

pub(crate) fn run(prev: Option<&PlayerView<'_>>, who: &PlayerView<'_>, sink: &mut Sink<'_>) {
    let (Some(next), Some(prev)) = (who.items, prev.and_then(|p| p.items)) else {
        return;
    };
    let mut slots: Vec<((&'static str, i64), &String)> = next
        .keys()
        .filter_map(|k| location(k).map(|l| (l, k)))
        .collect();
    // Inventory, backpack, stash, then the rest, each by slot number.
    let order = |l: &str| {
        ["hero", "backpack", "stash", "teleport", "neutral"]
            .iter()
            .position(|x| *x == l)
    };
    slots.sort_by_key(|((l, n), _)| (order(l), *n));
    for ((loc, n), key) in slots {
        let (Some(now), Some(before)) = (next.get(key), prev.get(key)) else {
            continue;
        };
        let event = |sink: &mut Sink<'_>, name: &'static str, item: &Item, charges: Option<i64>| {
            sink.player_event(who, name, name, data(loc, n, item, charges));
        };
        if now.name != before.name {
            // The last charge of a consumable used up: the slot empties.
            if is_empty(now) && before.charges == Some(1) {
                event(sink, "hero_item_consumed", before, Some(0));
            }
            event(sink, "hero_item_changed", now, now.charges);
            continue;
        }
        if is_empty(now) {
            continue;
        }
        if now.cooldown != before.cooldown && now.cooldown.is_some() {
            event(sink, "hero_item_cooldown_changed", now, now.charges);
        }
        if before.cooldown.unwrap_or(0) == 0 && now.cooldown.unwrap_or(0) > 0 {
            event(sink, "hero_item_used", now, now.charges);
        }
        match (before.charges, now.charges) {
            (Some(a), Some(b)) if b < a => event(sink, "hero_item_consumed", now, now.charges),
            (Some(a), Some(b)) if b > a => event(sink, "hero_item_charged", now, now.charges),
            _ => {}
        }
    }
}
