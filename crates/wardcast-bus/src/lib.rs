//! Wardcast's tournament bus: GSI sources shared between brokers over NATS
//! JetStream.
//!
//! One stream per source, `WC_<source>`, holds the source's batches in order
//! on `wardcast.<source>.batch`. Its stream sequence is the source's batch
//! sequence for every node, and a UUID in the stream's metadata is the
//! source's epoch: both survive restarts of any process, NATS included when it
//! stores to disk. The crate knows bytes, not games or frames:
//! - [`Bus`]: a connection (URLs, token or credentials file), refusing
//!   servers older than 2.10 (stream metadata).
//! - [`SourceStream`]: one source's stream, created on first use with a new
//!   epoch, which is never overwritten afterwards.
//! - [`Writer`]: the single writer of a source. Each publish expects the
//!   stream's last sequence (`Nats-Expected-Last-Sequence`) and carries a
//!   message id (`Nats-Msg-Id`), so a second writer is fenced off and a
//!   publish retried after a lost acknowledgement is never stored twice.
//! - [`Reader`]: the batches from a sequence on, in order, checked for gaps
//!   by the reader itself (it never trusts the library's consumer to be
//!   gap-free or everlasting).
//! - [`server`]: a real `nats-server` for tests and benchmarks.

pub mod server;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures::StreamExt;

/// The stream-metadata key of a source's epoch.
pub const EPOCH_KEY: &str = "wardcast.epoch";
/// The stream-metadata key of the game a source carries (its Overwolf
/// class id, in decimal), so every edge makes the source with its catalogue.
pub const GAME_KEY: &str = "wardcast.game";
/// The stream-metadata key of the batch format.
pub const FORMAT_KEY: &str = "wardcast.format";
/// The batch format this build writes and reads.
pub const FORMAT: &str = "1";

/// How long a source's batches stay in its stream: more than a client's
/// 5-minute resume window.
pub const MAX_AGE: Duration = Duration::from_secs(600);
/// The most batches a source's stream keeps.
pub const MAX_MESSAGES: i64 = 20_000;
/// The most bytes a source's stream keeps.
pub const MAX_BYTES: i64 = 256 * 1024 * 1024;

/// Errors of the bus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting to NATS failed.
    #[error("cannot connect to NATS: {0}")]
    Connect(String),
    /// The server is too old or runs without JetStream.
    #[error("NATS server unsuitable: {0}")]
    Server(String),
    /// A stream operation failed.
    #[error("JetStream: {0}")]
    JetStream(String),
    /// Another writer owns the source: its publish took the sequence this
    /// one expected.
    #[error("source {id} is written by another ingest (stream sequence {sequence} is not ours)")]
    Fenced {
        /// The source.
        id: String,
        /// The sequence the other writer took.
        sequence: u64,
    },
    /// A batch is missing between two the reader got.
    #[error("gap in source {id}: expected batch {expected}, got {got}")]
    Gap {
        /// The source.
        id: String,
        /// The sequence that should have come.
        expected: u64,
        /// The sequence that came.
        got: u64,
    },
    /// Another ingest holds the source's lease.
    #[error("source {id} is written by another ingest ({by}); it is refused until that one stops")]
    Owned {
        /// The source.
        id: String,
        /// The other writer's name and run.
        by: String,
    },
    /// A source id that cannot name a stream.
    #[error("invalid source id {0:?}")]
    InvalidSource(String),
}

fn js_error(e: impl std::fmt::Display) -> Error {
    Error::JetStream(e.to_string())
}

