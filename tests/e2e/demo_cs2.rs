//! `wardcast demo --game cs2` end to end: the broker plays the real CS2
//! capture, looped, and an Overwolf-style client of the default source sees
//! a Counter-Strike 2 game, `kill` and `round_end` events, and match info,
//! every payload checked against the CS2 schemas.

use std::collections::BTreeSet;

use wardcast::demo::DemoOptions;

use crate::util::{event_data, Server, CS2};

/// More notifications than one loop of the capture gives these features:
/// reaching it means an event never came.
const MAX_NOTIFICATIONS: usize = 20_000;

#[tokio::test]
async fn the_cs2_demo_plays_a_real_match_to_an_overwolf_client() {
    let config = wardcast::Config {
        demo: Some(DemoOptions {
            game: &wardcast_cs2::GAME,
            speed: 50.0,
            ..DemoOptions::default()
        }),
        ..wardcast::Config::default()
    };
    let server = Server::start(config).await;
    let mut client = server.client().await;
    // The default source carries the demo's game before its first post.
    let info = client.result("getRunningGameInfo", None).await;
    assert_eq!(info["classId"], CS2, "{info}");
    assert_eq!(info["title"], "Counter-Strike 2", "{info}");
    client
        .subscribe(&["match_info", "kill", "round_start"])
        .await;

    let mut events = BTreeSet::new();
    let mut info_keys = BTreeSet::new();
    let wanted = ["kill", "round_end", "round_start", "match_start"];
    let mut received = 0;
    while !wanted.iter().all(|e| events.contains(*e)) || !info_keys.contains("round_number") {
        received += 1;
        assert!(
            received < MAX_NOTIFICATIONS,
            "missing: {events:?} {info_keys:?}"
        );
        // Awaited with the util timeout; schema-checked as CS2 payloads.
        let n = client.notification().await;
        match n["method"].as_str() {
            Some("onNewEvents") => {
                for (name, data) in event_data(&n["params"]) {
                    if name == "kill" && n["params"]["feature"] == "kill" {
                        // The legacy CS:GO kill counts the player's kills.
                        assert!(data["totalKills"].as_u64() >= Some(1), "{data}");
                    }
                    events.insert(name);
                }
            }
            Some("onInfoUpdates2") => {
                for keys in n["params"]["info"]
                    .as_object()
                    .into_iter()
                    .flat_map(|c| c.values())
                {
                    info_keys.extend(keys.as_object().into_iter().flat_map(|k| k.keys().cloned()));
                }
            }
            _ => {}
        }
    }
    server.shutdown().await;
}
