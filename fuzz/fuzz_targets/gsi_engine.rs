//! GSI bodies → `wardcast_dota2::parse` → one `Engine` → serde_json.
//!
//! Input: a sequence of chunks separated by 0x00 (a byte JSON text never holds
//! raw, so real bodies can be joined with it). Each chunk is one of:
//! - exactly one byte, a command: `R` calls `Engine::reset`, `N`/`F`/`S` call
//!   `Engine::health` with `NeverSeen`/`Fresh`/`Stale`;
//! - anything else: a GSI body, parsed with `wardcast_dota2::parse`; a body that
//!   parses is fed to the engine (`allow_chat: true`).
//!
//! Checked, besides "no panic": every output, health report and reset
//! serializes; every event and info key is in `wardcast_dota2::CATALOGUE`;
//! one body yields at most 8 events per byte of it (plus 1024), so no value
//! in a body can make the engine emit events without bound;
//! and the `kills` of consecutive `kill` events of one player (the local player,
//! or `player_index` in spectator mode) strictly increase, unless between them
//! the engine was reset, an idle snapshot came, the match id changed, or the
//! player's own `kills` counter was missing or went down (the engine takes a
//! counter that goes down, such as after a replay seek, as a new baseline). When
//! a player's counter is present on both sides of a step, its kill events must
//! also lie in `(previous kills, next kills]`.
//!
//! Replay seeks (`wardcast_dota2::is_seek` between two bodies of one match):
//! a seek step fires no per-player counter, hero, ability or item event and no
//! `building_destroyed`, and at most one `clock_time_changed`.
//!
//! The `events` window: within one timeline (broken by a reset, an idle body,
//! a match change or a seek) an entry with a `game_time` fires at most once: an
//! event of `roshan`, `bounty_rune`, `tip`, `courier` or `chat` with the same
//! name and data fires again only when the body's game time is more than
//! 120 s past the entry's (the engine forgets entries that left the window
//! that long ago) or more than 512 other entries fired in between; and no such
//! event has a `game_time` ahead of its body's `map.game_time`.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wardcast_dota2::{Engine, EngineConfig, Freshness, Output, CATALOGUE};
use wardcast_dota2::{GameState, Mode};

/// Separates the chunks of one input.
const SEP: u8 = 0x00;
/// The most events one body may yield per byte of it (plus a fixed 1024).
const MAX_EVENTS_PER_BYTE: usize = 8;

fuzz_target!(|data: &[u8]| run(data));

fn run(data: &[u8]) {
    let config = EngineConfig {
        allow_chat: true,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).expect("valid engine config");
    let mut kills = KillCheck::default();
    let mut timeline = TimelineCheck::default();
    let mut processed = 0usize;
    for chunk in data.split(|b| *b == SEP) {
        match chunk {
            [b'R'] => {
                let out = engine.reset();
                assert!(out.events.is_empty(), "reset produced events");
                assert!(
                    out.info.iter().all(|c| c.value.is_null()),
                    "reset produced a non-null info value"
                );
                check_output(&out);
                kills.reset();
                timeline = TimelineCheck::default();
            }
            [b'N'] => health(&engine, Freshness::NeverSeen),
            [b'F'] => health(&engine, Freshness::Fresh),
            [b'S'] => health(&engine, Freshness::Stale),
            body => {
                let Ok(state) = wardcast_dota2::parse(body) else {
                    continue;
                };
                // Whatever parses must serialize back.
                serde_json::to_string(&state).expect("GameState serializes");
                let view = Counters::of(&state);
                let idle = state.mode() == Mode::Idle;
                let ids = match_id(&state);
                let checked = timeline.before(&state);
                let out = engine.process(state);
                timeline.after(checked, &out);
                check_output(&out);
                // Output grows with the input, not with the values in it: a
                // body cannot make the engine emit events without bound.
                assert!(
                    out.events.len() <= MAX_EVENTS_PER_BYTE * body.len() + 1024,
                    "{} events from a body of {} bytes",
                    out.events.len(),
                    body.len()
                );
                kills.step(&view, idle, ids, &out);
                processed += 1;
            }
        }
    }
    if processed > 0 {
        health(&engine, Freshness::Fresh);
    }
}

fn health(engine: &Engine, freshness: Freshness) {
    let report = engine.health(freshness);
    serde_json::to_string(&report).expect("HealthReport serializes");
    assert!(
        report.state <= 3,
        "health state out of range: {}",
        report.state
    );
    for f in &report.features {
        assert!(f.state <= 3, "feature {} state {}", f.name, f.state);
    }
}

