//! Tournament mode end to end: an ingest and two edges federated over a real
//! nats-server on a free loopback port (skipped, saying so, without one; CI
//! requires it).

use serde_json::{json, Value};
use wardcast::federation::{FederationConfig, Role};
use wardcast_bus::server::NatsServer;

use crate::util::*;

fn node(nats: &NatsServer, role: Role) -> wardcast::Config {
    wardcast::Config {
        federation: Some(FederationConfig {
            bus: wardcast_bus::BusConfig {
                urls: vec![nats.url()],
                name: format!("test-{role:?}"),
                ..wardcast_bus::BusConfig::default()
            },
            role,
        }),
        ..wardcast::Config::default()
    }
}

/// One broker in tournament mode (`--role both`) over a fresh nats-server,
/// once its own source takes subscriptions; `None` (skipped) without a
/// nats-server. Tests written for one broker run on it unchanged: posts and
/// clients go to the same node, every batch through the stream.
pub async fn federated_server() -> Option<(NatsServer, Server)> {
    federated_with(wardcast::Config::default()).await
}

/// [`federated_server`] with `config`'s other settings.
pub async fn federated_with(config: wardcast::Config) -> Option<(NatsServer, Server)> {
    let nats = NatsServer::start().await?;
    let server = Server::start(wardcast::Config {
        federation: node(&nats, Role::Both).federation,
        ..config
    })
    .await;
    within("the broker's own source is ready", async {
        let mut probe = server.client().await;
        loop {
            if probe.subscribe(&["kill"]).await["success"] == true {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    Some((nats, server))
}

fn kills(clock: i64, kills: i64) -> Value {
    in_game(clock, json!({"kills": kills, "kill_streak": kills}))
}

/// Waits until `server` serves source `id` with data, and returns its summary.
async fn followed(server: &Server, id: &str) -> Value {
    within("the edge follows the source", async {
        let mut client = server.client().await;
        loop {
            let sources = client.result("listSources", None).await;
            if let Some(s) = sources["sources"].as_array().and_then(|l| {
                l.iter()
                    .find(|s| s["source"] == id && s["matchId"].is_string())
            }) {
                return s.clone();
            }
            // Polled, with the whole wait bounded by `within`.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
}

/// The `kills` of kill events until (and including) `last`.
async fn kills_until(client: &mut Client, last: i64) -> (Vec<i64>, u64) {
    let mut out = Vec::new();
    loop {
        let note = client.notification().await;
        let seq = note["params"]["seq"].as_u64().expect("seq");
        if note["method"] != "onNewEvents" {
            continue;
        }
        for (name, data) in event_data(&note["params"]) {
            if name == "kill" {
                out.push(data["kills"].as_i64().expect("kills"));
            }
        }
        if out.last() == Some(&last) {
            return (out, seq);
        }
    }
}

/// One ingest and one edge over a NATS server, source `m1` posted and
/// followed, and a client of the edge that has seen kill 1.
struct Running {
    ingest: Server,
    edge: Server,
    /// The edge's `listSources` summary of `m1`.
    before: Value,
    client: Client,
    /// The client's subscription result.
    result: Value,
    /// The seq of the client's kill 1.
    since: u64,
}

async fn running(nats: &NatsServer, features: &[&str]) -> Running {
    let ingest = Server::start(node(nats, Role::Ingest)).await;
    let edge = Server::start(node(nats, Role::Edge)).await;
    post(&ingest, &kills(100, 0)).await;
    let before = followed(&edge, "m1").await;
    let mut client = edge.client_of("m1").await;
    let result = client.subscribe(features).await;
    post(&ingest, &kills(101, 1)).await;
    let (seen, since) = kills_until(&mut client, 1).await;
    assert_eq!(seen, [1]);
    Running {
        ingest,
        edge,
        before,
        client,
        result,
        since,
    }
}

/// `resume`, retried while the node says the source is not ready yet (as
/// a client does), and its result.
async fn resume_when_ready(client: &mut Client, params: Value) -> Value {
    within("the source is ready", async {
        loop {
            let result = client.result("resume", Some(params.clone())).await;
            if result["success"] != false {
                return result;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
}

/// A post while the ingest cannot store (NATS away, an election, a lease
/// to wait for): answered 200 once stored, else 503 after a while, and kept
/// to be stored when it can be.
async fn post_held(server: &Server, body: &Value) {
    let (status, text) = server.post_to("m1", body).await;
    assert!(status == 200 || status == 503, "{status} {text}");
}

async fn post(server: &Server, body: &Value) {
    let (status, text) = server.post_to("m1", body).await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn a_client_resumes_on_another_edge_and_gets_exactly_what_it_missed() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    let one = Server::start(node(&nats, Role::Edge)).await;
    let two = Server::start(node(&nats, Role::Edge)).await;

    let (status, _) = one.post_to("m1", &kills(100, 0)).await;
    assert_eq!(status, 404, "an edge takes no GSI");
    post(&ingest, &kills(100, 0)).await;
    let seen_one = followed(&one, "m1").await;
    let seen_two = followed(&two, "m1").await;
    assert_eq!(
        seen_one["epoch"], seen_two["epoch"],
        "one epoch on every edge"
    );

    // The edge reports the health its ingest sent along, in /status and getFeatures.
    let (status, body) = one.get("/status?source=m1").await;
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&body).expect("json");
    assert_schema("status", &health);
    let state_of = |features: &Value, name: &str| {
        features
            .as_array()
            .and_then(|l| l.iter().find(|f| f["name"] == name))
            .map(|f| f["state"].clone())
    };
    assert_eq!(
        state_of(&health["features"], "kill"),
        Some(json!(1)),
        "{health}"
    );
    let mut client = one.client_of("m1").await;
    let features = client.result("getFeatures", None).await;
    assert_eq!(state_of(&features["features"], "kill"), Some(json!(1)));
    let result = client.subscribe(&["kill"]).await;
    let epoch = result["epoch"].clone();
    assert_eq!(epoch, seen_one["epoch"]);
    for k in 1..=2 {
        post(&ingest, &kills(100 + k, k)).await;
    }
    let (got, since) = kills_until(&mut client, 2).await;
    assert_eq!(got, [1, 2]);
    drop(client);

    for k in 3..=4 {
        post(&ingest, &kills(100 + k, k)).await;
    }
    let mut moved = two.client_of("m1").await;
    let resumed = moved
        .result(
            "resume",
            Some(json!({"features": ["kill"], "epoch": epoch, "since": since})),
        )
        .await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    let (missed, _) = kills_until(&mut moved, 4).await;
    assert_eq!(missed, [3, 4], "in order, once each, nothing before");

    // Late joiners on both edges, after the same last batch, get the same snapshot.
    let mut a = one.client_of("m1").await;
    a.subscribe(&["kill"]).await;
    post(&ingest, &kills(105, 5)).await;
    kills_until(&mut a, 5).await;
    kills_until(&mut moved, 5).await;
    let mut late_one = one.client_of("m1").await;
    let mut late_two = two.client_of("m1").await;
    let r1 = late_one
        .subscribe(&["me", "match_info", "scoreboard"])
        .await;
    let r2 = late_two
        .subscribe(&["me", "match_info", "scoreboard"])
        .await;
    assert_eq!(r1["seq"], r2["seq"]);
    let mut snaps = (Vec::new(), Vec::new());
    for _ in 0..3 {
        snaps.0.push(late_one.notification().await);
        snaps.1.push(late_two.notification().await);
    }
    assert_eq!(snaps.0, snaps.1, "the same snapshot on both edges");

    ingest.shutdown().await;
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn nats_down_for_five_seconds_loses_nothing_and_edges_keep_serving() {
    nats_down_for(5).await;
}

#[tokio::test]
async fn nats_down_for_thirty_seconds_loses_nothing_and_edges_keep_serving() {
    nats_down_for(30).await;
}

/// NATS stops for `seconds` (its store kept): the ingest holds what it
/// cannot store, edges serve what they hold, yellow, and catch up after.
async fn nats_down_for(seconds: u64) {
    let Some(mut nats) = NatsServer::start().await else {
        return;
    };
    let Running {
        ingest,
        edge,
        before,
        mut client,
        ..
    } = running(&nats, &["kill"]).await;

    nats.kill().await;
    // The game keeps posting; the ingest holds what it cannot store yet.
    post_held(&ingest, &kills(102, 2)).await;
    post_held(&ingest, &kills(103, 3)).await;
    // The edge keeps serving what it holds: a late joiner gets its snapshot.
    let mut late = edge.client_of("m1").await;
    let result = late.subscribe(&["me"]).await;
    assert_eq!(result["success"], true, "{result}");
    let snapshot = late.notification().await;
    assert_eq!(snapshot["params"]["info"]["me"]["hero"], "invoker");
    // ... and says why its health is yellow.
    let health = within("yellow while NATS is away", async {
        loop {
            let (_, body) = edge.get("/status?source=m1").await;
            let health: Value = serde_json::from_str(&body).expect("json");
            if health["state"] == 2 {
                return health;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        health.to_string().contains("NATS is unreachable"),
        "{health}"
    );
    // The outage itself (the scenario, not a synchronisation).
    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    nats.restart().await;

    assert_eq!(
        within("catch up after NATS is back", kills_until(&mut client, 3))
            .await
            .0,
        [2, 3],
        "in order, nothing lost, nothing twice"
    );
    let after = followed(&edge, "m1").await;
    assert_eq!(
        after["epoch"], before["epoch"],
        "file storage keeps the epoch"
    );
    ingest.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn a_second_ingest_is_refused_until_the_first_stops_then_takes_over() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let first = Server::start(node(&nats, Role::Ingest)).await;
    let second = Server::start(node(&nats, Role::Ingest)).await;
    let edge = Server::start(node(&nats, Role::Edge)).await;
    post(&first, &kills(100, 0)).await;
    let epoch = followed(&edge, "m1").await["epoch"].clone();
    let mut client = edge.client_of("m1").await;
    client.subscribe(&["kill"]).await;
    post(&first, &kills(101, 1)).await;
    assert_eq!(kills_until(&mut client, 1).await.0, [1]);

    // A second observer PC posting the same source: it holds no lease, so
    // nothing of it reaches the stream while the first one writes.
    let (status, text) = second.post_to("m1", &kills(101, 50)).await;
    assert_eq!(status, 503, "refused, so not stored: {text}");
    let refused = within("the second ingest says it is refused", async {
        loop {
            let (_, body) = second.get("/status?source=m1").await;
            let health: Value = serde_json::from_str(&body).expect("json");
            if health["state"] == 3 {
                return health;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        refused.to_string().contains("written by another ingest"),
        "{refused}"
    );
    post(&first, &kills(102, 2)).await;
    assert_eq!(
        kills_until(&mut client, 2).await.0,
        [2],
        "only the owner's batches"
    );

    // The owner stops (and gives its lease up): the second one takes over
    // in the same epoch, its first body a baseline, then its kills.
    first.shutdown().await;
    post_held(&second, &kills(103, 51)).await;
    assert_eq!(
        within("the second ingest takes over", kills_until(&mut client, 51))
            .await
            .0,
        [51]
    );
    assert_eq!(followed(&edge, "m1").await["epoch"], epoch);
    second.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn an_edge_says_not_ready_until_the_source_has_a_stream() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    let edge = Server::start(node(&nats, Role::Edge)).await;
    let mut client = edge.client_of("later").await;
    let result = client.subscribe(&["kill"]).await;
    assert_eq!(result["success"], false, "{result}");
    assert!(
        result["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not ready")),
        "{result}"
    );
    let (status, text) = ingest.post_to("later", &kills(100, 0)).await;
    assert_eq!(status, 200, "{text}");
    followed(&edge, "later").await;
    let result = client.subscribe(&["kill"]).await;
    assert_eq!(result["success"], true, "ready once followed: {result}");
    ingest.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn a_restarted_ingest_goes_on_in_the_same_epoch_without_repeating_anything() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let edge = Server::start(node(&nats, Role::Edge)).await;
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    post(&ingest, &kills(100, 0)).await;
    let epoch = followed(&edge, "m1").await["epoch"].clone();
    let mut client = edge.client_of("m1").await;
    client.subscribe(&["kill", "me"]).await;
    client.notification().await; // the `me` snapshot
    post(&ingest, &kills(101, 1)).await;
    assert_eq!(kills_until(&mut client, 1).await.0, [1]);
    ingest.shutdown().await;

    // A new ingest process for the source: same epoch, the stream goes on,
    // its first body is a baseline (no kill again) and unchanged info
    // (`me`) does not fire again; the next kill does.
    let again = Server::start(node(&nats, Role::Ingest)).await;
    post(&again, &kills(102, 1)).await;
    post(&again, &kills(103, 2)).await;
    let mut seen = Vec::new();
    loop {
        let note = client.notification().await;
        let feature = note["params"]["feature"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if feature == "kill" {
            let (got, _) = event_data(&note["params"])
                .into_iter()
                .map(|(_, d)| (d["kills"].clone(), ()))
                .unzip::<_, _, Vec<Value>, Vec<()>>();
            seen.extend(got);
            if seen.contains(&json!(2)) {
                break;
            }
        } else {
            seen.push(json!(feature));
        }
    }
    assert_eq!(seen, [json!(2)], "only the new kill: nothing repeated");
    assert_eq!(followed(&edge, "m1").await["epoch"], epoch);
    again.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn an_edge_started_while_nats_is_down_serves_at_once_and_catches_up() {
    let Some(mut nats) = NatsServer::start().await else {
        return;
    };
    nats.kill().await;
    let edge = Server::start(node(&nats, Role::Edge)).await;
    let mut client = edge.client_of("m1").await;
    let features = client.result("getFeatures", None).await;
    assert!(features["features"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
    let result = client.subscribe(&["kill"]).await;
    assert_eq!(result["success"], false, "not ready without NATS: {result}");
    let (_, body) = edge.get("/status?source=m1").await;
    assert!(body.contains("NATS is unreachable"), "{body}");

    nats.restart().await;
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    post(&ingest, &kills(100, 0)).await;
    followed(&edge, "m1").await;
    let result = client.subscribe(&["kill"]).await;
    assert_eq!(result["success"], true, "{result}");
    post(&ingest, &kills(101, 1)).await;
    assert_eq!(kills_until(&mut client, 1).await.0, [1]);
    ingest.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn clients_of_an_edge_that_goes_away_resume_on_another() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    let doomed = Server::start(node(&nats, Role::Edge)).await;
    let other = Server::start(node(&nats, Role::Edge)).await;
    post(&ingest, &kills(100, 0)).await;
    followed(&doomed, "m1").await;
    followed(&other, "m1").await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut c = doomed.client_of("m1").await;
        let epoch = c.subscribe(&["kill"]).await["epoch"].clone();
        clients.push((c, epoch));
    }
    post(&ingest, &kills(101, 1)).await;
    let mut positions = Vec::new();
    for (c, epoch) in &mut clients {
        let (got, since) = kills_until(c, 1).await;
        assert_eq!(got, [1]);
        positions.push((epoch.clone(), since));
    }
    doomed.shutdown().await;
    for (c, _) in &mut clients {
        assert_eq!(
            c.close_code().await,
            Some(1001),
            "told the edge is going away"
        );
    }
    post(&ingest, &kills(102, 2)).await;
    for (epoch, since) in positions {
        let mut c = other.client_of("m1").await;
        let resumed = c
            .result(
                "resume",
                Some(json!({"features": ["kill"], "epoch": epoch, "since": since})),
            )
            .await;
        assert_eq!(resumed["recovered"], true, "{resumed}");
        assert_eq!(
            kills_until(&mut c, 2).await.0,
            [2],
            "exactly the missed kill"
        );
    }
    ingest.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn nats_back_after_five_seconds_without_its_store_starts_the_source_over() {
    store_lost_after(5).await;
}

#[tokio::test]
async fn nats_back_after_thirty_seconds_without_its_store_starts_the_source_over() {
    store_lost_after(30).await;
}

/// NATS stops for `seconds` and comes back with nothing (no stream, no
/// checkpoint, no lease): the ingest makes the stream anew in a new epoch
/// with the state it holds, the edge's clients are closed with 4010 and
/// resume with `recovered: false` and that state.
async fn store_lost_after(seconds: u64) {
    let Some(mut nats) = NatsServer::start().await else {
        return;
    };
    let Running {
        ingest,
        edge,
        before,
        mut client,
        result,
        since,
    } = running(&nats, &["kill", "me"]).await;

    nats.kill().await;
    // The game posts on: the ingest holds it while NATS is away.
    post_held(&ingest, &kills(102, 2)).await;
    // The outage itself (the scenario, not a synchronisation).
    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    // NATS comes back with nothing. The ingest finds the stream gone, makes
    // it anew in a new epoch with the state it holds, then this kill.
    nats.restart_empty().await;
    assert_eq!(
        within("closed by the reset", client.close_code()).await,
        Some(4010),
        "the edge's clients are told their seqs mean nothing now"
    );
    let after = within("the edge follows the new stream", async {
        loop {
            let summary = followed(&edge, "m1").await;
            if summary["epoch"] != before["epoch"] {
                return summary;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_ne!(after["epoch"], result["epoch"]);

    // A client resuming in the old epoch gets recovered:false and the
    // source's state afresh, then what comes next.
    let mut again = edge.client_of("m1").await;
    let params = json!({"features": ["kill", "me"], "epoch": result["epoch"], "since": since});
    let resumed = resume_when_ready(&mut again, params).await;
    assert_eq!(resumed["recovered"], false, "{resumed}");
    assert_eq!(resumed["epoch"], after["epoch"], "{resumed}");
    let snapshot = loop {
        let note = again.notification().await;
        if note["method"] == "onInfoUpdates2" && note["params"]["feature"] == "me" {
            break note;
        }
    };
    assert_eq!(
        snapshot["params"]["info"]["me"]["hero"], "invoker",
        "{snapshot}"
    );
    post(&ingest, &kills(103, 3)).await;
    let (seen, _) = kills_until(&mut again, 3).await;
    assert_eq!(seen.last(), Some(&3));
    assert!(
        seen == [3] || seen == [2, 3],
        "once each, in order: {seen:?}"
    );
    ingest.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn a_cold_edge_reads_back_the_stream_so_clients_resume_from_before_it_started() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    let one = Server::start(node(&nats, Role::Edge)).await;
    post(&ingest, &kills(100, 0)).await;
    followed(&one, "m1").await;
    let mut client = one.client_of("m1").await;
    let epoch = client.subscribe(&["kill"]).await["epoch"].clone();
    post(&ingest, &kills(101, 1)).await;
    let (_, since) = kills_until(&mut client, 1).await;
    drop(client);

    // More batches than the ingest's checkpoint interval (100): the newest
    // checkpoint is after the client's last seq.
    let last = 130;
    for k in 2..=last {
        post(&ingest, &kills(100 + k, k)).await;
    }
    // An edge that starts now restores that checkpoint and reads the
    // batches before it back from the stream, into its history.
    let two = Server::start(node(&nats, Role::Edge)).await;
    followed(&two, "m1").await;
    let mut moved = two.client_of("m1").await;
    let params = json!({"features": ["kill"], "epoch": epoch, "since": since});
    let resumed = resume_when_ready(&mut moved, params).await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    let (missed, _) = kills_until(&mut moved, last).await;
    assert_eq!(
        missed,
        (2..=last).collect::<Vec<_>>(),
        "exactly what it missed, in order"
    );
    ingest.shutdown().await;
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn two_matches_through_one_ingest_reach_only_their_own_clients_on_every_edge() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    let one = Server::start(node(&nats, Role::Edge)).await;
    let two = Server::start(node(&nats, Role::Edge)).await;
    for (source, base) in [("m1", 0), ("m2", 10)] {
        let (status, text) = ingest.post_to(source, &kills(100, base)).await;
        assert_eq!(status, 200, "{text}");
    }
    let mut clients = Vec::new();
    for edge in [&one, &two] {
        for source in ["m1", "m2"] {
            followed(edge, source).await;
            let mut client = edge.client_of(source).await;
            assert_eq!(client.subscribe(&["kill"]).await["success"], true);
            clients.push((source, client));
        }
    }
    // Both matches post at once.
    for k in 1..=3 {
        let (one_body, two_body) = (kills(100 + k, k), kills(100 + k, 10 + k));
        let (a, b) = tokio::join!(
            ingest.post_to("m1", &one_body),
            ingest.post_to("m2", &two_body)
        );
        assert_eq!((a.0, b.0), (200, 200));
    }
    for (source, client) in &mut clients {
        let expected: Vec<i64> = if *source == "m1" {
            vec![1, 2, 3]
        } else {
            vec![11, 12, 13]
        };
        let last = expected[2];
        assert_eq!(kills_until(client, last).await.0, expected, "{source}");
    }
    // A client naming no source gets the default: on an edge as on one
    // broker, the ingest's own unused source is no match, so with two
    // matches there is none to pick ...
    let mut anyone = one.client().await;
    let listed = anyone.result("listSources", None).await;
    assert!(
        listed["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .all(|s| s["default"] != true || s["source"] == "default"),
        "{listed}"
    );
    let ids: Vec<&str> = listed["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert!(ids.contains(&"m1") && ids.contains(&"m2"), "{listed}");
    // The edges measured how old the game data was when they wrote it (the
    // ingest stamped when each body arrived).
    for edge in [&one, &two] {
        let (_, metrics) = edge.get("/metrics").await;
        let count = metrics
            .lines()
            .find_map(|l| l.strip_prefix("wardcast_ingest_to_send_seconds_count "))
            .and_then(|v| v.parse::<f64>().ok());
        assert!(count.is_some_and(|c| c >= 6.0), "{metrics}");
    }
    ingest.shutdown().await;
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn a_lone_match_is_the_default_on_an_edge_as_on_one_broker() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let ingest = Server::start(node(&nats, Role::Ingest)).await;
    let edge = Server::start(node(&nats, Role::Edge)).await;
    post(&ingest, &kills(100, 0)).await;
    let m1 = followed(&edge, "m1").await;
    let mut client = edge.client().await;
    let result = within("the edge has caught up", async {
        loop {
            let result = client.subscribe(&["kill"]).await;
            if result["epoch"] == m1["epoch"] {
                return result;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(result["success"], true, "{result}");
    post(&ingest, &kills(101, 1)).await;
    assert_eq!(kills_until(&mut client, 1).await.0, [1]);
    ingest.shutdown().await;
    edge.shutdown().await;
}

#[tokio::test]
async fn in_a_three_node_cluster_losing_the_stream_leader_loses_nothing() {
    let Some(mut cluster) = NatsServer::cluster(3).await else {
        return;
    };
    let bus = wardcast_bus::BusConfig {
        urls: cluster.iter().map(NatsServer::url).collect(),
        replicas: 3,
        name: "test-cluster".into(),
        ..wardcast_bus::BusConfig::default()
    };
    let on_cluster = |role| wardcast::Config {
        federation: Some(FederationConfig {
            bus: bus.clone(),
            role,
        }),
        ..wardcast::Config::default()
    };
    let ingest = Server::start(on_cluster(Role::Ingest)).await;
    let edge = Server::start(on_cluster(Role::Edge)).await;
    post_held(&ingest, &kills(100, 0)).await;
    let epoch = followed(&edge, "m1").await["epoch"].clone();
    let mut client = edge.client_of("m1").await;
    client.subscribe(&["kill"]).await;
    for k in 1..=3 {
        post_held(&ingest, &kills(100 + k, k)).await;
    }
    assert_eq!(kills_until(&mut client, 3).await.0, [1, 2, 3]);

    // Kill the server that leads the source's (R3) stream.
    let probe = within("connect", wardcast_bus::Bus::connect(&bus))
        .await
        .expect("connect");
    let leader = within("leader", probe.stream_leader("m1"))
        .await
        .expect("stream info")
        .expect("a clustered stream has a leader");
    let server = cluster
        .iter_mut()
        .find(|s| s.name() == Some(leader.as_str()))
        .expect("the leader is one of ours");
    server.kill().await;

    // The game posts on while the other two elect a new leader (NATS's
    // election timeout is 4 to 9 s); then publishes resume, the edge goes on.
    for k in 4..=6 {
        post_held(&ingest, &kills(100 + k, k)).await;
    }
    let elected = async {
        loop {
            if let Ok(Some(now)) = probe.stream_leader("m1").await {
                if now != leader {
                    return now;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let new_leader = tokio::time::timeout(std::time::Duration::from_secs(30), elected)
        .await
        .expect("a new leader within 30 s");
    assert_eq!(
        within("after the election", kills_until(&mut client, 6))
            .await
            .0,
        [4, 5, 6],
        "in order, nothing lost, nothing twice"
    );
    assert_eq!(
        followed(&edge, "m1").await["epoch"],
        epoch,
        "the same epoch"
    );
    assert_eq!(
        within("leader", probe.stream_leader("m1"))
            .await
            .expect("stream info"),
        Some(new_leader)
    );
    ingest.shutdown().await;
    edge.shutdown().await;
}