/// How to reach NATS.
#[derive(Clone, Default)]
pub struct BusConfig {
    /// Server URLs, e.g. `nats://127.0.0.1:4222`.
    pub urls: Vec<String>,
    /// A token (`--nats-token`).
    pub token: Option<String>,
    /// A credentials file (`--nats-creds`: JWT and nkey seed).
    pub creds: Option<PathBuf>,
    /// The connection's name, shown by the server's monitoring.
    pub name: String,
    /// Where streams store: `true` for memory (fast, lost when NATS restarts,
    /// which is then a new epoch), `false` for files.
    pub memory: bool,
    /// How many servers of a NATS cluster hold each stream and bucket
    /// (`--nats-replicas`: 1, or 3 or 5 in a cluster; 0 counts as 1).
    pub replicas: usize,
}

impl std::fmt::Debug for BusConfig {
    /// Never prints the token or the credentials' path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusConfig")
            .field("urls", &self.urls)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("creds", &self.creds.as_ref().map(|_| "<hidden>"))
            .field("name", &self.name)
            .field("memory", &self.memory)
            .field("replicas", &self.replicas)
            .finish()
    }
}

/// A connection to NATS with JetStream.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    memory: bool,
    replicas: usize,
}

/// Whether a server version (`2.10.4`, `2.15.1-dev`) is 2.10 or newer.
pub fn version_ok(version: &str) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (2, 10)
}

