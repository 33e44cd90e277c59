//! Batches for a bus between brokers (tournament mode): numbered and rendered
//! once, by the single node that ingests a source, and applied unchanged by
//! every node that serves its clients. The broker knows no transport: the
//! caller carries the bytes (over NATS JetStream, in Wardcast).
//!
//! An encoded batch is `WCB1`, a 4-byte little-endian header length, the
//! header (JSON: the batch number, each frame's seq, kind, feature and
//! payload, where each frame ends in the two buffers, and when the game data
//! arrived at the ingest, in wall-clock microseconds), then the frames'
//! WebSocket bytes in the `string` format and in the `object` format, back
//! to back. A node applying it parses the header (its info updates feed the
//! node's store) and writes the frames from the buffers as they came.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::batch::EventItem;
use crate::hub::{OutOfOrder, Published};
use crate::wire::{DataFormat, Frame, Payload, Target, Wire};
use crate::{Batch, Error, Source};

/// The first bytes of an encoded batch (the format's version is in them).
const MAGIC: &[u8; 4] = b"WCB1";
/// The largest header accepted.
const MAX_HEADER: usize = 16 * 1024 * 1024;

/// A batch numbered and rendered for the bus.
pub struct BusBatch {
    number: u64,
    published: Published,
    details: Option<Map<String, Value>>,
}

impl std::fmt::Debug for BusBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusBatch")
            .field("number", &self.number)
            .field("frames", &self.published.frames.len())
            .finish()
    }
}

/// The longest age believed of a batch's game data (beyond it, the clocks of
/// two nodes disagree, or the header is wrong): its latency is not measured.
const MAX_DATA_AGE: std::time::Duration = std::time::Duration::from_secs(120);

/// When game data stamped `micros` (wall clock) arrived, on this node's clock.
fn received_at(micros: u64) -> Option<tokio::time::Instant> {
    let stamped = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_micros(micros))?;
    let age = std::time::SystemTime::now()
        .duration_since(stamped)
        .unwrap_or_default();
    (age <= MAX_DATA_AGE)
        .then(|| tokio::time::Instant::now().checked_sub(age))
        .flatten()
}

fn bad(what: impl Into<String>) -> Error {
    Error::Bus(what.into())
}

impl BusBatch {
    /// The batch's number (its stream sequence).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// How many notifications it holds.
    pub fn len(&self) -> usize {
        self.published.frames.len()
    }

    /// Whether it holds no notification.
    pub fn is_empty(&self) -> bool {
        self.published.frames.is_empty()
    }

    /// Whether it carries an info update of `feature`.
    pub fn touches(&self, feature: &str) -> bool {
        self.published
            .frames
            .iter()
            .any(|f| f.info().is_some_and(|(name, _)| name == feature))
    }

    /// The bytes to carry.
    pub fn encode(&self) -> Bytes {
        let frames: Vec<FrameOut<'_>> = self
            .published
            .frames
            .iter()
            .map(|frame| {
                let mut out = FrameOut {
                    seq: frame.seq,
                    kind: Kind::Game,
                    feature: None,
                    events: None,
                    info: None,
                    running: None,
                };
                match &frame.payload {
                    Payload::Events { feature, events } => {
                        out.kind = Kind::Events;
                        out.feature = Some(feature);
                        out.events = Some(EventsOut(events));
                    }
                    Payload::Info { feature, info } => {
                        out.kind = Kind::Info;
                        out.feature = Some(feature);
                        out.info = Some(info);
                    }
                    Payload::GameInfo { running, .. } => out.running = Some(*running),
                }
                out
            })
            .collect();
        let (string, string_ends) = self.published.wire(DataFormat::String).parts();
        let (object, object_ends) = self.published.wire(DataFormat::Object).parts();
        // Wall-clock microseconds, so a node elsewhere can tell how old the
        // game data is (its latency histogram: GSI in → client write).
        let received_us = self.published.received_at.and_then(|at| {
            let wall = std::time::SystemTime::now().checked_sub(at.elapsed())?;
            let since = wall.duration_since(std::time::UNIX_EPOCH).ok()?;
            Some(u64::try_from(since.as_micros()).unwrap_or(0))
        });
        let header = HeaderOut {
            number: self.number,
            frames,
            string: string_ends,
            object: object_ends,
            details: self.details.as_ref(),
            received_us,
        };
        // The header is about the size of the object-format frames.
        let mut out = Vec::with_capacity(8 + 2 * object.len() + string.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[0; 4]);
        // Serializing plain data into a Vec cannot fail.
        if serde_json::to_writer(&mut out, &header).is_err() {
            out.truncate(8);
        }
        let header_len = u32::try_from(out.len() - 8).unwrap_or(u32::MAX);
        out[4..8].copy_from_slice(&header_len.to_le_bytes());
        out.extend_from_slice(string);
        out.extend_from_slice(object);
        Bytes::from(out)
    }
}