fn check_output(out: &Output) {
    serde_json::to_string(out).expect("Output serializes");
    for e in &out.events {
        let spec = CATALOGUE
            .iter()
            .find(|f| f.name == e.feature)
            .unwrap_or_else(|| panic!("event feature {:?} not in CATALOGUE", e.feature));
        assert!(
            spec.events.contains(&e.name),
            "event {:?} not listed under feature {:?}",
            e.name,
            e.feature
        );
    }
    for c in &out.info {
        let spec = CATALOGUE
            .iter()
            .find(|f| f.name == c.feature)
            .unwrap_or_else(|| panic!("info feature {:?} not in CATALOGUE", c.feature));
        assert!(
            spec.info
                .iter()
                .any(|k| k.category == c.category && k.key == c.key),
            "info {}.{} not listed under feature {:?}",
            c.category,
            c.key,
            c.feature
        );
    }
}

/// The match id, when the body has a map (the engine compares these).
fn match_id(state: &GameState) -> Option<Option<String>> {
    state.map.as_ref().map(|m| m.matchid.clone())
}

/// Who a per-player event is about: the local player or a spectator index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Local,
    Index(u8),
}

/// Per player, the `kills` counter of one snapshot as the engine reads it, and
/// whether the player is ambiguous (two `playerN` keys naming one index).
#[derive(Debug, Default)]
struct Counters {
    kills: BTreeMap<Who, Option<i64>>,
    ambiguous: BTreeSet<Who>,
}

/// The index in a `playerN` key, as the engine parses it.
fn player_index(key: &str) -> Option<u8> {
    key.strip_prefix("player")?
        .parse()
        .ok()
        .filter(|i: &u8| *i < 10)
}

impl Counters {
    /// Mirrors the engine's player views: one local player outside spectator
    /// mode; in spectator mode every `team2`/`team3` `playerN` key of the
    /// `player` and `hero` sections.
    fn of(state: &GameState) -> Self {
        let mut out = Counters::default();
        if state.mode() != Mode::Spectating {
            if state.player.is_some() || state.hero.is_some() {
                out.kills
                    .insert(Who::Local, state.player.as_ref().and_then(|p| p.kills));
            }
            return out;
        }
        // Distinct (team, key) pairs per index: more than one is ambiguous.
        let mut keys: BTreeMap<u8, BTreeSet<(u8, &str)>> = BTreeMap::new();
        let mut kills: BTreeMap<u8, Option<i64>> = BTreeMap::new();
        let player = state.player.as_ref();
        let hero = state.hero.as_ref();
        for (team, players, heroes) in [
            (
                2u8,
                player.and_then(|p| p.team2.as_ref()),
                hero.and_then(|h| h.team2.as_ref()),
            ),
            (
                3u8,
                player.and_then(|p| p.team3.as_ref()),
                hero.and_then(|h| h.team3.as_ref()),
            ),
        ] {
            for key in players
                .into_iter()
                .flat_map(|m| m.keys())
                .chain(heroes.into_iter().flat_map(|m| m.keys()))
            {
                let Some(i) = player_index(key) else { continue };
                keys.entry(i).or_default().insert((team, key.as_str()));
                let k = players.and_then(|m| m.get(key)).and_then(|p| p.kills);
                kills.insert(i, k);
            }
        }
        for (i, set) in keys {
            let who = Who::Index(i);
            if set.len() > 1 {
                out.ambiguous.insert(who);
            }
            out.kills.insert(who, kills.get(&i).copied().flatten());
        }
        out
    }
}

/// The kill-event invariant, across the steps of one input.
#[derive(Debug, Default)]
struct KillCheck {
    /// The last snapshot's counters and match id, if the engine has one.
    prev: Option<(Counters, Option<Option<String>>)>,
    /// Per player, the `kills` of its last kill event since the last break.
    last: BTreeMap<Who, i64>,
}

impl KillCheck {
    fn reset(&mut self) {
        self.prev = None;
        self.last.clear();
    }

