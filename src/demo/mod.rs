//! The demo match: a match played into the pipeline in a loop, so a newcomer
//! sees events with no game running. It stops when a real game posts.
//!
//! The player ([`play`]: pacing, looping, rebasing each loop's clocks, the
//! hand-over to a real game) is shared by every game; each game gives one
//! loop of posts and how a body moves on one loop ([`DemoOptions::game`]).
//! Counter-Strike 2's demo is a real capture, embedded and looped
//! (`wardcast_cs2::demo`). Dota 2's is simulated, in two variants chosen by
//! [`DemoOptions::mode`]: [`DemoMode::Player`] plays
//! [`player_match`] (one Radiant Invoker as the player's own client sees the
//! game), [`DemoMode::Spectator`] plays [`spectator_match`] (all ten players,
//! the draft, Roshan's timer and the win chance, as an observer sees them).
//!
//! Each loop starts in the game, seconds before a fight, so a newcomer sees a
//! kill, a death, gold and info updates at once; the rest of the match, its
//! end, the menu and the next match's lobby (or draft) follow, and the next
//! loop goes on with that match (`in_game_first`). With
//! [`DemoOptions::from_draft`] each loop is the whole lifecycle in order
//! instead: the menu, the lobby, the game, the end.

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
use wardcast_engine::Game;
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

    /// One loop of the demo as it plays by default, for `seed`: starting in
    /// the game a few seconds before a fight (the player's double kill and
    /// first death; first blood for the spectator), then the rest of the
    /// match, the menu, and the next match's lobby and first minutes, with
    /// that match's id (see `in_game_first`).
    pub fn posts(self, seed: u64) -> Vec<DemoPost> {
        let mut posts = Vec::new();
        let start = self.generate(seed, |post| posts.push(post));
        in_game_first(posts, start)
    }

    /// One loop of the demo with `--from-draft`, for `seed`: the whole
    /// lifecycle in order ([`player_match`] or [`spectator_match`]).
    pub fn posts_from_draft(self, seed: u64) -> Vec<DemoPost> {
        match self {
            DemoMode::Player => player_match(seed),
            DemoMode::Spectator => spectator_match(seed),
        }
    }

    /// Makes the lifecycle's posts into `sink`; returns the index of the post
    /// the in-game loop starts at.
    fn generate(self, seed: u64, sink: impl FnMut(DemoPost)) -> usize {
        match self {
            DemoMode::Player => sim::generate(seed, sink),
            DemoMode::Spectator => spectator::generate(seed, sink),
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
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The demo match's game: Dota 2 (simulated, the default) or
    /// Counter-Strike 2 (a real capture, looped).
    pub game: &'static dyn Game,
    /// Playback speed: 2.0 plays twice as fast.
    pub speed: f64,
    /// The simulation seed; the same seed always plays the same match.
    pub seed: u64,
    /// Which client the Dota match is seen from: the player's (the default)
    /// or a spectator's.
    pub mode: DemoMode,
    /// Play each loop from the main menu and the draft (the whole lifecycle
    /// in order) rather than starting in the game ([`DemoMode::posts_from_draft`]).
    pub from_draft: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            game: crate::games::default_game(),
            speed: 1.0,
            seed: 7314,
            mode: DemoMode::Player,
            from_draft: false,
        }
    }
}

/// Plays the demo match into `tx`, looping, until `stop` is cancelled.
///
/// Each loop is a new match: its match id and timestamps move on, so consumers
/// see a fresh `pseudo_match_id` and a new `match_ended`.
pub async fn play(options: DemoOptions, tx: mpsc::Sender<Snapshot>, stop: CancellationToken) {
    let (mode, seed, from_draft) = (options.mode, options.seed, options.from_draft);
    let game = options.game.info().name;
    // Making a match takes a moment (the spectator one most): not on the
    // runtime's own threads.
    let job = tokio::task::spawn_blocking(move || match game {
        "cs2" => DemoLoop::cs2(),
        _ => DemoLoop {
            posts: encode(mode, seed, from_draft),
            rebase: round_bytes,
        },
    });
    let DemoLoop { posts, rebase } = tokio::select! {
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
                rebase(&post.body, round, length)
            };
            let Ok(parsed) = crate::games::parse(&bytes) else {
                continue;
            };
            let snapshot = Snapshot {
                parsed,
                body: bytes,
                received_at: Instant::now(),
            };
            if tx.send(snapshot).await.is_err() {
                return;
            }
        }
    }
}

