//! Nothing lost, nothing let in: resume, slow consumers, access, slowloris.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::*;

/// Posts `n` in-game bodies with a rising gold value and returns them.
async fn post_gold(server: &Server, from: i64, n: i64) {
    for i in from..from + n {
        let g = 600 + i;
        server
            .post(&in_game(
                100 + i,
                json!({"gold": g, "gold_reliable": 0, "gold_unreliable": g}),
            ))
            .await;
    }
}

/// Reads notifications until one of `feature` with gold `g` arrives; returns all seen.
async fn until_gold(client: &mut Client, g: i64) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let n = client.notification().await;
        let done = n["params"]["feature"] == "gold" && event_data(&n["params"])[0].1["gold"] == g;
        seen.push(n);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_client_that_reconnects_mid_match_resumes_without_loss() {
    reconnect_and_resume(Server::default().await).await;
}

/// The same through NATS JetStream (tournament mode).
#[cfg(feature = "nats")]
#[tokio::test]
async fn a_client_that_reconnects_mid_match_resumes_without_loss_federated() {
    if let Some((_nats, server)) = crate::federation::federated_server().await {
        reconnect_and_resume(server).await;
    }
}

async fn reconnect_and_resume(server: Server) {
    let mut observer = server.client().await;
    observer.subscribe(&["gold", "kill"]).await;
    let mut client = server.client().await;
    let result = client.subscribe(&["gold", "kill"]).await;
    let epoch = result["epoch"].as_str().expect("epoch").to_string();
    post_gold(&server, 0, 5).await;
    let seen = until_gold(&mut client, 604).await;
    let last_seq = seen.last().expect("seen")["params"]["seq"]
        .as_u64()
        .expect("seq");
    drop(client); // the overlay reloads

    // While it is away: more gold and a kill.
    post_gold(&server, 5, 5).await;
    server.post(&in_game(200, json!({"gold": 609, "gold_reliable": 0, "gold_unreliable": 609, "kills": 1, "kill_streak": 1}))).await;
    // Wait until the broker has published the kill, observed through another client.
    loop {
        let n = observer.notification().await;
        if n["params"]["feature"] == "kill" {
            break;
        }
    }

    let mut back = server.client().await;
    let resumed = back
        .result(
            "resume",
            Some(json!({"features": ["gold", "kill"], "epoch": epoch, "since": last_seq})),
        )
        .await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    let replayed = resumed["replayed"].as_u64().expect("replayed");
    let mut got = Vec::new();
    for _ in 0..replayed {
        let n = back.notification().await;
        got.push((
            n["params"]["feature"].clone(),
            event_data(&n["params"])[0].1.clone(),
        ));
    }
    let golds: Vec<i64> = got
        .iter()
        .filter(|(f, _)| f == "gold")
        .map(|(_, d)| d["gold"].as_i64().expect("gold"))
        .collect();
    assert_eq!(
        golds,
        vec![605, 606, 607, 608, 609],
        "every missed gold event once, in order"
    );
    assert!(
        got.iter().any(|(f, d)| f == "kill" && d["kills"] == 1),
        "the kill missed while away: {got:?}"
    );
    // Live again after the replay.
    post_gold(&server, 20, 1).await;
    until_gold(&mut back, 620).await;
    server.shutdown().await;
}

