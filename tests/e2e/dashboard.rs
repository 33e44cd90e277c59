//! The dashboard: `GET /` serves the page, `GET /api/overview` the document it
//! reads. The page itself is tested in a real browser (`tests/browser/`).

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::util::*;

async fn overview(server: &Server) -> Value {
    let (status, body) = server.get("/api/overview").await;
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).expect("overview is JSON");
    assert_schema("overview", &doc);
    assert_schema("status", &doc["health"]);
    doc
}

#[tokio::test]
async fn the_dashboard_page_is_served_at_the_root() {
    let server = Server::default().await;
    let (status, body) = server.get("/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<html") || body.contains("<!doctype html"),
        "{body:.200}"
    );
    assert!(body.contains("/wardcast.js"), "the page loads the client");
    assert!(
        body.contains("/api/overview"),
        "the page reads the overview"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn overview_reports_gsi_the_match_the_setup_and_named_clients() {
    let mut config = wardcast::Config::default();
    config.ingest.token = Some("gsi-secret-1".into());
    let server = Server::start(config).await;

    let before = overview(&server).await;
    assert_eq!(before["source"], "none");
    assert_eq!(before["mode"], "idle");
    assert_eq!(before["gsi"]["arriving"], false);
    assert_eq!(before["gsi"]["last_snapshot_age_ms"], Value::Null);
    assert_eq!(before["gsi"]["snapshots"], 0);
    assert_eq!(before["match"]["clock_time"], Value::Null);
    assert_eq!(before["clients"], json!([]));
    let cfg = before["setup"]["cfg"].as_str().expect("cfg");
    assert!(
        cfg.contains(&format!("\"http://{}/gsi\"", server.addr)),
        "{cfg}"
    );
    assert!(
        cfg.contains("\"gsi-secret-1\""),
        "the cfg carries the GSI token: {cfg}"
    );
    let unsupported = before["unsupported"].as_array().expect("list");
    assert!(unsupported
        .iter()
        .any(|u| u["name"] == "me" && u["key"] == "mmr" && u["reason"] != ""));
    assert!(unsupported
        .iter()
        .any(|u| u["name"] == "party" && u["key"].is_null()));

    let mut named = Client::connect(&format!("{}?client=Stream%20Deck", server.ws_url())).await;
    named.subscribe(&["kill", "me"]).await;
    let mut anonymous = server.client().await;
    anonymous.subscribe(&["game"]).await;

    let mut body = lifecycle()[10].clone();
    body["auth"] = json!({"token": "gsi-secret-1"});
    let clock = body["map"]["clock_time"].as_i64().expect("clock");
    // One refused body, counted by reason.
    let (status, _) = server
        .post_raw(serde_json::to_vec(&lifecycle()[10]).expect("json"))
        .await;
    assert_eq!(status, 401);
    server.post(&body).await;
    // The snapshot was processed once the subscriber hears of it.
    within("game info", async {
        loop {
            let (method, _) = anonymous.note().await;
            if method == "onInfoUpdates2" {
                break;
            }
        }
    })
    .await;

    let after = overview(&server).await;
    assert_eq!(after["source"], "game");
    assert_eq!(after["mode"], "playing");
    assert_eq!(after["gsi"]["arriving"], true);
    assert!(after["gsi"]["last_snapshot_age_ms"].as_u64().is_some());
    assert_eq!(after["gsi"]["snapshots"], 1);
    assert_eq!(after["gsi"]["accepted"], 1);
    assert_eq!(after["gsi"]["rejected"]["unauthorized"], 1);
    assert_eq!(after["match"]["clock_time"], clock);
    assert_eq!(after["match"]["game_state"], body["map"]["game_state"]);
    let clients = after["clients"].as_array().expect("clients");
    assert_eq!(clients.len(), 2);
    assert_eq!(clients[0]["name"], "Stream Deck");
    assert_eq!(clients[0]["features"], json!(["kill", "me"]));
    assert_eq!(clients[1]["name"], Value::Null);
    assert_eq!(clients[1]["features"], json!(["game"]));
    assert!(after["last_seq"].as_u64() > before["last_seq"].as_u64());

    drop(named);
    drop(anonymous);
    server.shutdown().await;
}

#[tokio::test]
async fn overview_is_behind_the_access_token() {
    let mut config = wardcast::Config::default();
    config.broker.access.token = Some("lan-token-7".into());
    config.broker.access.require_token = true;
    let server = Server::start(config).await;
    assert_eq!(server.get("/api/overview").await.0, 401);
    assert_eq!(server.get("/api/overview?token=wrong").await.0, 401);
    assert_eq!(server.get("/api/overview?token=lan-token-7").await.0, 200);
    // The page itself holds no data, so it loads without the token and asks for it.
    assert_eq!(server.get("/").await.0, 200);
    server.shutdown().await;
}
