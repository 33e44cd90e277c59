//! Each player's cumulative counters: `kill` (with multi-kill labels),
//! `assist`, `death`, `cs`, `gold`, `xpm` and `gpm`.

use crate::model::Player;
use serde_json::json;

use super::{changed, increase};
use crate::players::PlayerView;
use crate::{Sink, Step};

/// Multi-kill state: the game-clock time of the last kill and the length of the
/// current chain of kills, each within the window of the one before.
#[derive(Debug, Default)]
pub(crate) struct MultiKill {
    last_kill_clock: Option<i64>,
    chain: u32,
}

impl MultiKill {
    /// Registers one kill at `clock` and returns the chain length it makes.
    fn kill(&mut self, clock: Option<i64>, window: i64) -> u32 {
        let within = match (self.last_kill_clock, clock) {
            (Some(last), Some(now)) => {
                now >= last && now.checked_sub(last).is_some_and(|d| d <= window)
            }
            // Without a clock, kills seen in one snapshot still chain (see `run`).
            _ => false,
        };
        self.chain = if within {
            self.chain.saturating_add(1)
        } else {
            1
        };
        if clock.is_some() {
            self.last_kill_clock = clock;
        }
        self.chain
    }
}

/// The Overwolf label of a chain of kills.
fn label(chain: u32) -> &'static str {
    match chain {
        0 | 1 => "kill",
        2 => "double_kill",
        3 => "triple_kill",
        4 => "ultra_kill",
        _ => "rampage",
    }
}

pub(crate) fn run(
    step: &Step<'_>,
    prev: Option<&PlayerView<'_>>,
    who: &PlayerView<'_>,
    kills: &mut MultiKill,
    sink: &mut Sink<'_>,
) {
    let Some(next) = who.player else {
        return;
    };
    let prev = prev.and_then(|p| p.player);
    let get = |f: fn(&Player) -> Option<i64>| (prev.and_then(f), f(next));

    if let Some((from, to)) = {
        let (a, b) = get(|p| p.kills);
        increase(a, b)
    } {
        let streak = next.kill_streak.unwrap_or(to);
        let n = to - from;
        for i in 1..=n {
            // Kills that land in one snapshot happened within one tick of each
            // other, so they always chain; the first one checks the window.
            let chain = if i == 1 {
                kills.kill(step.clock, step.config.multikill_window_secs)
            } else {
                kills.chain = kills.chain.saturating_add(1);
                kills.chain
            };
            sink.player_event(
                who,
                "kill",
                "kill",
                json!({
                    "kills": from + i,
                    "kill_streak": streak.saturating_sub(n - i).max(1),
                    "label": label(chain),
                }),
            );
        }
    }

    let (a, b) = get(|p| p.assists);
    if let Some((from, to)) = increase(a, b) {
        for n in from + 1..=to {
            sink.player_event(who, "assist", "assist", json!({ "assists": n }));
        }
    }

    let (a, b) = get(|p| p.deaths);
    if let Some((from, to)) = increase(a, b) {
        for n in from + 1..=to {
            sink.player_event(who, "death", "death", json!({ "deaths": n }));
        }
    }

    let (last_hits, denies) = (get(|p| p.last_hits), get(|p| p.denies));
    let cs = |kind: &str| {
        json!({
            "last_hits": last_hits.1.unwrap_or(0),
            "denies": denies.1.unwrap_or(0),
            "type": kind,
        })
    };
    if increase(last_hits.0, last_hits.1).is_some() {
        sink.player_event(who, "cs", "cs", cs("last_hit"));
    }
    if increase(denies.0, denies.1).is_some() {
        sink.player_event(who, "cs", "cs", cs("deny"));
    }

    let (a, b) = get(|p| p.xpm);
    if let Some(xpm) = changed(a, b) {
        sink.player_event(who, "xpm", "xpm", json!({ "xpm": xpm }));
    }
    let (a, b) = get(|p| p.gpm);
    if let Some(gpm) = changed(a, b) {
        sink.player_event(who, "gpm", "gpm", json!({ "gpm": gpm }));
    }

    let gold = |p: &Player| (p.gold, p.gold_reliable, p.gold_unreliable);
    if let Some(prev) = prev {
        let (now, before) = (gold(next), gold(prev));
        if now != before && now.0.is_some() && before.0.is_some() {
            sink.player_event(
                who,
                "gold",
                "gold",
                json!({
                    "gold": now.0,
                    "gold_reliable": now.1,
                    "gold_unreliable": now.2,
                }),
            );
        }
    }
}
