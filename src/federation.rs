//! Tournament mode: brokers federated over NATS JetStream (`--nats`).
//!
//! An *ingest* node runs the engine of its sources and stores each batch,
//! numbered and rendered once, in the source's stream (the single, fenced
//! writer); it applies a batch to its own hub only once the stream has it.
//! An *edge* node follows every source's stream into its hubs and serves
//! WebSocket clients from them, byte for byte what the ingest rendered. A
//! node starting late loads the source's latest checkpoint and reads the
//! stream after it. `both` does both (its own sources are not followed
//! twice). The transport is `wardcast_bus`; the broker knows nothing of it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wardcast_broker::{Batch, Broker, Source};
use wardcast_bus::{Bus, BusConfig, Checkpoint, Checkpoints, Reader, SourceStream, Writer};

/// What a node does in a federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// GSI in, the engine, publish to NATS. No WebSocket clients.
    Ingest,
    /// WebSocket clients only, fed from NATS. No GSI.
    Edge,
    /// Both (the default with `--nats`).
    Both,
}

impl Role {
    /// Whether the node takes GSI.
    pub fn ingests(self) -> bool {
        self != Role::Edge
    }

    /// Whether the node serves WebSocket clients.
    pub fn serves(self) -> bool {
        self != Role::Ingest
    }
}

/// `--nats` and its options.
#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// How to reach NATS (the token and credentials are never logged).
    pub bus: BusConfig,
    /// What this node does.
    pub role: Role,
}

/// How often the ingest writes a source's checkpoint, at most: every this
/// many batches, or after this long.
const CHECKPOINT_BATCHES: u32 = 100;
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);
/// How long a follower waits for a batch before it checks that the stream
/// has none it missed.
const STALL_CHECK: Duration = Duration::from_secs(2);
/// How often an edge looks for new sources.
const DISCOVER_EVERY: Duration = Duration::from_secs(1);
/// Backoff between attempts when NATS is down.
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(1);

fn backoff(attempt: u32) -> Duration {
    (RETRY_MIN * 2u32.saturating_pow(attempt.min(5))).min(RETRY_MAX)
}

/// Opens a source's stream and the checkpoints, with the source taking the
/// stream's epoch. Only the writer (`create`) makes a missing stream; a
/// reader waits for it. A stream with another epoch than the batches the
/// source holds was lost and made anew: the source starts over in the new
/// epoch (its clients are closed with 4010 and resume with a fresh snapshot).
async fn open_stream(
    bus: &Bus,
    source: &Source,
    create: bool,
) -> Result<(SourceStream, Checkpoints), String> {
    let stream = if create {
        bus.open_source(source.id(), source.game().class_id).await
    } else {
        bus.find_source(source.id()).await.and_then(|found| {
            found.ok_or_else(|| wardcast_bus::Error::JetStream("no stream yet".into()))
        })
    }
    .map_err(|e| e.to_string())?;
    if !source.adopt_epoch(stream.epoch()) {
        tracing::warn!(
            source = source.id(),
            "the source's stream has a new epoch (its data was lost): starting the source over; its clients are closed with 4010"
        );
        source.set_ready(false);
        source.reset(stream.epoch());
    }
    let checkpoints = bus.checkpoints().await.map_err(|e| e.to_string())?;
    Ok((stream, checkpoints))
}

