//! A Rust client: connects to a Wardcast broker, subscribes, and prints every
//! event and info update as one line. The typed messages come from
//! `wardcast_broker::protocol`, the same contract as `protocol/`.
//!
//! ```sh
//! cargo run --release -- demo &                     # a broker playing the demo match
//! cargo run --example subscribe -- --features kill,death,me
//! cargo run --example subscribe -- --url ws://192.168.1.20:7314/ws?token=TOKEN --count 20
//! ```
//!
//! Without `--features` it asks `getFeatures` and subscribes to every supported
//! feature. It exits after `--count` event/info notifications, when the broker closes the
//! connection, or on Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wardcast_broker::protocol::{GetFeaturesResult, Notification, NotificationMessage};

/// Print a Wardcast broker's events and info updates, one line each.
#[derive(Debug, Parser)]
struct Args {
    /// The broker's WebSocket URL (add ?token=TOKEN from another machine).
    #[arg(long, default_value = "ws://127.0.0.1:7314/ws")]
    url: String,
    /// Features to subscribe to, comma-separated (default: every supported one).
    #[arg(long, value_delimiter = ',')]
    features: Vec<String>,
    /// Exit after this many event/info notifications (default: run until closed).
    #[arg(long)]
    count: Option<u64>,
    /// Ask for JSON values rather than Overwolf's strings.
    #[arg(long)]
    object: bool,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a request may wait for its response.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("subscribe: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let url = with_client_name(&args.url);
    let (mut ws, _) = tokio::time::timeout(CALL_TIMEOUT, tokio_tungstenite::connect_async(&url))
        .await
        .map_err(|_| format!("connecting to {url} timed out"))?
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;

    let features = if args.features.is_empty() {
        let result = call(&mut ws, 1, "getFeatures", None).await?;
        let catalogue: GetFeaturesResult =
            serde_json::from_value(result).map_err(|e| format!("bad getFeatures result: {e}"))?;
        catalogue
            .features
            .into_iter()
            .filter(|f| f.supported)
            .map(|f| f.name)
            .collect()
    } else {
        args.features.clone()
    };
    let format = if args.object { "object" } else { "string" };
    let result = call(
        &mut ws,
        2,
        "setRequiredFeatures",
        Some(json!({"features": features, "dataFormat": format})),
    )
    .await?;
    eprintln!(
        "subscribed to {} (unsupported: {})",
        result["supportedFeatures"], result["unsupportedFeatures"]
    );

    let mut seen = 0u64;
    while args.count.is_none_or(|n| seen < n) {
        let next = tokio::select! {
            next = ws.next() => next,
            _ = tokio::signal::ctrl_c() => break,
        };
        let text = match next {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                eprintln!("closed by the broker: {frame:?}");
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("connection failed: {e}")),
            None => break,
        };
        // Responses to our calls carry an id; only notifications are printed.
        let Ok(message) = serde_json::from_str::<NotificationMessage>(&text) else {
            continue;
        };
        print_notification(&message.notification);
        if matches!(
            message.notification,
            Notification::NewEvents(_) | Notification::InfoUpdates2(_)
        ) {
            seen += 1;
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// Names this client on the broker's dashboard, unless the URL already does.
fn with_client_name(url: &str) -> String {
    if url.contains("client=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&client=subscribe.rs")
    } else {
        format!("{url}?client=subscribe.rs")
    }
}

/// Sends one request and waits for its response, printing notifications that
/// arrive meanwhile.
async fn call(ws: &mut Ws, id: u64, method: &str, params: Option<Value>) -> Result<Value, String> {
    let mut request = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if let Some(params) = params {
        request["params"] = params;
    }
    ws.send(Message::text(request.to_string()))
        .await
        .map_err(|e| format!("send {method}: {e}"))?;
    let wait = async {
        while let Some(message) = ws.next().await {
            let Ok(Message::Text(text)) = message else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if value["id"] == id {
                if let Some(error) = value.get("error") {
                    return Err(format!("{method} failed: {error}"));
                }
                return Ok(value["result"].clone());
            }
        }
        Err(format!(
            "the connection closed before {method} was answered"
        ))
    };
    tokio::time::timeout(CALL_TIMEOUT, wait)
        .await
        .map_err(|_| format!("{method} timed out"))?
}

fn print_notification(notification: &Notification) {
    match notification {
        Notification::NewEvents(events) => {
            for event in &events.events {
                println!(
                    "#{} event {} {}",
                    events.seq,
                    event.name,
                    compact(&event.data)
                );
            }
        }
        Notification::InfoUpdates2(info) => {
            for (category, keys) in &info.info {
                for (key, value) in keys.as_object().into_iter().flatten() {
                    println!("#{} info {category}.{key} {}", info.seq, compact(value));
                }
            }
        }
        Notification::Error(error) => println!("#{} error {}", error.seq, error.reason),
        Notification::GameInfoUpdated(game) => println!(
            "#{} game running={} ({})",
            game.seq,
            game.game_info.is_running,
            game.reason.join(",")
        ),
    }
}

/// A value on one line: strings as they are, JSON values compact.
fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
