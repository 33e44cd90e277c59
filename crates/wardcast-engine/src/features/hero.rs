//! The local hero: `hero_leveled_up`.

use serde_json::json;

use super::increase;
use crate::{Sink, Step};

pub(crate) fn run(step: &Step<'_>, sink: &mut Sink<'_>) {
    let next = step.next.local_hero().and_then(|h| h.level);
    let prev = step.prev.and_then(|p| p.local_hero()).and_then(|h| h.level);
    // The first level appears with the hero at spawn and is no level-up.
    if let Some((from, to)) = increase(prev, next) {
        for level in from + 1..=to {
            sink.event(
                "hero_leveled_up",
                "hero_leveled_up",
                json!({ "hero_level": level }),
            );
        }
    }
}
