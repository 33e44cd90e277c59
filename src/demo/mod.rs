//! The demo match: a simulated game played into the pipeline in a loop, so a
//! newcomer sees events with no game running. It stops when a real game posts.

mod sim;

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wardcast_gsi::Snapshot;

pub use sim::{player_match, DemoPost};

/// How the demo plays.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Playback speed: 2.0 plays twice as fast.
    pub speed: f64,
    /// The simulation seed; the same seed always plays the same match.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            seed: 7314,
        }
    }
}

/// Plays the demo match into `tx`, looping, until `stop` is cancelled.
///
/// Each loop is a new match: its match id and timestamps move on, so consumers
/// see a fresh `pseudo_match_id` and a new `match_ended`.
pub async fn play(options: DemoOptions, tx: mpsc::Sender<Snapshot>, stop: CancellationToken) {
    let posts = player_match(options.seed);
    let Some(length) = posts.last().map(|p| p.at_ms + 1000) else {
        return;
    };
    let speed = if options.speed.is_finite() && options.speed > 0.0 {
        options.speed
    } else {
        1.0
    };
    let start = Instant::now();
    for round in 0u64.. {
        for post in &posts {
            let at_ms = round.saturating_mul(length).saturating_add(post.at_ms);
            let due = start + Duration::from_secs_f64(at_ms as f64 / 1000.0 / speed);
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep_until(due) => {}
            }
            let body = round_body(&post.body, round, length);
            let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
            let Ok(state) = wardcast_gsi::parse(&bytes) else {
                continue;
            };
            let snapshot = Snapshot {
                state,
                body: bytes,
                received_at: Instant::now(),
            };
            if tx.send(snapshot).await.is_err() {
                return;
            }
        }
    }
}

/// The body of a post in the given round: a distinct match id and later timestamps.
fn round_body(body: &serde_json::Value, round: u64, length_ms: u64) -> serde_json::Value {
    let mut body = body.clone();
    if round == 0 {
        return body;
    }
    if let Some(id) = body.pointer_mut("/map/matchid") {
        let base: u64 = id
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(7_300_000_001);
        *id = (base + round).to_string().into();
    }
    if let Some(ts) = body.pointer_mut("/provider/timestamp") {
        if let Some(t) = ts.as_u64() {
            *ts = (t + round * length_ms / 1000).into();
        }
    }
    body
}
