//! Several matches on one broker: each GSI source has its own stream, and a
//! client sees only the source it serves.

use serde_json::{json, Value};

use crate::util::*;

/// A kill body of one match: `kills` for the local player at `clock`.
fn kills(clock: i64, kills: i64) -> Value {
    in_game(clock, json!({"kills": kills, "kill_streak": kills}))
}

async fn post_ok(server: &Server, source: &str, body: &Value) {
    let (status, text) = server.post_to(source, body).await;
    assert_eq!(status, 200, "post to {source} refused: {text}");
}

/// The `kills` of the next `n` kill events a client gets.
async fn next_kills(client: &mut Client, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    while out.len() < n {
        let (method, params) = client.note().await;
        if method != "onNewEvents" {
            continue;
        }
        for (name, data) in event_data(&params) {
            if name == "kill" {
                out.push(data["kills"].as_i64().expect("kills"));
            }
        }
    }
    out
}

#[tokio::test]
async fn two_matches_posting_at_once_reach_only_their_own_clients() {
    let server = Server::default().await;
    let mut one = server.client_of("match-1").await;
    let r1 = one.subscribe(&["kill"]).await;
    let mut two = server.client().await;
    let r2 = two
        .result(
            "setRequiredFeatures",
            Some(json!({"features": ["kill"], "source": "match-2"})),
        )
        .await;
    assert_ne!(r1["epoch"], r2["epoch"], "each source has its own epoch");
    for (source, base) in [("match-1", 0), ("match-2", 10)] {
        post_ok(&server, source, &kills(100, base)).await;
    }
    for k in 1..=3 {
        post_ok(&server, "match-1", &kills(100 + k, k)).await;
        post_ok(&server, "match-2", &kills(100 + k, 10 + k)).await;
    }
    assert_eq!(next_kills(&mut one, 3).await, [1, 2, 3]);
    assert_eq!(next_kills(&mut two, 3).await, [11, 12, 13]);

    let sources = one.result("listSources", None).await["sources"].clone();
    let ids: Vec<&str> = sources
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["source"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["default", "match-1", "match-2"]);
    for s in &sources.as_array().expect("array")[1..] {
        assert_eq!(s["running"], true, "{s}");
        assert_eq!(s["clients"], 1, "{s}");
        assert_eq!(s["mode"], "playing", "{s}");
        assert_eq!(s["matchId"], "7300000000", "{s}");
    }
    assert_eq!(
        sources[0]["default"], true,
        "two matches: the broker's own source stays the default"
    );

    let (status, body) = server.get("/api/sources").await;
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(listed["sources"].as_array().map(Vec::len), Some(3));
    let (status, body) = server.get("/status?source=match-2").await;
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&body).expect("json");
    assert_schema("status", &health);
    let kill = health["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == "kill"))
        .expect("kill");
    assert_eq!(kill["state"], 1, "match-2 has data: {kill}");
    let (_, body) = server.get("/status").await;
    let idle: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(idle["state"], 2, "the broker's own source has no data yet");
    let (_, body) = server.get("/api/overview?source=match-1").await;
    let overview: Value = serde_json::from_str(&body).expect("json");
    assert_schema("overview", &overview);
    assert_eq!(overview["source_id"], "match-1");
    assert_eq!(overview["mode"], "playing");
    server.shutdown().await;
}

#[tokio::test]
async fn one_match_under_its_own_id_is_everyones_default() {
    let server = Server::default().await;
    post_ok(&server, "solo", &lifecycle()[10]).await;
    // A watcher of the source learns when the body was published.
    let mut watcher = server.client_of("solo").await;
    watcher.subscribe(&["me"]).await;
    let snapshot = watcher.notification().await;
    assert_eq!(snapshot["params"]["info"]["me"]["hero"], "invoker");
    let mut plain = server.client().await;
    let running = plain.result("getRunningGameInfo", None).await;
    assert_eq!(running["isRunning"], true, "{running}");
    plain.subscribe(&["me"]).await;
    let snapshot = plain.notification().await;
    assert_eq!(snapshot["params"]["info"]["me"]["hero"], "invoker");
    server.shutdown().await;
}

#[tokio::test]
async fn sources_are_checked_bounded_and_fixed_per_connection() {
    let mut config = wardcast::Config::default();
    config.broker.max_sources = 3;
    let server = Server::start(config).await;

    let (status, text) = server.post_to("bad.id", &kills(1, 0)).await;
    assert_eq!(status, 404, "{text}");
    let refused = tokio_tungstenite::connect_async(format!("{}?source=a%20b", server.ws_url()));
    match within("connect", refused).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400)
        }
        other => panic!("expected 400, got {other:?}"),
    }

    post_ok(&server, "first", &kills(1, 0)).await;
    let mut client = server.client_of("second").await; // a watcher may name it before its game posts
    let (status, text) = server.post_to("third", &kills(1, 0)).await;
    assert_eq!(
        (status, text.contains("too many sources")),
        (404, true),
        "{text}"
    );

    // A subscribed connection stays on its source.
    client.subscribe(&["kill"]).await;
    let response = client
        .call(
            "setRequiredFeatures",
            Some(json!({"features": ["kill"], "source": "first"})),
        )
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_schema("response.error", &response);
    let same = client
        .result(
            "setRequiredFeatures",
            Some(json!({"features": ["kill"], "source": "second"})),
        )
        .await;
    assert_eq!(same["success"], true);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_of_a_source_resumes_in_that_source() {
    let server = Server::default().await;
    post_ok(&server, "m", &kills(100, 0)).await;
    let mut client = server.client().await;
    let result = client
        .result(
            "setRequiredFeatures",
            Some(json!({"features": ["kill"], "source": "m"})),
        )
        .await;
    let epoch = result["epoch"].clone();
    post_ok(&server, "m", &kills(101, 1)).await;
    let first = client.notification().await;
    let since = first["params"]["seq"].clone();
    drop(client);
    post_ok(&server, "m", &kills(102, 2)).await;
    post_ok(&server, "default", &kills(102, 7)).await;

    let mut back = server.client_of("m").await;
    let resumed = back
        .result(
            "resume",
            Some(json!({"features": ["kill"], "epoch": epoch, "since": since})),
        )
        .await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    assert_eq!(resumed["replayed"], 1);
    assert_eq!(next_kills(&mut back, 1).await, [2]);
    server.shutdown().await;
}
