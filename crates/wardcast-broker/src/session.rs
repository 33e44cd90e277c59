//! One WebSocket connection.
//!
//! A single task owns the socket. It waits on four things: the client's next
//! frame, the next published batch, the ping timer, and shutdown. Everything a
//! wake-up produces (responses, a snapshot, every frame due from the ring) goes
//! out in one vectored write, so one snapshot is one write per client.
//!
//! tungstenite reads the client's frames and answers its pings and close; the
//! session writes its own frames straight to the socket from the shared
//! publications ([`Outgoing`]), after tungstenite has flushed anything it
//! queued, so the two never interleave within a frame.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::catalogue::FeatureSet;
use crate::hub::{Published, RingReceiver};
use crate::outgoing::Outgoing;
use crate::rpc::{self, Request, RpcError};
use crate::source::SourceState;
use crate::wire::{self, DataFormat, Frame, GameInfo, InfoMap, MergedInfo, Target};
use crate::{Broker, ClientEntry, Peer};

/// Close code for a client that fell too far behind.
pub(crate) const CLOSE_SLOW_CONSUMER: u16 = 4008;
/// Close code for the clients of a source that started over in a new epoch
/// (its tournament-mode stream was lost): they reconnect and resume, and get
/// `recovered: false` with a fresh snapshot.
pub(crate) const CLOSE_SOURCE_RESET: u16 = 4010;
const SOURCE_RESET: &str = "source reset: its data was lost";
/// How many ring batches one wake-up drains before flushing.
const DRAIN_LIMIT: usize = 256;
/// How many batches behind a client must be before its info updates
/// conflate. A merge is rendered for that client alone; a client only a
/// little behind gets the shared frames as they are, which costs the broker
/// nothing but the copy into the socket (7,500 clients of a spectated match,
/// each a batch or two behind: 39.9 µs of CPU per message rendering for
/// each, 12.7 µs writing the shared bytes; BENCHMARKS.md).
const CONFLATE_FROM: usize = 4;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// A client's subscription.
struct Subscription {
    set: FeatureSet,
    /// The subscribed names, shared with the client registry.
    names: Arc<[String]>,
    format: DataFormat,
    rx: RingReceiver,
    /// Info frames up to this seq are covered by the last snapshot sent.
    info_since: u64,
    /// Per feature, events up to this seq predate the subscription to it.
    events_since: Vec<u64>,
    /// Game-info frames up to this seq predate the first subscription.
    first_seq: u64,
}

impl Subscription {
    /// A fresh subscription whose stream starts right after `seq`.
    fn new(
        set: FeatureSet,
        names: Arc<[String]>,
        format: DataFormat,
        rx: RingReceiver,
        seq: u64,
        features: usize,
    ) -> Self {
        Self {
            set,
            names,
            format,
            rx,
            info_since: seq,
            events_since: vec![seq; features],
            first_seq: seq,
        }
    }

    fn wants(&self, seq: u64, target: Target, is_info: bool) -> bool {
        match target {
            Target::Subscribed => seq > self.first_seq,
            Target::Feature(id) => {
                self.set.contains(id)
                    && if is_info {
                        seq > self.info_since
                    } else {
                        seq > self
                            .events_since
                            .get(usize::from(id.0))
                            .copied()
                            .unwrap_or(0)
                    }
            }
        }
    }
}

/// The client fell further behind than the ring holds.
struct Lagged;

/// Why a session ends.
enum End {
    /// The peer closed or the socket failed.
    Gone,
    /// Close with this code and reason.
    Close(u16, &'static str),
}

struct Session {
    broker: Broker,
    id: u64,
    peer: String,
    /// The source this connection serves.
    source: Arc<SourceState>,
    /// Whether the client named its source (`?source=` or a `source` param);
    /// if not, it follows the broker's default until it subscribes.
    named: bool,
    /// The source changed since the run loop last looked (its game-info watch must follow).
    rebound: bool,
    sub: Option<Subscription>,
    budget: Budget,
    /// When the GSI data behind the batches in the current write arrived.
    arrivals: Vec<Instant>,
}

/// A client's request budget: a token bucket that allows a burst and refills
/// at a steady rate, so a flood cannot monopolise the broker.
struct Budget {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    last: Instant,
}

impl Budget {
    fn new(burst: u32, per_sec: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            per_sec: f64::from(per_sec),
            last: Instant::now(),
        }
    }

