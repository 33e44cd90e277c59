//! The `wardcast` binary as a user runs it: `demo` streams events, `replay`
//! posts a recording, SIGTERM closes clients with 1001.

use std::process::Stdio;

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::util::*;

fn wardcast() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wardcast"));
    cmd.kill_on_drop(true).env("RUST_LOG", "warn");
    cmd
}

/// Starts `wardcast <args>` and returns it with the address it printed.
async fn spawn_server(args: &[&str]) -> (Child, String) {
    let mut child = wardcast()
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn wardcast");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = within("banner", lines.next_line())
        .await
        .expect("read")
        .expect("a banner line");
    let addr = first.rsplit(' ').next().expect("address").to_string();
    assert!(first.contains("listening on"), "{first}");
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test]
async fn demo_streams_a_match_and_sigterm_closes_with_1001() {
    let (mut child, addr) =
        spawn_server(&["demo", "--listen", "127.0.0.1:0", "--speed", "25"]).await;
    let mut client = Client::connect(&format!("ws://{addr}/ws")).await;
    client
        .subscribe(&["kill", "me", "game_state_changed"])
        .await;
    let mut saw = (false, false, false);
    while !(saw.0 && saw.1 && saw.2) {
        let (method, params) = client.note().await;
        match (method.as_str(), params["feature"].as_str()) {
            ("onNewEvents", Some("kill")) => saw.0 = true,
            ("onInfoUpdates2", Some("me")) => {
                saw.1 = params["info"]["me"].get("hero").is_some() || saw.1
            }
            ("onNewEvents", Some("game_state_changed")) => saw.2 = true,
            _ => {}
        }
    }
    sigterm(&child);
    assert_eq!(client.close_code().await, Some(1001));
    let status = within("exit", child.wait()).await.expect("wait");
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn replaying_the_lifecycle_sample_gives_the_documented_sequence() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let all: Vec<&str> = vec![
        "game_state_changed",
        "match_state_changed",
        "match_ended",
        "kill",
        "assist",
        "death",
        "cs",
        "xpm",
        "gpm",
        "gold",
        "hero_leveled_up",
        "me",
        "game",
        "match_info",
    ];
    client.subscribe(&all).await;
    let sample = repo().join("games/dota2/tests/sequences/player_lifecycle_12.json");
    let output = within(
        "replay",
        wardcast()
            .arg("replay")
            .arg(&sample)
            .args(["--target", &server.gsi_url(), "--interval-ms", "5"])
            .output(),
    )
    .await
    .expect("run replay");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "replay failed: {stderr}");
    // stderr is a pipe, not a terminal: plain progress lines (no bar, no
    // carriage returns), one per tenth of the bodies, then the summary.
    assert!(!stderr.contains('\r'), "{stderr:?}");
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("replay: ") && l.contains("/12 posted, 0 refused ("))
        .collect();
    assert!(
        progress.len() >= 5 && progress.iter().all(|l| l.ends_with(" s left)")),
        "{stderr}"
    );
    assert!(progress
        .last()
        .is_some_and(|l| l.starts_with("replay: 12/12 posted")));
    let summary = stderr.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("replay: done, 12 posted in ")
            && summary.ends_with(" s: 12 accepted, 0 refused"),
        "{stderr}"
    );

    let mut got = Vec::new();
    loop {
        let (method, mut params) = client.note().await;
        let done = params["feature"] == "match_ended";
        if let Some(p) = params.as_object_mut() {
            // The pseudo match id is a UUID derived from the match id: check its shape only.
            if let Some(id) = p
                .get_mut("info")
                .and_then(|i| i.pointer_mut("/match_info/pseudo_match_id"))
            {
                assert!(id.as_str().is_some_and(|s| s.len() == 36));
                *id = json!("<uuid>");
            }
        }
        got.push(json!({"method": method, "params": params}));
        if done {
            break;
        }
    }
    let path = repo().join("tests/e2e/expected/replay_lifecycle_12.json");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&got).expect("json") + "\n",
        )
        .expect("write");
    }
    let expected: Value = read_json(&path);
    assert_eq!(Value::Array(got), expected);
    server.shutdown().await;
}

/// Runs `wardcast discover --json` on `mdns_port` until it lists a broker on
/// `port` (each run listens 2 s; mDNS probing delays a new announcement).
async fn discover(mdns_port: u16, port: u16) -> Option<Value> {
    for _ in 0..5 {
        let out = within(
            "discover",
            wardcast()
                .args(["discover", "--json", "--timeout", "2"])
                .args(["--mdns-port", &mdns_port.to_string()])
                .output(),
        )
        .await
        .expect("run discover");
        assert!(out.status.success(), "{out:?}");
        let found: Value = serde_json::from_slice(&out.stdout).expect("discover prints JSON");
        if let Some(hit) = found
            .as_array()
            .into_iter()
            .flatten()
            .find(|b| b["port"] == port)
        {
            return Some(hit.clone());
        }
    }
    None
}

