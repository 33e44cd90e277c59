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
use wardcast_engine::{Engine, EngineConfig};

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
    let state = wardcast_gsi::parse(&text).expect("fixture parses");
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

#[test]
fn sequences() {
    let mut failures = Vec::new();
    let inputs: Vec<_> = dirs("sequences")
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
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
    let inputs: Vec<_> = dirs("sequences")
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
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
