//! What the bench posts and what its clients subscribe to.
//!
//! The GSI bodies are the in-game seconds of Wardcast's simulated match
//! (`wardcast::demo`, modelled on real captures: about 5.7 KB in player mode,
//! about 47 KB in spectator mode, tab-indented as the game sends them), cycled
//! as long as needed. Body `k` gets `map.clock_time = first + k`, and
//! `map.game_time` and `provider.timestamp` move with it, so each body yields
//! exactly one `clock_time_changed` event whose `clock_time` is the body's
//! marker: a receiver reads it back to match each frame to its POST.

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

/// Which client the posted match is seen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The player's own client: flat sections, about 5.7 KB a body.
    Player,
    /// An observer: ten players, about 47 KB a body.
    Spectator,
}

/// The feature every client subscribes to: it fires once per body and
/// carries the marker.
pub const MARKER_FEATURE: &str = "clock_time_changed";

/// The bodies to post, in order, and the marker of the first.
pub struct Sequence {
    /// Serialized bodies, body `k` carrying marker `first_marker + k`.
    pub bodies: Vec<Bytes>,
    /// The clock time of body 0.
    pub first_marker: i64,
}

impl Sequence {
    /// Every marker the bodies carry, first and last.
    pub fn markers(&self) -> (i64, i64) {
        (
            self.first_marker,
            self.marker(self.bodies.len().saturating_sub(1)),
        )
    }

    /// The marker (`map.clock_time`) body `k` carries.
    pub fn marker(&self, k: usize) -> i64 {
        self.first_marker + i64::try_from(k).unwrap_or(i64::MAX)
    }
}

fn templates(mode: Mode) -> Vec<Value> {
    let posts = match mode {
        Mode::Player => wardcast::demo::player_match(7),
        Mode::Spectator => wardcast::demo::spectator_match(7),
    };
    posts
        .into_iter()
        .map(|p| p.body)
        .filter(|b| {
            let map = &b["map"];
            map["game_state"] == "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"
                && map["win_team"] == "none"
        })
        .collect()
}

fn number(v: &Value, a: &str, b: &str) -> i64 {
    v[a][b].as_i64().unwrap_or(0)
}

/// Builds `count` bodies of the simulated match in `mode`.
pub fn sequence(mode: Mode, count: usize) -> Sequence {
    sequence_at(mode, count, 0)
}

/// How far apart the markers of two streams are: stream `j`'s clock starts
/// `j * STREAM_MARKER_GAP` seconds later, so that its markers never meet
/// another stream's (a stream must have fewer bodies than this).
pub const STREAM_MARKER_GAP: i64 = 100_000;

/// Builds `count` bodies of the simulated match in `mode`, its clock (and so
/// its markers) `offset` seconds later than [`sequence`]'s: each match of a
/// tournament gets its own markers.
pub fn sequence_at(mode: Mode, count: usize, offset: i64) -> Sequence {
    let templates = templates(mode);
    let first = templates.first().cloned().unwrap_or(Value::Null);
    let clock0 = number(&first, "map", "clock_time") + offset;
    let game0 = number(&first, "map", "game_time");
    let ts0 = number(&first, "provider", "timestamp");
    let bodies = (0..count)
        .map(|k| {
            let mut body = templates[k % templates.len().max(1)].clone();
            let secs = i64::try_from(k).unwrap_or(i64::MAX);
            if let Some(map) = body.get_mut("map").and_then(Value::as_object_mut) {
                map.insert("clock_time".into(), (clock0 + secs).into());
                map.insert("game_time".into(), (game0 + secs).into());
            }
            if let Some(p) = body.get_mut("provider").and_then(Value::as_object_mut) {
                p.insert("timestamp".into(), (ts0 + secs).into());
            }
            Bytes::from(to_tabbed(&body))
        })
        .collect();
    Sequence {
        bodies,
        first_marker: clock0,
    }
}