/// One loop of a game's demo, and how its bodies move on a loop.
struct DemoLoop {
    posts: Vec<Encoded>,
    /// A body of the loop as it plays in loop `round` of loops `length_ms`
    /// long (a later match id and clock).
    rebase: fn(&Bytes, u64, u64) -> Bytes,
}

impl DemoLoop {
    /// Counter-Strike 2: the real capture, its timestamps moved on each loop.
    fn cs2() -> Self {
        let posts = wardcast_cs2::demo::posts()
            .into_iter()
            .map(|post| Encoded {
                at_ms: post.at_ms,
                body: Bytes::from(serde_json::to_vec(&post.body).unwrap_or_default()),
            })
            .collect();
        fn rebase(body: &Bytes, round: u64, length_ms: u64) -> Bytes {
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(mut value) => {
                    wardcast_cs2::demo::rebase(&mut value, round, length_ms);
                    Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
                }
                Err(_) => body.clone(),
            }
        }
        DemoLoop { posts, rebase }
    }
}

/// A post ready to play: when it is due and its body as JSON text.
struct Encoded {
    at_ms: u64,
    body: Bytes,
}

/// One loop of `mode` ([`DemoMode::posts`], or [`DemoMode::posts_from_draft`]
/// when `from_draft`) with each body encoded as it is made, so the player
/// holds about 10 MB of JSON text for the spectator match rather than
/// ten times that as `serde_json::Value` trees.
fn encode(mode: DemoMode, seed: u64, from_draft: bool) -> Vec<Encoded> {
    let mut out = Vec::new();
    let start = mode.generate(seed, |post: DemoPost| {
        let body = Bytes::from(serde_json::to_vec(&post.body).unwrap_or_default());
        out.push(Encoded {
            at_ms: post.at_ms,
            body,
        });
    });
    if from_draft {
        out
    } else {
        in_game_first(out, start)
    }
}

/// A post of one loop: when it is due, and the same post one match later.
trait LoopPost: Sized {
    fn at_ms_mut(&mut self) -> &mut u64;
    /// This post as the next match's ([`round_body`] with round 1).
    fn next_match(self, length_ms: u64) -> Self;
}

impl LoopPost for DemoPost {
    fn at_ms_mut(&mut self) -> &mut u64 {
        &mut self.at_ms
    }

    fn next_match(self, length_ms: u64) -> Self {
        DemoPost {
            at_ms: self.at_ms,
            body: round_body(self.body, 1, length_ms),
        }
    }
}

impl LoopPost for Encoded {
    fn at_ms_mut(&mut self) -> &mut u64 {
        &mut self.at_ms
    }

    fn next_match(self, length_ms: u64) -> Self {
        Encoded {
            at_ms: self.at_ms,
            body: round_bytes(&self.body, 1, length_ms),
        }
    }
}

