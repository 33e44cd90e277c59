//! Data-driven engine cases.
//!
//! Each folder under `tests/cases/` holds:
//! - `prev.json`: a GSI body, or an array of bodies, fed first (their output is ignored);
//! - `next.json`: the body under test;
//! - `expected.json`: the engine output for `next.json`;
//! - optionally `config.json`: engine settings, e.g. `{"multikill_window_secs": 10}`
//!   or `{"allow_chat": true}`.
//!
//! Each file under `tests/sequences/` is an array of bodies; `<name>.expected.json`
//! holds the output of every step. Run with `UPDATE_EXPECT=1` to rewrite the
//! expectations, then review the diff.

use std::fs;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::Value;
use wardcast_dota2::{Engine, EngineConfig};

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn bodies(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        one => vec![one],
    }
}

fn engine_for(dir: &Path) -> Engine {
    let mut config = EngineConfig::default();
    let path = dir.join("config.json");
    if path.exists() {
        let v = read_json(&path);
        if let Some(w) = v.get("multikill_window_secs").and_then(Value::as_i64) {
            config.multikill_window_secs = w;
        }
        if let Some(chat) = v.get("allow_chat").and_then(Value::as_bool) {
            config.allow_chat = chat;
        }
    }
    Engine::new(config).expect("valid config")
}

fn step(engine: &mut Engine, body: Value) -> Value {
    let text = serde_json::to_vec(&body).expect("serialize body");
    let state = wardcast_dota2::parse(&text).expect("fixture parses");
    serde_json::to_value(engine.process(state)).expect("serialize output")
}

fn check(path: &Path, actual: Value, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let text = serde_json::to_string_pretty(&actual).expect("serialize") + "\n";
        fs::write(path, text).expect("write expectation");
        return;
    }
    if !path.exists() {
        failures.push(format!(
            "{}: missing (run with UPDATE_EXPECT=1)",
            path.display()
        ));
        return;
    }
    let expected = read_json(path);
    if expected != actual {
        // Show the first mismatch in full; collect the rest.
        if failures.is_empty() {
            assert_eq!(expected, actual, "{}", path.display());
        }
        failures.push(path.display().to_string());
    }
}

fn dirs(sub: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(sub);
    let mut out: Vec<_> = fs::read_dir(&root)
        .expect("fixture folder")
        .map(|e| e.expect("dir entry").path())
        .collect();
    out.sort();
    out
}

#[test]
fn cases() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in dirs("cases").into_iter().filter(|p| p.is_dir()) {
        let mut engine = engine_for(&dir);
        let prev = dir.join("prev.json");
        if prev.exists() {
            for body in bodies(read_json(&prev)) {
                step(&mut engine, body);
            }
        }
        let actual = step(&mut engine, read_json(&dir.join("next.json")));
        check(&dir.join("expected.json"), actual, &mut failures);
        ran += 1;
    }
    assert!(ran >= 10, "expected the case folders, found {ran}");
    assert!(failures.is_empty(), "failed cases: {failures:#?}");
}

/// The sequence files (`<name>.json`, not their expectations nor the script
/// that builds some of them).
fn sequence_inputs() -> Vec<PathBuf> {
    dirs("sequences")
        .into_iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect()
}

#[test]
fn sequences() {
    let mut failures = Vec::new();
    let inputs = sequence_inputs();
    assert!(!inputs.is_empty());
    for input in inputs {
        let mut engine = Engine::default();
        let outputs: Vec<Value> = bodies(read_json(&input))
            .into_iter()
            .map(|b| step(&mut engine, b))
            .collect();
        let expected = input.with_extension("expected.json");
        check(&expected, Value::Array(outputs), &mut failures);
    }
    assert!(failures.is_empty(), "failed sequences: {failures:#?}");
}

/// Across every sequence: no event but `game_state_changed` and `game_state`
/// fires while the game is idle (no match loaded, by the `game.game_state`
/// info the same outputs carry), so short-lived states never produce an
/// impossible order such as a match clock before the match.
#[test]
fn no_match_event_while_idle() {
    let inputs = sequence_inputs();
    for input in inputs {
        let mut engine = Engine::default();
        let mut game_state = Value::Null;
        for (i, body) in bodies(read_json(&input)).into_iter().enumerate() {
            let out = step(&mut engine, body);
            for change in out["info"].as_array().into_iter().flatten() {
                if change["category"] == "game" && change["key"] == "game_state" {
                    game_state = change["value"].clone();
                }
            }
            let in_match = matches!(game_state.as_str(), Some("playing" | "spectating"));
            for event in out["events"].as_array().into_iter().flatten() {
                let name = event["name"].as_str().unwrap_or_default();
                assert!(
                    in_match || matches!(name, "game_state_changed" | "new_game" | "game_over"),
                    "{} body {i}: {name} while the game is {game_state}",
                    input.display()
                );
            }
        }
    }
}

