//! The demo match: a simulated game played into the pipeline in a loop, so a
//! newcomer sees events with no game running. It stops when a real game posts.
//!
//! Two variants, chosen by [`DemoOptions::mode`]: [`DemoMode::Player`] plays
//! [`player_match`] (one Radiant Invoker as the player's own client sees the
//! game), [`DemoMode::Spectator`] plays [`spectator_match`] (all ten players,
//! the draft, Roshan's timer and the win chance, as an observer sees them).

mod common;
mod sim;
mod spectator;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wardcast_gsi::Snapshot;

pub use common::DemoPost;
pub use sim::player_match;
pub use spectator::spectator_match;

/// Which client the demo match is seen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum DemoMode {
    /// The player's own client: flat `player`/`hero` sections about one
    /// Radiant Invoker ([`player_match`]). Named `player`.
    #[default]
    Player,
    /// An observer: all ten players under `team2`/`team3`, the draft, Roshan's
    /// state and the win chance ([`spectator_match`]). Named `spectator`.
    Spectator,
}

impl DemoMode {
    /// Every mode, in the order of their names.
    pub const ALL: [DemoMode; 2] = [DemoMode::Player, DemoMode::Spectator];

    /// The mode's name: `"player"` or `"spectator"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DemoMode::Player => "player",
            DemoMode::Spectator => "spectator",
        }
    }

    /// The simulated match of this mode for `seed`.
    pub fn posts(self, seed: u64) -> Vec<DemoPost> {
        match self {
            DemoMode::Player => player_match(seed),
            DemoMode::Spectator => spectator_match(seed),
        }
    }
}

impl fmt::Display for DemoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A demo mode name that is neither `player` nor `spectator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDemoMode(pub String);

impl fmt::Display for UnknownDemoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown demo mode {:?}: expected \"player\" or \"spectator\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownDemoMode {}

impl FromStr for DemoMode {
    type Err = UnknownDemoMode;

    /// Parses `player` or `spectator` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DemoMode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownDemoMode(s.to_owned()))
    }
}

/// How the demo plays.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Playback speed: 2.0 plays twice as fast.
    pub speed: f64,
    /// The simulation seed; the same seed always plays the same match.
    pub seed: u64,
    /// Which client the match is seen from: the player's (the default) or a spectator's.
    pub mode: DemoMode,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            seed: 7314,
            mode: DemoMode::Player,
        }
    }
}

/// Plays the demo match into `tx`, looping, until `stop` is cancelled.
///
/// Each loop is a new match: its match id and timestamps move on, so consumers
/// see a fresh `pseudo_match_id` and a new `match_ended`.
pub async fn play(options: DemoOptions, tx: mpsc::Sender<Snapshot>, stop: CancellationToken) {
    let (mode, seed) = (options.mode, options.seed);
    // Making a match takes a moment (the spectator one most): not on the
    // runtime's own threads.
    let job = tokio::task::spawn_blocking(move || encode(mode, seed));
    let posts = tokio::select! {
        () = stop.cancelled() => return,
        done = job => match done {
            Ok(posts) => posts,
            Err(_) => return,
        },
    };
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
            let bytes = if round == 0 {
                post.body.clone()
            } else {
                round_bytes(&post.body, round, length)
            };
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

/// A post ready to play: when it is due and its body as JSON text.
struct Encoded {
    at_ms: u64,
    body: Bytes,
}

/// The match of `mode` with each body encoded as it is made, so the player
/// holds about 10 MB of JSON text for the spectator match rather than
/// ten times that as `serde_json::Value` trees.
fn encode(mode: DemoMode, seed: u64) -> Vec<Encoded> {
    let mut out = Vec::new();
    let push = |post: DemoPost| {
        let body = Bytes::from(serde_json::to_vec(&post.body).unwrap_or_default());
        out.push(Encoded {
            at_ms: post.at_ms,
            body,
        });
    };
    match mode {
        DemoMode::Player => player_match(seed).into_iter().for_each(push),
        DemoMode::Spectator => spectator::generate(seed, push),
    }
    out
}

/// [`round_body`] on an encoded body.
fn round_bytes(body: &Bytes, round: u64, length_ms: u64) -> Bytes {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => Bytes::from(
            serde_json::to_vec(&round_body(value, round, length_ms)).unwrap_or_default(),
        ),
        Err(_) => body.clone(),
    }
}

/// The body of a post in the given round: a distinct match id and later timestamps.
fn round_body(mut body: serde_json::Value, round: u64, length_ms: u64) -> serde_json::Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_mode_names_round_trip() {
        assert_eq!(DemoMode::default(), DemoMode::Player);
        assert_eq!(DemoOptions::default().mode, DemoMode::Player);
        for mode in DemoMode::ALL {
            assert_eq!(mode.to_string().parse::<DemoMode>(), Ok(mode));
        }
        assert_eq!("Spectator".parse::<DemoMode>(), Ok(DemoMode::Spectator));
        assert_eq!(
            "observer".parse::<DemoMode>(),
            Err(UnknownDemoMode("observer".into()))
        );
        let names: Vec<String> = <DemoMode as clap::ValueEnum>::value_variants()
            .iter()
            .filter_map(clap::ValueEnum::to_possible_value)
            .map(|p| p.get_name().to_owned())
            .collect();
        assert_eq!(names, ["player", "spectator"]);
    }

    #[test]
    fn round_body_moves_the_match_id_and_the_clock() {
        let body =
            serde_json::json!({"map": {"matchid": "7300000001"}, "provider": {"timestamp": 100}});
        let next = round_body(body.clone(), 2, 10_000);
        assert_eq!(next["map"]["matchid"], "7300000003");
        assert_eq!(next["provider"]["timestamp"], 120);
        assert_eq!(round_body(body.clone(), 0, 10_000), body);
        let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let again: serde_json::Value =
            serde_json::from_slice(&round_bytes(&bytes, 2, 10_000)).unwrap_or_default();
        assert_eq!(again, next);
    }

    #[test]
    fn encoding_keeps_every_post_of_both_modes() {
        for mode in DemoMode::ALL {
            let posts = mode.posts(3);
            let encoded = encode(mode, 3);
            assert_eq!(posts.len(), encoded.len(), "{mode}");
            for (p, e) in posts.iter().zip(&encoded) {
                assert_eq!(p.at_ms, e.at_ms);
                let body: serde_json::Value = serde_json::from_slice(&e.body).unwrap_or_default();
                assert_eq!(body, p.body);
            }
        }
    }
}
