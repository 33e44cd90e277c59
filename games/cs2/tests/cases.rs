//! Data-driven engine cases from the real captures.
//!
//! Each folder under `tests/cases/` holds `prev.json` (a body or an array of
//! bodies fed first, their output ignored), `next.json` (the body under
//! test) and `expected.json`: the engine's output for `next.json`, with
//! `live_data.provider` (the raw body) left out. `UPDATE_EXPECT=1` rewrites
//! the expectations; review the diff.

use std::fs;
use std::path::Path;

use serde_json::Value;
use wardcast_cs2::{parse, Engine};

fn read(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn step(engine: &mut Engine, body: &Value) -> Value {
    let bytes = serde_json::to_vec(body).expect("body");
    let mut out = serde_json::to_value(engine.process(parse(&bytes).expect("parse"), &bytes))
        .expect("output");
    if let Some(info) = out["info"].as_array_mut() {
        info.retain(|c| c["key"] != "provider");
    }
    out
}

#[test]
fn every_case_gives_its_expected_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 8, "{} cases", dirs.len());
    let mut failures = Vec::new();
    for dir in dirs {
        let mut engine = Engine::new();
        let prev = match read(&dir.join("prev.json")) {
            Value::Array(list) => list,
            one => vec![one],
        };
        for body in &prev {
            step(&mut engine, body);
        }
        let got = step(&mut engine, &read(&dir.join("next.json")));
        let path = dir.join("expected.json");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            let text = serde_json::to_string_pretty(&got).expect("json") + "\n";
            fs::write(&path, text).expect("write");
            continue;
        }
        if read(&path) != got {
            failures.push(format!(
                "{}: got {}",
                dir.display(),
                serde_json::to_string_pretty(&got).unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn live_data_provider_is_the_body_without_its_auth_token() {
    let body = br#"{"provider":{"appid":730,"steamid":"1"},"auth":{"token":"s3cret"},"map":{"phase":"live"}}"#;
    let out = Engine::new().process(parse(body).expect("parse"), body);
    let provider = out
        .info
        .iter()
        .find(|c| c.feature == "live_data" && c.key == "provider")
        .expect("live_data.provider");
    let text = provider.value.as_str().expect("a JSON string");
    assert!(!text.contains("s3cret") && !text.contains("auth"), "{text}");
    let parsed: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(parsed["map"]["phase"], "live");
}
