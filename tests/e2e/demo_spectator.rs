//! The spectator demo end to end: the broker plays the simulated spectated
//! match and a client sees Roshan, the Aegis, and per-player kills for both
//! sides, every message schema-checked by the util client.

use std::collections::BTreeSet;

use serde_json::Value;
use wardcast::demo::{DemoMode, DemoOptions};

use crate::util::{event_data, Server};

/// More notifications than one whole spectated match gives these features:
/// reaching it means a beat never came.
const MAX_NOTIFICATIONS: usize = 50_000;

#[tokio::test]
async fn the_spectator_demo_streams_roshan_and_both_sides_kills() {
    let config = wardcast::Config {
        demo: Some(DemoOptions {
            mode: DemoMode::Spectator,
            speed: 50.0,
            ..DemoOptions::default()
        }),
        ..wardcast::Config::default()
    };
    let server = Server::start(config).await;
    let mut client = server.client().await;
    let result = client
        .subscribe(&[
            "roshan",
            "kill",
            "death",
            "assist",
            "match_info",
            "bounty_rune",
            "courier",
            "kill_feed",
            "win_chance",
            "roster",
            "me",
        ])
        .await;
    let mut last_seq = result["seq"].as_u64().expect("seq");

    let mut roshan_killed = None;
    let mut aegis = None;
    let mut roshan_states = BTreeSet::new();
    // (event, team) of per-player events seen with player_index.
    let mut per_player = BTreeSet::new();
    let mut features = BTreeSet::new();
    let done =
        |killed: &Option<Value>, aegis: &Option<Value>, per_player: &BTreeSet<(String, String)>| {
            killed.is_some()
                && aegis.is_some()
                && ["kill", "death"].iter().all(|e| {
                    ["radiant", "dire"]
                        .iter()
                        .all(|t| per_player.contains(&(e.to_string(), t.to_string())))
                })
        };
    let mut received = 0;
    while !done(&roshan_killed, &aegis, &per_player) {
        received += 1;
        assert!(received < MAX_NOTIFICATIONS, "the beats never came");
        // Every notification is awaited with the util timeout and schema-checked.
        let n = client.notification().await;
        let params = &n["params"];
        let seq = params["seq"].as_u64().expect("seq");
        if params.get("snapshot").is_none() {
            assert!(seq > last_seq, "seq rises: {seq} after {last_seq}");
            last_seq = seq;
        }
        let feature = params["feature"].as_str().unwrap_or_default().to_string();
        features.insert(feature.clone());
        if n["method"] == "onInfoUpdates2" {
            if let Some(Value::String(state)) = params["info"]["roshan"].get("state") {
                roshan_states.insert(state.clone());
            }
        }
        if n["method"] != "onNewEvents" {
            continue;
        }
        for (name, data) in event_data(params) {
            match name.as_str() {
                "roshan_killed" => roshan_killed = Some(data),
                "aegis_picked_up" => {
                    assert!(roshan_killed.is_some(), "the Aegis before Roshan died");
                    aegis = Some(data);
                }
                "kill" | "death" | "assist" => {
                    let index = data["player_index"].as_u64().expect("player_index");
                    let team = data["team"].as_str().expect("team").to_string();
                    assert!(index < 10, "{data}");
                    assert_eq!(team == "radiant", index < 5, "{data}");
                    per_player.insert((name, team));
                }
                _ => {}
            }
        }
    }

    let killed = roshan_killed.unwrap_or_default();
    assert_eq!(killed["killed_by_team"], "radiant");
    assert!(matches!(killed["killer_player_id"].as_i64(), Some(0..=4)));
    assert!(killed["game_time"].is_i64());
    let aegis = aegis.unwrap_or_default();
    assert_eq!(aegis["snatched"], false);
    assert!(matches!(aegis["player_id"].as_i64(), Some(0..=4)));
    assert!(
        roshan_states.contains("alive") && roshan_states.contains("respawn_base"),
        "{roshan_states:?}"
    );
    for feature in ["match_info", "win_chance", "roster", "me", "kill_feed"] {
        assert!(features.contains(feature), "no {feature} in {features:?}");
    }
    server.shutdown().await;
}

/// Every supported feature for a whole match: each event and info payload of
/// the spectator bodies (ten players, the draft, buildings of both sides) is
/// checked against its schema by the util client.
#[tokio::test]
async fn every_payload_of_a_whole_spectated_match_matches_its_schema() {
    let config = wardcast::Config {
        demo: Some(DemoOptions {
            mode: DemoMode::Spectator,
            speed: 50.0,
            ..DemoOptions::default()
        }),
        ..wardcast::Config::default()
    };
    let server = Server::start(config).await;
    let mut client = server.client().await;
    let features = crate::features::supported(&mut client).await;
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    client.subscribe(&features).await;
    let mut names = BTreeSet::new();
    let mut received = 0;
    loop {
        received += 1;
        assert!(received < 200_000, "the match never ended");
        let n = client.notification().await;
        if n["method"] != "onNewEvents" {
            continue;
        }
        for (name, _) in event_data(&n["params"]) {
            names.insert(name);
        }
        if n["params"]["feature"] == "match_ended" {
            break;
        }
    }
    for name in [
        "roshan_killed",
        "aegis_picked_up",
        "aegis_denied",
        "bounty_rune_pickup",
        "courier_killed",
        "tip",
        "kill_feed",
        "building_destroyed",
        "game_paused",
        "game_unpaused",
        "hero_boughtback",
        "hero_item_consumed",
        "hero_ability_used",
        "hero_ability_changed",
        "ward_purchase_cooldown_changed",
    ] {
        assert!(names.contains(name), "no {name} in {names:?}");
    }
    server.shutdown().await;
}