    /// Takes one request from the budget, if there is one.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_sec;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Serves one WebSocket connection until it closes or the broker shuts down.
///
/// The socket is generic, so a session runs over TCP, an upgraded HTTP
/// connection, or an in-memory `tokio::io::duplex` pair in tests.
pub async fn serve_connection<T>(broker: Broker, mut ws: WebSocketStream<T>, peer: Peer)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let id = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    // `GET /ws` has checked (and created) a named source; a direct caller
    // naming one the broker cannot serve gets the default.
    let named = peer
        .source
        .as_deref()
        .and_then(|s| broker.source_state(s).ok());
    let source = named.clone().unwrap_or_else(|| broker.default_state());
    broker.inner.metrics.clients.inc();
    broker.inner.clients.insert(
        id,
        ClientEntry {
            peer: peer.clone(),
            source: Arc::from(source.id.as_str()),
            features: Arc::from([]),
            since: std::time::Instant::now(),
        },
    );
    let config = &broker.inner.config;
    let mut session = Session {
        broker: broker.clone(),
        id,
        peer: peer.addr,
        named: named.is_some(),
        source,
        rebound: false,
        sub: None,
        budget: Budget::new(config.rate_burst, config.rate_per_sec),
        arrivals: Vec::new(),
    };
    tracing::debug!(conn = id, peer = %session.peer, "client connected");
    let end = session.run(&mut ws).await;
    if let End::Close(code, reason) = end {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let _ = timeout(
            broker
                .inner
                .config
                .write_timeout
                .min(std::time::Duration::from_secs(2)),
            ws.send(Message::Close(Some(frame))),
        )
        .await;
    }
    broker.inner.clients.remove(&id);
    broker.inner.metrics.clients.dec();
    tracing::debug!(conn = id, "client disconnected");
}