/// One event, short: its name, then `player_index`, the multi-kill label, the
/// clock or the window entry's `player_id`/`game_time` where it has them.
fn short(event: &Value) -> String {
    let data = &event["data"];
    let mut out = event["name"].as_str().unwrap_or_default().to_string();
    for key in [
        "player_index",
        "label",
        "clock_time",
        "player_id",
        "sender_player_id",
        "game_time",
    ] {
        if let Some(v) = data.get(key) {
            out.push_str(&format!(
                " {key}={}",
                v.as_str().map_or(v.to_string(), str::to_string)
            ));
        }
    }
    out
}

/// The events of every step of a sequence, short, keeping those `keep` selects
/// (every event of a step listed in `all_of`).
fn events_of(name: &str, keep: fn(&str) -> bool, all_of: &[usize]) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sequences")
        .join(format!("{name}.json"));
    let mut engine = Engine::default();
    bodies(read_json(&path))
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let out = step(&mut engine, body);
            out["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| all_of.contains(&i) || keep(e["name"].as_str().unwrap_or_default()))
                .map(short)
                .collect()
        })
        .collect()
}

fn from_window(name: &str) -> bool {
    matches!(
        name,
        "roshan_killed"
            | "aegis_picked_up"
            | "aegis_denied"
            | "bounty_rune_pickup"
            | "tip"
            | "courier_killed"
    )
}

/// Reviewed by hand, not rewritten by UPDATE_EXPECT: the exact events the
/// shapes of real spectator and replay bodies give (see make_replay_sequences.py).
#[test]
fn repeated_copies_of_an_entry_fire_once() {
    let t = 2098; // the pickups' game time
    assert_eq!(
        events_of("spectator_events_repeated_copies", from_window, &[]),
        vec![
            vec![],
            vec![format!("bounty_rune_pickup player_id=1 game_time={t}")],
            vec![],                                                        // two copies
            vec![],                                                        // three copies
            vec![format!("bounty_rune_pickup player_id=3 game_time={t}")], // a teammate, same second
            vec![],
            vec!["roshan_killed game_time=2107".to_string()],
            vec!["aegis_picked_up player_id=1 game_time=2108".to_string()],
            vec![],
        ]
    );
}

#[test]
fn a_future_entry_waits_for_the_clock_or_never_fires() {
    assert_eq!(
        events_of("replay_future_entry", from_window, &[]),
        vec![
            vec![],
            vec!["bounty_rune_pickup player_id=1 game_time=2098".to_string()],
            vec![], // the tip at 2100 is ahead of the clock (2099)
            vec!["tip sender_player_id=3 game_time=2100".to_string()],
            vec![], // a courier kill at 2105 while the clock is 2101
            vec![], // ... that left the window before the clock got there
            vec![],
        ]
    );
}

#[test]
fn a_rewind_of_five_minutes_is_a_new_baseline() {
    let all: fn(&str) -> bool = |_| false;
    let steps = events_of("replay_rewind_5min", all, &[5, 6]);
    assert_eq!(
        steps[5],
        vec!["clock_time_changed clock_time=866"],
        "counters, levels, items and a tower going back fire nothing; the future Roshan kill waits"
    );
    assert_eq!(
        steps[6],
        vec![
            "clock_time_changed clock_time=867",
            "death player_index=2",
            "kill player_index=7 label=kill",
        ],
        "the new timeline goes on as usual"
    );
}

#[test]
fn a_seek_of_ten_minutes_forward_is_a_new_baseline() {
    let all: fn(&str) -> bool = |_| false;
    let steps = events_of("replay_seek_forward_10min", all, &[3, 4]);
    assert_eq!(
        steps[3],
        vec!["clock_time_changed clock_time=1764"],
        "one clock event, no kills, levels, items, tower or window history"
    );
    assert_eq!(
        steps[4],
        vec![
            "clock_time_changed clock_time=1765",
            "kill player_index=1 label=kill",
            "death player_index=6",
            "bounty_rune_pickup player_id=1 game_time=2700",
        ]
    );
}
