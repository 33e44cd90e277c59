//! Rendering of everything the broker sends, down to the WebSocket frames.
//!
//! The notifications of one publish are rendered once per data format into a
//! [`Wire`]: their WebSocket text frames back to back in one buffer, which
//! every client then writes straight from the shared publication (a slice of
//! it, or several with `writev`), with no copy and no per-frame reference
//! count. The `"string"` form is rendered eagerly (it is the default); the
//! `"object"` form only when the first client that wants it asks.

use std::ops::Range;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data as DataCode, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

use crate::batch::{EventItem, GameIdentity};
use crate::catalogue::FeatureId;

/// How event data and info values are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFormat {
    /// Exactly as Overwolf: strings, with JSON text for structured values and `""` for no data.
    String,
    /// The same values as JSON values.
    Object,
}

/// Event data in a given format: `""`/JSON text, or the value itself.
struct Data<'a>(&'a Value, DataFormat);

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.1, self.0) {
            (DataFormat::Object, v) => v.serialize(s),
            (DataFormat::String, Value::Null) => s.serialize_str(""),
            (DataFormat::String, Value::String(text)) => s.serialize_str(text),
            (DataFormat::String, v) => s.serialize_str(&v.to_string()),
        }
    }
}

/// An info value in a given format: strings as they are, `null` as null,
/// structured values as JSON text (string format) or as themselves.
struct InfoValue<'a>(&'a Value, DataFormat);

impl Serialize for InfoValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.1, self.0) {
            (
                DataFormat::String,
                v @ (Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_)),
            ) => s.serialize_str(&v.to_string()),
            (_, v) => v.serialize(s),
        }
    }
}

/// A category → key → value map in a given format.
pub(crate) struct InfoMap<'a>(pub &'a Map<String, Value>, pub DataFormat);

impl Serialize for InfoMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut outer = s.serialize_map(Some(self.0.len()))?;
        for (category, keys) in self.0 {
            match keys {
                Value::Object(keys) => outer.serialize_entry(category, &Keys(keys, self.1))?,
                other => outer.serialize_entry(category, &InfoValue(other, self.1))?,
            }
        }
        outer.end()
    }
}

/// One category's keys → values in a given format, from any list of
/// (key, value) pairs: a store's map or a merge's borrowed pairs.
struct Keys<I>(I, DataFormat);

impl<'a, K, I> Serialize for Keys<I>
where
    K: Serialize + ?Sized + 'a,
    I: IntoIterator<Item = (&'a K, &'a Value)> + Clone,
    I::IntoIter: ExactSizeIterator,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs = self.0.clone().into_iter();
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            map.serialize_entry(k, &InfoValue(v, self.1))?;
        }
        map.end()
    }
}

struct Events<'a>(&'a [EventItem], DataFormat);

impl Serialize for Events<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct One<'a> {
            name: &'a str,
            data: Data<'a>,
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0 {
            seq.serialize_element(&One {
                name: &e.name,
                data: Data(&e.data, self.1),
            })?;
        }
        seq.end()
    }
}

/// The body of a notification, kept so it can be rendered in either format.
#[derive(Debug)]
pub(crate) enum Payload {
    /// `onNewEvents` for one feature.
    Events {
        feature: String,
        events: Vec<EventItem>,
    },
    /// `onInfoUpdates2` for one feature: category → key → value.
    Info {
        feature: String,
        info: Map<String, Value>,
    },
    /// `onGameInfoUpdated`.
    GameInfo { game: GameIdentity, running: bool },
}

#[derive(Serialize)]
struct Notification<'a, P> {
    jsonrpc: &'static str,
    method: &'a str,
    params: P,
}

fn notification<P: Serialize>(method: &str, params: P, out: &mut Vec<u8>) {
    let note = Notification {
        jsonrpc: "2.0",
        method,
        params,
    };
    // Serializing maps with string keys and JSON values into memory cannot fail.
    let _ = serde_json::to_writer(out, &note);
}

/// Renders an `onInfoUpdates2` notification.
pub(crate) fn info_update(
    seq: u64,
    feature: &str,
    info: &Map<String, Value>,
    snapshot: bool,
    format: DataFormat,
) -> Vec<u8> {
    let mut out = Vec::new();
    info_update_into(seq, feature, info, snapshot, format, &mut out);
    out
}

fn info_update_into(
    seq: u64,
    feature: &str,
    info: &Map<String, Value>,
    snapshot: bool,
    format: DataFormat,
    out: &mut Vec<u8>,
) {
    info_notification(seq, feature, InfoMap(info, format), snapshot, out);
}