/// A frame's kind in a batch header.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Events,
    Info,
    Game,
}

/// A batch's header as written: borrowed from the batch, nothing copied.
#[derive(Serialize)]
struct HeaderOut<'a> {
    number: u64,
    frames: Vec<FrameOut<'a>>,
    string: &'a [usize],
    object: &'a [usize],
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    received_us: Option<u64>,
}

/// One frame of a header as written.
#[derive(Serialize)]
struct FrameOut<'a> {
    seq: u64,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<EventsOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    running: Option<bool>,
}

/// A frame's events as written: `[{"name", "data"}]`.
struct EventsOut<'a>(&'a [EventItem]);

impl Serialize for EventsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct One<'a> {
            name: &'a str,
            data: &'a Value,
        }
        s.collect_seq(self.0.iter().map(|e| One {
            name: &e.name,
            data: &e.data,
        }))
    }
}

/// A batch's header as read: parsed straight into what the batch keeps.
#[derive(Deserialize)]
struct HeaderIn {
    number: u64,
    frames: Vec<FrameIn>,
    string: Vec<usize>,
    object: Vec<usize>,
    #[serde(default)]
    details: Option<Map<String, Value>>,
    #[serde(default)]
    received_us: Option<u64>,
}

/// One frame of a header as read.
#[derive(Deserialize)]
struct FrameIn {
    seq: u64,
    kind: Kind,
    #[serde(default)]
    feature: Option<String>,
    #[serde(default)]
    events: Option<Vec<EventIn>>,
    #[serde(default)]
    info: Option<Map<String, Value>>,
    #[serde(default)]
    running: bool,
}

/// One event as read.
#[derive(Deserialize)]
struct EventIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    data: Value,
}

impl Source {
    /// Numbers `batch` as batch `number` and renders it in both formats,
    /// without applying it: the ingest stores it on the bus first, then
    /// applies it (see [`Source::apply`]).
    pub fn render(&self, number: u64, mut batch: Batch) -> BusBatch {
        let details = batch.details.take();
        let (frames, received_at) = self.inner.hub.number(number, batch);
        let string = Wire::render(&frames, DataFormat::String);
        let object = Wire::render(&frames, DataFormat::Object);
        let mut published = Published::rendered(frames, string, object);
        published.received_at = received_at;
        BusBatch {
            number,
            published,
            details,
        }
    }

    /// Applies a batch from the bus: it must be the one after the last
    /// applied (any, for the first).
    pub fn apply(&self, batch: BusBatch) -> Result<(), OutOfOrder> {
        self.inner.hub.apply(batch.number, batch.published)?;
        if let Some(details) = batch.details {
            self.set_details(details);
        }
        Ok(())
    }

    /// Gives a source just restored from a checkpoint the batches before
    /// it (oldest first, each with how long ago it was stored), so a client
    /// that saw them elsewhere can resume here: a node that starts late can
    /// still replay what the source's history would hold. They must end at
    /// the checkpoint's batch; the history's limits bound what is kept.
    /// Returns how many were kept.
    pub fn backfill(&self, older: Vec<(std::time::Duration, BusBatch)>) -> usize {
        let older = older
            .into_iter()
            .map(|(age, batch)| (batch.number, age, batch.published))
            .collect();
        self.inner.hub.backfill(older)
    }

    /// The events of a rendered batch, as a batch to render again (in a new
    /// epoch, after the stream it was meant for was lost; its info is
    /// carried by the state published first).
    pub fn events_of(&self, batch: BusBatch) -> Batch {
        let mut out = Batch::default();
        for frame in batch.published.frames {
            if let Payload::Events { feature, events } = frame.payload {
                if let Some(id) = self.catalogue().id(&feature) {
                    for event in events {
                        out.event(id, event.name, event.data);
                    }
                }
            }
        }
        out
    }

    /// Starts the source over, empty, in `epoch` (its bus stream was lost
    /// and made anew): its subscribed clients are closed with 4010 and
    /// resume with `recovered: false` and a fresh snapshot.
    pub fn reset(&self, epoch: &str) {
        self.inner.hub.reset(epoch);
    }

    /// The number the next batch gets.
    pub fn next_batch(&self) -> u64 {
        self.inner.hub.next_batch()
    }

