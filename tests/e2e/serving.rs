//! Serving: fan-out, filtering, late join, ingest errors, shutdown.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::util::*;

const RUNNING: &str = "onGameInfoUpdated";

fn running_params() -> Value {
    json!({"gameInfo": {"isRunning": true, "classId": 7314, "id": 73141, "title": "Dota 2"},
           "runningChanged": true, "gameChanged": false, "reason": ["gameLaunched"]})
}

fn events(feature: &str, data: Value) -> Value {
    let list: Vec<Value> = match data {
        Value::Array(items) => items,
        one => vec![one],
    };
    let events: Vec<Value> = list
        .into_iter()
        .map(|d| json!({"name": feature, "data": d.to_string()}))
        .collect();
    json!({"feature": feature, "events": events})
}

#[tokio::test]
async fn two_clients_each_get_only_their_features() {
    filtering(Server::default().await).await;
}

/// The same through NATS JetStream (tournament mode).
#[cfg(feature = "nats")]
#[tokio::test]
async fn two_clients_each_get_only_their_features_federated() {
    if let Some((_nats, server)) = crate::federation::federated_server().await {
        filtering(server).await;
    }
}

async fn filtering(server: Server) {
    let mut a = server.client().await;
    a.subscribe(&["kill", "death"]).await;
    let mut b = server.client().await;
    b.subscribe(&["gold", "me"]).await;

    let gold = |g: i64| json!({"gold": g, "gold_reliable": 0, "gold_unreliable": g});
    let p = |extra: Value, g: Value| {
        let mut o = g.as_object().cloned().unwrap_or_default();
        o.extend(extra.as_object().cloned().unwrap_or_default());
        Value::Object(o)
    };
    server.post(&in_game(100, p(json!({}), gold(600)))).await;
    server
        .post(&in_game(
            101,
            p(json!({"kills": 1, "kill_streak": 1}), gold(600)),
        ))
        .await;
    server
        .post(&in_game(
            102,
            p(
                json!({"kills": 1, "kill_streak": 0, "deaths": 1}),
                gold(500),
            ),
        ))
        .await;
    server
        .post(&in_game(
            110,
            p(
                json!({"kills": 3, "kill_streak": 2, "deaths": 1}),
                gold(500),
            ),
        ))
        .await;
    // The marker: one more event for each client. Anything extra delivered
    // before it would show up in place of the expected messages.
    server
        .post(&in_game(
            111,
            p(
                json!({"kills": 4, "kill_streak": 3, "deaths": 1}),
                gold(700),
            ),
        ))
        .await;

    let expect_a = vec![
        (RUNNING.to_string(), running_params()),
        (
            "onNewEvents".into(),
            events(
                "kill",
                json!({"kills": 1, "kill_streak": 1, "label": "kill"}),
            ),
        ),
        ("onNewEvents".into(), events("death", json!({"deaths": 1}))),
        (
            "onNewEvents".into(),
            events(
                "kill",
                json!([{"kills": 2, "kill_streak": 1, "label": "double_kill"},
                       {"kills": 3, "kill_streak": 2, "label": "triple_kill"}]),
            ),
        ),
        (
            "onNewEvents".into(),
            events(
                "kill",
                json!({"kills": 4, "kill_streak": 3, "label": "ultra_kill"}),
            ),
        ),
    ];
    for expected in expect_a {
        assert_eq!(a.note().await, expected);
    }

    let expect_b = vec![
        (RUNNING.to_string(), running_params()),
        (
            "onInfoUpdates2".into(),
            json!({"feature": "me", "info": {"me": {"team": "radiant", "steam_id": "76561198000000000", "hero": "invoker"}}}),
        ),
        (
            "onNewEvents".into(),
            events(
                "gold",
                json!({"gold": 500, "gold_reliable": 0, "gold_unreliable": 500}),
            ),
        ),
        (
            "onNewEvents".into(),
            events(
                "gold",
                json!({"gold": 700, "gold_reliable": 0, "gold_unreliable": 700}),
            ),
        ),
    ];
    for expected in expect_b {
        assert_eq!(b.note().await, expected);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn late_joiner_gets_a_snapshot_then_live_updates_without_gaps_or_repeats() {
    late_join(Server::default().await).await;
}

/// The same through NATS JetStream (tournament mode).
#[cfg(feature = "nats")]
#[tokio::test]
async fn late_joiner_gets_a_snapshot_then_live_updates_without_gaps_or_repeats_federated() {
    if let Some((_nats, server)) = crate::federation::federated_server().await {
        late_join(server).await;
    }
}

async fn late_join(server: Server) {
    let mut observer = server.client().await;
    observer.subscribe(&["match_state_changed"]).await;
    let posts = lifecycle();
    for body in &posts[..=5] {
        server.post(body).await;
    }
    // Wait until the pipeline has published post 5, observed through a client.
    loop {
        let (method, params) = observer.note().await;
        if method == "onNewEvents"
            && event_data(&params)[0].1["match_state"]
                == "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD"
        {
            break;
        }
    }

    let mut late = server.client().await;
    let result = late.subscribe(&["me", "game", "match_info", "gold"]).await;
    let covered = result["seq"].as_u64().expect("seq");
    let mut snapshot = Vec::new();
    let mut last = 0;
    for _ in 0..3 {
        let n = late.notification().await;
        let seq = n["params"]["seq"].as_u64().expect("seq");
        assert!(
            seq > last && seq <= covered,
            "snapshot seqs ascend and are covered: {n}"
        );
        assert_eq!(n["params"]["snapshot"], json!(true));
        last = seq;
        snapshot.push((n["params"]["feature"].clone(), n["params"]["info"].clone()));
    }
    snapshot.sort_by_key(|(f, _)| f.to_string());
    let pseudo = snapshot[1].1["match_info"]["pseudo_match_id"].clone();
    assert!(
        pseudo.as_str().is_some_and(|s| s.len() == 36),
        "uuid: {pseudo}"
    );
    assert_eq!(
        snapshot,
        vec![
            (
                json!("game"),
                json!({"game": {"game_state": "playing", "match_state": "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD"}})
            ),
            (
                json!("match_info"),
                json!({"match_info": {"pseudo_match_id": pseudo}, "team_score": {"team_score": "{\"radiant\":0,\"dire\":0}"}})
            ),
            (
                json!("me"),
                json!({"me": {"team": "radiant", "steam_id": "76561198000000000", "hero": "invoker"}})
            ),
        ]
    );

    for body in &posts[6..] {
        server.post(body).await;
    }
    let mut live = Vec::new();
    let mut last = covered;
    loop {
        let n = late.notification().await;
        let seq = n["params"]["seq"].as_u64().expect("seq");
        assert!(seq > last, "live seqs rise past the snapshot: {n}");
        assert!(n["params"].get("snapshot").is_none());
        last = seq;
        let done = n["params"]["info"]["game"]["match_state"] == "DOTA_GAMERULES_STATE_POST_GAME";
        live.push(n["params"].clone());
        if done {
            break;
        }
    }
    let states: Vec<Value> = live
        .iter()
        .filter_map(|p| p["info"]["game"].get("match_state").cloned())
        .collect();
    assert_eq!(
        states,
        vec![
            json!("DOTA_GAMERULES_STATE_PRE_GAME"),
            json!("DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"),
            json!("DOTA_GAMERULES_STATE_POST_GAME")
        ]
    );
    let golds: Vec<Value> = live
        .iter()
        .filter(|p| p["feature"] == "gold")
        .map(|p| event_data(p)[0].1.clone())
        .collect();
    assert_eq!(
        golds,
        vec![
            json!({"gold": 602, "gold_reliable": 2, "gold_unreliable": 600}),
            json!({"gold": 603, "gold_reliable": 3, "gold_unreliable": 600})
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_gsi_token_gets_401_and_produces_nothing() {
    let mut config = wardcast::Config::default();
    config.ingest.token = Some("hello1234".into());
    let server = Server::start(config).await;
    let mut client = server.client().await;
    client.subscribe(&["game"]).await;

    let posts = lifecycle();
    let mut wrong = posts[1].clone();
    wrong["auth"]["token"] = "not-the-token".into();
    let (status, text) = server
        .post_raw(serde_json::to_vec(&wrong).expect("json"))
        .await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("token"), "{text}");
    let mut missing = posts[1].clone();
    missing.as_object_mut().expect("object").remove("auth");
    assert_eq!(
        server
            .post_raw(serde_json::to_vec(&missing).expect("json"))
            .await
            .0,
        401
    );

    // The menu body with the right token: had the refused in-game bodies been
    // processed, the game state would read "playing" first.
    server.post(&posts[0]).await;
    assert_eq!(client.note().await, (RUNNING.to_string(), running_params()));
    assert_eq!(
        client.note().await,
        (
            "onInfoUpdates2".to_string(),
            json!({"feature": "game", "info": {"game": {"game_state": "idle"}}})
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_gsi_bodies_get_clear_errors_and_the_broker_keeps_serving() {
    let mut config = wardcast::Config::default();
    config.ingest.max_body = 64 * 1024;
    let server = Server::start(config).await;
    let mut client = server.client().await;
    client.subscribe(&["game"]).await;

    let (status, text) = server.post_raw(b"{\"map\": ".to_vec()).await;
    assert_eq!(status, 400);
    assert!(text.starts_with("malformed GSI body"), "{text}");
    let (status, text) = server
        .post_raw(br#"{"player": {"kills": "three"}}"#.to_vec())
        .await;
    assert_eq!(status, 400);
    assert!(
        text.contains("player.kills"),
        "the error names the field: {text}"
    );
    let (status, _) = server.post_raw(vec![b' '; 100 * 1024]).await;
    assert_eq!(status, 413);
    assert_eq!(server.get("/healthz").await, (200, "ok\n".to_string()));

    server.post(&lifecycle()[0]).await;
    assert_eq!(client.note().await.0, RUNNING);
    assert_eq!(
        client.note().await.1["info"],
        json!({"game": {"game_state": "idle"}})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn object_format_sends_values_instead_of_strings() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let result = client
        .result(
            "setRequiredFeatures",
            Some(json!({"features": ["kill", "match_info"], "dataFormat": "object"})),
        )
        .await;
    assert_eq!(result["supportedFeatures"], json!(["kill", "match_info"]));
    server.post(&in_game(100, json!({}))).await;
    server
        .post(&in_game(101, json!({"kills": 1, "kill_streak": 1})))
        .await;
    assert_eq!(client.note().await.0, RUNNING);
    let (_, info) = client.note().await;
    assert_eq!(
        info["info"]["team_score"],
        json!({"team_score": {"radiant": 0, "dire": 0}})
    );
    let (_, kill) = client.note().await;
    assert_eq!(
        kill["events"],
        json!([{"name": "kill", "data": {"kills": 1, "kill_streak": 1, "label": "kill"}}])
    );
    server.shutdown().await;
}

#[tokio::test]
async fn subscribing_again_replaces_the_set_and_never_duplicates() {
    let server = Server::default().await;
    let mut client = server.client().await;
    client.subscribe(&["kill"]).await;
    let second = client.subscribe(&["kill", "death", "kill"]).await;
    assert_eq!(second["supportedFeatures"], json!(["kill", "death"]));
    server.post(&in_game(100, json!({}))).await;
    server
        .post(&in_game(
            101,
            json!({"kills": 1, "kill_streak": 1, "deaths": 1}),
        ))
        .await;
    server
        .post(&in_game(
            102,
            json!({"kills": 1, "kill_streak": 1, "deaths": 2}),
        ))
        .await;
    assert_eq!(client.note().await.0, RUNNING);
    assert_eq!(client.note().await.1["feature"], "kill");
    assert_eq!(client.note().await.1, events("death", json!({"deaths": 1})));
    // Had kill been delivered twice, the second kill would be here.
    assert_eq!(client.note().await.1, events("death", json!({"deaths": 2})));
    server.shutdown().await;
}

/// seq rises strictly over every notification on a connection, through a
/// second `setRequiredFeatures` and its fresh snapshot too: what was already
/// published for the old set comes first, then the snapshot (with new seqs),
/// then live notifications.
#[tokio::test]
async fn seq_rises_strictly_on_a_connection_across_resubscribing() {
    seq_rises(Server::default().await).await;
}

/// The same through NATS JetStream (tournament mode).
#[cfg(feature = "nats")]
#[tokio::test]
async fn seq_rises_strictly_on_a_connection_across_resubscribing_federated() {
    if let Some((_nats, server)) = crate::federation::federated_server().await {
        seq_rises(server).await;
    }
}

async fn seq_rises(server: Server) {
    let mut client = server.client().await;
    client
        .subscribe(&["gold", "me", "clock_time_changed"])
        .await;
    let mut seqs = Vec::new();
    let mut snapshots = 0;
    for round in 0..4i64 {
        for i in 0..5 {
            let clock = 100 + round * 10 + i;
            let gold = 600 + clock;
            server
                .post(&in_game(
                    clock,
                    json!({"gold": gold, "gold_reliable": 0, "gold_unreliable": gold}),
                ))
                .await;
        }
        // Subscribe again without reading first: some of the round's
        // notifications are still queued for the old set.
        let features: &[&str] = if round % 2 == 0 {
            &["me", "game", "clock_time_changed"]
        } else {
            &["gold", "me", "clock_time_changed"]
        };
        let result = client.subscribe(features).await;
        let covered = result["seq"].as_u64().expect("seq");
        // Read up to and including the clock event of the round's last body.
        let last_clock = 100 + round * 10 + 4;
        loop {
            let note = client.notification().await;
            let (method, params) = (note["method"].clone(), note["params"].clone());
            let seq = params["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("no seq: {method} {params}"));
            assert!(
                seqs.last().is_none_or(|&last| seq > last),
                "seq {seq} after {:?} ({method} {params})",
                seqs.last()
            );
            seqs.push(seq);
            if params["snapshot"] == json!(true) {
                snapshots += 1;
                assert!(seq <= covered, "the result's seq covers the snapshot");
            }
            if method == "onNewEvents"
                && event_data(&params)
                    .iter()
                    .any(|(name, d)| name == "clock_time_changed" && d["clock_time"] == last_clock)
            {
                break;
            }
        }
    }
    assert!(snapshots >= 4, "every resubscription sent a snapshot");
    server.shutdown().await;
}

#[tokio::test]
async fn nothing_but_the_game_launch_arrives_before_set_required_features() {
    let server = Server::default().await;
    let mut idle = server.client().await;
    let mut observer = server.client().await;
    observer.subscribe(&["game"]).await;
    server.post(&lifecycle()[1]).await;
    assert_eq!(observer.note().await.0, RUNNING);
    assert_eq!(observer.note().await.0, "onInfoUpdates2");
    // The batch is published; the unsubscribed client hears the launch (as
    // Overwolf apps do), then its own response: no events, no info.
    assert_eq!(idle.recv_raw().await["method"], RUNNING);
    let first = {
        idle.send_text(r#"{"jsonrpc":"2.0","id":"x","method":"getInfo"}"#)
            .await;
        idle.recv_raw().await
    };
    assert_eq!(first["id"], "x");
    assert_eq!(first["result"]["res"], json!({"features": {}}));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_clients_with_1001() {
    let server = Server::default().await;
    let mut client = server.client().await;
    client.subscribe(&["game"]).await;
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(client.close_code().await, Some(1001));
    within("shutdown", stopping).await.expect("shutdown task");
}

#[tokio::test]
async fn a_whole_demo_match_streams_in_order_with_every_beat() {
    let config = wardcast::Config {
        demo: Some(wardcast::DemoOptions {
            speed: 200.0,
            // The whole lifecycle, from the menu: the default loop opens mid-game.
            from_draft: true,
            ..wardcast::DemoOptions::default()
        }),
        ..wardcast::Config::default()
    };
    let server = Server::start(config).await;
    let mut client = server.client().await;
    // Every supported feature, so every payload of the match is schema-checked.
    let features = crate::features::supported(&mut client).await;
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    let result = client.subscribe(&features).await;
    let mut last_seq = result["seq"].as_u64().expect("seq");
    let (mut kills, mut labels, mut deaths, mut levels, mut states) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    loop {
        let n = client.notification().await;
        let seq = n["params"]["seq"].as_u64().expect("seq");
        if n["params"].get("snapshot").is_none() {
            assert!(seq > last_seq, "seq rises: {seq} after {last_seq}");
            last_seq = seq;
        }
        if n["method"] != "onNewEvents" {
            continue;
        }
        let feature = n["params"]["feature"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for (_, data) in event_data(&n["params"]) {
            match feature.as_str() {
                "kill" => {
                    kills.push(data["kills"].as_i64().expect("kills"));
                    labels.push(data["label"].as_str().unwrap_or_default().to_string());
                }
                "death" => deaths.push(data["deaths"].as_i64().expect("deaths")),
                "hero_leveled_up" => levels.push(data["hero_level"].as_i64().expect("level")),
                "match_state_changed" => {
                    states.push(data["match_state"].as_str().unwrap_or_default().to_string())
                }
                _ => {}
            }
        }
        if feature == "match_ended" {
            break;
        }
    }
    // The scripted match: seven kills one by one, two deaths, a double and a
    // triple kill, level-ups one at a time, and the full lifecycle.
    assert_eq!(kills, (1..=7).collect::<Vec<_>>());
    assert!(
        labels.contains(&"double_kill".to_string()) && labels.contains(&"triple_kill".to_string()),
        "{labels:?}"
    );
    assert_eq!(deaths, vec![1, 2]);
    assert!(
        levels.len() >= 7 && levels.windows(2).all(|w| w[1] == w[0] + 1),
        "{levels:?}"
    );
    assert_eq!(
        states,
        [
            "DOTA_GAMERULES_STATE_INIT",
            "DOTA_GAMERULES_STATE_HERO_SELECTION",
            "DOTA_GAMERULES_STATE_STRATEGY_TIME",
            "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD",
            "DOTA_GAMERULES_STATE_PRE_GAME",
            "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS",
        ]
    );
    server.shutdown().await;
}

/// Overwolf apps wait for `gameLaunched` before they subscribe, so a client
/// with no subscription still hears the game start, and only that.
#[tokio::test]
async fn an_unsubscribed_client_hears_the_game_launch_and_nothing_else() {
    let server = Server::default().await;
    let mut waiting = server.client().await;
    // A request answered proves the session is up before the game posts.
    waiting.result("getRunningGameInfo", None).await;
    server.post(&lifecycle()[10]).await;
    let launched = waiting.notification().await;
    assert_eq!(launched["method"], RUNNING);
    let mut params = launched["params"].clone();
    let seq = params["seq"].as_u64().expect("seq");
    params.as_object_mut().expect("params").remove("seq");
    assert_eq!(params, running_params());
    // Subscribing now gives the snapshot; the launch is not repeated, and the
    // stream continues after the seq already heard.
    let result = waiting.subscribe(&["kill", "me"]).await;
    assert!(result["seq"].as_u64() >= Some(seq));
    server.post(&in_game(700, json!({"kills": 1}))).await;
    server.post(&in_game(710, json!({"kills": 2}))).await;
    loop {
        let note = waiting.notification().await;
        assert_ne!(note["method"], RUNNING, "the launch came twice: {note}");
        if note["method"] == "onNewEvents" {
            break;
        }
    }
    server.shutdown().await;
}