/// Brings a fresh source up to the stream's end: its checkpoint when one
/// fits the stream (with the batches before it that the source's history
/// would still hold, so clients can resume here from before this node
/// started), then every batch after it. Returns a reader positioned after
/// the last batch applied.
async fn catch_up(
    stream: &SourceStream,
    checkpoints: &Checkpoints,
    source: &Source,
) -> Result<Reader, String> {
    let span = stream.span().await.map_err(|e| e.to_string())?;
    let mut start = source.next_batch().max(span.first);
    if source.next_batch() == 1 {
        if let Some(ck) = checkpoints
            .get(source.id())
            .await
            .map_err(|e| e.to_string())?
        {
            let fits =
                ck.epoch == stream.epoch() && ck.number + 1 >= span.first && ck.number <= span.last;
            if fits {
                if let Some(covered) = source.restore(&ck.data) {
                    start = covered + 1;
                    backfill(stream, source, span.first, covered).await?;
                }
            }
        }
    }
    let mut reader = stream.read_from(start).await.map_err(|e| e.to_string())?;
    while source.next_batch() <= span.last {
        let Some((_, bytes)) = reader.next().await.map_err(|e| e.to_string())? else {
            return Err("the stream ended while catching up".into());
        };
        let batch = source.decode(bytes).map_err(|e| e.to_string())?;
        source.apply(batch).map_err(|e| format!("{e:?}"))?;
    }
    Ok(reader)
}

/// Reads the batches from `last` back towards `first`, as far as the
/// source's history would keep them, into the history of a source just
/// restored from a checkpoint of batch `last`.
async fn backfill(
    stream: &SourceStream,
    source: &Source,
    first: u64,
    last: u64,
) -> Result<(), String> {
    let limits = source.history_limits();
    let now = std::time::SystemTime::now();
    let (mut notifications, mut bytes) = (0usize, 0usize);
    let mut older = Vec::new();
    for number in (first..=last).rev() {
        let stored = match stream.get(number).await {
            Ok(stored) => stored,
            // Aged out of the stream meanwhile: the history starts after it.
            Err(_) => break,
        };
        let age = now.duration_since(stored.at).unwrap_or_default();
        bytes += stored.payload.len();
        let batch = source.decode(stored.payload).map_err(|e| e.to_string())?;
        notifications += batch.len();
        if age > limits.max_age
            || notifications > limits.max_notifications
            || bytes > limits.max_bytes
        {
            break;
        }
        older.push((age, batch));
    }
    older.reverse();
    let kept = source.backfill(older);
    tracing::debug!(
        source = source.id(),
        kept,
        "history backfilled from the stream"
    );
    Ok(())
}

/// Why a batch was not published.
#[derive(Debug)]
pub(crate) enum PublishError {
    /// The node is shutting down.
    Stopped,
    /// Another ingest writes the source now (this one lost its lease).
    Fenced(String),
    /// The source's stream was gone (NATS lost its store) or made anew, and
    /// the source started over in a new one: the batch, rendered for the
    /// old stream, is handed back, with whether the game was running.
    Lost {
        /// The batch the lost stream did not take.
        batch: Box<wardcast_broker::bus::BusBatch>,
        /// Whether the source's game was running before it started over.
        running: bool,
    },
    /// The batch could not be applied locally after it was stored.
    Local(String),
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stopped => f.write_str("shutting down"),
            Self::Fenced(e) | Self::Local(e) => f.write_str(e),
            Self::Lost { .. } => f.write_str("the source's stream was lost"),
        }
    }
}

/// Why an ingest cannot write a source yet.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// Another ingest holds the source's lease.
    Owned(String),
    /// NATS is unreachable or failed.
    Other(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Owned(e) | Self::Other(e) => f.write_str(e),
        }
    }
}

/// Turns every supported feature and key of a health report red with
/// `reason`: this ingest may not write its source (another one does), so
/// nothing it takes reaches any client.
pub(crate) fn mark_refused(report: &mut wardcast_engine::HealthReport, reason: &str) {
    report.state = 3;
    for feature in report.features.iter_mut().filter(|f| f.state != 0) {
        feature.state = 3;
        for key in feature.keys.iter_mut().filter(|k| k.state != 0) {
            key.state = 3;
            key.reason = Some(format!("not published: {reason}"));
        }
    }
}

/// The ingest side of one source: its stream, its fenced writer, and when
/// its checkpoint is due.
pub(crate) struct Upstream {
    bus: Bus,
    stream: SourceStream,
    writer: Writer,
    checkpoints: Checkpoints,
    since_checkpoint: u32,
    last_checkpoint: Instant,
    /// Stops the lease's refresher (and releases it) when the upstream goes.
    _lease: tokio_util::sync::DropGuard,
}

