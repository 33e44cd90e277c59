//! The CS2 payload schemas (`protocol/schemas/cs2/`) against what the engine
//! really gives: the real 174-post capture, the spectator sequence, the full
//! GOTV body, the capture's last live body edited to `gameover` (no capture
//! reaches it: `match_outcome`) and every case of `tests/cases/`, each run
//! through a fresh [`Engine`], then reset; every event's data and every non-null info value must validate
//! against `cs2/data/<event>` and `cs2/info/<category>.<key>`. An engine
//! payload that changes shape fails here until its schema (and
//! `protocol/features.md`) follow.
//!
//! Also: `protocol/examples/cs2/response.getFeatures.json` and
//! `protocol/examples/cs2/info/gep_internal.health.json` are what the broker
//! answers for a CS2 source in a player-mode match in progress (the
//! catalogue with the live health states), so they cannot drift from the
//! catalogue. `UPDATE_EXPECT=1` rewrites them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use wardcast_cs2::{parse, Engine, CATALOGUE, GAME};
use wardcast_engine::{EngineConfig, Freshness, Game, Output, Parsed, Support};

fn protocol() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../protocol")
}

fn read(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The CS2 payload schemas by name: `data/<event>`, `info/<category>.<key>`.
fn schemas() -> BTreeMap<String, jsonschema::Validator> {
    let mut out = BTreeMap::new();
    for kind in ["data", "info"] {
        let dir = protocol().join("schemas/cs2").join(kind);
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(stem) = name.strip_suffix(".schema.json") else {
                continue;
            };
            let validator = jsonschema::validator_for(&read(&path))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.insert(format!("{kind}/{stem}"), validator);
        }
    }
    assert!(out.len() >= 70, "{} CS2 payload schemas", out.len());
    out
}

/// The runs, each fed to a fresh engine in order: what it is, its bodies
/// (a case's `prev.json` bodies, then its `next.json`).
fn runs() -> Vec<(String, Vec<Value>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let capture =
        read(&dir.join("fixtures/player_competitive_wingman_sequence_174posts_2025.json"));
    let capture: Vec<Value> = capture
        .as_array()
        .expect("capture entries")
        .iter()
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(capture.len(), 174);
    // No match of the captures reaches `gameover` (tests/expected/README.md):
    // the capture's last live body, then the same with `map.phase` edited to
    // `gameover`, gives `match_outcome`.
    let last_live = capture
        .iter()
        .rev()
        .find(|b| b["map"]["phase"] == "live" && b["player"]["team"].is_string())
        .expect("a live body")
        .clone();
    let mut gameover = last_live.clone();
    gameover["map"]["phase"] = "gameover".into();
    let spectator = read(&dir.join("fixtures/spectator_gotv_sequence_edited.json"));
    let mut runs = vec![
        ("the 174-post capture".to_owned(), capture),
        (
            "the spectator sequence".to_owned(),
            spectator.as_array().expect("bodies").clone(),
        ),
        (
            "the capture's last body, then edited to gameover".to_owned(),
            vec![last_live, gameover],
        ),
        (
            "the full GOTV body".to_owned(),
            vec![read(
                &dir.join("fixtures/spectator_gotv_full_csgo_2022.json"),
            )],
        ),
    ];
    let mut cases: Vec<PathBuf> = fs::read_dir(dir.join("cases"))
        .expect("cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "{} cases", cases.len());
    for case in cases {
        let mut bodies = match read(&case.join("prev.json")) {
            Value::Array(list) => list,
            one => vec![one],
        };
        bodies.push(read(&case.join("next.json")));
        runs.push((format!("case {}", case.display()), bodies));
    }
    runs
}

/// Checks one output; returns the problems, and records the schemas used.
fn check(
    schemas: &BTreeMap<String, jsonschema::Validator>,
    out: &Output,
    at: &str,
    used: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let errors = |validator: &jsonschema::Validator, value: &Value| -> Vec<String> {
        validator
            .iter_errors(value)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect()
    };
    for event in &out.events {
        let name = format!("data/{}", event.name);
        let Some(validator) = schemas.get(&name) else {
            problems.push(format!("{at}: no schema cs2/{name} for {}", event.feature));
            continue;
        };
        used.insert(name.clone());
        let errs = errors(validator, &event.data);
        if !errs.is_empty() {
            problems.push(format!(
                "{at}: {}/{} data {} violates cs2/{name}: {errs:?}",
                event.feature, event.name, event.data
            ));
        }
    }
    for change in &out.info {
        if change.value.is_null() {
            continue;
        }
        let name = format!("info/{}.{}", change.category, change.key);
        let Some(validator) = schemas.get(&name) else {
            problems.push(format!("{at}: no schema cs2/{name} ({})", change.feature));
            continue;
        };
        used.insert(name.clone());
        // The engine sends structures as JSON text (Overwolf's CS2 shape):
        // a value is a string, a number or a boolean, never an object.
        if change.value.is_object() || change.value.is_array() {
            problems.push(format!(
                "{at}: {name} is a JSON structure, not its text: {}",
                change.value
            ));
            continue;
        }
        if validator.is_valid(&change.value) {
            continue;
        }
        // JSON text: the schema describes its content.
        let parsed = change
            .value
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .filter(|v| !v.is_string());
        let errs = errors(validator, parsed.as_ref().unwrap_or(&change.value));
        if !errs.is_empty() {
            problems.push(format!(
                "{at}: {} value {} violates cs2/{name}: {errs:?}",
                change.feature, change.value
            ));
        }
    }
    problems
}

#[test]
fn every_payload_of_the_real_captures_and_cases_matches_its_cs2_schema() {
    let schemas = schemas();
    let mut used = BTreeSet::new();
    let mut problems = Vec::new();
    let (mut events, mut values) = (0, 0);
    for (what, bodies) in runs() {
        let mut engine = Engine::new();
        for (i, body) in bodies.iter().enumerate() {
            let bytes = serde_json::to_vec(body).expect("body");
            let out = engine.process(parse(&bytes).expect("parse"), &bytes);
            events += out.events.len();
            values += out.info.iter().filter(|c| !c.value.is_null()).count();
            problems.extend(check(
                &schemas,
                &out,
                &format!("{what}, body {i}"),
                &mut used,
            ));
        }
        let out = engine.reset();
        problems.extend(check(&schemas, &out, &format!("{what}, reset"), &mut used));
    }
    assert!(
        problems.is_empty(),
        "{} payloads violate their schema:\n{}",
        problems.len(),
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        events > 300 && values > 1000,
        "{events} events, {values} values"
    );
    // Every schema of a key the engine writes (gep_internal is the
    // broker's) was exercised by a real payload.
    let unused: Vec<_> = schemas
        .keys()
        .filter(|k| !used.contains(*k) && !k.starts_with("info/gep_internal."))
        .collect();
    assert!(unused.is_empty(), "no real payload for {unused:?}");
}

#[test]
fn every_supported_catalogue_event_and_key_has_a_cs2_schema_and_no_other() {
    let schemas = schemas();
    let mut want = BTreeSet::new();
    for f in CATALOGUE.iter().filter(|f| f.support == Support::Supported) {
        want.extend(f.events.iter().map(|e| format!("data/{e}")));
        want.extend(
            f.info
                .iter()
                .filter(|k| k.support == Support::Supported)
                .map(|k| format!("info/{}.{}", k.category, k.key)),
        );
    }
    let have: BTreeSet<String> = schemas.keys().cloned().collect();
    assert_eq!(have, want);
}

/// Writes `actual` with `UPDATE_EXPECT=1`, else compares.
fn expect_file(path: &Path, actual: &Value) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let text = serde_json::to_string_pretty(actual).expect("json") + "\n";
        fs::write(path, text).expect("write example");
        return;
    }
    assert!(
        &read(path) == actual,
        "{} is not what the broker answers (UPDATE_EXPECT=1 rewrites it): {}",
        path.display(),
        serde_json::to_string_pretty(actual).unwrap_or_default()
    );
}