/// One match's posts reordered so that a loop starts in the game, at
/// `posts[start]`: that post and the rest of the match (its end, the menu),
/// then the posts before it (the menu, the lobby or draft, the first minutes
/// of the game) as the next match's, with its match id and later timestamps.
/// The loop keeps its length and its one post a second, and every match id
/// is one match played forward: the first loop opens mid-game (the engine
/// takes that first body as its baseline), and each later loop carries on
/// the match the one before it started, so no clock ever goes back within a
/// match id. A `start` of 0 or past the end leaves the order as it is.
fn in_game_first<P: LoopPost>(mut posts: Vec<P>, start: usize) -> Vec<P> {
    if start == 0 || start >= posts.len() {
        return posts;
    }
    let Some(length) = posts.last_mut().map(|p| *p.at_ms_mut() + 1000) else {
        return posts;
    };
    let offset = *posts[start].at_ms_mut();
    let before: Vec<P> = posts.drain(..start).collect();
    for post in &mut posts {
        *post.at_ms_mut() -= offset;
    }
    posts.extend(before.into_iter().map(|post| {
        let mut post = post.next_match(length);
        *post.at_ms_mut() += length - offset;
        post
    }));
    posts
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

    /// Two loops of the in-game order, as [`play`] sends them.
    fn two_loops(mode: DemoMode, seed: u64) -> Vec<DemoPost> {
        let posts = mode.posts(seed);
        let length = posts.last().map_or(0, |p| p.at_ms + 1000);
        let mut out = posts.clone();
        out.extend(posts.into_iter().map(|p| DemoPost {
            at_ms: p.at_ms + length,
            body: round_body(p.body, 1, length),
        }));
        out
    }

    fn text(body: &serde_json::Value, pointer: &str) -> String {
        body.pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn the_loop_starts_in_the_game_and_plays_every_match_forward() {
        for mode in DemoMode::ALL {
            for seed in [1, 2, 7] {
                let lifecycle = mode.posts_from_draft(seed);
                let posts = mode.posts(seed);
                assert_eq!(posts.len(), lifecycle.len(), "{mode} {seed}");
                assert_eq!(
                    text(&posts[0].body, "/map/game_state"),
                    "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS",
                    "{mode} {seed}"
                );
                assert_eq!(text(&lifecycle[0].body, "/map/game_state"), "");
                let posts = two_loops(mode, seed);
                let first_ts = posts[0].body["provider"]["timestamp"].as_u64();
                let first_ts = first_ts.unwrap_or_default();
                let mut last_time: std::collections::BTreeMap<String, i64> =
                    std::collections::BTreeMap::new();
                let mut states = Vec::new();
                for (i, p) in posts.iter().enumerate() {
                    // One post a second, and the clock of the bodies with it.
                    assert_eq!(p.at_ms, 1000 * i as u64, "{mode} {seed}");
                    assert_eq!(
                        p.body["provider"]["timestamp"].as_u64(),
                        Some(first_ts + i as u64),
                        "{mode} {seed}"
                    );
                    let id = text(&p.body, "/map/matchid");
                    let Some(time) = p.body.pointer("/map/game_time").and_then(|t| t.as_i64())
                    else {
                        continue;
                    };
                    // Never a replay seek: a match id's game time never goes back.
                    let last = last_time.insert(id.clone(), time).unwrap_or(i64::MIN);
                    assert!(
                        time >= last,
                        "{mode} {seed}: {id} went from {last} to {time}"
                    );
                    let state = text(&p.body, "/map/game_state");
                    if states.last() != Some(&(id.clone(), state.clone())) {
                        states.push((id, state));
                    }
                }
                // Three match ids: the first loop's, the one its end starts
                // (the second loop carries it on), and the second loop's next.
                assert_eq!(last_time.len(), 3, "{mode} {seed}: {states:?}");
                let lobbies = states
                    .iter()
                    .filter(|(_, s)| s == "DOTA_GAMERULES_STATE_STRATEGY_TIME")
                    .count();
                assert_eq!(lobbies, 2, "{mode} {seed}: once a loop");
            }
        }
    }

    #[test]
    fn a_later_loop_fires_every_event_the_first_one_does() {
        use std::collections::BTreeSet;
        for mode in DemoMode::ALL {
            let seed = 2;
            let posts = two_loops(mode, seed);
            let half = posts.len() / 2;
            let mut engine = wardcast_dota2::Engine::default();
            let mut fired = [BTreeSet::new(), BTreeSet::new()];
            for (i, p) in posts.iter().enumerate() {
                let bytes = serde_json::to_vec(&p.body).unwrap_or_default();
                let Ok(state) = wardcast_dota2::parse(&bytes) else {
                    panic!("{mode}: post {i} does not parse");
                };
                let out = engine.process(state);
                fired[usize::from(i >= half)].extend(out.events.iter().map(|e| e.name.to_string()));
            }
            let missing: Vec<_> = fired[0].difference(&fired[1]).collect();
            assert!(
                missing.is_empty(),
                "{mode}: not in the second loop: {missing:?}"
            );
        }
    }

    #[test]
    fn same_seed_same_loop() {
        for mode in DemoMode::ALL {
            assert_eq!(mode.posts(5), mode.posts(5), "{mode}");
            assert_ne!(mode.posts(5), mode.posts(6), "{mode}");
        }
    }

    #[test]
    fn encoding_keeps_every_post_of_both_modes() {
        for mode in DemoMode::ALL {
            for from_draft in [false, true] {
                let posts = if from_draft {
                    mode.posts_from_draft(3)
                } else {
                    mode.posts(3)
                };
                let encoded = encode(mode, 3, from_draft);
                assert_eq!(posts.len(), encoded.len(), "{mode}");
                for (p, e) in posts.iter().zip(&encoded) {
                    assert_eq!(p.at_ms, e.at_ms);
                    let body: serde_json::Value =
                        serde_json::from_slice(&e.body).unwrap_or_default();
                    assert_eq!(body, p.body);
                }
            }
        }
    }
}
