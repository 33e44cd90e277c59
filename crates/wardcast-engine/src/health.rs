//! Live feature health, in the shape of Overwolf's game-events status JSON.
//!
//! Health is derived from the data actually arriving: the last snapshot, the
//! mode it shows, and whether bodies are still coming (`Freshness`, measured by
//! the caller, since the engine has no clock). States: 0 unsupported, 1 green,
//! 2 yellow (the feature's source fields are missing in this mode, or no data
//! yet), 3 red (in a match but no game data for 30 s). [`report`] builds it
//! for any game; the game tells which fields are missing.

use serde::Serialize;
use wardcast_gsi::Mode;

use crate::catalogue::{FeatureSpec, Support};

/// Whether game data is arriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// No GSI body has arrived yet.
    NeverSeen,
    /// Bodies are arriving.
    Fresh,
    /// No body for a while (30 s): the game stopped sending, or crashed.
    Stale,
    /// The game stopped sending during a match long enough to count as gone
    /// (40 s): the match state was dropped, but the match was never seen to
    /// end, so this stays red until data comes back.
    Lost,
}

/// The health of one event or info key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyHealth {
    /// The event name or info key.
    pub name: &'static str,
    /// 0 for an event, 1 for an info key (Overwolf's convention).
    #[serde(rename = "type")]
    pub kind: u8,
    /// 0 unsupported, 1 green, 2 yellow, 3 red.
    pub state: u8,
    /// The info category (info keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    /// Why the state is not green.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The health of one feature: the worst of its supported keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureHealth {
    /// The feature name.
    pub name: &'static str,
    /// 0 unsupported, 1 green, 2 yellow, 3 red.
    pub state: u8,
    /// Its events and info keys.
    pub keys: Vec<KeyHealth>,
}

/// The whole report, as served at `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// Overwolf's game id (Dota 2: 7314, Counter-Strike 2: 22730).
    pub game_id: u32,
    /// The worst state of the supported features.
    pub state: u8,
    /// Every feature of the catalogue.
    pub features: Vec<FeatureHealth>,
}

const STALE: &str = "no game data for 30 s during a match";
const LOST: &str =
    "the game stopped sending data during a match (closed or crashed?): red until data comes back";

/// What a game tells [`report`] about itself.
pub struct Basis<'a> {
    /// Overwolf's game id.
    pub game_id: u32,
    /// Why there is no data before the first body (what to check in the
    /// game's set-up).
    pub no_data: &'a str,
    /// Why there is no data once the game stopped sending outside a match.
    pub stopped: &'a str,
    /// Its catalogue.
    pub catalogue: &'a [FeatureSpec],
    /// The mode of the last snapshot, `None` before the first one.
    pub mode: Option<Mode>,
    /// Whether a feature is produced with the engine's settings (some are opt-in).
    pub support: &'a dyn Fn(&FeatureSpec) -> Support,
    /// Why a feature's or key's source fields are missing from the last
    /// snapshot (`feature`, event name or info key), if they are.
    pub missing: &'a dyn Fn(&str, &str) -> Option<&'static str>,
}

/// Builds the report from what a game says of its last snapshot and whether
/// data is arriving.
pub fn report(basis: &Basis<'_>, freshness: Freshness) -> HealthReport {
    let (no_data, stopped) = (basis.no_data, basis.stopped);
    let verdict = |feature: &str, key: &str| -> (u8, Option<String>) {
        match (freshness, basis.mode) {
            (Freshness::NeverSeen, _) => (2, Some(no_data.into())),
            (Freshness::Lost, _) => (3, Some(LOST.into())),
            (Freshness::Stale, None) => (2, Some(stopped.into())),
            (_, None) => (2, Some(no_data.into())),
            (Freshness::Stale, Some(mode)) if mode != Mode::Idle => (3, Some(STALE.into())),
            (_, Some(Mode::Idle)) => (1, None),
            (_, Some(_)) => match (basis.missing)(feature, key) {
                Some(why) => (2, Some(why.into())),
                None => (1, None),
            },
        }
    };
    let features: Vec<FeatureHealth> = basis
        .catalogue
        .iter()
        .map(|spec| {
            let feature_support = (basis.support)(spec);
            let mut keys = Vec::new();
            for event in spec.events {
                let (state, reason) = match feature_support {
                    Support::Unsupported(why) => (0, Some(why.to_string())),
                    Support::Supported => verdict(spec.name, event),
                };
                keys.push(KeyHealth {
                    name: event,
                    kind: 0,
                    state,
                    category: None,
                    reason,
                });
            }
            for info in spec.info {
                let (state, reason) = match (feature_support, info.support) {
                    (Support::Unsupported(why), _) | (_, Support::Unsupported(why)) => {
                        (0, Some(why.to_string()))
                    }
                    _ => verdict(spec.name, info.key),
                };
                keys.push(KeyHealth {
                    name: info.key,
                    kind: 1,
                    state,
                    category: Some(info.category),
                    reason,
                });
            }
            FeatureHealth {
                name: spec.name,
                state: worst(keys.iter().map(|k| k.state)),
                keys,
            }
        })
        .collect();
    HealthReport {
        game_id: basis.game_id,
        state: worst(features.iter().map(|f| f.state)),
        features,
    }
}

/// The worst of supported states (0, unsupported, counts for nothing).
fn worst(states: impl Iterator<Item = u8>) -> u8 {
    states.filter(|s| *s != 0).max().unwrap_or(0)
}