impl Bus {
    /// Connects; it keeps reconnecting by itself afterwards (without end,
    /// backing off up to a second).
    pub async fn connect(config: &BusConfig) -> Result<Self, Error> {
        let mut options = async_nats::ConnectOptions::new()
            .name(&config.name)
            .max_reconnects(None)
            // Back within a second of NATS coming back (the default waits up to 4 s).
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis(100 * attempts.min(10) as u64)
            });
        if let Some(token) = &config.token {
            options = options.token(token.clone());
        }
        if let Some(path) = &config.creds {
            options = options
                .credentials_file(path)
                .await
                .map_err(|e| Error::Connect(format!("credentials file: {e}")))?;
        }
        let urls = config
            .urls
            .iter()
            .map(|url| {
                url.parse::<async_nats::ServerAddr>()
                    .map_err(|e| Error::Connect(format!("server URL {url:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let client = options
            .connect(urls.as_slice())
            .await
            .map_err(|e| Error::Connect(e.to_string()))?;
        let version = client.server_info().version;
        if !version_ok(&version) {
            return Err(Error::Server(format!(
                "version {version}: Wardcast needs nats-server 2.10 or newer (stream metadata)"
            )));
        }
        let js = jetstream::new(client.clone());
        js.query_account()
            .await
            .map_err(|e| Error::Server(format!("JetStream is not enabled ({e})")))?;
        Ok(Self {
            client,
            js,
            memory: config.memory,
            replicas: config.replicas.max(1),
        })
    }

    /// The underlying client (for status: `connection_state`).
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Whether the connection is up now.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// The name of the server that leads `source`'s stream in a cluster
    /// (`None` for a single server, or no stream).
    pub async fn stream_leader(&self, source: &str) -> Result<Option<String>, Error> {
        let Some(found) = self.find_source(source).await? else {
            return Ok(None);
        };
        // Just fetched by `find_source`: its info is current.
        let info = found.stream.cached_info();
        Ok(info.cluster.as_ref().and_then(|c| c.leader.clone()))
    }

    /// The sources that have a stream, in name order.
    pub async fn sources(&self) -> Result<Vec<String>, Error> {
        let mut names = self.js.stream_names();
        let mut out = Vec::new();
        while let Some(name) = names.next().await {
            let name = name.map_err(js_error)?;
            if let Some(source) = name.strip_prefix("WC_") {
                out.push(source.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// The checkpoint bucket (`wardcast_ckpt`: the latest value per source).
    pub async fn checkpoints(&self) -> Result<Checkpoints, Error> {
        let store = self.bucket(CHECKPOINTS, Duration::ZERO).await?;
        Ok(Checkpoints { store })
    }

    /// The KV bucket `name` (one value per key; entries expire after
    /// `max_age`, zero for never), created on first use, stored like the streams.
    async fn bucket(&self, name: &str, max_age: Duration) -> Result<jetstream::kv::Store, Error> {
        if let Ok(store) = self.js.get_key_value(name).await {
            return Ok(store);
        }
        self.js
            .create_key_value(jetstream::kv::Config {
                bucket: name.into(),
                history: 1,
                max_age,
                storage: self.storage(),
                num_replicas: self.replicas,
                ..Default::default()
            })
            .await
            .map_err(js_error)
    }

    fn storage(&self) -> stream::StorageType {
        if self.memory {
            stream::StorageType::Memory
        } else {
            stream::StorageType::File
        }
    }

    /// Claims `source` for the writer `who` (a name and run id): refused with
    /// [`Error::Owned`] while another writer holds it.
    pub async fn claim(&self, source: &str, who: &str) -> Result<Lease, Error> {
        let store = self.bucket(OWNERS, LEASE_TTL).await?;
        match store.create(source, Bytes::from(who.to_string())).await {
            Ok(revision) => Ok(Lease {
                bus: self.clone(),
                store,
                key: source.to_string(),
                who: Bytes::from(who.to_string()),
                revision,
            }),
            Err(e) if e.kind() != jetstream::kv::CreateErrorKind::AlreadyExists => Err(js_error(e)),
            Err(_) => {
                let by = store
                    .get(source)
                    .await
                    .ok()
                    .flatten()
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_else(|| "unknown".into());
                Err(Error::Owned {
                    id: source.to_string(),
                    by,
                })
            }
        }
    }

    /// The stream of `source`, created (with a new epoch, carrying the game
    /// of class id `game`) if it does not exist. Only the source's writer (an
    /// ingest holding its lease) creates streams; readers use
    /// [`Bus::find_source`].
    pub async fn open_source(&self, source: &str, game: u32) -> Result<SourceStream, Error> {
        if let Some(stream) = self.find_source(source).await? {
            return Ok(stream);
        }
        let name = stream_name(source)?;
        let mut metadata = HashMap::new();
        metadata.insert(EPOCH_KEY.to_string(), uuid::Uuid::new_v4().to_string());
        metadata.insert(FORMAT_KEY.to_string(), FORMAT.to_string());
        metadata.insert(GAME_KEY.to_string(), game.to_string());
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![format!("wardcast.{source}.>")],
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            max_age: MAX_AGE,
            max_messages: MAX_MESSAGES,
            max_bytes: MAX_BYTES,
            storage: self.storage(),
            num_replicas: self.replicas,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            metadata,
            ..Default::default()
        };
        // Two nodes may race to create it: whoever loses gets the winner's.
        let stream = self
            .js
            .get_or_create_stream(config)
            .await
            .map_err(js_error)?;
        SourceStream::of(source, stream, self.js.clone())
    }

    /// The stream of `source` if it exists (`None`: never made, or lost
    /// with NATS's store), without creating it.
    pub async fn find_source(&self, source: &str) -> Result<Option<SourceStream>, Error> {
        let name = stream_name(source)?;
        match self.js.get_stream(&name).await {
            Ok(stream) => SourceStream::of(source, stream, self.js.clone()).map(Some),
            Err(e) => match e.kind() {
                jetstream::context::GetStreamErrorKind::JetStream(inner)
                    if inner.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
                {
                    Ok(None)
                }
                _ => Err(js_error(e)),
            },
        }
    }
}

/// The stream name of a source id (`WC_<id>`), for ids that can name one.
fn stream_name(source: &str) -> Result<String, Error> {
    let ok = !source.is_empty()
        && source.len() <= 32
        && source
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(Error::InvalidSource(source.chars().take(40).collect()));
    }
    Ok(format!("WC_{source}"))
}

/// The KV bucket of writers' leases: one key per source, expiring
/// [`LEASE_TTL`] after its last refresh.
pub const OWNERS: &str = "wardcast_owners";
/// How long a lease outlives its writer's last refresh.
pub const LEASE_TTL: Duration = Duration::from_secs(10);
/// How often a writer refreshes its lease.
pub const LEASE_REFRESH: Duration = Duration::from_secs(3);

/// A writer's claim on a source: while it is held (refreshed), a second
/// ingest for the source is refused.
pub struct Lease {
    bus: Bus,
    store: jetstream::kv::Store,
    key: String,
    who: Bytes,
    revision: u64,
}

impl Lease {
    /// Keeps the lease (call every [`LEASE_REFRESH`]); an error means it
    /// was lost (expired and taken).
    pub async fn refresh(&mut self) -> Result<(), Error> {
        match self
            .store
            .update(&self.key, self.who.clone(), self.revision)
            .await
        {
            Ok(revision) => {
                self.revision = revision;
                Ok(())
            }
            // Expired (NATS was away longer than the TTL): claim it again,
            // unless another writer took it meanwhile; with the bucket made
            // anew if NATS lost its store.
            Err(_) => {
                if let Ok(revision) = self.store.create(&self.key, self.who.clone()).await {
                    self.revision = revision;
                    return Ok(());
                }
                self.store = self.bus.bucket(OWNERS, LEASE_TTL).await?;
                self.revision = self
                    .store
                    .create(&self.key, self.who.clone())
                    .await
                    .map_err(js_error)?;
                Ok(())
            }
        }
    }

    /// Gives the lease up (an orderly shutdown), so the next ingest need not
    /// wait for it to expire; only while it is still this writer's (the
    /// delete expects its revision): a writer whose lease lapsed and was
    /// taken never deletes the new owner's.
    pub async fn release(self) {
        let _ = self
            .store
            .delete_expect_revision(&self.key, Some(self.revision))
            .await;
    }
}

/// The KV bucket of checkpoints.
pub const CHECKPOINTS: &str = "wardcast_ckpt";

/// Each source's latest checkpoint: its store as of a batch, so a node that
/// starts later does not need the whole stream (which keeps 10 minutes).
#[derive(Clone)]
pub struct Checkpoints {
    store: jetstream::kv::Store,
}

/// A checkpoint as stored: the epoch it belongs to and the store's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The stream epoch it was taken in.
    pub epoch: String,
    /// The batch it covers.
    pub number: u64,
    /// The store, as the broker wrote it.
    pub data: Bytes,
}

impl Checkpoints {
    /// Stores `source`'s checkpoint.
    pub async fn put(&self, source: &str, checkpoint: &Checkpoint) -> Result<(), Error> {
        let mut value = Vec::with_capacity(checkpoint.data.len() + 64);
        value.extend_from_slice(
            serde_json::json!({"epoch": checkpoint.epoch, "number": checkpoint.number})
                .to_string()
                .as_bytes(),
        );
        value.push(b'\n');
        value.extend_from_slice(&checkpoint.data);
        self.store
            .put(source, Bytes::from(value))
            .await
            .map_err(js_error)?;
        Ok(())
    }

    /// `source`'s latest checkpoint, if any.
    pub async fn get(&self, source: &str) -> Result<Option<Checkpoint>, Error> {
        let Some(value) = self.store.get(source).await.map_err(js_error)? else {
            return Ok(None);
        };
        let Some(split) = value.iter().position(|b| *b == b'\n') else {
            return Ok(None);
        };
        let head: serde_json::Value = serde_json::from_slice(&value[..split]).unwrap_or_default();
        let (Some(epoch), Some(number)) = (head["epoch"].as_str(), head["number"].as_u64()) else {
            return Ok(None);
        };
        Ok(Some(Checkpoint {
            epoch: epoch.to_string(),
            number,
            data: value.slice(split + 1..),
        }))
    }
}

/// One source's stream.
#[derive(Clone)]
pub struct SourceStream {
    source: String,
    subject: String,
    stream: stream::Stream,
    js: jetstream::Context,
    epoch: String,
    game: Option<u32>,
}

/// The sequences a stream holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The oldest batch kept (`last + 1` when the stream is empty).
    pub first: u64,
    /// The newest batch (0 before any).
    pub last: u64,
}

impl SourceStream {
    /// A stream as found, with its epoch and batch format checked.
    fn of(source: &str, stream: stream::Stream, js: jetstream::Context) -> Result<Self, Error> {
        let info = stream.cached_info();
        let name = &info.config.name;
        let epoch = info
            .config
            .metadata
            .get(EPOCH_KEY)
            .cloned()
            .ok_or_else(|| Error::JetStream(format!("stream {name} has no {EPOCH_KEY}")))?;
        let format = info.config.metadata.get(FORMAT_KEY).map(String::as_str);
        if format != Some(FORMAT) {
            return Err(Error::JetStream(format!(
                "stream {name} holds batch format {format:?}; this build reads {FORMAT:?}"
            )));
        }
        let game = info
            .config
            .metadata
            .get(GAME_KEY)
            .and_then(|g| g.parse().ok());
        Ok(Self {
            source: source.to_string(),
            subject: format!("wardcast.{source}.batch"),
            stream,
            js,
            epoch,
            game,
        })
    }

    /// The source id.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The source's epoch: the same for every node and across restarts, new
    /// only when the stream is lost or recreated.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The Overwolf class id of the game the source carries (`None` for a
    /// stream made before streams said so: the broker's default game).
    pub fn game(&self) -> Option<u32> {
        self.game
    }

    /// The first and last sequence the stream holds now.
    pub async fn span(&self) -> Result<Span, Error> {
        let mut stream = self.stream.clone();
        let state = stream.info().await.map_err(js_error)?.state.clone();
        Ok(Span {
            first: state.first_sequence.max(1),
            last: state.last_sequence,
        })
    }

    /// The single writer of this source, continuing after the stream's last
    /// batch. `run` names this writer's process and must be new for each
    /// run (a UUID): message ids are `<source>:<run>:<n>`, so a retry of
    /// publish `n` is recognised, and within the duplicate window an id
    /// reused for other data would be taken for a retry.
    pub async fn writer(&self, run: &str) -> Result<Writer, Error> {
        let last = self.span().await?.last;
        Ok(Writer {
            stream: self.clone(),
            prefix: format!("{}:{run}:", self.source),
            n: 0,
            last,
        })
    }

    /// The batches from `start` on, in order, then live ones.
    pub async fn read_from(&self, start: u64) -> Result<Reader, Error> {
        let consumer = self
            .stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: self.subject.clone(),
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: start.max(1),
                },
                ..Default::default()
            })
            .await
            .map_err(js_error)?;
        let messages = consumer.messages().await.map_err(js_error)?;
        Ok(Reader {
            source: self.source.clone(),
            messages,
            next: start.max(1),
        })
    }

    /// One stored batch: its bytes, message id and when it was stored.
    pub async fn get(&self, sequence: u64) -> Result<Stored, Error> {
        let message = self.stream.direct_get(sequence).await.map_err(js_error)?;
        let id = message
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_string());
        Ok(Stored {
            payload: message.payload,
            id,
            at: std::time::SystemTime::from(message.time),
        })
    }
}