impl Session {
    async fn run<T>(&mut self, ws: &mut WebSocketStream<T>) -> End
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let config = self.broker.inner.config.clone();
        // A child token: each session waits on its own, so the wake-ups of a
        // thousand sessions never contend for the broker-wide token's lock; and
        // one future for the whole session, not one per wake-up.
        let shutdown = self.broker.inner.shutdown.child_token();
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        let mut ping = tokio::time::interval(config.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.reset();
        let mut last_heard = Instant::now();
        let mut game_info = self.source.hub.game_info_changes();
        // tungstenite has queued a pong that must reach the socket before our frames.
        let mut pong_queued = false;
        loop {
            if self.sub.is_none() && !self.named {
                // Not subscribed and no source named: follow the default.
                let default = self.broker.default_state();
                self.rebind(default);
            }
            self.follow_replacement();
            if std::mem::take(&mut self.rebound) {
                // A new source (the old one was replaced for another game, or
                // the default moved): a client waiting for the game hears
                // this source's launch even if it came before the move.
                game_info = self.source.hub.game_info_on_arrival();
            }
            let unsubscribed = self.sub.is_none();
            let next_batch = async {
                match self.sub.as_mut() {
                    Some(sub) => sub.rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let mut out = Outgoing::default();
            tokio::select! {
                // Batches first: a wake-up for a batch then polls nothing else
                // (the other branches are polled when the session next waits).
                // A batch is ready again only if one was published during the
                // write, so a client that keeps up is never starved of reads.
                biased;
                batch = next_batch => match batch {
                    Ok(batch) => {
                        if self.drain(vec![batch], &mut out).is_err() {
                            return self.slow(ws).await;
                        }
                    }
                    Err(RecvError::Lagged(_)) => return self.slow(ws).await,
                    Err(RecvError::Closed) => return End::Close(CLOSE_SOURCE_RESET, SOURCE_RESET),
                },
                () = &mut cancelled => return End::Close(1001, "broker shutting down"),
                incoming = ws.next() => {
                    last_heard = Instant::now();
                    match incoming {
                        None => return End::Gone,
                        Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
                            return End::Close(1009, "frame too large");
                        }
                        Some(Err(WsError::Utf8(_))) => {
                            // RFC 6455: a text frame that is not UTF-8 fails the connection with 1007.
                            return End::Close(1007, "text frame is not valid UTF-8");
                        }
                        Some(Err(e)) => {
                            tracing::debug!(conn = self.id, "websocket read ended: {e}");
                            return End::Gone;
                        }
                        Some(Ok(Message::Text(text))) => {
                            if self.handle(&text, &mut out).is_err() {
                                return self.slow(ws).await;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            let (code, message) = if self.budget.take() {
                                (rpc::code::INVALID_REQUEST, "binary frames are not accepted; send JSON-RPC as text")
                            } else {
                                (rpc::code::RATE_LIMITED, "rate limit exceeded")
                            };
                            out.text(rpc::error(&RpcError { id: Value::Null, code, message: message.into() }).as_bytes());
                        }
                        // tungstenite queues the pong; the write below flushes it first.
                        Some(Ok(Message::Ping(_))) => pong_queued = true,
                        Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
                        Some(Ok(Message::Close(_))) => {
                            let _ = timeout(config.write_timeout, ws.flush()).await;
                            return End::Gone;
                        }
                    }
                }
                // Before its first subscription a client still hears the game
                // start and stop, as Overwolf's onGameInfoUpdated; after it, the
                // subscription's stream carries them in order.
                changed = game_info.changed(), if unsubscribed => {
                    if changed.is_err() {
                        return End::Gone;
                    }
                    let latest = game_info.borrow_and_update().clone();
                    if let Some(published) = latest {
                        let frames = published.frames.len();
                        let p = out.keep([published]);
                        for i in 0..frames {
                            out.shared(p, i, DataFormat::String);
                        }
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > config.idle_timeout {
                        tracing::debug!(conn = self.id, "client silent too long, dropping");
                        return End::Close(1001, "no pong");
                    }
                    out.ping();
                }
            }
            if out.is_empty() && !pong_queued {
                continue;
            }
            if let Err(end) = self.write(ws, out, std::mem::take(&mut pong_queued)).await {
                return end;
            }
        }
    }

    /// Writes `out` (after tungstenite's queued pong, if any), then whatever
    /// arrived meanwhile, each write bounded by the write timeout: a socket that
    /// stays full drops the client.
    ///
    /// While a write waits on a full socket the session keeps taking batches off
    /// the ring (references only: nothing is rendered or copied), so the ring
    /// never laps it unnoticed, and sends them in one catch-up write, conflated,
    /// once the socket drains. A client that has let a whole ring's worth pile
    /// up is a slow consumer: when the write in flight completes (it reads
    /// again), it gets `onError slow_consumer` and close 4008.
    async fn write<T>(
        &mut self,
        ws: &mut WebSocketStream<T>,
        mut out: Outgoing,
        pong_queued: bool,
    ) -> Result<(), End>
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let write_timeout = self.broker.inner.config.write_timeout;
        let capacity = self.broker.inner.config.ring_capacity;
        let mut deadline = Instant::now() + write_timeout;
        if pong_queued
            && !matches!(
                tokio::time::timeout_at(deadline, ws.flush()).await,
                Ok(Ok(()))
            )
        {
            return Err(End::Gone);
        }
        loop {
            // Weak, like the ring: holding them does not keep them alive.
            let mut held: Vec<Weak<Published>> = Vec::new();
            let mut slow = false;
            let bytes = out.len();
            let result = {
                let write = out.write_to(ws.get_mut());
                tokio::pin!(write);
                loop {
                    let taking = !slow;
                    let hold = async {
                        match self.sub.as_mut() {
                            Some(sub) if taking => sub.rx.recv().await,
                            _ => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        biased;
                        result = &mut write => break result,
                        batch = hold => match batch {
                            Ok(batch) => {
                                held.push(batch);
                                slow = held.len() >= capacity;
                            }
                            Err(RecvError::Lagged(_)) => slow = true,
                            Err(RecvError::Closed) => return Err(End::Close(CLOSE_SOURCE_RESET, SOURCE_RESET)),
                        },
                        () = tokio::time::sleep_until(deadline) => {
                            tracing::info!(conn = self.id, peer = %self.peer, "client stalled past the write timeout, dropping");
                            return Err(End::Gone);
                        }
                    }
                }
            };
            if let Err(e) = result {
                tracing::debug!(conn = self.id, "websocket write ended: {e}");
                return Err(End::Gone);
            }
            let metrics = &self.broker.inner.metrics;
            metrics.bytes_sent.inc_by(bytes as u64);
            for at in self.arrivals.drain(..) {
                metrics.latency.observe(at.elapsed().as_secs_f64());
            }
            if slow {
                return Err(self.slow(ws).await);
            }
            if held.is_empty() {
                return Ok(());
            }
            out = Outgoing::default();
            if self.drain(held, &mut out).is_err() {
                return Err(self.slow(ws).await);
            }
            if out.is_empty() {
                return Ok(());
            }
            deadline = Instant::now() + write_timeout;
        }
    }

    /// Plans the frames due from `taken` and from every batch already
    /// waiting in the ring, so a client that is behind catches up in one write.
    /// While it is [`CONFLATE_FROM`] batches behind or more, its info updates conflate.
    /// A batch the ring no longer keeps alive (the client is behind by more
    /// than its byte bound) makes the client a slow consumer.
    fn drain(&mut self, taken: Vec<Weak<Published>>, out: &mut Outgoing) -> Result<(), Lagged> {
        let Some(sub) = self.sub.as_mut() else {
            return Ok(());
        };
        let mut batches = Vec::with_capacity(taken.len() + 1);
        for weak in taken {
            batches.push(weak.upgrade().ok_or(Lagged)?);
        }
        for _ in 0..DRAIN_LIMIT {
            match sub.rx.try_recv() {
                Ok(weak) => batches.push(weak.upgrade().ok_or(Lagged)?),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                Err(TryRecvError::Lagged(_)) => return Err(Lagged),
            }
        }
        self.arrivals
            .extend(batches.iter().filter_map(|b| b.received_at));
        let due: Vec<(usize, usize, &Frame)> = batches
            .iter()
            .enumerate()
            .flat_map(|(b, batch)| batch.frames.iter().enumerate().map(move |(i, f)| (b, i, f)))
            .filter(|(_, _, f)| sub.wants(f.seq, f.target, f.is_info))
            .collect();
        let plan = plan(&due, &batches, sub.format);
        drop(due);
        let format = sub.format;
        let first = out.keep(batches);
        for step in plan {
            match step {
                Conflated::Keep(b, i) => out.shared(first + b, i, format),
                Conflated::Merged(json) => out.text(&json),
            }
        }
        Ok(())
    }

    /// A client that fell behind the ring: tell it why, then close with 4008.
    async fn slow<T>(&self, ws: &mut WebSocketStream<T>) -> End
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        tracing::info!(conn = self.id, peer = %self.peer, "slow consumer, closing with 4008");
        self.broker.inner.metrics.slow_disconnects.inc();
        let seq = self.source.hub.closing_seq();
        let mut out = Outgoing::default();
        out.text(&wire::error_notification(seq, "slow_consumer"));
        let write = async {
            ws.flush().await.map_err(std::io::Error::other)?;
            out.write_to(ws.get_mut()).await
        };
        match timeout(self.broker.inner.config.write_timeout, write).await {
            Ok(Ok(())) => End::Close(CLOSE_SLOW_CONSUMER, "slow consumer"),
            // A frame may be half written: no close frame can follow it.
            _ => End::Gone,
        }
    }

    /// Handles one text frame, pushing the response and anything that follows it.
    fn handle(&mut self, text: &str, out: &mut Outgoing) -> Result<(), Lagged> {
        let decoded = rpc::decode(text);
        if !self.budget.take() {
            let id = decoded.as_ref().map_or(Value::Null, |(id, _)| id.clone());
            out.text(
                rpc::error(&RpcError {
                    id,
                    code: rpc::code::RATE_LIMITED,
                    message: "rate limit exceeded".into(),
                })
                .as_bytes(),
            );
            return Ok(());
        }
        let (id, request) = match decoded {
            Ok(ok) => ok,
            Err(e) => {
                out.text(rpc::error(&e).as_bytes());
                return Ok(());
            }
        };
        let reply = match request {
            Request::SetRequiredFeatures {
                features,
                format,
                source,
            } => {
                if let Err(e) = self.choose_source(&id, source.as_deref()) {
                    out.text(rpc::error(&e).as_bytes());
                    return Ok(());
                }
                return self.set_required_features(&id, &features, format, None, out);
            }
            Request::Resume {
                features,
                format,
                epoch,
                since,
                source,
            } => {
                if let Err(e) = self.choose_source(&id, source.as_deref()) {
                    out.text(rpc::error(&e).as_bytes());
                    return Ok(());
                }
                return self.set_required_features(
                    &id,
                    &features,
                    format,
                    Some((&epoch, since)),
                    out,
                );
            }
            Request::ListSources => {
                #[derive(Serialize)]
                struct Sources {
                    sources: Vec<crate::SourceSummary>,
                }
                rpc::result(
                    &id,
                    &Sources {
                        sources: self.broker.sources(),
                    },
                )
            }
            Request::GetInfo => rpc::result(&id, &self.get_info()),
            Request::GetFeatures => {
                #[derive(Serialize)]
                struct Features {
                    features: Vec<crate::FeatureDef>,
                }
                rpc::result(
                    &id,
                    &Features {
                        features: self.source.features(),
                    },
                )
            }
            Request::GetRunningGameInfo => {
                #[derive(Serialize)]
                #[serde(rename_all = "camelCase")]
                struct Running<'a> {
                    success: bool,
                    status: &'static str,
                    #[serde(flatten)]
                    game: GameInfo<'a>,
                    last_update_age_ms: Option<u64>,
                }
                let hub = &self.source.hub;
                let (running, age) = hub.running();
                rpc::result(
                    &id,
                    &Running {
                        success: true,
                        status: "success",
                        game: GameInfo::new(hub.game(), running),
                        last_update_age_ms: age,
                    },
                )
            }
        };
        out.text(reply.as_bytes());
        Ok(())
    }

    /// `setRequiredFeatures`, or with `resume` set, `resume`: replay what the
    /// client missed since `since` when the history still holds it, else
    /// subscribe afresh with a snapshot and say `recovered: false`.
    fn set_required_features(
        &mut self,
        id: &Value,
        requested: &[String],
        format: DataFormat,
        resume: Option<(&str, u64)>,
        out: &mut Outgoing,
    ) -> Result<(), Lagged> {
        self.follow_replacement();
        let game = self.source.game.clone();
        let catalogue = &game.catalogue;
        // This connection's last result: its next seqs must be above it.
        let after = self.sub.as_ref().map_or(0, |s| s.info_since);
        let mut seen = HashSet::new();
        let (mut supported, mut unsupported) = (Vec::new(), Vec::new());
        for name in requested {
            if !seen.insert(name.as_str()) {
                continue;
            }
            match catalogue
                .id(name)
                .filter(|&f| catalogue.get(f).is_some_and(|d| d.supported))
            {
                Some(f) => supported.push((f, name.clone())),
                None => unsupported.push(name.clone()),
            }
        }
        // A failed call is a result, not an error, and changes nothing;
        // Overwolf apps retry it.
        let refuse = |why: &str, unsupported: &[String], out: &mut Outgoing| {
            out.text(
                rpc::result(
                    id,
                    &serde_json::json!({
                        "success": false, "status": "error", "error": why, "reason": why,
                        "supportedFeatures": [], "unsupportedFeatures": unsupported,
                    }),
                )
                .as_bytes(),
            );
        };
        if !self.source.is_ready() {
            let why = format!(
                "source {} is not ready yet (this node is still reading its stream): retry",
                self.source.id
            );
            let mut seen = HashSet::new();
            let all: Vec<String> = requested
                .iter()
                .filter(|n| seen.insert(n.as_str()))
                .cloned()
                .collect();
            refuse(&why, &all, out);
            return Ok(());
        }
        if supported.is_empty() {
            refuse(
                "none of the requested features is supported",
                &unsupported,
                out,
            );
            return Ok(());
        }
        let mut set = FeatureSet::default();
        for (f, _) in &supported {
            set.insert(*f);
        }
        let source = self.source.clone();
        let hub = &source.hub;
        let names: Arc<[String]> = supported.iter().map(|(_, n)| n.clone()).collect();
        if let Some((epoch, since)) = resume {
            if let Ok((rx, seq, missed)) = hub.resume(epoch, since) {
                let sub = Subscription::new(set, names.clone(), format, rx, seq, catalogue.len());
                let mut replay = Vec::new();
                for (p, published) in missed.iter().enumerate() {
                    for (i, frame) in published.frames.iter().enumerate() {
                        let wanted = match frame.target {
                            Target::Feature(f) => sub.set.contains(f),
                            Target::Subscribed => true,
                        };
                        if frame.seq > since && wanted {
                            replay.push((p, i));
                        }
                    }
                }
                self.sub = Some(sub);
                self.record_features(&names);
                out.text(
                    rpc::result(
                        id,
                        &serde_json::json!({
                            "success": true, "status": "success",
                            "supportedFeatures": &*names, "unsupportedFeatures": unsupported,
                            "epoch": &*hub.epoch(), "seq": seq,
                            "recovered": true, "replayed": replay.len(),
                        }),
                    )
                    .as_bytes(),
                );
                let first = out.keep(missed);
                for (p, i) in replay {
                    out.shared(first + p, i, format);
                }
                return Ok(());
            }
            // Not recoverable: start over with a fresh receiver and snapshot.
            self.sub = None;
        }
        // A client that subscribes again first gets what was already published
        // for its old features, so its seqs keep rising through the snapshot.
        if self.sub.is_some() {
            self.drain(Vec::new(), out)?;
        }
        let Ok((rx, seq, snapshot)) = hub.subscribe(&set, self.sub.is_none(), after) else {
            out.text(
                rpc::error(&RpcError {
                    id: id.clone(),
                    code: rpc::code::RATE_LIMITED,
                    message: "too many subscriptions since the last game data: wait for new data"
                        .into(),
                })
                .as_bytes(),
            );
            return Ok(());
        };
        match (self.sub.as_mut(), rx) {
            (Some(sub), _) => {
                // Keep the receiver, so nothing queued for the kept features is lost;
                // events of newly added features start after this snapshot.
                for (f, _) in &supported {
                    if !sub.set.contains(*f) {
                        if let Some(since) = sub.events_since.get_mut(usize::from(f.0)) {
                            *since = seq;
                        }
                    }
                }
                sub.set = set;
                sub.names = names.clone();
                sub.format = format;
                sub.info_since = seq;
            }
            (None, Some(rx)) => {
                self.sub = Some(Subscription::new(
                    set,
                    names.clone(),
                    format,
                    rx,
                    seq,
                    catalogue.len(),
                ));
            }
            (None, None) => return Ok(()),
        }
        self.record_features(&names);
        let mut result = serde_json::json!({
            "success": true, "status": "success",
            "supportedFeatures": &*names, "unsupportedFeatures": unsupported,
            "epoch": &*hub.epoch(), "seq": seq,
        });
        if resume.is_some() {
            result["recovered"] = false.into();
        }
        out.text(rpc::result(id, &result).as_bytes());
        for entry in snapshot {
            out.text(&wire::info_update(
                entry.seq,
                &entry.feature,
                &entry.info,
                true,
                format,
            ));
        }

        Ok(())
    }

    /// A client that is not subscribed moves to the source that replaced
    /// its own (for another game).
    fn follow_replacement(&mut self) {
        if self.sub.is_none() && self.source.is_retired() {
            if let Ok(current) = self.broker.source_state(&self.source.id) {
                self.rebind(current);
            }
        }
    }

    /// Serves `source` from now on (the client is not subscribed).
    fn rebind(&mut self, source: Arc<SourceState>) {
        if Arc::ptr_eq(&source, &self.source) {
            return;
        }
        if let Some(mut client) = self.broker.inner.clients.get_mut(&self.id) {
            client.source = Arc::from(source.id.as_str());
        }
        self.source = source;
        self.rebound = true;
    }

    /// Applies the `source` param of `setRequiredFeatures`/`resume`: a
    /// connection serves one source, chosen before its first subscription.
    fn choose_source(&mut self, id: &Value, source: Option<&str>) -> Result<(), RpcError> {
        let Some(wanted) = source else {
            return Ok(());
        };
        if wanted == self.source.id {
            self.named = true;
            return Ok(());
        }
        let invalid = |message: String| RpcError {
            id: id.clone(),
            code: rpc::code::INVALID_PARAMS,
            message,
        };
        if self.sub.is_some() {
            return Err(invalid(format!(
                "this connection serves source {:?}: open another connection for {:?}",
                self.source.id, wanted
            )));
        }
        let state = self
            .broker
            .source_state(wanted)
            .map_err(|e| invalid(e.to_string()))?;
        self.named = true;
        self.rebind(state);
        Ok(())
    }

    /// Shows the client's features on status pages.
    fn record_features(&self, names: &Arc<[String]>) {
        if let Some(mut client) = self.broker.inner.clients.get_mut(&self.id) {
            client.features = names.clone();
        }
    }

    fn get_info(&self) -> Value {
        let mut res = Map::new();
        let mut features = Map::new();
        if let Some(sub) = &self.sub {
            let snapshot = self.source.hub.info_of(&sub.set);
            for entry in snapshot {
                let rendered =
                    serde_json::to_value(InfoMap(&entry.info, sub.format)).unwrap_or_default();
                if let Value::Object(categories) = rendered {
                    for (category, keys) in categories {
                        let slot = res
                            .entry(category)
                            .or_insert_with(|| Value::Object(Map::new()));
                        if let (Value::Object(slot), Value::Object(keys)) = (slot, keys) {
                            slot.extend(keys);
                        }
                    }
                }
            }
            for name in sub.names.iter() {
                features.insert(name.clone(), Value::from("True"));
            }
        }
        res.insert("features".into(), Value::Object(features));
        serde_json::json!({ "success": true, "status": "success", "res": res })
    }
}

/// One step of a catch-up write.
#[derive(Debug, PartialEq)]
enum Conflated {
    /// Frame `.1` of batch `.0`, as published.
    Keep(usize, usize),
    /// An info update merged for this client: its JSON.
    Merged(Vec<u8>),
}

/// Plans a catch-up write of `batches` batches: the shared frames as they
/// are while the client is fewer than [`CONFLATE_FROM`] batches behind,
/// conflated from there on.
fn plan(
    due: &[(usize, usize, &Frame)],
    batches: &[Arc<Published>],
    format: DataFormat,
) -> Vec<Conflated> {
    if batches.len() < CONFLATE_FROM {
        return due.iter().map(|&(b, i, _)| Conflated::Keep(b, i)).collect();
    }
    let due: Vec<Due<'_>> = due
        .iter()
        .map(|&(b, i, frame)| {
            let info = frame
                .is_info
                .then(|| batches.get(b).and_then(|batch| batch.info_of(i)))
                .flatten();
            (b, i, frame.seq, info)
        })
        .collect();
    conflate(&due, format)
}

/// A due frame in a catch-up: its batch, its index there, its seq, and its
/// feature and info map if it is an info update that can merge.
type Due<'a> = (usize, usize, u64, Option<(&'a str, &'a Map<String, Value>)>);

/// Plans the frames for a client that is behind, given its due frames:
/// events pass through in order; each feature's info
/// updates merge into one, newest value per key, sent where the last of them
/// was (market-data style conflation). A single info update of a feature keeps
/// its shared bytes.
fn conflate(frames: &[Due<'_>], format: DataFormat) -> Vec<Conflated> {
    /// One feature's info updates in this catch-up: how many, how many are
    /// still to come while rendering, and their merge (by reference: nothing
    /// is copied but the rendered output).
    struct Merge<'a> {
        feature: &'a str,
        total: usize,
        left: usize,
        info: MergedInfo<'a>,
    }
    let mut merges: Vec<Merge<'_>> = Vec::new();
    for &(feature, info) in frames.iter().filter_map(|(_, _, _, info)| info.as_ref()) {
        let i = match merges.iter().position(|m| m.feature == feature) {
            Some(i) => i,
            None => {
                merges.push(Merge {
                    feature,
                    total: 0,
                    left: 0,
                    info: MergedInfo::default(),
                });
                merges.len() - 1
            }
        };
        let merge = &mut merges[i];
        merge.total += 1;
        merge.left += 1;
        merge.info.merge(info);
    }
    let mut out = Vec::with_capacity(frames.len());
    for &(b, i, seq, info) in frames {
        let Some((feature, _)) = info else {
            out.push(Conflated::Keep(b, i));
            continue;
        };
        let Some(merge) = merges.iter_mut().find(|m| m.feature == feature) else {
            continue;
        };
        merge.left -= 1;
        if merge.left > 0 {
            // A later update of this feature carries the newest values.
            continue;
        }
        if merge.total == 1 {
            out.push(Conflated::Keep(b, i));
        } else {
            out.push(Conflated::Merged(wire::merged_info_update(
                seq,
                feature,
                &merge.info,
                format,
            )));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::EventItem;
    use crate::catalogue::FeatureId;
    use crate::wire::Payload;
    use serde_json::json;

    fn info(seq: u64, feature: &str, info: Value) -> Frame {
        let Value::Object(info) = info else {
            unreachable!("object")
        };
        Frame::new(
            seq,
            Target::Feature(FeatureId(0)),
            Payload::Info {
                feature: feature.into(),
                info,
            },
        )
    }

    fn event(seq: u64, n: i64) -> Frame {
        let events = vec![EventItem {
            name: "gold".into(),
            data: json!({ "gold": n }),
        }];
        Frame::new(
            seq,
            Target::Feature(FeatureId(1)),
            Payload::Events {
                feature: "gold".into(),
                events,
            },
        )
    }

    /// Four batches, one `me` update each (gold 0 to 3, a key removed by
    /// the last), applied to a hub: published here (`moved: false`), or
    /// rendered in both formats as the bus's batches are, whose info then
    /// moves into the store and is read back from the bytes to conflate.
    fn applied(moved: bool) -> (crate::hub::Hub, Vec<Arc<Published>>) {
        let catalogue = crate::Catalogue::new(vec![crate::FeatureDef {
            name: "me".into(),
            events: Vec::new(),
            info: Vec::new(),
            supported: true,
            reason: None,
            state: 1,
        }]);
        let limits = crate::hub::HistoryLimits {
            max_notifications: 100,
            max_age: std::time::Duration::from_secs(60),
            max_bytes: 1 << 20,
        };
        let hub = crate::hub::Hub::new(&catalogue, 16, 1 << 20, Default::default(), limits);
        let batches = (0..4u64)
            .map(|n| {
                let last = if n == 3 { Value::Null } else { json!("axe") };
                let frames = vec![info(
                    (n + 1) << 20 | 1,
                    "me",
                    json!({"me": {"gold": n, "hero": last}}),
                )];
                let published = if moved {
                    let string = crate::wire::Wire::render(&frames, DataFormat::String);
                    let object = crate::wire::Wire::render(&frames, DataFormat::Object);
                    Published::rendered(frames, string, object)
                } else {
                    Published::new(frames, None)
                };
                hub.apply(n + 1, published).expect("in order");
                hub.last_published().expect("published")
            })
            .collect();
        (hub, batches)
    }

    #[test]
    fn a_client_a_little_behind_gets_the_shared_frames_and_one_further_behind_a_merge() {
        let (kept_hub, _) = applied(false);
        for moved in [false, true] {
            let (hub, batches) = applied(moved);
            let due: Vec<(usize, usize, &Frame)> = batches
                .iter()
                .enumerate()
                .map(|(b, p)| (b, 0, &p.frames[0]))
                .collect();
            let kept: Vec<Conflated> = (0..4).map(|b| Conflated::Keep(b, 0)).collect();
            assert_eq!(
                plan(&due[..3], &batches[..3], DataFormat::Object),
                kept[..3]
            );
            for format in [DataFormat::Object, DataFormat::String] {
                let merged = plan(&due, &batches, format);
                let [Conflated::Merged(json)] = &merged[..] else {
                    panic!("one merged update, got {merged:?}");
                };
                let sent: Value = serde_json::from_slice(json).expect("json");
                let gold = match format {
                    DataFormat::Object => json!(3),
                    DataFormat::String => json!("3"),
                };
                assert_eq!(
                    sent["params"],
                    json!({"seq": 4 << 20 | 1, "feature": "me", "info": {"me": {"gold": gold, "hero": null}}}),
                    "moved: {moved}, {format:?}"
                );
            }
            let (_, map) = batches[0].frames[0].info().expect("an info frame");
            assert_eq!(map.is_empty(), moved, "a bus batch keeps only its bytes");
            assert_eq!(
                hub.checkpoint(),
                kept_hub.checkpoint(),
                "the same store either way"
            );
        }
    }

    #[test]
    fn a_client_behind_gets_the_newest_value_per_key_and_every_event_in_order() {
        let frames = [
            info(1, "me", json!({"me": {"team": "radiant", "hero": "axe"}})),
            event(2, 100),
            info(3, "me", json!({"me": {"hero": "invoker"}})),
            info(4, "roster", json!({"roster": {"players": "[]"}})),
            event(5, 200),
            info(6, "me", json!({"me": {"steam_id": "7656"}})),
        ];
        let due: Vec<Due<'_>> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (0, i, f.seq, f.info()))
            .collect();
        let wire = crate::wire::Wire::render(&frames, DataFormat::Object);
        let out: Vec<Value> = conflate(&due, DataFormat::Object)
            .iter()
            .map(|step| match step {
                Conflated::Keep(_, i) => serde_json::from_str(wire.text(*i)).expect("json"),
                Conflated::Merged(json) => serde_json::from_slice(json).expect("json"),
            })
            .collect();
        let params: Vec<Value> = out.iter().map(|m| m["params"].clone()).collect();
        assert_eq!(
            params,
            vec![
                json!({"seq": 2, "feature": "gold", "events": [{"name": "gold", "data": {"gold": 100}}]}),
                json!({"seq": 4, "feature": "roster", "info": {"roster": {"players": "[]"}}}),
                json!({"seq": 5, "feature": "gold", "events": [{"name": "gold", "data": {"gold": 200}}]}),
                json!({"seq": 6, "feature": "me", "info": {"me": {"team": "radiant", "hero": "invoker", "steam_id": "7656"}}}),
            ]
        );
    }
}
