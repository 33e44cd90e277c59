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

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{json, Map, Value};

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
        let frames: Vec<Value> = self
            .published
            .frames
            .iter()
            .map(|frame| match &frame.payload {
                Payload::Events { feature, events } => json!({
                    "seq": frame.seq, "kind": "events", "feature": feature,
                    "events": events.iter().map(|e| json!({"name": e.name, "data": e.data})).collect::<Vec<_>>(),
                }),
                Payload::Info { feature, info } => json!({
                    "seq": frame.seq, "kind": "info", "feature": feature, "info": info,
                }),
                Payload::GameInfo { running, .. } => json!({
                    "seq": frame.seq, "kind": "game", "running": running,
                }),
            })
            .collect();
        let (string, string_ends) = self.published.wire(DataFormat::String).parts();
        let (object, object_ends) = self.published.wire(DataFormat::Object).parts();
        let mut header = json!({
            "number": self.number,
            "frames": frames,
            "string": string_ends,
            "object": object_ends,
        });
        if let Some(details) = &self.details {
            header["details"] = Value::Object(details.clone());
        }
        if let Some(at) = self.published.received_at {
            // Wall-clock microseconds, so a node elsewhere can tell how old
            // the game data is (its latency histogram: GSI in → client write).
            let wall = std::time::SystemTime::now()
                .checked_sub(at.elapsed())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            if let Some(wall) = wall {
                header["received_us"] = u64::try_from(wall.as_micros()).unwrap_or(0).into();
            }
        }
        let header = header.to_string();
        let mut out = BytesMut::with_capacity(8 + header.len() + string.len() + object.len());
        out.put_slice(MAGIC);
        out.put_u32_le(u32::try_from(header.len()).unwrap_or(u32::MAX));
        out.put_slice(header.as_bytes());
        out.put_slice(string);
        out.put_slice(object);
        out.freeze()
    }
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
        let header: Value = serde_json::from_slice(&bytes[8..8 + header_len])
            .map_err(|e| bad(format!("batch header: {e}")))?;
        let number = header["number"]
            .as_u64()
            .filter(|n| (1..=crate::hub::MAX_BATCH).contains(n))
            .ok_or_else(|| bad("batch without a number from 1 to 2^37"))?;
        let ends = |key: &str| -> Result<Vec<usize>, Error> {
            header[key]
                .as_array()
                .ok_or_else(|| bad(format!("batch without {key} ends")))?
                .iter()
                .map(|v| {
                    v.as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| bad("a frame end is not a length"))
                })
                .collect()
        };
        let (string_ends, object_ends) = (ends("string")?, ends("object")?);
        let body = bytes.slice(8 + header_len..);
        let string_len = string_ends.last().copied().unwrap_or(0);
        if string_len > body.len() {
            return Err(bad("batch frames out of bounds"));
        }
        let string = Wire::from_parts(body.slice(..string_len), string_ends)
            .ok_or_else(|| bad("string frames do not fit"))?;
        let object = Wire::from_parts(body.slice(string_len..), object_ends)
            .ok_or_else(|| bad("object frames do not fit"))?;
        let catalogue = self.catalogue();
        let list = header["frames"]
            .as_array()
            .ok_or_else(|| bad("batch without frames"))?;
        let mut frames = Vec::with_capacity(list.len());
        for item in list {
            let seq = item["seq"]
                .as_u64()
                .ok_or_else(|| bad("a frame without a seq"))?;
            let feature = |item: &Value| -> Result<(String, crate::FeatureId), Error> {
                let name = item["feature"]
                    .as_str()
                    .ok_or_else(|| bad("a frame without a feature"))?;
                let id = catalogue.id(name).ok_or_else(|| {
                    bad(format!(
                        "feature {name:?} is not in this broker's catalogue"
                    ))
                })?;
                Ok((name.to_string(), id))
            };
            let frame = match item["kind"].as_str() {
                Some("events") => {
                    let (name, id) = feature(item)?;
                    let events = item["events"]
                        .as_array()
                        .ok_or_else(|| bad("events frame without events"))?
                        .iter()
                        .map(|e| EventItem {
                            name: e["name"].as_str().unwrap_or_default().to_string(),
                            data: e["data"].clone(),
                        })
                        .collect();
                    Frame::new(
                        seq,
                        Target::Feature(id),
                        Payload::Events {
                            feature: name,
                            events,
                        },
                    )
                }
                Some("info") => {
                    let (name, id) = feature(item)?;
                    let info: Map<String, Value> = item["info"]
                        .as_object()
                        .cloned()
                        .ok_or_else(|| bad("info frame without info"))?;
                    Frame::new(
                        seq,
                        Target::Feature(id),
                        Payload::Info {
                            feature: name,
                            info,
                        },
                    )
                }
                Some("game") => Frame::new(
                    seq,
                    Target::Subscribed,
                    Payload::GameInfo {
                        game: self.inner.hub.game_identity().clone(),
                        running: item["running"].as_bool().unwrap_or(false),
                    },
                ),
                _ => return Err(bad("a frame of an unknown kind")),
            };
            frames.push(frame);
        }
        if frames.len() != string.count() || frames.len() != object.count() {
            return Err(bad("frame count and buffers disagree"));
        }
        let mut published = Published::rendered(frames, string, object);
        published.received_at = header["received_us"].as_u64().and_then(received_at);
        Ok(BusBatch {
            number,
            published,
            details: header["details"].as_object().cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Broker, BrokerConfig, Catalogue, FeatureDef};

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
    fn garbage_is_an_error_not_a_panic() {
        let source = broker().default_source();
        for bytes in [
            &b""[..],
            b"WCB1",
            b"WCB1\xff\xff\xff\x7f{}",
            b"WCB1\x02\x00\x00\x00{}",
            b"WCB1\x0d\x00\x00\x00{\"number\":1}xx",
        ] {
            assert!(
                source.decode(Bytes::copy_from_slice(bytes)).is_err(),
                "{bytes:?}"
            );
        }
    }
}