/// A batch as the stream holds it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The batch's bytes.
    pub payload: Bytes,
    /// Its message id (`<source>:<run>:<n>`), if it has one.
    pub id: Option<String>,
    /// When the stream stored it.
    pub at: std::time::SystemTime,
}

/// The one writer of a source.
pub struct Writer {
    stream: SourceStream,
    prefix: String,
    /// How many batches this writer has published.
    n: u64,
    /// The stream's last sequence as this writer knows it.
    last: u64,
}

/// How many times a publish whose acknowledgement did not come is retried.
const PUBLISH_ATTEMPTS: u32 = 3;

impl Writer {
    /// The sequence the next batch will have. A caller may render the batch
    /// with it (sequence numbers inside the payload) before publishing.
    pub fn next_sequence(&self) -> u64 {
        self.last + 1
    }

    /// Publishes the next batch and returns its sequence. A publish whose
    /// acknowledgement is lost is retried with the same message id: if the
    /// first attempt was stored, that is success, never a second copy. If
    /// another writer took the sequence, this writer is fenced.
    pub async fn publish(&mut self, payload: Bytes) -> Result<u64, Error> {
        let sequence = self.last + 1;
        let id = format!("{}{}", self.prefix, self.n + 1);
        let mut last_error = None;
        for _ in 0..PUBLISH_ATTEMPTS {
            match self.attempt(&id, payload.clone(), sequence).await {
                Ok(()) => {
                    self.n += 1;
                    self.last = sequence;
                    return Ok(sequence);
                }
                Err(e @ Error::Fenced { .. }) => return Err(e),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::JetStream("publish failed".into())))
    }