    /// The source's store as of its last batch (JSON), for a node that starts
    /// later ([`Source::restore`]).
    pub fn checkpoint(&self) -> Bytes {
        let mut checkpoint = self.inner.hub.checkpoint();
        checkpoint["details"] = Value::Object(self.inner.details());
        Bytes::from(checkpoint.to_string())
    }

    /// Starts this (fresh) source from a checkpoint; returns the number of
    /// the batch it covers, after which batches are applied. `None` if the
    /// source already applied batches, or the checkpoint does not read.
    pub fn restore(&self, checkpoint: &[u8]) -> Option<u64> {
        let value: Value = serde_json::from_slice(checkpoint).ok()?;
        let number = self
            .inner
            .hub
            .restore(&value)
            .then(|| value["number"].as_u64())
            .flatten()?;
        if let Some(details) = value["details"].as_object() {
            self.set_details(details.clone());
        }
        Some(number)
    }

    /// Reads an encoded batch. Its features must be this broker's (the same
    /// catalogue on every node).
    pub fn decode(&self, bytes: Bytes) -> Result<BusBatch, Error> {
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return Err(bad("not a Wardcast batch (format 1)"));
        }
        let mut len = [0u8; 4];
        len.copy_from_slice(&bytes[4..8]);
        let header_len = u32::from_le_bytes(len) as usize;
        if header_len > MAX_HEADER || 8 + header_len > bytes.len() {
            return Err(bad("batch header out of bounds"));
        }
        let header: HeaderIn = serde_json::from_slice(&bytes[8..8 + header_len])
            .map_err(|e| bad(format!("batch header: {e}")))?;
        let number = Some(header.number)
            .filter(|n| (1..=crate::hub::MAX_BATCH).contains(n))
            .ok_or_else(|| bad("batch without a number from 1 to 2^37"))?;
        let body = bytes.slice(8 + header_len..);
        let string_len = header.string.last().copied().unwrap_or(0);
        if string_len > body.len() {
            return Err(bad("batch frames out of bounds"));
        }
        let string = Wire::from_parts(body.slice(..string_len), header.string)
            .ok_or_else(|| bad("string frames do not fit"))?;
        let object = Wire::from_parts(body.slice(string_len..), header.object)
            .ok_or_else(|| bad("object frames do not fit"))?;
        let catalogue = self.catalogue();
        let mut frames = Vec::with_capacity(header.frames.len());
        for item in header.frames {
            let feature = |name: Option<String>| -> Result<(String, crate::FeatureId), Error> {
                let name = name.ok_or_else(|| bad("a frame without a feature"))?;
                let id = catalogue.id(&name).ok_or_else(|| {
                    bad(format!(
                        "feature {name:?} is not in this broker's catalogue"
                    ))
                })?;
                Ok((name, id))
            };
            let frame = match item.kind {
                Kind::Events => {
                    let (name, id) = feature(item.feature)?;
                    let events = item
                        .events
                        .ok_or_else(|| bad("events frame without events"))?
                        .into_iter()
                        .map(|e| EventItem {
                            name: e.name,
                            data: e.data,
                        })
                        .collect();
                    Frame::new(
                        item.seq,
                        Target::Feature(id),
                        Payload::Events {
                            feature: name,
                            events,
                        },
                    )
                }
                Kind::Info => {
                    let (name, id) = feature(item.feature)?;
                    let info = item.info.ok_or_else(|| bad("info frame without info"))?;
                    Frame::new(
                        item.seq,
                        Target::Feature(id),
                        Payload::Info {
                            feature: name,
                            info,
                        },
                    )
                }
                Kind::Game => Frame::new(
                    item.seq,
                    Target::Subscribed,
                    Payload::GameInfo {
                        game: self.inner.hub.game_identity().clone(),
                        running: item.running,
                    },
                ),
            };
            frames.push(frame);
        }
        if frames.len() != string.count() || frames.len() != object.count() {
            return Err(bad("frame count and buffers disagree"));
        }
        let mut published = Published::rendered(frames, string, object);
        published.received_at = header.received_us.and_then(received_at);
        Ok(BusBatch {
            number,
            published,
            details: header.details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Broker, BrokerConfig, Catalogue, FeatureDef};
    use serde_json::json;

    fn broker() -> Broker {
        let feature = |name: &str| FeatureDef {
            name: name.into(),
            events: vec!["kill".into()],
            info: Vec::new(),
            supported: true,
            reason: None,
            state: 1,
        };
        Broker::new(
            BrokerConfig::default(),
            Catalogue::new(vec![feature("kill"), feature("me")]),
        )
        .expect("broker")
    }

    fn batch(b: &Broker, kills: i64) -> Batch {
        let mut batch = Batch::default();
        let kill = b.catalogue().id("kill").expect("kill");
        let me = b.catalogue().id("me").expect("me");
        batch.event(kill, "kill", json!({ "kills": kills }));
        batch.info(me, "me", "hero", json!("invoker"));
        batch.info(me, "me", "kills", json!(kills));
        batch
    }

    #[test]
    fn a_batch_rendered_once_is_applied_elsewhere_byte_for_byte() {
        let (ingest, edge) = (broker(), broker());
        let (from, to) = (ingest.default_source(), edge.default_source());
        for n in 1..=3 {
            let rendered = from.render(from.next_batch(), batch(&ingest, n));
            let bytes = rendered.encode();
            from.apply(rendered).expect("in order");
            let read = to.decode(bytes).expect("decodes");
            assert_eq!(read.number(), n as u64);
            to.apply(read).expect("in order");
        }
        assert_eq!(from.checkpoint(), to.checkpoint(), "the same store");
        let a = from.inner.hub.last_published().expect("published");
        let b = to.inner.hub.last_published().expect("published");
        for format in [DataFormat::String, DataFormat::Object] {
            assert_eq!(a.wire(format).parts(), b.wire(format).parts(), "{format:?}");
        }
        // Out of order is refused, and a restored source continues after its checkpoint.
        let late = broker().default_source();
        let covered = late.restore(&from.checkpoint()).expect("restores");
        assert_eq!(covered, 3);
        let next = from.render(4, batch(&ingest, 4)).encode();
        let skipped = from.render(5, batch(&ingest, 5)).encode();
        assert!(late.apply(late.decode(skipped).expect("decodes")).is_err());
        late.apply(late.decode(next).expect("decodes"))
            .expect("the next one");
    }

    #[test]
    fn the_header_keeps_its_format() {
        // A batch as format 1 has always written it (JetStream file storage
        // keeps batches across upgrades): every frame kind, details, a stamp.
        let source = broker().default_source();
        let string = wire_of(&["a", "b", "c"]);
        let object = wire_of(&["d", "e", "f"]);
        let header = json!({
            "number": 7,
            "frames": [
                {"seq": 7 << 20 | 1, "kind": "events", "feature": "kill",
                 "events": [{"name": "kill", "data": {"kills": 1}}, {"name": "kill", "data": null}]},
                {"seq": 7 << 20 | 2, "kind": "info", "feature": "me", "info": {"me": {"hero": "axe"}}},
                {"seq": 7 << 20 | 3, "kind": "game", "running": true},
            ],
            "string": string.1,
            "object": object.1,
            "details": {"match_id": "42"},
        })
        .to_string();
        let mut bytes = b"WCB1".to_vec();
        bytes.extend_from_slice(&u32::try_from(header.len()).expect("small").to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&string.0);
        bytes.extend_from_slice(&object.0);
        let read = source.decode(Bytes::from(bytes)).expect("decodes");
        assert_eq!((read.number(), read.len()), (7, 3));
        assert!(read.touches("me") && !read.touches("kill"));
        assert_eq!(
            read.details.as_ref().expect("details")["match_id"],
            json!("42")
        );
        let again = source
            .decode(read.encode())
            .expect("what it writes, it reads");
        assert_eq!(again.encode(), read.encode(), "encode is stable");
        let Payload::Events { events, .. } = &again.published.frames[0].payload else {
            panic!("events first");
        };
        assert_eq!(events[0].data, json!({"kills": 1}));
        assert_eq!(events[1].data, Value::Null);
    }

    /// Pre-rendered frames with these texts, and their ends.
    fn wire_of(texts: &[&str]) -> (Vec<u8>, Vec<usize>) {
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        for text in texts {
            crate::wire::encode_text(text.as_bytes(), &mut buf);
            ends.push(buf.len());
        }
        (buf, ends)
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let source = broker().default_source();
        for bytes in [
            &b""[..],
            b"WCB1",
            b"WCB1\xff\xff\xff\x7f{}",
            b"WCB1\x02\x00\x00\x00{}",
            b"WCB1\x0d\x00\x00\x00{\"number\":1}xx",
            b"WCB1\x48\x00\x00\x00{\"number\":1,\"frames\":[{\"seq\":1,\"kind\":\"other\"}],\"string\":[],\"object\":[]}",
        ] {
            assert!(
                source.decode(Bytes::copy_from_slice(bytes)).is_err(),
                "{bytes:?}"
            );
        }
    }
}
