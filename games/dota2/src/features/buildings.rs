//! The `buildings` feature: each side's building health, and `building_destroyed`.

use serde_json::{json, Map, Value};

use crate::{Sink, Step};

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    let Some(next) = step.next.buildings.as_ref() else {
        return;
    };
    // After a seek, buildings that fell or came back are the new baseline.
    let prev = step
        .prev
        .filter(|_| !step.seek)
        .and_then(|p| p.buildings.as_ref());
    for (side, key) in [("radiant", "radiant"), ("dire", "dire")] {
        let Some(now) = next.get(side) else { continue };
        let value: Map<String, Value> = now
            .iter()
            .map(|(name, b)| {
                (
                    name.clone(),
                    json!({ "health": b.health, "max_health": b.max_health }),
                )
            })
            .collect();
        if let Some(before) = prev.and_then(|p| p.get(side)) {
            for (name, b) in before {
                let alive_before = b.health.is_none_or(|h| h > 0);
                let gone_now = now.get(name).is_none_or(|n| n.health == Some(0));
                if alive_before && gone_now {
                    sink.event(
                        "buildings",
                        "building_destroyed",
                        json!({ "team": side, "building": name }),
                    );
                }
            }
        }
        sink.info("buildings", "buildings", key, Value::Object(value));
    }
}