    async fn attempt(&self, id: &str, payload: Bytes, sequence: u64) -> Result<(), Error> {
        let message = jetstream::message::PublishMessage::build()
            .payload(payload)
            .message_id(id)
            .expected_last_sequence(sequence - 1);
        let ack = self
            .stream
            .js
            .send_publish(self.stream.subject.clone(), message)
            .await
            .map_err(js_error)?
            .await;
        match ack {
            // A clustered stream answers a retry with `duplicate: true`.
            Ok(ack) if ack.sequence == sequence => Ok(()),
            Ok(ack) if ack.duplicate => Err(Error::JetStream(format!(
                "message id {id} was already used for batch {}: a writer's run id must be new each run",
                ack.sequence
            ))),
            Ok(ack) => Err(Error::JetStream(format!(
                "stored at {} instead of {sequence}",
                ack.sequence
            ))),
            Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {
                // Ours, stored by an attempt whose ack was lost? Or another writer's?
                match self.stream.get(sequence).await {
                    Ok(Stored { id: Some(stored), .. }) if stored == id => Ok(()),
                    _ => Err(Error::Fenced {
                        id: self.stream.source.clone(),
                        sequence,
                    }),
                }
            }
            Err(e) => Err(js_error(e)),
        }
    }
}

/// The batches of a source in order, gap-checked.
pub struct Reader {
    source: String,
    messages: consumer::pull::Ordered,
    next: u64,
}

