//! Rendering of everything the broker sends.
//!
//! A notification is rendered once per data format and shared between clients as
//! [`Utf8Bytes`], so sending it to another client costs a reference-count bump.
//! The `"string"` form is rendered eagerly (it is the default); the `"object"`
//! form only when the first client that wants it asks.

use std::sync::OnceLock;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::catalogue::FeatureId;
use crate::hub::{EventItem, GameIdentity};

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

struct Keys<'a>(&'a Map<String, Value>, DataFormat);

impl Serialize for Keys<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
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

fn notification<P: Serialize>(method: &str, params: P) -> Utf8Bytes {
    let note = Notification {
        jsonrpc: "2.0",
        method,
        params,
    };
    // Serializing maps with string keys and JSON values cannot fail.
    Utf8Bytes::from(serde_json::to_string(&note).unwrap_or_default())
}

/// Renders an `onInfoUpdates2` notification.
pub(crate) fn info_update(
    seq: u64,
    feature: &str,
    info: &Map<String, Value>,
    snapshot: bool,
    format: DataFormat,
) -> Utf8Bytes {
    #[derive(Serialize)]
    struct Params<'a> {
        seq: u64,
        feature: &'a str,
        info: InfoMap<'a>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        snapshot: bool,
    }
    notification(
        "onInfoUpdates2",
        Params {
            seq,
            feature,
            info: InfoMap(info, format),
            snapshot,
        },
    )
}

/// Renders an `onError` notification.
pub(crate) fn error_notification(seq: u64, reason: &str) -> Utf8Bytes {
    #[derive(Serialize)]
    struct Params<'a> {
        seq: u64,
        reason: &'a str,
    }
    notification("onError", Params { seq, reason })
}

impl Payload {
    fn render(&self, seq: u64, format: DataFormat) -> Utf8Bytes {
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
                )
            }
            Payload::Info { feature, info } => info_update(seq, feature, info, false, format),
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

/// One published notification, rendered once per format.
#[derive(Debug)]
pub(crate) struct Frame {
    pub seq: u64,
    pub target: Target,
    /// Whether it is an info update (covered by a late joiner's snapshot).
    pub is_info: bool,
    payload: Payload,
    string: Utf8Bytes,
    object: OnceLock<Utf8Bytes>,
}

impl Frame {
    pub fn new(seq: u64, target: Target, payload: Payload) -> Self {
        let string = payload.render(seq, DataFormat::String);
        Self {
            seq,
            target,
            is_info: matches!(payload, Payload::Info { .. }),
            payload,
            string,
            object: OnceLock::new(),
        }
    }

    /// The length of the default (string) rendering, in bytes.
    pub fn len(&self) -> usize {
        self.string.len()
    }

    /// The feature and the category → key → value map of an info frame.
    pub fn info(&self) -> Option<(&str, &Map<String, Value>)> {
        match &self.payload {
            Payload::Info { feature, info } => Some((feature, info)),
            _ => None,
        }
    }

    /// The rendered bytes in a format; the object form is rendered on first use.
    pub fn bytes(&self, format: DataFormat) -> Utf8Bytes {
        match format {
            DataFormat::String => self.string.clone(),
            DataFormat::Object => self
                .object
                .get_or_init(|| self.payload.render(self.seq, DataFormat::Object))
                .clone(),
        }
    }
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
        let frame = Frame::new(17, Target::Feature(FeatureId(0)), events());
        assert_eq!(
            frame.bytes(DataFormat::String).as_str(),
            r#"{"jsonrpc":"2.0","method":"onNewEvents","params":{"seq":17,"feature":"kill","events":[{"name":"kill","data":"{\"kills\":2,\"kill_streak\":2,\"label\":\"double_kill\"}"},{"name":"new_game","data":""}]}}"#
        );
        assert_eq!(
            frame.bytes(DataFormat::Object).as_str(),
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
            s.as_str(),
            r#"{"jsonrpc":"2.0","method":"onInfoUpdates2","params":{"seq":18,"feature":"match_info","info":{"team_score":{"team_score":"{\"radiant\":12,\"dire\":13}"},"me":{"hero":"invoker","mmr":null}}}}"#
        );
        let o = info_update(18, "match_info", &info, true, DataFormat::Object);
        assert!(o
            .as_str()
            .contains(r#""team_score":{"radiant":12,"dire":13}"#));
        assert!(o.as_str().ends_with(r#""snapshot":true}}"#));
    }
}
