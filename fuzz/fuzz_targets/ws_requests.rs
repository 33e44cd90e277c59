//! WebSocket frames → `wardcast_broker::serve_connection`, through the public API.
//!
//! Input: frames separated by 0xFF (a byte that never occurs in UTF-8). A frame
//! that is valid UTF-8 is sent as a Text message, with `@EPOCH@` replaced by the
//! broker's epoch so `resume` can succeed; the single byte 0xFE makes the broker
//! publish one batch (so subscriptions get frames to drain); anything else is a
//! Binary message. After the last frame the client sends Close.
//!
//! The connection runs over an in-memory stream/sink pair on a current-thread
//! tokio runtime with a paused clock (timers fire as soon as the runtime is idle,
//! so the request budget and the ping/idle timers are deterministic).
//!
//! Checked, besides "no panic": the session ends by itself; every Text message
//! the broker sends is a JSON-RPC 2.0 object; and every request frame (Text or
//! Binary) gets exactly one response (an object with `id` and `result` or
//! `error`), unless the broker closed the connection first.

#![no_main]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Sink, Stream};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wardcast_broker::{Batch, Broker, BrokerConfig, Catalogue};

/// Separates frames.
const SEP: u8 = 0xFF;
/// A frame of just this byte publishes a batch instead of sending a message.
const PUBLISH: u8 = 0xFE;
/// A session must end within this much (virtual) time after the client closes.
const SESSION_LIMIT: Duration = Duration::from_secs(600);

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
        catalogue: wardcast::catalogue(&Default::default()),
    })
}

/// Set `WARDCAST_FUZZ_DEBUG=1` to print what the broker sent (for reading a
/// crash or a seed: `cargo fuzz run ws_requests FILE`).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("WARDCAST_FUZZ_DEBUG").is_some())
}

/// What the client side does next.
enum Step {
    Send(Message),
    Publish,
}

/// The client end of an in-memory WebSocket: yields the scripted messages,
/// records what the broker sends.
struct Pipe {
    broker: Broker,
    script: VecDeque<Step>,
    published: u64,
    sent: Vec<Message>,
}

impl Stream for Pipe {
    type Item = Result<Message, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.script.pop_front() {
            None => Poll::Ready(None),
            Some(Step::Send(m)) => Poll::Ready(Some(Ok(m))),
            Some(Step::Publish) => {
                this.published += 1;
                this.broker
                    .publish(batch(this.broker.catalogue(), this.published));
                // Let the session see the batch before the next message.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl Sink<Message> for Pipe {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), WsError> {
        self.get_mut().sent.push(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Poll::Ready(Ok(()))
    }
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

fn run(data: &[u8]) {
    let fx = fixture();
    let broker = Broker::new(BrokerConfig::default(), fx.catalogue.clone()).expect("broker");
    // Something in the info store and the history before the client connects.
    broker.publish(batch(&fx.catalogue, 0));
    broker.set_game_running(true);
    broker.touch_game();

    let epoch = broker.epoch().to_string();
    let mut script = VecDeque::new();
    let mut requests = 0usize;
    for frame in data.split(|b| *b == SEP) {
        if frame == [PUBLISH] {
            script.push_back(Step::Publish);
            continue;
        }
        requests += 1;
        script.push_back(Step::Send(match std::str::from_utf8(frame) {
            Ok(text) => Message::text(text.replace("@EPOCH@", &epoch)),
            Err(_) => Message::binary(frame.to_vec()),
        }));
    }
    script.push_back(Step::Send(Message::Close(None)));

    let mut pipe = Pipe {
        broker: broker.clone(),
        script,
        published: 0,
        sent: Vec::new(),
    };
    let ended = fx.runtime.block_on(async {
        tokio::time::timeout(
            SESSION_LIMIT,
            wardcast_broker::serve_connection(
                broker.clone(),
                &mut pipe,
                wardcast_broker::Peer {
                    addr: "127.0.0.1:9".into(),
                    name: None,
                },
            ),
        )
        .await
    });
    assert!(ended.is_ok(), "session did not end after the client closed");
    assert_eq!(
        broker.client_count(),
        0,
        "session left its client registered"
    );

    let mut responses = 0usize;
    let mut closed_by_broker = false;
    for m in &pipe.sent {
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
            Message::Close(_) => closed_by_broker = true,
            Message::Binary(_) => panic!("broker sent a Binary message"),
            _ => {}
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