/// Renders an `onInfoUpdates2` notification of info updates merged by
/// reference (a client's catch-up), with nothing copied but the output.
pub(crate) fn merged_info_update(
    seq: u64,
    feature: &str,
    info: &MergedInfo<'_>,
    format: DataFormat,
) -> Vec<u8> {
    let mut out = Vec::new();
    info_notification(seq, feature, MergedMap(info, format), false, &mut out);
    out
}

fn info_notification<I: Serialize>(
    seq: u64,
    feature: &str,
    info: I,
    snapshot: bool,
    out: &mut Vec<u8>,
) {
    #[derive(Serialize)]
    struct Params<'a, I> {
        seq: u64,
        feature: &'a str,
        info: I,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        snapshot: bool,
    }
    notification(
        "onInfoUpdates2",
        Params {
            seq,
            feature,
            info,
            snapshot,
        },
        out,
    );
}

/// Several info updates of one feature merged by reference: categories and
/// keys in the order first seen, each key with the newest value.
#[derive(Debug, Default)]
pub(crate) struct MergedInfo<'a> {
    categories: Vec<MergedCategory<'a>>,
}

#[derive(Debug)]
struct MergedCategory<'a> {
    name: &'a str,
    keys: Vec<(&'a str, &'a Value)>,
    index: std::collections::HashMap<&'a str, usize>,
}

impl<'a> MergedInfo<'a> {
    /// Merges one update (category → key → value) over what came before.
    pub(crate) fn merge(&mut self, info: &'a Map<String, Value>) {
        for (category, keys) in info {
            let i = match self.categories.iter().position(|c| c.name == category) {
                Some(i) => i,
                None => {
                    self.categories.push(MergedCategory {
                        name: category,
                        keys: Vec::new(),
                        index: std::collections::HashMap::new(),
                    });
                    self.categories.len() - 1
                }
            };
            let slot = &mut self.categories[i];
            let Value::Object(keys) = keys else {
                continue;
            };
            for (key, value) in keys {
                match slot.index.get(key.as_str()) {
                    Some(&at) => slot.keys[at].1 = value,
                    None => {
                        slot.index.insert(key, slot.keys.len());
                        slot.keys.push((key, value));
                    }
                }
            }
        }
    }
}

struct MergedMap<'m, 'a>(&'m MergedInfo<'a>, DataFormat);

impl Serialize for MergedMap<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut outer = s.serialize_map(Some(self.0.categories.len()))?;
        for category in &self.0.categories {
            let pairs = category.keys.iter().map(|&(k, v)| (k, v));
            outer.serialize_entry(category.name, &Keys(pairs, self.1))?;
        }
        outer.end()
    }
}

/// Renders an `onError` notification.
pub(crate) fn error_notification(seq: u64, reason: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Params<'a> {
        seq: u64,
        reason: &'a str,
    }
    let mut out = Vec::new();
    notification("onError", Params { seq, reason }, &mut out);
    out
}

impl Payload {
    fn render(&self, seq: u64, format: DataFormat, out: &mut Vec<u8>) {
        match self {
            Payload::Events { feature, events } => {
                #[derive(Serialize)]
                struct Params<'a> {
                    seq: u64,
                    feature: &'a str,
                    events: Events<'a>,
                }
                notification(
                    "onNewEvents",
                    Params {
                        seq,
                        feature,
                        events: Events(events, format),
                    },
                    out,
                )
            }
            Payload::Info { feature, info } => {
                info_update_into(seq, feature, info, false, format, out);
            }
            Payload::GameInfo { game, running } => {
                #[derive(Serialize)]
                #[serde(rename_all = "camelCase")]
                struct Params<'a> {
                    seq: u64,
                    game_info: GameInfo<'a>,
                    running_changed: bool,
                    game_changed: bool,
                    reason: [&'static str; 1],
                }
                notification(
                    "onGameInfoUpdated",
                    Params {
                        seq,
                        game_info: GameInfo::new(game, *running),
                        running_changed: true,
                        game_changed: false,
                        reason: [if *running {
                            "gameLaunched"
                        } else {
                            "gameTerminated"
                        }],
                    },
                    out,
                )
            }
        }
    }
}

/// The `gameInfo` object of `onGameInfoUpdated`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GameInfo<'a> {
    is_running: bool,
    class_id: u32,
    id: u32,
    title: &'a str,
}

impl<'a> GameInfo<'a> {
    pub fn new(game: &'a GameIdentity, running: bool) -> Self {
        Self {
            is_running: running,
            class_id: game.class_id,
            id: game.instance_id(),
            title: &game.title,
        }
    }
}

