//! The Rust example client (`examples/subscribe.rs`) against a real broker.
//! `cargo test` builds the examples before it runs the tests.

use std::process::Stdio;

use pretty_assertions::assert_eq;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::util::*;

fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/e2e-HASH → target/<profile>/examples/NAME
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile.join("examples").join(name)
}

#[tokio::test]
async fn the_subscribe_example_prints_events_and_names_itself() {
    let server = Server::default().await;
    let mut child = Command::new(example("subscribe"))
        .args([
            "--url",
            &server.ws_url(),
            "--features",
            "me,kill",
            "--count",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn examples/subscribe (built by cargo test)");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let ready = within("subscribed line", stderr.next_line())
        .await
        .expect("read")
        .expect("a line");
    assert_eq!(ready, r#"subscribed to ["me","kill"] (unsupported: [])"#);

    let (_, overview) = server.get("/api/overview").await;
    let overview: serde_json::Value = serde_json::from_str(&overview).expect("json");
    assert_eq!(overview["clients"][0]["name"], "subscribe.rs");

    server.post(&lifecycle()[10]).await;
    let out = within(
        "example exits after one notification",
        child.wait_with_output(),
    )
    .await
    .expect("wait");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let hero = lifecycle()[10]["hero"]["name"]
        .as_str()
        .expect("hero")
        .trim_start_matches("npc_dota_hero_")
        .to_string();
    assert!(
        stdout
            .lines()
            .any(|l| l.ends_with(&format!("info me.hero {hero}"))),
        "{stdout}"
    );
    server.shutdown().await;
}