impl Reader {
    /// The next batch and its sequence; `None` when the consumer ends. A
    /// missing sequence is an [`Error::Gap`] (the caller starts over from a
    /// checkpoint or a fresh snapshot).
    pub async fn next(&mut self) -> Result<Option<(u64, Bytes)>, Error> {
        loop {
            let Some(message) = self.messages.next().await else {
                return Ok(None);
            };
            let message = message.map_err(js_error)?;
            let sequence = message.info().map_err(js_error)?.stream_sequence;
            if sequence < self.next {
                continue; // redelivered after a consumer reset
            }
            if sequence != self.next {
                return Err(Error::Gap {
                    id: self.source.clone(),
                    expected: self.next,
                    got: sequence,
                });
            }
            self.next = sequence + 1;
            return Ok(Some((sequence, message.payload.clone())));
        }
    }

    /// The sequence the next batch must have.
    pub fn expected(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_2_10_on_are_accepted() {
        for ok in ["2.10.0", "2.15.1", "2.15.0-dev", "3.0.0", "2.11"] {
            assert!(version_ok(ok), "{ok}");
        }
        for old in ["2.9.10", "1.4.1", "", "garbage"] {
            assert!(!version_ok(old), "{old}");
        }
    }

    #[test]
    fn the_config_never_prints_secrets() {
        let config = BusConfig {
            urls: vec!["nats://127.0.0.1:4222".into()],
            token: Some("s3cret".into()),
            creds: Some("/home/me/ingest.creds".into()),
            ..BusConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("ingest.creds"),
            "{shown}"
        );
    }
}