/// Who a frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Clients subscribed to this feature.
    Feature(FeatureId),
    /// Every subscribed client.
    Subscribed,
}

/// One published notification; its bytes are in the publication's [`Wire`].
#[derive(Debug)]
pub(crate) struct Frame {
    pub seq: u64,
    pub target: Target,
    /// Whether it is an info update (covered by a late joiner's snapshot).
    pub is_info: bool,
    pub(crate) payload: Payload,
}

impl Frame {
    pub fn new(seq: u64, target: Target, payload: Payload) -> Self {
        Self {
            seq,
            target,
            is_info: matches!(payload, Payload::Info { .. }),
            payload,
        }
    }

    /// The feature and the category → key → value map of an info frame.
    pub fn info(&self) -> Option<(&str, &Map<String, Value>)> {
        match &self.payload {
            Payload::Info { feature, info } => Some((feature, info)),
            _ => None,
        }
    }
}

/// Appends one unmasked, final WebSocket frame (server to client) to `out`.
fn encode(opcode: OpCode, payload: &[u8], out: &mut Vec<u8>) {
    let header = FrameHeader {
        opcode,
        ..FrameHeader::default()
    };
    out.reserve(header.len(payload.len() as u64) + payload.len());
    // Writing into a Vec cannot fail.
    let _ = header.format(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

/// Appends a WebSocket text frame carrying `json` to `out`.
pub(crate) fn encode_text(json: &[u8], out: &mut Vec<u8>) {
    encode(OpCode::Data(DataCode::Text), json, out);
}

/// Appends an empty WebSocket ping frame to `out`.
pub(crate) fn encode_ping(out: &mut Vec<u8>) {
    encode(OpCode::Control(Control::Ping), &[], out);
}

/// The WebSocket frames of one publication in one data format, back to back.
#[derive(Debug)]
pub(crate) struct Wire {
    /// Shared, so a publication read from the bus is written from the bytes
    /// it arrived in.
    buf: bytes::Bytes,
    /// Where frame `i` ends in `buf`; it starts where frame `i - 1` ends.
    ends: Vec<usize>,
}

impl Wire {
    /// Renders `frames` in `format`.
    pub fn render(frames: &[Frame], format: DataFormat) -> Self {
        let mut buf = Vec::new();
        let mut ends = Vec::with_capacity(frames.len());
        let mut json = Vec::new();
        for frame in frames {
            json.clear();
            frame.payload.render(frame.seq, format, &mut json);
            encode_text(&json, &mut buf);
            ends.push(buf.len());
        }
        // `Bytes` keeps a `Vec`'s spare capacity: shed it, the ring's memory
        // bound counts rendered lengths.
        buf.shrink_to_fit();
        Self {
            buf: bytes::Bytes::from(buf),
            ends,
        }
    }

    /// Frames already rendered: `buf` holds them back to back, frame `i`
    /// ending at `ends[i]`. `None` if the ends do not fit `buf`.
    pub fn from_parts(buf: bytes::Bytes, ends: Vec<usize>) -> Option<Self> {
        let ordered = ends.windows(2).all(|w| w[0] <= w[1]);
        let fits = ends.last().is_none_or(|&end| end == buf.len());
        (ordered && fits).then_some(Self { buf, ends })
    }

    /// How many frames it holds.
    pub fn count(&self) -> usize {
        self.ends.len()
    }

    /// The rendered bytes and where each frame ends.
    pub fn parts(&self) -> (&bytes::Bytes, &[usize]) {
        (&self.buf, &self.ends)
    }

    /// The bytes of frames `range`, ready for the socket.
    pub fn frames(&self, range: Range<usize>) -> &[u8] {
        let start = match range.start {
            0 => 0,
            i => self.ends.get(i - 1).copied().unwrap_or(self.buf.len()),
        };
        let end = match range.end {
            0 => 0,
            i => self.ends.get(i - 1).copied().unwrap_or(self.buf.len()),
        };
        self.buf.get(start..end).unwrap_or_default()
    }

    /// The size of every frame, in bytes.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// The JSON text carried by frame `i`.
    #[cfg(test)]
    pub fn text(&self, i: usize) -> &str {
        text_of(self.frames(i..i + 1))
    }

    /// The JSON text carried by frame `i`, if it has one.
    pub fn frame_text(&self, i: usize) -> Option<&str> {
        if i >= self.ends.len() {
            return None;
        }
        payload_text(self.frames(i..i + 1))
    }
}

/// The text payload of one unmasked WebSocket frame, if it is UTF-8.
fn payload_text(frame: &[u8]) -> Option<&str> {
    let header = match frame.get(1).map(|b| b & 0x7f) {
        Some(126) => 4,
        Some(127) => 10,
        _ => 2,
    };
    std::str::from_utf8(frame.get(header..)?).ok()
}

/// The info map of an `onInfoUpdates2` notification in the object format.
pub(crate) fn info_of_text(text: &str) -> Option<Map<String, Value>> {
    #[derive(serde::Deserialize)]
    struct Notification {
        params: Params,
    }
    #[derive(serde::Deserialize)]
    struct Params {
        info: Map<String, Value>,
    }
    serde_json::from_str::<Notification>(text)
        .ok()
        .map(|n| n.params.info)
}

/// The payload of one unmasked WebSocket frame (for tests).
#[cfg(test)]
pub(crate) fn text_of(frame: &[u8]) -> &str {
    payload_text(frame).expect("text frames carry UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events() -> Payload {
        Payload::Events {
            feature: "kill".into(),
            events: vec![
                EventItem {
                    name: "kill".into(),
                    data: json!({"kills": 2, "kill_streak": 2, "label": "double_kill"}),
                },
                EventItem {
                    name: "new_game".into(),
                    data: Value::Null,
                },
            ],
        }
    }

    #[test]
    fn events_render_as_overwolf_strings_or_objects() {
        let frames = [Frame::new(17, Target::Feature(FeatureId(0)), events())];
        assert_eq!(
            Wire::render(&frames, DataFormat::String).text(0),
            r#"{"jsonrpc":"2.0","method":"onNewEvents","params":{"seq":17,"feature":"kill","events":[{"name":"kill","data":"{\"kills\":2,\"kill_streak\":2,\"label\":\"double_kill\"}"},{"name":"new_game","data":""}]}}"#
        );
        assert_eq!(
            Wire::render(&frames, DataFormat::Object).text(0),
            r#"{"jsonrpc":"2.0","method":"onNewEvents","params":{"seq":17,"feature":"kill","events":[{"name":"kill","data":{"kills":2,"kill_streak":2,"label":"double_kill"}},{"name":"new_game","data":null}]}}"#
        );
    }

    #[test]
    fn info_values_keep_strings_and_encode_structures() {
        let mut info = Map::new();
        info.insert(
            "team_score".into(),
            json!({"team_score": {"radiant": 12, "dire": 13}}),
        );
        info.insert("me".into(), json!({"hero": "invoker", "mmr": null}));
        let s = info_update(18, "match_info", &info, false, DataFormat::String);
        assert_eq!(
            std::str::from_utf8(&s).expect("utf-8"),
            r#"{"jsonrpc":"2.0","method":"onInfoUpdates2","params":{"seq":18,"feature":"match_info","info":{"team_score":{"team_score":"{\"radiant\":12,\"dire\":13}"},"me":{"hero":"invoker","mmr":null}}}}"#
        );
        let o = info_update(18, "match_info", &info, true, DataFormat::Object);
        let o = std::str::from_utf8(&o).expect("utf-8");
        assert!(o.contains(r#""team_score":{"radiant":12,"dire":13}"#));
        assert!(o.ends_with(r#""snapshot":true}}"#));
    }

    #[test]
    fn a_wire_holds_each_frame_with_its_websocket_header() {
        let long = "x".repeat(70_000);
        let frames = [
            Frame::new(1, Target::Feature(FeatureId(0)), events()),
            Frame::new(
                2,
                Target::Feature(FeatureId(1)),
                Payload::Info {
                    feature: "me".into(),
                    info: json!({"me": {"name": long}})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                },
            ),
        ];
        let wire = Wire::render(&frames, DataFormat::String);
        // FIN + text; the 16-bit length form (126..65535 bytes), then the
        // 64-bit form for the long one.
        let first = wire.frames(0..1);
        assert_eq!(&first[..2], &[0x81, 126]);
        assert_eq!(
            usize::from(u16::from_be_bytes([first[2], first[3]])),
            first.len() - 4
        );
        let second = wire.frames(1..2);
        assert_eq!(&second[..2], &[0x81, 127]);
        assert!(wire.text(1).contains(&long));
        assert_eq!(wire.frames(0..2).len(), wire.len());
        assert!(wire.frames(2..2).is_empty());
        let mut ping = Vec::new();
        encode_ping(&mut ping);
        assert_eq!(ping, [0x89, 0x00]);
    }
}