impl Upstream {
    /// Opens (or creates) the source's stream, takes its epoch, and brings
    /// the local hub up to the stream's end (an ingest that restarts goes on
    /// in the same epoch, after the last batch stored).
    pub async fn open(bus: &Bus, source: &Source, name: &str) -> Result<Self, OpenError> {
        let run = uuid::Uuid::new_v4().to_string();
        let lease = bus
            .claim(source.id(), &format!("{name} run {run}"))
            .await
            .map_err(|e| match e {
                wardcast_bus::Error::Owned { .. } => OpenError::Owned(e.to_string()),
                e => OpenError::Other(e.to_string()),
            })?;
        let lease_stop = CancellationToken::new();
        tokio::spawn(hold(lease, source.id().to_string(), lease_stop.clone()));
        let (stream, checkpoints) = open_stream(bus, source, true)
            .await
            .map_err(OpenError::Other)?;
        drop(
            catch_up(&stream, &checkpoints, source)
                .await
                .map_err(OpenError::Other)?,
        );
        source.set_ready(true);
        let writer = stream
            .writer(&run)
            .await
            .map_err(|e| OpenError::Other(e.to_string()))?;
        Ok(Self {
            bus: bus.clone(),
            stream,
            writer,
            checkpoints,
            since_checkpoint: 0,
            last_checkpoint: Instant::now(),
            _lease: lease_stop.drop_guard(),
        })
    }

    /// Whether the source's stream is gone or made anew (not merely
    /// unreachable: then it cannot tell, and says no).
    async fn stream_lost(&self) -> bool {
        matches!(still_current(&self.bus, &self.stream).await, Ok(false))
    }

    /// The stream looked lost: opens it again, making it anew if it is
    /// gone. A new epoch starts the source over, empty (its clients are
    /// closed with 4010), and answers `true`; the same stream after all
    /// answers `false` (carry on in it).
    async fn start_over(&mut self, source: &Source) -> Result<bool, String> {
        let (stream, checkpoints) = open_stream(&self.bus, source, true).await?;
        source.set_ready(true);
        if source.next_batch() != 1 {
            return Ok(false);
        }
        let run = uuid::Uuid::new_v4().to_string();
        self.writer = stream.writer(&run).await.map_err(|e| e.to_string())?;
        self.stream = stream;
        self.checkpoints = checkpoints;
        self.since_checkpoint = 0;
        tracing::warn!(
            source = source.id(),
            epoch = %source.epoch(),
            "the source's stream was lost: started over in a new epoch"
        );
        Ok(true)
    }