    fn step(&mut self, next: &Counters, idle: bool, ids: Option<Option<String>>, out: &Output) {
        let prev = self.prev.take();
        let same_match = match (&prev, &ids) {
            (Some((_, Some(a))), Some(b)) => a == b,
            _ => true,
        };
        if idle || !same_match {
            self.last.clear();
        }
        // Per player: (previous kills, next kills) when the step is a clean
        // continuation of the same counter; otherwise the chain breaks here.
        let mut clean: BTreeMap<Who, (i64, i64)> = BTreeMap::new();
        let mut skip: BTreeSet<Who> = BTreeSet::new();
        let whos: BTreeSet<Who> = next.kills.keys().chain(self.last.keys()).copied().collect();
        for who in whos {
            let before = prev.as_ref().and_then(|(c, _)| {
                (!c.ambiguous.contains(&who))
                    .then(|| c.kills.get(&who).copied().flatten())
                    .flatten()
            });
            let after = (!next.ambiguous.contains(&who))
                .then(|| next.kills.get(&who).copied().flatten())
                .flatten();
            match (before, after) {
                (Some(a), Some(b)) if b >= a && same_match && !idle => {
                    clean.insert(who, (a, b));
                }
                _ => {
                    self.last.remove(&who);
                }
            }
            if next.ambiguous.contains(&who) {
                skip.insert(who);
            }
        }
        for e in out.events.iter().filter(|e| e.name == "kill") {
            let who = match e.data.get("player_index") {
                None => Who::Local,
                Some(v) => Who::Index(
                    v.as_u64()
                        .and_then(|i| u8::try_from(i).ok())
                        .unwrap_or_else(|| panic!("bad player_index in {}", e.data)),
                ),
            };
            let k = e
                .data
                .get("kills")
                .and_then(Value::as_i64)
                .unwrap_or_else(|| panic!("kill event without integer kills: {}", e.data));
            assert!(
                matches!(
                    e.data.get("label").and_then(Value::as_str),
                    Some("kill" | "double_kill" | "triple_kill" | "ultra_kill" | "rampage")
                ),
                "kill event with a bad label: {}",
                e.data
            );
            if skip.contains(&who) {
                continue;
            }
            if let Some(&(a, b)) = clean.get(&who) {
                assert!(
                    a < k && k <= b,
                    "kill event {} for {who:?} outside the counter's step {a} -> {b}",
                    e.data
                );
            }
            if let Some(&last) = self.last.get(&who) {
                assert!(
                    k > last,
                    "kills went from {last} to {k} for {who:?} within one match: {}",
                    e.data
                );
            }
            self.last.insert(who, k);
        }
        for who in skip {
            self.last.remove(&who);
        }
        self.prev = Some((
            Counters {
                kills: next.kills.clone(),
                ambiguous: next.ambiguous.clone(),
            },
            ids,
        ));
    }
}

/// Events that describe one player's counters or hero: never fired by a seek.
fn per_player(feature: &str) -> bool {
    matches!(
        feature,
        "kill" | "assist" | "death" | "cs" | "xpm" | "gpm" | "gold"
    ) || feature.starts_with("hero_")
}

/// Features read from the `events` window whose data is the entry itself.
const WINDOW_FEATURES: [&str; 5] = ["roshan", "bounty_rune", "tip", "courier", "chat"];

/// The seek and `events`-window invariants, across the steps of one input.
#[derive(Debug, Default)]
struct TimelineCheck {
    /// The last body the engine processed.
    prev: Option<GameState>,
    /// Window events fired in this timeline, oldest first, with their game time.
    fired: Vec<(String, Value, i64)>,
}

/// What `TimelineCheck::before` learnt about the body about to be processed.
struct Step {
    seek: bool,
    game_time: Option<i64>,
}

impl TimelineCheck {
    fn before(&mut self, next: &GameState) -> Step {
        let game_time = next.map.as_ref().and_then(|m| m.game_time);
        let prev = self.prev.replace(next.clone());
        let same_match = prev.as_ref().is_some_and(|p| match (&p.map, &next.map) {
            (Some(a), Some(b)) => a.matchid == b.matchid,
            _ => true,
        });
        let seek = same_match && prev.as_ref().is_some_and(|p| wardcast_dota2::is_seek(p, next));
        if !same_match || seek || next.mode() == Mode::Idle {
            self.fired.clear();
        }
        Step { seek, game_time }
    }

    fn after(&mut self, step: Step, out: &Output) {
        if step.seek {
            for e in &out.events {
                assert!(
                    !per_player(e.feature) && e.name != "building_destroyed",
                    "{} fired at a seek: {}",
                    e.name,
                    e.data
                );
            }
            let clocks = out.events.iter().filter(|e| e.name == "clock_time_changed").count();
            assert!(clocks <= 1, "{clocks} clock_time_changed events at a seek");
        }
        for e in out.events.iter().filter(|e| WINDOW_FEATURES.contains(&e.feature)) {
            let Some(t) = e.data.get("game_time").and_then(Value::as_i64) else {
                continue;
            };
            if let Some(now) = step.game_time {
                assert!(t <= now, "{} from game time {t} fired at {now}", e.name);
            }
            if let Some(i) = self.fired.iter().position(|(n, d, _)| n == e.name && *d == e.data) {
                let since = self.fired.len() - i - 1;
                let now = step.game_time.unwrap_or(i64::MAX);
                assert!(
                    since >= 512 || now.saturating_sub(t) > 120,
                    "{} fired twice in one timeline: {}",
                    e.name,
                    e.data
                );
                self.fired.remove(i);
            }
            self.fired.push((e.name.to_string(), e.data.clone(), t));
        }
    }
}
