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
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Sink, Stream};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wardcast_broker::{Batch, Broker, BrokerConfig, Catalogue, FeatureId, Peer};
use wardcast_engine::{Engine, EngineConfig, Output};

/// Per subscription group, per snapshot, the text frames a client receives.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FrameSet {
    /// `groups[g][k]`: the frames of snapshot `k` for a client of group `g`.
    pub groups: Vec<Vec<Vec<String>>>,
}

/// What an in-memory session has written so far.
#[derive(Default)]
struct Written {
    frames: Vec<String>,
}

/// An in-memory WebSocket: requests in through a channel, frames out into a
/// shared list.
struct MemWs {
    incoming: mpsc::UnboundedReceiver<Message>,
    written: Arc<Mutex<Written>>,
    notify: Arc<Notify>,
}

impl Stream for MemWs {
    type Item = Result<Message, WsError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx).map(|m| m.map(Ok))
    }
}

impl Sink<Message> for MemWs {
    type Error = WsError;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), WsError> {
        if let Message::Text(text) = item {
            let mut w = self.written.lock().unwrap_or_else(|e| e.into_inner());
            w.frames.push(text.as_str().to_string());
        }
        Ok(())
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.notify.notify_one();
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Poll::Ready(Ok(()))
    }
}

struct Session {
    /// Kept so the session's incoming stream stays open.
    _requests: mpsc::UnboundedSender<Message>,
    written: Arc<Mutex<Written>>,
    notify: Arc<Notify>,
    set: BTreeSet<u16>,
    taken: usize,
}

impl Session {
    /// Waits until the session has written `count` frames in all, then returns the new ones.
    async fn take(&mut self, count: usize) -> Result<Vec<String>, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.notify.notified();
            {
                let w = self.written.lock().unwrap_or_else(|e| e.into_inner());
                if w.frames.len() >= self.taken + count {
                    let new = w.frames[self.taken..self.taken + count].to_vec();
                    self.taken += count;
                    return Ok(new);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!(
                    "frame rendering: the in-memory session did not write {count} frames in 10 s"
                ));
            }
        }
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
    let catalogue = wardcast::catalogue(&engine_config);
    let broker = Broker::new(BrokerConfig::default(), catalogue.clone())
        .map_err(|e| format!("broker: {e}"))?;
    let mut engine = Engine::new(engine_config).map_err(|e| format!("engine: {e}"))?;
    let mut sessions = Vec::new();
    for features in groups {
        let (tx, incoming) = mpsc::unbounded_channel();
        let written = Arc::new(Mutex::new(Written::default()));
        let notify = Arc::new(Notify::new());
        let ws = MemWs {
            incoming,
            written: written.clone(),
            notify: notify.clone(),
        };
        tokio::spawn(wardcast_broker::serve_connection(
            broker.clone(),
            ws,
            Peer::default(),
        ));
        let request = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "setRequiredFeatures",
            "params": { "features": features },
        });
        tx.send(Message::Text(request.to_string().into()))
            .map_err(|_| "frame rendering: session ended".to_string())?;
        let set = features
            .iter()
            .filter_map(|name| catalogue.id(name))
            .filter(|id| catalogue.get(*id).is_some_and(|d| d.supported))
            .map(|FeatureId(id)| id)
            .collect();
        let mut session = Session {
            _requests: tx,
            written,
            notify,
            set,
            taken: 0,
        };
        // The result of setRequiredFeatures (nothing is published yet, so no snapshot follows).
        session.take(1).await?;
        sessions.push(session);
    }
    let mut out = FrameSet {
        groups: vec![Vec::with_capacity(bodies.len()); groups.len()],
    };
    for body in bodies {
        let state = wardcast_gsi::parse(body).map_err(|e| format!("bench body: {e}"))?;
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
