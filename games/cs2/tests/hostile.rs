//! Nothing a peer sends may panic the engine: extreme integers everywhere
//! (saturating arithmetic), wrong types, missing and null sections, huge
//! player lists, bad countdowns, deep nesting, truncated bodies. SteamIDs
//! stay exact whether quoted or not.

use serde_json::{json, Value};
use wardcast_cs2::legacy::MAX_EVENTS_PER_COUNTER;
use wardcast_cs2::{parse, Engine};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("JSON")
}

/// Feeds bodies in order; bodies that do not parse are refused, as the
/// ingest would.
fn feed(engine: &mut Engine, bodies: &[Value]) -> Vec<wardcast_engine::Output> {
    bodies
        .iter()
        .filter_map(|b| {
            let bytes = serde_json::to_vec(b).expect("bytes");
            parse(&bytes).ok().map(|s| engine.process(s, &bytes))
        })
        .collect()
}

/// Every integer leaf replaced by `n`.
fn every_int(value: &Value, n: i64) -> Value {
    match value {
        Value::Number(x) if x.is_i64() || x.is_u64() => n.into(),
        Value::Array(a) => a.iter().map(|v| every_int(v, n)).collect(),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| (k.clone(), every_int(v, n)))
            .collect(),
        other => other.clone(),
    }
}

fn samples() -> Vec<Value> {
    let capture = fixture("player_competitive_wingman_sequence_174posts_2025.json");
    let mut bodies: Vec<Value> = capture
        .as_array()
        .expect("array")
        .iter()
        .step_by(7)
        .map(|r| r["body"].clone())
        .collect();
    bodies.extend(
        fixture("spectator_gotv_sequence_edited.json")
            .as_array()
            .expect("array")
            .iter()
            .cloned(),
    );
    bodies
}

#[test]
fn extreme_integers_everywhere_do_not_panic() {
    for body in samples() {
        for (a, b) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (-1, i64::MAX),
            (0, -1),
        ] {
            let mut engine = Engine::new();
            feed(
                &mut engine,
                &[
                    body.clone(),
                    every_int(&body, a),
                    every_int(&body, b),
                    body.clone(),
                ],
            );
            let _ = engine.reset();
        }
    }
}

#[test]
fn a_huge_round_number_saturates() {
    let body = json!({"provider": {"steamid": "1"},
        "map": {"name": "de_dust2", "phase": "live", "round": i64::MAX},
        "round": {"phase": "live"}});
    let outs = feed(&mut Engine::new(), &[body]);
    let number = outs[0]
        .info
        .iter()
        .find(|c| c.key == "round_number")
        .map(|c| c.value.clone());
    assert_eq!(number, Some(json!(i64::MAX)));
    let start = outs[0]
        .events
        .iter()
        .find(|e| e.feature == "round_start")
        .map(|e| e.data["num_of_rounds"].clone());
    assert_eq!(start, Some(json!(i64::MAX)));
}

#[test]
fn a_counter_jumping_across_the_whole_range_gives_a_bounded_number_of_events() {
    let body = |kills: i64| {
        json!({"provider": {"steamid": "1"},
            "map": {"name": "de_dust2", "phase": "live", "round": 0},
            "player": {"steamid": "1", "team": "CT",
                "state": {"health": 100}, "match_stats": {"kills": kills}}})
    };
    let outs = feed(&mut Engine::new(), &[body(i64::MIN), body(i64::MAX)]);
    let kills: Vec<_> = outs[1]
        .events
        .iter()
        .filter(|e| e.feature == "kill")
        .map(|e| e.data["totalKills"].clone())
        .collect();
    assert_eq!(kills.len() as i64, MAX_EVENTS_PER_COUNTER);
    assert_eq!(kills.last(), Some(&json!(i64::MAX)));
}

#[test]
fn steam_ids_stay_exact_quoted_or_not() {
    // 76561197960265729 is not a float: through f64 it would end in ...728.
    let body = br#"{"provider":{"steamid":76561197960265729},
        "map":{"name":"de_dust2","phase":"live","round":0},
        "player":{"steamid":"76561197960265729","team":"T","match_stats":{"kills":0}},
        "bomb":{"state":"carried","player":76561197960265729}}"#;
    let state = parse(body).expect("parse");
    assert!(
        state.me().is_some(),
        "the integer and the string are one id"
    );
    let out = Engine::new().process(state, body);
    let value = |feature: &str, key: &str| {
        out.info
            .iter()
            .find(|c| c.feature == feature && c.key == key)
            .map(|c| c.value.clone())
    };
    assert_eq!(value("info", "steamid"), Some(json!("76561197960265729")));
    assert_eq!(value("bomb", "player"), Some(json!("76561197960265729")));
    assert_eq!(
        value("match_info", "steam_id"),
        Some(json!("76561197960265729"))
    );
}

#[test]
fn wrong_types_nulls_and_garbage_are_refused_or_ignored() {
    let mut engine = Engine::new();
    let bodies = [
        json!({}),
        json!({"provider": null, "map": null, "round": null, "player": null,
               "allplayers": null, "bomb": null, "phase_countdowns": null}),
        json!({"map": 5}),
        json!({"map": {"round": "ten"}}),
        json!({"map": {"round": 1.5}}),
        json!({"provider": {"steamid": 1e300}}),
        json!({"provider": {"steamid": 123_456_789_012_345_678_901_234_567_890u128.to_string()}}),
        json!({"map": {"name": "de_dust2", "phase": "live"},
               "bomb": {"state": "planted", "countdown": "NaN"},
               "phase_countdowns": {"phase": "bomb", "phase_ends_in": "1e400"}}),
        json!({"map": {"name": "de_dust2", "phase": "live"},
               "player": {"steamid": "1", "weapons": {"weapon_0": {}, "weapon_1": null}},
               "provider": {"steamid": "1"}}),
        json!({"map": {"name": "de_dust2", "phase": "live"},
               "allplayers": {"": {}, "x": {"state": {"health": -5}}, "1": null}}),
        json!({"map": {"name": "de_dust2", "phase": "live", "round_wins": {"9223372036854775807": "t_win_bomb"}},
               "round": {"phase": "over"}}),
    ];
    feed(&mut engine, &bodies);
    // Deep nesting and truncation: a parse error, never a stack overflow.
    let deep = format!(
        "{{\"previously\":{}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse(deep.as_bytes()).is_err());
    let real = serde_json::to_vec(&fixture("spectator_gotv_full_csgo_2022.json")).expect("bytes");
    for cut in (0..real.len()).step_by(97) {
        if let Ok(state) = parse(&real[..cut]) {
            engine.process(state, &real[..cut]);
        }
    }
}

#[test]
fn a_thousand_players_are_listed_ten_at_most() {
    let player = |i: i64| {
        json!({"name": format!("p{i}"), "team": if i % 2 == 0 { "CT" } else { "T" },
               "state": {"health": 100}, "match_stats": {"kills": 0}})
    };
    let all: serde_json::Map<String, Value> = (0..1000)
        .map(|i| (format!("{}", 76_561_197_960_265_729i64 + i), player(i)))
        .collect();
    let body = json!({"provider": {"steamid": "1"},
        "map": {"name": "de_dust2", "phase": "live", "round": 0},
        "allplayers": all});
    let outs = feed(&mut Engine::new(), &[body.clone(), body]);
    let boards = outs[0]
        .info
        .iter()
        .filter(|c| c.feature == "scoreboard")
        .count();
    assert_eq!(boards, 10);
}