/// JSON indented with tabs, as the game sends it.
fn to_tabbed(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(8192);
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    // Serializing a JSON value into memory cannot fail.
    let _ = v.serialize(&mut ser);
    out
}

/// Every feature name of Wardcast's catalogue (the server reports the
/// unsupported ones and ignores them).
pub fn all_features() -> Vec<String> {
    wardcast_dota2::CATALOGUE
        .iter()
        .map(|f| f.name.to_string())
        .collect()
}

/// Features that change during the simulated match and that the Node relay
/// also produces; the selective scenario pairs them up.
const SELECTIVE_POOL: [&str; 10] = [
    "gold",
    "me",
    "hero_health_mana_info",
    "cs",
    "xpm",
    "gpm",
    "match_info",
    "hero_ability_cooldown_changed",
    "kill",
    "hero_item_cooldown_changed",
];

/// The subscription groups of the selective scenario: ten triples, each the
/// marker feature plus two features of `SELECTIVE_POOL`.
pub fn selective_groups() -> Vec<Vec<String>> {
    (0..SELECTIVE_POOL.len())
        .map(|i| {
            vec![
                MARKER_FEATURE.to_string(),
                SELECTIVE_POOL[i].to_string(),
                SELECTIVE_POOL[(i + 3) % SELECTIVE_POOL.len()].to_string(),
            ]
        })
        .collect()
}

/// Finds the marker in a text frame: the `clock_time` of a
/// `clock_time_changed` notification, in either data format
/// (`"data":"{\"clock_time\":17,...}"` or `"data":{"clock_time":17,...}`).
pub fn find_marker(frame: &[u8]) -> Option<i64> {
    use memchr::memmem;
    let at = memmem::find(frame, b"\"feature\":\"clock_time_changed\"")?;
    let rest = &frame[at..];
    let start = match memmem::find(rest, br#"clock_time\":"#) {
        Some(i) => i + br#"clock_time\":"#.len(),
        None => memmem::find(rest, br#"clock_time":"#)? + br#"clock_time":"#.len(),
    };
    let digits = &rest[start..];
    let (negative, digits) = match digits.first() {
        Some(b'-') => (true, &digits[1..]),
        _ => (false, digits),
    };
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let mut n: i64 = 0;
    for d in &digits[..len] {
        n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_in_both_formats_and_only_from_the_clock_feature() {
        let string = br#"{"jsonrpc":"2.0","method":"onNewEvents","params":{"seq":17,"feature":"clock_time_changed","events":[{"name":"clock_time_changed","data":"{\"daytime\":true,\"clock_time\":1234,\"nightstalker_night\":false}"}]}}"#;
        assert_eq!(find_marker(string), Some(1234));
        let object = br#"{"jsonrpc":"2.0","method":"onNewEvents","params":{"seq":17,"feature":"clock_time_changed","events":[{"name":"clock_time_changed","data":{"daytime":true,"clock_time":-3,"nightstalker_night":false}}]}}"#;
        assert_eq!(find_marker(object), Some(-3));
        let daytime = br#"{"jsonrpc":"2.0","method":"onNewEvents","params":{"seq":18,"feature":"daytime_changed","events":[{"name":"daytime_changed","data":"{\"daytime\":true,\"clock_time\":1234}"}]}}"#;
        assert_eq!(find_marker(daytime), None);
    }

    #[test]
    fn bodies_advance_the_clock_one_second_each() {
        let seq = sequence(Mode::Player, 400);
        assert_eq!(seq.bodies.len(), 400);
        for k in [0usize, 1, 331, 332, 399] {
            let v: Value = serde_json::from_slice(&seq.bodies[k]).expect("JSON body");
            assert_eq!(v["map"]["clock_time"].as_i64(), Some(seq.marker(k)));
            assert!(wardcast_dota2::parse(&seq.bodies[k]).is_ok());
        }
        let size = seq.bodies[10].len();
        assert!(
            (4_000..10_000).contains(&size),
            "player body of {size} bytes"
        );
    }
}
