//! The real 174-post capture end to end through the engine: the events it
//! gives, post by post, are written next to it (`tests/expected/`) and
//! reviewed. `UPDATE_EXPECT=1 cargo test -p wardcast-cs2` rewrites them.

use serde_json::{json, Value};
use wardcast_cs2::{parse, Engine};

/// The 174 requests of the real capture (`{received_at, content_length, body}`).
fn capture() -> Vec<Value> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let path =
        format!("{dir}/tests/fixtures/player_competitive_wingman_sequence_174posts_2025.json");
    serde_json::from_slice(&std::fs::read(path).expect("capture")).expect("JSON")
}

#[test]
fn the_real_capture_gives_the_reviewed_events() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let capture = capture();
    let mut engine = Engine::new();
    let mut lines = Vec::new();
    for (i, request) in capture.iter().enumerate() {
        let body = serde_json::to_vec(&request["body"]).expect("body");
        let out = engine.process(parse(&body).expect("parse"), &body);
        let map = &request["body"]["map"];
        let events: Vec<Value> = out
            .events
            .iter()
            .map(|e| json!([e.feature, e.name, e.data]))
            .collect();
        let watched: Vec<Value> = out
            .info
            .iter()
            .filter(|c| {
                c.feature == "match_info"
                    && matches!(
                        c.key,
                        "game_phase" | "round_phase" | "score" | "round_number" | "match_outcome"
                    )
            })
            .map(|c| json!([c.key, c.value]))
            .collect();
        if events.is_empty() && watched.is_empty() {
            continue;
        }
        lines.push(json!({
            "post": i,
            "at": request["received_at"],
            "map": [map["name"], map["phase"], map["round"]],
            "events": events,
            "info": watched,
        }));
    }
    let got = lines
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let path = format!("{dir}/tests/expected/sequence_174posts.jsonl");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(format!("{dir}/tests/expected")).expect("dir");
        std::fs::write(&path, &got).expect("write");
    }
    let want =
        std::fs::read_to_string(&path).expect("expected events (UPDATE_EXPECT=1 writes them)");
    assert!(
        got == want,
        "the events changed: diff {path} against UPDATE_EXPECT=1 output"
    );
}

#[test]
fn everything_the_engine_gives_is_in_the_catalogue_and_supported() {
    use wardcast_engine::Support;
    let dir = env!("CARGO_MANIFEST_DIR");
    let capture = capture();
    let gotv = std::fs::read(format!(
        "{dir}/tests/fixtures/spectator_gotv_full_csgo_2022.json"
    ))
    .expect("gotv");
    let mut bodies: Vec<Vec<u8>> = capture
        .iter()
        .map(|r| serde_json::to_vec(&r["body"]).expect("body"))
        .collect();
    bodies.push(gotv);
    let mut engine = Engine::new();
    for body in bodies {
        let out = engine.process(parse(&body).expect("parse"), &body);
        for event in &out.events {
            let spec = wardcast_cs2::CATALOGUE
                .iter()
                .find(|f| f.name == event.feature)
                .unwrap_or_else(|| panic!("feature {} not in the catalogue", event.feature));
            assert!(
                spec.events.contains(&event.name),
                "{}.{}",
                event.feature,
                event.name
            );
        }
        for change in &out.info {
            let spec = wardcast_cs2::CATALOGUE
                .iter()
                .find(|f| f.name == change.feature)
                .unwrap_or_else(|| panic!("feature {} not in the catalogue", change.feature));
            let key = spec
                .info
                .iter()
                .find(|k| k.category == change.category && k.key == change.key)
                .unwrap_or_else(|| panic!("{}.{}.{}", change.feature, change.category, change.key));
            assert_eq!(key.support, Support::Supported, "{}", change.key);
        }
    }
}

#[test]
fn every_catalogue_feature_event_and_key_is_in_the_protocol_docs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../protocol/features.md");
    let md = std::fs::read_to_string(path).expect("protocol/features.md");
    let cs2 = md
        .split_once("\n## Counter-Strike 2\n")
        .map(|(_, s)| s)
        .expect("a Counter-Strike 2 section");
    let named = |name: &str| cs2.contains(&format!("`{name}`"));
    for feature in wardcast_cs2::CATALOGUE {
        assert!(named(feature.name), "feature {}", feature.name);
        for event in feature.events {
            assert!(named(event), "{}: event {event}", feature.name);
        }
        for key in feature.info {
            // Numbered keys are documented as ranges (`scoreboard_0` …
            // `scoreboard_9`), `scoreboard_xx.adr` as the field `adr`.
            let key_name = key.key.rsplit('.').next().unwrap_or(key.key);
            let numbered = key_name.trim_end_matches(|c: char| c.is_ascii_digit());
            assert!(
                named(key_name) || named(&format!("{numbered}0")),
                "{}: key {}",
                feature.name,
                key.key
            );
        }
    }
}
