//! Requests: the catalogue, game info, getInfo, and JSON-RPC errors.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::util::*;

async fn error_code(client: &mut Client, text: &str) -> (Value, i64) {
    client.send_text(text).await;
    let response = client.recv_raw().await;
    assert_schema("response.error", &response);
    (
        response["id"].clone(),
        response["error"]["code"].as_i64().expect("code"),
    )
}

#[tokio::test]
async fn bad_requests_get_json_rpc_errors_and_the_connection_stays_open() {
    let server = Server::default().await;
    let mut client = server.client().await;
    assert_eq!(
        error_code(&mut client, "{not json").await,
        (Value::Null, -32700)
    );
    assert_eq!(
        error_code(&mut client, "[1,2]").await,
        (Value::Null, -32600)
    );
    assert_eq!(
        error_code(&mut client, r#"{"jsonrpc":"2.0","method":"getInfo"}"#).await,
        (Value::Null, -32600)
    );
    assert_eq!(
        error_code(
            &mut client,
            r#"{"jsonrpc":"1.0","id":1,"method":"getInfo"}"#
        )
        .await,
        (json!(1), -32600)
    );
    assert_eq!(
        error_code(
            &mut client,
            r#"{"jsonrpc":"2.0","id":2,"method":"subscribe"}"#
        )
        .await,
        (json!(2), -32601)
    );
    assert_eq!(
        error_code(&mut client, r#"{"jsonrpc":"2.0","id":3,"method":"setRequiredFeatures","params":{"features":"kill"}}"#).await,
        (json!(3), -32602)
    );
    assert_eq!(
        error_code(&mut client, r#"{"jsonrpc":"2.0","id":4,"method":"setRequiredFeatures","params":{"features":["kill"],"dataFormat":"xml"}}"#).await,
        (json!(4), -32602)
    );
    client.send_binary(vec![1, 2, 3]).await;
    let response = client.recv_raw().await;
    assert_schema("response.error", &response);
    assert_eq!(response["error"]["code"], -32600);
    // Still open and serving.
    let result = client.subscribe(&["kill"]).await;
    assert_eq!(result["success"], true);
    server.shutdown().await;
}

#[tokio::test]
async fn get_features_lists_the_whole_catalogue_honestly() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let result = client.result("getFeatures", None).await;
    let features = result["features"].as_array().expect("features");
    assert_eq!(features.len(), 50, "40 Overwolf features and 10 additions");
    let by_name = |n: &str| {
        features
            .iter()
            .find(|f| f["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n}"))
    };
    let unsupported = ["party", "hero_pool", "match_detected", "chat"];
    for f in features {
        let name = f["name"].as_str().expect("name");
        let supported = !unsupported.contains(&name);
        assert_eq!(f["supported"], supported, "{name}");
        assert_eq!(
            f["reason"].is_string(),
            !supported,
            "{name}: a reason exactly when unsupported"
        );
        // Before any game data, supported features are yellow and unsupported ones 0.
        assert_eq!(f["state"], if supported { 2 } else { 0 }, "{name}");
    }
    let key = |f: &str, k: &str| {
        by_name(f)["info"]
            .as_array()
            .expect("info")
            .iter()
            .find(|i| i["key"] == k)
            .cloned()
            .expect(k)
    };
    assert_eq!(key("me", "mmr")["supported"], false);
    assert!(key("me", "mmr")["reason"].is_string());
    assert_eq!(key("match_info", "game_mode")["supported"], false);
    assert_eq!(key("me", "hero")["supported"], true);
    assert_eq!(by_name("kill")["events"], json!(["kill"]));
    assert_eq!(
        by_name("roshan")["events"],
        json!(["roshan_killed", "aegis_picked_up", "aegis_denied"])
    );
    assert_eq!(
        by_name("roshan")["events"],
        json!(["roshan_killed", "aegis_picked_up", "aegis_denied"])
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unsupported_only_subscription_fails_like_overwolf() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let result = client
        .subscribe(&["party", "no_such_feature", "party"])
        .await;
    assert_eq!(
        result,
        json!({"success": false, "status": "error",
               "error": "none of the requested features is supported",
               "reason": "none of the requested features is supported",
               "supportedFeatures": [], "unsupportedFeatures": ["party", "no_such_feature"]})
    );
    let mixed = client.subscribe(&["kill", "party"]).await;
    assert_eq!(mixed["supportedFeatures"], json!(["kill"]));
    assert_eq!(mixed["unsupportedFeatures"], json!(["party"]));
    assert!(mixed["epoch"].as_str().is_some_and(|e| !e.is_empty()));
    server.shutdown().await;
}

#[tokio::test]
async fn running_game_info_and_get_info_follow_gsi_traffic() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let before = client.result("getRunningGameInfo", None).await;
    assert_eq!(before["isRunning"], false);
    assert_eq!(before["lastUpdateAgeMs"], Value::Null);
    assert_eq!(
        (before["classId"].clone(), before["title"].clone()),
        (json!(7314), json!("Dota 2"))
    );

    client.subscribe(&["me", "game", "kill"]).await;
    server.post(&lifecycle()[4]).await;
    assert_eq!(client.note().await.0, "onGameInfoUpdated");
    // Wait for the last info of that body before asking.
    while client.note().await.1["feature"] != "me" {}
    let after = client.result("getRunningGameInfo", None).await;
    assert_eq!(after["isRunning"], true);
    assert!(after["lastUpdateAgeMs"].as_u64().is_some());

    let info = client.result("getInfo", None).await;
    assert_eq!(
        info["res"],
        json!({
            "game": {"game_state": "playing", "match_state": "DOTA_GAMERULES_STATE_STRATEGY_TIME"},
            "me": {"team": "radiant", "steam_id": "76561198000000000", "hero": "invoker"},
            "features": {"me": "True", "game": "True", "kill": "True"}
        })
    );
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_count_posts_rejections_clients_events_and_latency() {
    let server = Server::default().await;
    let mut client = server.client().await;
    client.subscribe(&["kill"]).await;
    server.post(&in_game(100, json!({}))).await;
    server
        .post(&in_game(101, json!({"kills": 1, "kill_streak": 1})))
        .await;
    assert_eq!(server.post_raw(b"{".to_vec()).await.0, 400);
    // Wait for the kill to reach the client, so its write was measured.
    while client.note().await.1["feature"] != "kill" {}
    let (status, text) = server.get("/metrics").await;
    assert_eq!(status, 200);
    let value = |line_start: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {line_start} in\n{text}"))
    };
    assert_eq!(value("wardcast_gsi_posts_total "), 3.0);
    assert_eq!(
        value("wardcast_gsi_rejected_total{reason=\"malformed\"}"),
        1.0
    );
    assert_eq!(value("wardcast_snapshots_processed_total "), 2.0);
    assert_eq!(value("wardcast_events_total{feature=\"kill\"}"), 1.0);
    assert_eq!(value("wardcast_clients "), 1.0);
    assert!(value("wardcast_bytes_sent_total ") > 0.0);
    assert!(value("wardcast_ingest_to_send_seconds_count ") >= 1.0);
    assert_eq!(value("wardcast_slow_consumer_disconnects_total "), 0.0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_javascript_client_and_its_typings_are_served() {
    let server = Server::default().await;
    let (status, js) = server.get("/wardcast.js").await;
    assert_eq!(status, 200);
    assert!(
        js.contains("installOverwolfShim"),
        "the shim is in the served client"
    );
    let (status, dts) = server.get("/wardcast.d.ts").await;
    assert_eq!(status, 200);
    assert!(dts.contains("declare"), "typings are served");
    server.shutdown().await;
}