#[tokio::test]
async fn a_lan_broker_is_advertised_over_mdns_and_discover_finds_it() {
    // A private mDNS port, so the test neither meets nor disturbs real brokers.
    let mdns_port = 20_000 + (std::process::id() % 20_000) as u16;
    let dir = std::env::temp_dir().join(format!("wardcast-mdns-{}", std::process::id()));
    let token_file = dir.join("token");
    let token_arg = token_file.to_str().expect("utf-8 path");
    let (child, addr) = spawn_server(&[
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--token-file",
        token_arg,
        "--mdns-port",
        &mdns_port.to_string(),
    ])
    .await;
    let port: u16 = addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let found = discover(mdns_port, port).await.expect("the broker answers");
    assert_eq!(found["txt"]["path"], "/ws");
    assert_eq!(found["txt"]["token"], "required");
    assert_eq!(found["txt"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        !found.to_string().contains(
            std::fs::read_to_string(&token_file)
                .expect("token file")
                .trim()
        ),
        "the token itself is never advertised"
    );
    // Every advertised URL is the broker's; the loopback one is reachable here.
    let urls: Vec<&str> = found["ws_urls"]
        .as_array()
        .expect("urls")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let local = urls
        .iter()
        .find(|u| u.starts_with("ws://127.0.0.1:"))
        .copied()
        .or_else(|| urls.first().copied())
        .expect("a URL");
    let token = std::fs::read_to_string(&token_file).expect("token");
    let mut client = Client::connect(&format!("{local}?token={}", token.trim())).await;
    client.subscribe(&["kill"]).await;
    drop(client);
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Beyond loopback without a GSI token, `serve` warns; at `RUST_LOG=trace`,
/// with wrong tokens posted and presented, no secret reaches the logs; and
/// `--allow-origin` lets that page's WebSocket in while others get 403.
#[tokio::test]
async fn lan_serve_warns_keeps_secrets_out_of_the_logs_and_honours_allow_origin() {
    let dir = std::env::temp_dir().join(format!("wardcast-secrets-{}", std::process::id()));
    let token_file = dir.join("token");
    let mut child = wardcast()
        .env("RUST_LOG", "trace")
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--no-mdns",
            "--token-file",
            token_file.to_str().expect("utf-8 path"),
            "--allow-origin",
            "https://overlay.example",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wardcast");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = within("banner", stdout.next_line())
        .await
        .expect("read")
        .expect("banner");
    let port = first.rsplit(':').next().expect("port").to_string();
    let banner = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Some(line)) = stdout.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let stderr = child.stderr.take().expect("stderr");
    let logs = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut text = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let token = within("token file", async {
        loop {
            match std::fs::read_to_string(&token_file) {
                Ok(t) if !t.trim().is_empty() => break t.trim().to_string(),
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    let ws = format!("ws://127.0.0.1:{port}/ws");

    // Wrong secrets, presented the ways a client or the game would.
    let http = reqwest_lite::Client::new();
    let mut wrong = in_game(100, json!({}));
    wrong["auth"] = json!({"token": "wrong-gsi-secret-123"});
    let (status, _) = within(
        "post",
        http.post(
            &format!("http://127.0.0.1:{port}/gsi"),
            serde_json::to_vec(&wrong).expect("json"),
        ),
    )
    .await;
    assert_eq!(status, 200, "no GSI token is set: the post is taken");
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let connect = |origin: Option<&str>, query: &str| {
        let mut request = format!("{ws}{query}")
            .into_client_request()
            .expect("request");
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().expect("header"));
        }
        async move {
            match within("connect", tokio_tungstenite::connect_async(request)).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
                Err(e) => panic!("connect: {e}"),
            }
        }
    };
    assert_eq!(connect(Some("https://evil.example"), "").await, 403);
    assert_eq!(connect(Some("https://overlay.example"), "").await, 101);
    let with_token = format!("?token={token}");
    assert_eq!(
        connect(Some("https://overlay.example"), &with_token).await,
        101
    );
    assert_eq!(
        connect(None, "?token=wrong-access-secret-456").await,
        101,
        "loopback"
    );

    sigterm(&child);
    let status = within("exit", child.wait()).await.expect("wait");
    assert!(status.success(), "{status}");
    let logs = within("logs", logs).await.expect("logs");
    let banner = within("stdout", banner).await.expect("stdout");
    assert!(
        logs.contains("listening beyond loopback without a GSI token"),
        "the LAN warning: {logs}"
    );
    for secret in [
        token.as_str(),
        "wrong-gsi-secret-123",
        "wrong-access-secret-456",
    ] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
    // The access token is printed for the user at start (stdout, not the logs).
    assert!(
        banner.contains(&token) || first.contains(&token),
        "the banner shows the access token: {first}\n{banner}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
