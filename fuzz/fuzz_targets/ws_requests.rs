//! WebSocket frames → `wardcast_broker::serve_connection`, through the public API.
//!
//! Input: frames separated by 0xFF (a byte that never occurs in UTF-8). A frame
//! that is valid UTF-8 is sent as a Text message, with `@EPOCH@` replaced by the
//! broker's epoch so `resume` can succeed; the single byte 0xFE makes the broker
//! publish one batch (so subscriptions get frames to drain); anything else is a
//! Binary message. After the last frame the client sends Close.
//!
//! The connection runs over a `tokio::io::duplex` pair, each end wrapped in a
//! real `WebSocketStream` (the server end with the broker's own settings), on a
//! current-thread tokio runtime with a paused clock (timers fire as soon as the
//! runtime is idle, so the request budget and the ping/idle timers are
//! deterministic). The session runs as its own task; the client writes its
//! script and reads what the broker sends at the same time (joined futures),
//! so the broker never waits on a full pipe. Around a publish the client yields
//! a few times, so the session handles what came before and drains the batch
//! before the next message.
//!
//! Checked, besides "no panic": the session ends by itself; every Text message
//! the broker sends is a JSON-RPC 2.0 object; and every request frame (Text or
//! Binary) gets exactly one response (an object with `id` and `result` or
//! `error`), unless the broker closed the connection first (sent a Close
//! frame with a code: the client's own Close carries none, nor does its echo).
//! Since the broker writes pre-encoded frames straight to the socket, the
//! client end also checks that the bytes it reads are a well-formed WebSocket
//! stream (tungstenite decodes them: no protocol, UTF-8 or size error).

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use wardcast_broker::{Batch, Broker, BrokerConfig, Catalogue};

/// Separates frames.
const SEP: u8 = 0xFF;
/// A frame of just this byte publishes a batch instead of sending a message.
const PUBLISH: u8 = 0xFE;
/// A session must end within this much (virtual) time after the client closes.
const SESSION_LIMIT: Duration = Duration::from_secs(600);
/// The in-memory pipe's buffer, each way.
const PIPE: usize = 1 << 20;
/// How often the client yields before and after publishing a batch, so the
/// session handles what was sent before it and drains it before the next
/// message. Other frames are sent back to back (pipelined).
const SETTLE: usize = 4;

struct Fixture {
    runtime: Runtime,
    catalogue: Catalogue,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("tokio runtime"),
        catalogue: wardcast::catalogue(&wardcast_dota2::GAME, &Default::default()),
    })
}

/// Set `WARDCAST_FUZZ_DEBUG=1` to print what the broker sent (for reading a
/// crash or a seed: `cargo fuzz run ws_requests FILE`).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("WARDCAST_FUZZ_DEBUG").is_some())
}

/// The server end's settings: the same as the broker's own upgrade uses
/// (`ws_config` in crates/wardcast-broker/src/http.rs, which is private), so
/// the session runs as it does behind `/ws`: small read buffer, no write
/// buffering in tungstenite, and the client frame cap.
fn server_config(config: &BrokerConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(Some(config.max_client_frame))
        .max_frame_size(Some(config.max_client_frame))
}

/// What the client side does next.
enum Step {
    Send(Message),
    Publish,
}

/// What the client end read from the broker.
#[derive(Default)]
struct Received {
    messages: Vec<Message>,
    /// The error that ended the stream, if it did not end cleanly.
    error: Option<WsError>,
}

/// A batch like one snapshot's: a kill event and a few info keys.
fn batch(catalogue: &Catalogue, n: u64) -> Batch {
    let mut b = Batch::default();
    if let Some(kill) = catalogue.id("kill") {
        b.event(
            kill,
            "kill",
            json!({ "kills": n, "kill_streak": n, "label": "kill" }),
        );
    }
    if let Some(game) = catalogue.id("game") {
        b.info(game, "game", "game_state", json!("playing"));
        b.info(
            game,
            "game",
            "match_state",
            json!("DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"),
        );
    }
    if let Some(gold) = catalogue.id("gold") {
        b.event(gold, "gold", json!({ "gold": 600 + n }));
    }
    b
}

/// Lets the other tasks (the session) run.
async fn settle() {
    for _ in 0..SETTLE {
        tokio::task::yield_now().await;
    }
}

