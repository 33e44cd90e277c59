#![doc = include_str!("../README.md")]
//!
//! ## Layout
//! - [`game`]: the [`Game`] and [`GameEngine`] traits a game implements to
//!   plug into Wardcast, and [`GameInfo`], what it says about itself.
//! - [`catalogue`]: the shape of a game's feature catalogue ([`FeatureSpec`]).
//! - [`health`]: the live health report ([`HealthReport`]), built for any game.
//! - [`InfoDb`] and [`Output`]: what an engine produces, with info diffed so
//!   an update fires only on change.

pub mod catalogue;
pub mod game;
pub mod health;
mod info;

use serde::Serialize;
use serde_json::Value;

pub use catalogue::{key, no_key, FeatureSpec, InfoSpec, Support};
pub use game::{Game, GameEngine, GameInfo, Setup, View};
pub use health::{FeatureHealth, Freshness, HealthReport, KeyHealth};
pub use info::InfoDb;
pub use wardcast_gsi::{Mode, ParseError, Parsed};

/// Settings of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Game-clock seconds within which consecutive kills form a multi-kill
    /// (double, triple, ultra, rampage). Dota's own window is not published;
    /// 18 s matches the in-game announcer as commonly reported.
    pub multikill_window_secs: i64,
    /// Whether `chat_message` events are produced. Chat is private text, so it
    /// is off unless the operator opts in.
    pub allow_chat: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            multikill_window_secs: 18,
            allow_chat: false,
        }
    }
}

/// Errors of the engine crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A configuration value is out of range.
    #[error("invalid engine setting {name}: {reason}")]
    InvalidConfig {
        /// The setting.
        name: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// A fleeting game event, such as a kill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The feature that yields the event.
    pub feature: &'static str,
    /// The event name, exactly as Overwolf's.
    pub name: &'static str,
    /// The event data as a JSON value; `null` for an event without data.
    pub data: Value,
}

/// A change of one info key in the category → key → value store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfoChange {
    /// The feature that owns the key.
    pub feature: &'static str,
    /// The info category.
    pub category: &'static str,
    /// The info key.
    pub key: &'static str,
    /// The new value; `null` resets the key.
    pub value: Value,
}

/// What one snapshot produced: events in order, then info changes in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Output {
    /// Events, in the order they happened.
    pub events: Vec<Event>,
    /// Info keys whose value changed.
    pub info: Vec<InfoChange>,
}

impl Output {
    /// Whether the snapshot produced nothing.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.info.is_empty()
    }

    /// Sets an info key in `db`; a change is added only if the value differs
    /// from the stored one. Several changes of one key in one output
    /// collapse to the last.
    pub fn set_info(
        &mut self,
        db: &mut InfoDb,
        feature: &'static str,
        category: &'static str,
        key: &'static str,
        value: Value,
    ) {
        if db.set(feature, category, key, value.clone()) {
            let same =
                |c: &InfoChange| c.feature == feature && c.category == category && c.key == key;
            if let Some(pending) = self.info.iter_mut().find(|c| same(c)) {
                pending.value = value;
            } else {
                self.info.push(InfoChange {
                    feature,
                    category,
                    key,
                    value,
                });
            }
        }
    }
}
