//! What every game's GSI body has in common: the `provider` (which game sent
//! it) and the `auth` echo of the cfg's token, a path-reporting parse for
//! any game's model, and [`Parsed`], a body parsed by its game's model and
//! opaque to everything but that game's engine.

use std::any::Any;

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The `auth` echo of the cfg's `auth` block.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Auth {
    /// The shared token.
    pub token: Option<String>,
}

/// How the game client is being used, judged from the body's shape (each
/// game's model tells it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// No match is loaded: menu heartbeats.
    Idle,
    /// The local player is in a match.
    Playing,
    /// The client is spectating, observing or watching a replay.
    Spectating,
}

impl Mode {
    /// The Overwolf name of the mode: `idle`, `playing` or `spectating`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Idle => "idle",
            Mode::Playing => "playing",
            Mode::Spectating => "spectating",
        }
    }
}

/// Why a body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The JSON path where parsing failed, such as `player.kills`.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses a GSI body into a game's model `T`, reporting the JSON path of
/// the first error.
pub fn parse_as<T: DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    // The fast path parses without tracking the path; only a body that fails
    // is parsed again with `serde_path_to_error`, to say where it failed.
    match serde_json::from_slice(body) {
        Ok(state) => Ok(state),
        Err(plain) => Err(locate::<T>(body).unwrap_or_else(|| ParseError {
            path: String::new(),
            message: plain.to_string(),
        })),
    }
}

/// A serde `deserialize_with` helper for the ids GSI sends as a string or a
/// bare integer (Dota's `map.matchid` was once a number; CS2 sends SteamIDs
/// unquoted): kept as the exact decimal text, never through a float.
pub fn integer_or_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        U(u64),
        I(i64),
    }
    Ok(match <Option<Raw> as serde::Deserialize>::deserialize(d)? {
        None => None,
        Some(Raw::S(s)) => Some(s),
        Some(Raw::U(u)) => Some(u.to_string()),
        Some(Raw::I(i)) => Some(i.to_string()),
    })
}

/// Where and why `body` fails to parse as `T`, or `None` if it parses after all.
fn locate<T: DeserializeOwned>(body: &[u8]) -> Option<ParseError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => Some(ParseError {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        }),
        // Trailing bytes after the object are an error, as in `serde_json::from_slice`.
        Ok(_) => de.end().err().map(|e| ParseError {
            path: String::new(),
            message: e.to_string(),
        }),
    }
}

/// The Steam app id a body names in `provider.appid` (570 Dota 2, 730
/// Counter-Strike 2), read without parsing the rest: the reader stops at
/// `provider`, which the game sends first. `None` when the body has no
/// `provider.appid` before a malformed part, or is not a JSON object.
pub fn app_id(body: &[u8]) -> Option<u32> {
    /// Where the visitor leaves the id before it stops the reader.
    struct Peek<'a>(&'a std::cell::Cell<Option<u32>>);
    impl<'de> Visitor<'de> for Peek<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a GSI body")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            #[derive(Deserialize)]
            struct Provider {
                appid: Option<serde_json::Value>,
            }
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "provider" {
                    let provider: Option<Provider> = map.next_value().unwrap_or(None);
                    self.0.set(
                        provider
                            .and_then(|p| p.appid)
                            .and_then(|id| match id {
                                serde_json::Value::Number(n) => n.as_u64(),
                                serde_json::Value::String(s) => s.trim().parse().ok(),
                                _ => None,
                            })
                            .and_then(|id| u32::try_from(id).ok()),
                    );
                    // Stop here: the rest of the body is the game's to parse
                    // (an error is the only way to stop a map early; the id
                    // is already out).
                    return Err(serde::de::Error::custom("stop"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let found = std::cell::Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let _ = de.deserialize_map(Peek(&found));
    found.get()
}

/// A GSI body parsed by its game's model. The ingest reads only the token;
/// the game's engine takes the state back with [`Parsed::downcast`].
pub struct Parsed {
    app_id: u32,
    token: Option<String>,
    state: Box<dyn Any + Send>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl Parsed {
    /// Wraps the state a game's model parsed, for the game `app_id`, with
    /// the body's `auth.token`.
    pub fn new<T: Any + Send>(app_id: u32, token: Option<String>, state: T) -> Self {
        Self {
            app_id,
            token,
            state: Box::new(state),
        }
    }

    /// The Steam app id of the game whose model parsed the body.
    pub fn app_id(&self) -> u32 {
        self.app_id
    }

    /// The body's `auth.token`.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The parsed state, if it is a `T` (else the body back).
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        match self.state.downcast::<T>() {
            Ok(state) => Ok(*state),
            Err(state) => Err(Self { state, ..self }),
        }
    }

    /// A body parsed as plain JSON, for a receiver that knows no game: a
    /// JSON object, its token and app id read from `auth` and `provider`.
    pub fn json(body: &[u8]) -> Result<Self, ParseError> {
        let value: serde_json::Map<String, serde_json::Value> = parse_as(body)?;
        let token = value
            .get("auth")
            .and_then(|a| a.get("token"))
            .and_then(|t| t.as_str())
            .map(str::to_string);
        let app_id = value
            .get("provider")
            .and_then(|p| p.get("appid"))
            .and_then(serde_json::Value::as_u64)
            .and_then(|id| u32::try_from(id).ok())
            .unwrap_or(0);
        Ok(Self::new(app_id, token, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_id_is_read_from_the_provider_alone() {
        assert_eq!(
            app_id(br#"{"provider": {"name": "x", "appid": 730}}"#),
            Some(730)
        );
        assert_eq!(
            app_id(br#"{"map": {"a": [1, {"b": 2}]}, "provider": {"appid": "570"}, "x": "#),
            Some(570)
        );
        // Stops at the provider: what follows is not read.
        assert_eq!(
            app_id(br#"{"provider": {"appid": 570}, "map": nonsense"#),
            Some(570)
        );
        for none in [
            &b""[..],
            b"[]",
            b"{}",
            b"{\"provider\": {}}",
            b"{\"provider\": 3}",
            b"{\"provider\": {\"appid\": -1}}",
            b"{\"map\": ",
            b"\xff",
        ] {
            assert_eq!(app_id(none), None, "{:?}", String::from_utf8_lossy(none));
        }
    }

    #[test]
    fn a_parsed_body_gives_back_only_its_own_type() {
        let parsed = Parsed::new(570, Some("t".into()), 5_u8);
        assert_eq!(parsed.token(), Some("t"));
        let parsed = parsed.downcast::<String>().expect_err("not a string");
        assert_eq!(parsed.downcast::<u8>().ok(), Some(5));
    }

    #[test]
    fn plain_json_reports_the_path_of_an_error() {
        let parsed =
            Parsed::json(br#"{"auth": {"token": "s"}, "provider": {"appid": 730}}"#).expect("json");
        assert_eq!((parsed.app_id(), parsed.token()), (730, Some("s")));
        assert!(Parsed::json(b"[1]").is_err());
        let err = parse_as::<std::collections::BTreeMap<String, u8>>(br#"{"a": 1, "b": "x"}"#)
            .expect_err("a string for a u8");
        assert_eq!(err.path, "b");
    }
}