fn reason(support: Support) -> Option<String> {
    match support {
        Support::Supported => None,
        Support::Unsupported(why) => Some(why.into()),
    }
}

/// The getFeatures answer and the health report of a CS2 source in a
/// player-mode match in progress: the catalogue as the broker builds it
/// (`wardcast::catalogue`), with the states of the engine's health report
/// (`set_feature_states`).
#[test]
fn the_cs2_get_features_and_health_examples_are_what_the_broker_answers() {
    let config = EngineConfig::default();
    let mut engine = GAME.engine(&config).expect("engine");
    let capture = read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/player_competitive_wingman_sequence_174posts_2025.json"),
    );
    for request in capture.as_array().expect("capture").iter().take(14) {
        let body = serde_json::to_vec(&request["body"]).expect("body");
        let parsed: Parsed = GAME.parse(&body).expect("parse");
        engine.process(parsed, &body);
    }
    let report = engine.health(Freshness::Fresh);
    let health = serde_json::to_value(&report).expect("health");
    let features: Vec<Value> = CATALOGUE
        .iter()
        .zip(&report.features)
        .map(|(f, h)| {
            assert_eq!(f.name, h.name);
            let support = GAME.support(f, &config);
            let states = h.keys.iter().filter(|k| k.kind == 1).map(|k| k.state);
            let info: Vec<Value> = f
                .info
                .iter()
                .zip(states)
                .map(|(k, state)| {
                    let supported =
                        support == Support::Supported && k.support == Support::Supported;
                    let mut key =
                        json!({"category": k.category, "key": k.key, "supported": supported});
                    if let Some(why) = reason(support).or_else(|| reason(k.support)) {
                        key["reason"] = why.into();
                    }
                    key["state"] = state.into();
                    key
                })
                .collect();
            let mut def = json!({
                "name": f.name, "events": f.events, "info": info,
                "supported": support == Support::Supported,
            });
            if let Some(why) = reason(support) {
                def["reason"] = why.into();
            }
            def["state"] = h.state.into();
            def
        })
        .collect();
    let response = json!({"jsonrpc": "2.0", "id": 3, "result": {"features": features}});
    let examples = protocol().join("examples/cs2");
    expect_file(&examples.join("response.getFeatures.json"), &response);
    expect_file(&examples.join("info/gep_internal.health.json"), &health);
    let schema = read(&protocol().join("schemas/cs2/info/gep_internal.health.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("health schema");
    assert!(validator.is_valid(&health), "{health}");
}