    /// Stores `batch` as the source's next batch, then applies it locally.
    /// While NATS is unreachable it retries (the pipeline waits, its queue
    /// fills, and the game gets 503: nothing is rendered and lost). If the
    /// stream was lost, the source has started over in a new stream when
    /// this returns [`PublishError::Lost`].
    pub async fn publish(
        &mut self,
        source: &Source,
        batch: Batch,
        stop: &CancellationToken,
    ) -> Result<(), PublishError> {
        // Rendered once: a retry carries the same bytes under the same number.
        let rendered = source.render(self.writer.next_sequence(), batch);
        let bytes = rendered.encode();
        let mut attempt = 0;
        loop {
            match self.writer.publish(bytes.clone()).await {
                Ok(_) => {
                    source.apply(rendered).map_err(|e| {
                        PublishError::Local(format!("local hub out of order: {e:?}"))
                    })?;
                    break;
                }
                Err(e) => {
                    let fenced = matches!(e, wardcast_bus::Error::Fenced { .. });
                    if self.stream_lost().await {
                        let running = source.game_running();
                        match self.start_over(source).await {
                            Ok(true) => {
                                return Err(PublishError::Lost {
                                    batch: Box::new(rendered),
                                    running,
                                })
                            }
                            Ok(false) => {}
                            Err(e) => tracing::warn!(
                                source = source.id(),
                                "cannot make the source's stream anew yet: {e}"
                            ),
                        }
                    } else if fenced {
                        return Err(PublishError::Fenced(e.to_string()));
                    }
                    if attempt == 0 {
                        tracing::warn!(
                            source = source.id(),
                            "publish to NATS failed, retrying: {e}"
                        );
                    }
                    let wait = backoff(attempt);
                    attempt += 1;
                    tokio::select! {
                        () = stop.cancelled() => return Err(PublishError::Stopped),
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
        self.since_checkpoint += 1;
        if self.since_checkpoint >= CHECKPOINT_BATCHES
            || self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY
        {
            self.checkpoint(source).await;
        }
        Ok(())
    }

    /// Writes the source's checkpoint now (a failure waits for the next one,
    /// with the bucket opened again in case NATS lost it).
    pub async fn checkpoint(&mut self, source: &Source) {
        let checkpoint = Checkpoint {
            epoch: self.stream.epoch().to_string(),
            number: source.next_batch() - 1,
            data: source.checkpoint(),
        };
        match self.checkpoints.put(source.id(), &checkpoint).await {
            Ok(()) => {
                self.since_checkpoint = 0;
                self.last_checkpoint = Instant::now();
            }
            Err(e) => {
                tracing::warn!(source = source.id(), "checkpoint not written: {e}");
                if let Ok(checkpoints) = self.bus.checkpoints().await {
                    self.checkpoints = checkpoints;
                }
            }
        }
    }
}

/// Whether `stream` is still the source's stream on the bus (not gone, not
/// made anew in another epoch); an error when NATS cannot tell.
async fn still_current(bus: &Bus, stream: &SourceStream) -> Result<bool, wardcast_bus::Error> {
    Ok(bus
        .find_source(stream.source())
        .await?
        .is_some_and(|found| found.epoch() == stream.epoch()))
}

/// Refreshes a source's lease until `stop`, then releases it.
async fn hold(mut lease: wardcast_bus::Lease, source: String, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wardcast_bus::LEASE_REFRESH) => {}
        }
        if let Err(e) = lease.refresh().await {
            tracing::warn!(source = %source, "the source's lease was not refreshed: {e}");
        }
    }
    lease.release().await;
}

/// Follows every source's stream (but `own`, the sources this node writes)
/// into the broker until `stop`.
pub(crate) async fn run_edge(
    mut cell: crate::BusCell,
    broker: Broker,
    own: Arc<Mutex<HashSet<String>>>,
    stop: CancellationToken,
) {
    let Some(bus) = crate::bus_ready(&mut cell, &stop).await else {
        return;
    };
    let mut followed: HashSet<String> = HashSet::new();
    let tasks = tokio_util::task::TaskTracker::new();
    loop {
        match bus.sources().await {
            Ok(sources) => {
                for id in sources {
                    let mine = own.lock().unwrap_or_else(|e| e.into_inner()).contains(&id);
                    if mine || followed.contains(&id) {
                        continue;
                    }
                    // The stream says the source's game (else the default).
                    let game = match bus.find_source(&id).await {
                        Ok(Some(stream)) => stream.game(),
                        _ => None,
                    };
                    let source = match game {
                        Some(class_id) => broker.source_of(&id, class_id),
                        None => broker.source(&id),
                    };
                    match source {
                        Ok(source) => {
                            followed.insert(id.clone());
                            tasks.spawn(follow(bus.clone(), source, stop.clone()));
                        }
                        Err(e) => tracing::warn!(source = %id, "not followed: {e}"),
                    }
                }
            }
            Err(e) => tracing::debug!("listing sources failed: {e}"),
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(DISCOVER_EVERY) => {}
        }
    }
    tasks.close();
    tasks.wait().await;
}

/// Applies one source's batches as its stream gets them, starting over
/// (from where the hub is) whenever the reader fails.
async fn follow(bus: Bus, source: Source, stop: CancellationToken) {
    let mut attempt = 0;
    loop {
        let result = tokio::select! {
            () = stop.cancelled() => return,
            result = follow_once(&bus, &source) => result,
        };
        if let Err(e) = result {
            if attempt == 0 {
                tracing::warn!(
                    source = source.id(),
                    "following the stream failed, retrying: {e}"
                );
            }
        }
        let wait = backoff(attempt);
        attempt += 1;
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn follow_once(bus: &Bus, source: &Source) -> Result<(), String> {
    let (stream, checkpoints) = open_stream(bus, source, false).await?;
    let mut reader = catch_up(&stream, &checkpoints, source).await?;
    let mut health = None;
    adopt_states(source, &mut health);
    source.set_ready(true);
    // Fed (a candidate for the default source, with a data age) only once
    // its game sent data: the ingest's own unused source is not a match.
    if source.game_running() {
        source.touch_game();
    }
    loop {
        let next = tokio::select! {
            // A batch waiting wins over the quiet timer (both are ready at
            // once after the process was paused).
            biased;
            next = reader.next() => next,
            () = tokio::time::sleep(STALL_CHECK) => {
                // Quiet: fine, unless the stream was lost (NATS lost its
                // store: the consumer then waits for sequences a new stream
                // will not have for long), or has batches the consumer did
                // not deliver (a consumer stuck after a NATS restart).
                if !still_current(bus, &stream).await.map_err(|e| e.to_string())? {
                    return Err("the source's stream was lost or made anew".into());
                }
                let span = stream.span().await.map_err(|e| e.to_string())?;
                if span.last >= reader.expected() {
                    return Err(format!(
                        "the consumer stalled at batch {} of {}: reading again",
                        reader.expected(),
                        span.last
                    ));
                }
                continue;
            }
        };
        let Some((_, bytes)) = next.map_err(|e| e.to_string())? else {
            return Err("the stream's consumer ended".into());
        };
        let batch = source.decode(bytes).map_err(|e| e.to_string())?;
        let health_changed = batch.touches("gep_internal");
        source.apply(batch).map_err(|e| format!("{e:?}"))?;
        if health_changed {
            adopt_states(source, &mut health);
        }
        if source.game_running() {
            source.touch_game();
        }
    }
}

/// What a node says when NATS is unreachable: it keeps serving what it holds.
pub(crate) const UPSTREAM_LOST: &str =
    "NATS is unreachable: this node serves what it holds and catches up when NATS is back";

/// Turns every green or yellow state of a health report yellow, with the
/// reason that NATS is unreachable (unsupported and red ones stay).
pub(crate) fn mark_upstream_lost(report: &mut serde_json::Value) {
    let green_or_yellow = |v: &serde_json::Value| v["state"] == 1 || v["state"] == 2;
    if green_or_yellow(report) {
        report["state"] = 2.into();
    }
    for feature in report["features"].as_array_mut().into_iter().flatten() {
        if green_or_yellow(feature) {
            feature["state"] = 2.into();
        }
        for key in feature["keys"].as_array_mut().into_iter().flatten() {
            if green_or_yellow(key) {
                key["state"] = 2.into();
                key["reason"] = UPSTREAM_LOST.into();
            }
        }
    }
}

/// Sets the source's `getFeatures` states from the health report its ingest
/// sent along, when it changed.
fn adopt_states(source: &Source, last: &mut Option<serde_json::Value>) {
    let report = source
        .info_of("gep_internal")
        .and_then(|info| info.get("gep_internal")?.get("health").cloned());
    if report.is_none() || *last == report {
        return;
    }
    let Some(report) = report else { return };
    let catalogue = source.catalogue();
    let states: Vec<_> = report["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let id = catalogue.id(f["name"].as_str()?)?;
            let info = f["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|k| k["type"] == 1)
                .map(|k| u8::try_from(k["state"].as_u64().unwrap_or(0)).unwrap_or(0))
                .collect();
            let state = u8::try_from(f["state"].as_u64()?).ok()?;
            Some((id, wardcast_broker::FeatureState { state, info }))
        })
        .collect();
    source.set_feature_states(&states);
    *last = Some(report);
}