#[tokio::test]
async fn resume_after_a_restart_or_too_long_away_says_not_recovered_and_sends_a_snapshot() {
    let mut config = wardcast::Config::default();
    config.broker.history = wardcast_broker::HistoryLimits {
        max_notifications: 3,
        max_age: Duration::from_secs(300),
        max_bytes: 16 * 1024 * 1024,
    };
    let server = Server::start(config).await;
    let mut client = server.client().await;
    let result = client.subscribe(&["gold", "me"]).await;
    let epoch = result["epoch"].as_str().expect("epoch").to_string();
    post_gold(&server, 0, 8).await;
    until_gold(&mut client, 607).await;

    // The history kept only the last 3 notifications: since=1 is too old.
    let mut late = server.client().await;
    let r = late
        .result(
            "resume",
            Some(json!({"features": ["gold", "me"], "epoch": epoch, "since": 1})),
        )
        .await;
    assert_eq!(r["recovered"], false);
    let snapshot = late.notification().await;
    assert_eq!(snapshot["params"]["snapshot"], true);
    assert_eq!(snapshot["params"]["feature"], "me");

    // Another broker run (a restart): the old epoch cannot be resumed.
    let mut other = server.client().await;
    let r = other
        .result(
            "resume",
            Some(json!({"features": ["me"], "epoch": "an-earlier-run", "since": 5})),
        )
        .await;
    assert_eq!(
        (r["recovered"].clone(), r["success"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(other.notification().await["params"]["snapshot"], true);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_4008_and_the_others_get_everything() {
    slow_consumer(Server::start(slow_consumer_config()).await).await;
}

/// The same through NATS JetStream (tournament mode).
#[cfg(feature = "nats")]
#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_4008_and_the_others_get_everything_federated() {
    if let Some((_nats, server)) = crate::federation::federated_with(slow_consumer_config()).await {
        slow_consumer(server).await;
    }
}

fn slow_consumer_config() -> wardcast::Config {
    let mut config = wardcast::Config::default();
    config.broker.ring_capacity = 64;
    // The slow client reads again only at the end of the test; its last write
    // must still be pending then, so it can take the onError and the close.
    config.broker.write_timeout = std::time::Duration::from_secs(120);
    // Small kernel buffers on both ends, so a client that stops reading is
    // behind after a few hundred kilobytes rather than several megabytes.
    config.tcp_send_buffer = Some(8 * 1024);
    config
}

async fn slow_consumer(server: Server) {
    let mut fast = server.client().await;
    fast.subscribe(&["gold", "clock_time_changed"]).await;
    // The slow client subscribes, then never reads again.
    let mut slow = Client::connect_with_recv_buffer(&server, 8 * 1024).await;
    slow.subscribe(&["gold", "clock_time_changed"]).await;

    let rss_before = rss_kib();
    let n = 1500;
    let poster = async {
        for i in 0..n {
            let g = 1000 + i;
            let (status, _) = server
                .post_raw(
                    serde_json::to_vec(&in_game(
                        i,
                        json!({"gold": g, "gold_reliable": 0, "gold_unreliable": g}),
                    ))
                    .expect("json"),
                )
                .await;
            assert!(status == 200 || status == 503, "status {status}");
        }
    };
    let reader = async {
        let mut last = 0u64;
        let mut golds = Vec::new();
        while golds.last() != Some(&(1000 + n - 1)) {
            let note = fast.notification().await;
            let seq = note["params"]["seq"].as_u64().expect("seq");
            assert!(seq > last, "in order");
            last = seq;
            if note["params"]["feature"] == "gold" {
                golds.push(
                    event_data(&note["params"])[0].1["gold"]
                        .as_i64()
                        .expect("gold"),
                );
            }
        }
        golds
    };
    let ((), golds) = tokio::join!(poster, reader);
    // Every body the broker accepted reached the fast client, in order, once.
    assert!(golds.windows(2).all(|w| w[0] < w[1]));
    assert!(
        golds.len() as i64 >= n - 2,
        "the fast client got {} of {n}",
        golds.len()
    );

    // The slow one was told, then closed with 4008.
    let mut saw_error = false;
    let code = loop {
        match within("slow close", slow.ws_next()).await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                saw_error |= t.as_str().contains("slow_consumer");
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                break frame.map(|f| u16::from(f.code))
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(code, Some(4008));
    assert!(saw_error, "onError slow_consumer came before the close");
    let (_, metrics) = server.get("/metrics").await;
    assert!(
        metrics.contains("wardcast_slow_consumer_disconnects_total 1"),
        "{metrics}"
    );
    // The broker (in this process, with its clients) stayed bounded: the slow
    // client's backlog is capped by the ring and the kernel; nothing is
    // buffered for it in user space.
    let grown = rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "memory grew by {grown} KiB");
    server.shutdown().await;
}

#[tokio::test]
async fn access_token_and_origin_are_enforced() {
    let mut config = wardcast::Config::default();
    config.broker.access = wardcast_broker::AccessPolicy {
        token: Some("s3cret-token".into()),
        require_token: true,
        allowed_origins: vec!["https://overlay.example".into()],
    };
    let server = Server::start(config).await;
    let url = server.ws_url();
    let status_of = |r: Result<_, tokio_tungstenite::tungstenite::Error>| match r {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => 101,
    };
    let connect = |req: tokio_tungstenite::tungstenite::handshake::client::Request| async move {
        within("connect", tokio_tungstenite::connect_async(req))
            .await
            .map(|_| ())
    };
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let request = |url: &str, headers: &[(&'static str, &str)]| {
        let mut req = url.into_client_request().expect("request");
        for (k, v) in headers {
            req.headers_mut().insert(*k, v.parse().expect("header"));
        }
        req
    };
    assert_eq!(
        status_of(connect(request(&url, &[])).await),
        401,
        "no token"
    );
    assert_eq!(
        status_of(connect(request(&format!("{url}?token=wrong"), &[])).await),
        401
    );
    assert_eq!(
        status_of(connect(request(&format!("{url}?token=s3cret-token"), &[])).await),
        101
    );
    assert_eq!(
        status_of(connect(request(&url, &[("authorization", "Bearer s3cret-token")])).await),
        101
    );
    // A page on another site cannot read the game, even with the token.
    let evil = request(
        &format!("{url}?token=s3cret-token"),
        &[("origin", "https://evil.example")],
    );
    assert_eq!(status_of(connect(evil).await), 403);
    let allowed = request(
        &format!("{url}?token=s3cret-token"),
        &[("origin", "https://overlay.example")],
    );
    assert_eq!(status_of(connect(allowed).await), 101);
    let obs = request(&format!("{url}?token=s3cret-token"), &[("origin", "null")]);
    assert_eq!(status_of(connect(obs).await), 101);
    assert_eq!(server.get("/status").await.0, 401);
    assert_eq!(server.get("/status?token=s3cret-token").await.0, 200);
    assert_eq!(server.get("/healthz").await.0, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_sends_headers_too_slowly_is_cut_off() {
    let config = wardcast::Config {
        header_timeout: Duration::from_millis(300),
        ..wardcast::Config::default()
    };
    let server = Server::start(config).await;
    let mut tcp = within("connect", tokio::net::TcpStream::connect(server.addr))
        .await
        .expect("tcp");
    within("write", tcp.write_all(b"POST /gsi HTTP/1.1\r\nHost: x\r\n"))
        .await
        .expect("write");
    // Never finish the headers: the broker closes the connection (reads end).
    let mut buf = Vec::new();
    let read = within("closed", tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok() || buf.is_empty(), "connection ended");
    // The broker still serves everyone else.
    assert_eq!(server.get("/healthz").await.0, 200);
    server.shutdown().await;
}

/// This process's resident memory in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_dead_peer_is_found_by_keepalive_and_closed() {
    let mut config = wardcast::Config::default();
    config.broker.ping_interval = Duration::from_millis(100);
    config.broker.idle_timeout = Duration::from_millis(400);
    let server = Server::start(config).await;
    // A peer that completes the handshake and then never answers: raw TCP, so
    // no library answers the pings for it.
    let mut tcp = within("connect", tokio::net::TcpStream::connect(server.addr))
        .await
        .expect("tcp");
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    within("handshake", tcp.write_all(handshake.as_bytes()))
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let mut bytes = Vec::new();
    within(
        "the broker closes the dead peer",
        tcp.read_to_end(&mut bytes),
    )
    .await
    .expect("read");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    // Server frames are unmasked: a close frame is 0x88, its length, then the code.
    let close = bytes
        .windows(4)
        .any(|w| w[0] == 0x88 && w[2..4] == 1001u16.to_be_bytes());
    assert!(close, "closed with 1001 after pings went unanswered");
    assert!(bytes.contains(&0x89), "it was pinged first");
    assert!(started.elapsed() < Duration::from_secs(5));
    server.shutdown().await;
}
