//! The CS2 demo match: a real capture, not a simulator. The 174 posts a
//! Counter-Strike 2 client sent over a 37-minute competitive (wingman)
//! session (`tests/fixtures/player_competitive_wingman_sequence_174posts_2025.json`,
//! origin in that folder's README): the menu, a match with kills, deaths,
//! bomb plants, MVPs, the halftime switch and restarts.
//!
//! [`posts`] paces them by their own `provider.timestamp`, with each gap held
//! between [`MIN_GAP_MS`] and [`MAX_GAP_MS`] so a newcomer does not wait
//! minutes through the menu; [`rebase`] moves a body's timestamp onto the
//! demo's clock, loop after loop, so every loop reads as later play. Pure: no
//! IO, no clock; the player (pacing, looping, handing over to a real game) is
//! the binary's, shared with Dota's demo.

use serde_json::Value;

/// The capture, embedded (307 KB of JSON).
const CAPTURE: &str =
    include_str!("../tests/fixtures/player_competitive_wingman_sequence_174posts_2025.json");

/// The shortest gap between two posts (the capture's same-second posts).
pub const MIN_GAP_MS: u64 = 100;
/// The longest gap between two posts (the capture waits up to minutes in
/// menus and warmup).
pub const MAX_GAP_MS: u64 = 2_000;

/// One post of the demo: when it is due, from the loop's start, and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPost {
    /// Milliseconds from the start of the loop.
    pub at_ms: u64,
    /// The body as the game posted it, its `provider.timestamp` on the
    /// demo's clock (loop 0).
    pub body: Value,
}

/// One loop of the demo: every post of the capture, in order, paced.
pub fn posts() -> Vec<DemoPost> {
    let entries: Vec<Value> = serde_json::from_str(CAPTURE).unwrap_or_default();
    let mut out = Vec::with_capacity(entries.len());
    let mut at_ms = 0u64;
    let mut last_ts: Option<u64> = None;
    let mut first_ts: Option<u64> = None;
    for entry in entries {
        let Some(mut body) = entry.get("body").cloned() else {
            continue;
        };
        let ts = timestamp(&body);
        if let (Some(prev), Some(now)) = (last_ts, ts) {
            let gap = now.saturating_sub(prev).saturating_mul(1000);
            at_ms += gap.clamp(MIN_GAP_MS, MAX_GAP_MS);
        } else if last_ts.is_some() {
            at_ms += MIN_GAP_MS;
        }
        last_ts = ts.or(last_ts);
        let base = *first_ts.get_or_insert(ts.unwrap_or(0));
        set_timestamp(&mut body, base + at_ms / 1000);
        out.push(DemoPost { at_ms, body });
    }
    out
}

/// The length of one loop of `posts`: its last post plus a second.
pub fn loop_ms(posts: &[DemoPost]) -> u64 {
    posts.last().map_or(0, |p| p.at_ms + 1000)
}

/// `body` (a post of [`posts`]) as it plays in loop `round` of loops
/// `loop_ms` long: its `provider.timestamp` moved on by `round` loops.
pub fn rebase(body: &mut Value, round: u64, loop_ms: u64) {
    if let Some(ts) = timestamp(body) {
        set_timestamp(
            body,
            ts.saturating_add(round.saturating_mul(loop_ms) / 1000),
        );
    }
}

fn timestamp(body: &Value) -> Option<u64> {
    body.pointer("/provider/timestamp").and_then(Value::as_u64)
}

fn set_timestamp(body: &mut Value, ts: u64) {
    if let Some(slot) = body.pointer_mut("/provider/timestamp") {
        *slot = ts.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, Engine};

    #[test]
    fn every_post_of_the_capture_plays_in_order_and_paced() {
        let posts = posts();
        assert_eq!(posts.len(), 174);
        for pair in posts.windows(2) {
            let gap = pair[1].at_ms - pair[0].at_ms;
            assert!((MIN_GAP_MS..=MAX_GAP_MS).contains(&gap), "gap {gap}");
            assert!(timestamp(&pair[1].body) >= timestamp(&pair[0].body));
        }
        // A loop is minutes, not the capture's 37.
        assert!(loop_ms(&posts) < 6 * 60 * 1000, "{}", loop_ms(&posts));
        for post in &posts {
            let body = serde_json::to_vec(&post.body).expect("json");
            assert!(parse(&body).is_ok(), "{}", post.at_ms);
        }
    }

    #[test]
    fn a_loop_fires_kills_and_round_ends_and_the_next_loop_moves_the_clock_on() {
        let posts = posts();
        let length = loop_ms(&posts);
        let mut engine = Engine::new();
        let mut names = Vec::new();
        for round in 0..2 {
            for post in &posts {
                let mut body = post.body.clone();
                rebase(&mut body, round, length);
                if round == 1 {
                    assert_eq!(
                        timestamp(&body),
                        timestamp(&post.body).map(|t| t + length / 1000)
                    );
                }
                let bytes = serde_json::to_vec(&body).expect("json");
                let state = parse(&bytes).expect("a CS2 body");
                let out = engine.process(state, &bytes);
                names.extend(out.events.iter().map(|e| (round, e.name)));
            }
        }
        for round in 0..2 {
            for name in ["kill", "round_end", "round_start", "match_start"] {
                assert!(
                    names.iter().any(|(r, n)| *r == round && *n == name),
                    "loop {round} has no {name}"
                );
            }
        }
    }
}
