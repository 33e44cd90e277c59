//! The frames Wardcast sends for each snapshot, for the floor to replay.
//!
//! They are rendered by the real engine and the real broker in this process:
//! each subscription group gets a `wardcast_broker::serve_connection` session
//! over an in-memory socket, subscribes like a bench client, and every frame
//! the session writes after snapshot `k` is published is snapshot `k`'s. How
//! many frames a session writes for a snapshot is known from the batch (one
//! per feature with events and one per feature with info, among the
//! subscribed ones), so no timing is involved. What the floor then sends is
//! byte for byte what Wardcast's sessions send (seq numbers aside: the real
//! pipeline also publishes health and game-running notices).

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::DuplexStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wardcast_broker::{Batch, Broker, BrokerConfig, Catalogue, FeatureId, Peer};
use wardcast_dota2::Engine;
use wardcast_engine::{EngineConfig, Output};

/// Per subscription group, per snapshot, the text frames a client receives.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FrameSet {
    /// `groups[g][k]`: the frames of snapshot `k` for a client of group `g`.
    pub groups: Vec<Vec<Vec<String>>>,
}

/// The client end of an in-memory WebSocket to a broker session.
struct Session {
    ws: WebSocketStream<DuplexStream>,
    set: BTreeSet<u16>,
}

impl Session {
    /// Reads the next `count` text frames the session wrote.
    async fn take(&mut self, count: usize) -> Result<Vec<String>, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut frames = Vec::with_capacity(count);
        while frames.len() < count {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => frames.push(text.as_str().to_string()),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => return Err(format!("frame rendering: {e}")),
                Ok(None) => return Err("frame rendering: the session ended".into()),
                Err(_) => {
                    return Err(format!(
                    "frame rendering: the in-memory session did not write {count} frames in 10 s"
                ))
                }
            }
        }
        Ok(frames)
    }
}

/// Turns an engine output into a broker batch, as Wardcast's pipeline does,
/// and returns the ids of the features with events and of those with info.
fn to_batch(output: Output, catalogue: &Catalogue) -> (Batch, BTreeSet<u16>, BTreeSet<u16>) {
    let mut batch = Batch::default();
    let (mut events, mut info) = (BTreeSet::new(), BTreeSet::new());
    for event in output.events {
        if let Some(id) = catalogue.id(event.feature) {
            events.insert(id.0);
            batch.event(id, event.name, event.data);
        }
    }
    for change in output.info {
        if let Some(id) = catalogue.id(change.feature) {
            info.insert(id.0);
            batch.info(id, change.category, change.key, change.value);
        }
    }
    (batch, events, info)
}

/// Renders the frames of `bodies` for each subscription group.
pub async fn render(bodies: &[bytes::Bytes], groups: &[Vec<String>]) -> Result<FrameSet, String> {
    let engine_config = EngineConfig::default();
    let catalogue = wardcast::catalogue(&wardcast_dota2::GAME, &engine_config);
    let broker = Broker::new(BrokerConfig::default(), catalogue.clone())
        .map_err(|e| format!("broker: {e}"))?;
    let mut engine = Engine::new(engine_config).map_err(|e| format!("engine: {e}"))?;
    let mut sessions = Vec::new();
    for features in groups {
        // Large enough that a session never waits on this reader.
        let (client, server) = tokio::io::duplex(1 << 20);
        let server = WebSocketStream::from_raw_socket(server, Role::Server, None).await;
        let mut ws = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        tokio::spawn(wardcast_broker::serve_connection(
            broker.clone(),
            server,
            Peer::default(),
        ));
        let request = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "setRequiredFeatures",
            "params": { "features": features },
        });
        ws.send(Message::Text(request.to_string().into()))
            .await
            .map_err(|e| format!("frame rendering: {e}"))?;
        let set = features
            .iter()
            .filter_map(|name| catalogue.id(name))
            .filter(|id| catalogue.get(*id).is_some_and(|d| d.supported))
            .map(|FeatureId(id)| id)
            .collect();
        let mut session = Session { ws, set };
        // The result of setRequiredFeatures (nothing is published yet, so no snapshot follows).
        session.take(1).await?;
        sessions.push(session);
    }
    let mut out = FrameSet {
        groups: vec![Vec::with_capacity(bodies.len()); groups.len()],
    };
    for body in bodies {
        let state = wardcast_dota2::parse(body).map_err(|e| format!("bench body: {e}"))?;
        let (batch, events, info) = to_batch(engine.process(state), &catalogue);
        broker.publish(batch);
        for (session, frames) in sessions.iter_mut().zip(out.groups.iter_mut()) {
            let due =
                events.intersection(&session.set).count() + info.intersection(&session.set).count();
            frames.push(session.take(due).await?);
        }
    }
    drop(sessions);
    broker.shutdown().await;
    Ok(out)
}
