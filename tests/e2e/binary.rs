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
    let sample = repo().join("crates/wardcast-engine/tests/sequences/player_lifecycle_12.json");
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
    assert!(
        stderr.contains("12 posted") && stderr.contains("12 accepted"),
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
