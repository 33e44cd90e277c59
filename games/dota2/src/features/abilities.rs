//! Each player's abilities: `hero_ability_skilled`, `hero_ability_used`,
//! `hero_ability_cooldown_changed` and `hero_ability_changed`.

use crate::model::Ability;
use serde_json::{json, Value};

use crate::players::PlayerView;
use crate::Sink;

/// The slot number of an `abilityN` key.
fn slot(key: &str) -> Option<i64> {
    key.strip_prefix("ability")?.parse().ok()
}

fn data(slot: i64, a: &Ability) -> Value {
    let mut data = json!({
        "slot": slot,
        "name": a.name,
        "level": a.level,
        "can_cast": a.can_cast,
        "passive": a.passive,
        "ability_active": a.ability_active,
        "cooldown": a.cooldown,
        "ultimate": a.ultimate,
    });
    if let (Some(charges), Some(map)) = (a.charges, data.as_object_mut()) {
        map.insert("charges".into(), charges.into());
    }
    data
}

pub(crate) fn run(prev: Option<&PlayerView<'_>>, who: &PlayerView<'_>, sink: &mut Sink<'_>) {
    let (Some(next), Some(prev)) = (who.abilities, prev.and_then(|p| p.abilities)) else {
        return;
    };
    let mut slots: Vec<(i64, &String)> = next
        .keys()
        .filter_map(|k| slot(k).map(|s| (s, k)))
        .collect();
    slots.sort_unstable();
    for (n, key) in slots {
        let (Some(now), Some(before)) = (next.get(key), prev.get(key)) else {
            continue;
        };
        let emit = |sink: &mut Sink<'_>, name: &'static str| {
            sink.player_event(who, name, name, data(n, now))
        };
        if now.name != before.name {
            emit(sink, "hero_ability_changed");
            continue;
        }
        if matches!((before.level, now.level), (Some(a), Some(b)) if b > a) {
            emit(sink, "hero_ability_skilled");
        }
        let cooled = before.cooldown.unwrap_or(0) == 0 && now.cooldown.unwrap_or(0) > 0;
        let charge_spent = matches!((before.charges, now.charges), (Some(a), Some(b)) if b < a);
        if cooled || charge_spent {
            emit(sink, "hero_ability_used");
        }
        if now.cooldown != before.cooldown && now.cooldown.is_some() {
            emit(sink, "hero_ability_cooldown_changed");
        }
    }
}