/// Runs one session over an in-memory pipe: the client sends `script` while it
/// reads everything the broker sends, until the stream ends.
async fn session(broker: Broker, script: Vec<Step>) -> Received {
    let (client_io, server_io) = tokio::io::duplex(PIPE);
    let config = server_config(&BrokerConfig::default());
    let server = WebSocketStream::from_raw_socket(server_io, Role::Server, Some(config)).await;
    let client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
    let task = tokio::spawn(wardcast_broker::serve_connection(
        broker.clone(),
        server,
        wardcast_broker::Peer {
            addr: "127.0.0.1:9".into(),
            name: None,
            source: None,
        },
    ));
    let (mut tx, mut rx) = client.split();
    let write = async {
        let mut published = 0;
        for step in script {
            match step {
                Step::Send(m) => {
                    // The broker may have closed first: then the rest is not sent.
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
                Step::Publish => {
                    // The session handles what was sent before, sees the
                    // batch, and drains it before the next message.
                    settle().await;
                    published += 1;
                    broker.publish(batch(broker.catalogue(), published));
                    settle().await;
                }
            }
        }
        let _ = tx.send(Message::Close(None)).await;
    };
    let read = async {
        let mut received = Received::default();
        while let Some(m) = rx.next().await {
            match m {
                Ok(m) => received.messages.push(m),
                Err(e) => {
                    received.error = Some(e);
                    break;
                }
            }
        }
        received
    };
    let ((), received) = futures::join!(write, read);
    if let Err(e) = task.await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("session task failed: {e}");
    }
    received
}

fn run(data: &[u8]) {
    let fx = fixture();
    let broker = Broker::new(BrokerConfig::default(), fx.catalogue.clone()).expect("broker");
    // Something in the info store and the history before the client connects.
    broker.publish(batch(&fx.catalogue, 0));
    broker.set_game_running(true);
    broker.touch_game();

    let epoch = broker.epoch().to_string();
    let mut script = Vec::new();
    let mut requests = 0usize;
    for frame in data.split(|b| *b == SEP) {
        if frame == [PUBLISH] {
            script.push(Step::Publish);
            continue;
        }
        requests += 1;
        script.push(Step::Send(match std::str::from_utf8(frame) {
            Ok(text) => Message::text(text.replace("@EPOCH@", &epoch)),
            Err(_) => Message::binary(frame.to_vec()),
        }));
    }

    let received = fx.runtime.block_on(async {
        tokio::time::timeout(SESSION_LIMIT, session(broker.clone(), script)).await
    });
    let Ok(received) = received else {
        panic!("session did not end after the client closed");
    };
    assert_eq!(
        broker.client_count(),
        0,
        "session left its client registered"
    );

    let mut responses = 0usize;
    let mut closed_by_broker = false;
    for m in &received.messages {
        if debug() {
            eprintln!("broker sent: {m:?}");
        }
        match m {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str())
                    .unwrap_or_else(|e| panic!("broker sent invalid JSON ({e}): {t}"));
                assert_eq!(
                    v.get("jsonrpc"),
                    Some(&json!("2.0")),
                    "not JSON-RPC 2.0: {t}"
                );
                if v.get("id").is_some() {
                    assert!(
                        v.get("result").is_some() != v.get("error").is_some(),
                        "a response needs exactly one of result and error: {t}"
                    );
                    responses += 1;
                } else {
                    assert!(
                        v.get("method").is_some(),
                        "neither response nor notification: {t}"
                    );
                }
            }
            // The echo of the client's own Close carries no code.
            Message::Close(Some(_)) => closed_by_broker = true,
            Message::Binary(_) => panic!("broker sent a Binary message"),
            _ => {}
        }
    }
    match &received.error {
        None => {}
        Some(e) => {
            if debug() {
                eprintln!("stream ended with: {e}");
            }
            // The broker may drop the socket (or have closed, so the client's
            // reply to its Close cannot be written); anything else means the
            // bytes it wrote are not a valid WebSocket stream.
            let benign = matches!(
                e,
                WsError::Io(_)
                    | WsError::ConnectionClosed
                    | WsError::AlreadyClosed
                    | WsError::Protocol(
                        tokio_tungstenite::tungstenite::error::ProtocolError::ResetWithoutClosingHandshake
                    )
            );
            assert!(benign, "the broker wrote a malformed WebSocket stream: {e}");
        }
    }
    if !closed_by_broker {
        assert_eq!(
            responses, requests,
            "{requests} requests got {responses} responses"
        );
    } else {
        assert!(
            responses <= requests,
            "{requests} requests got {responses} responses"
        );
    }
}

fuzz_target!(|data: &[u8]| run(data));
