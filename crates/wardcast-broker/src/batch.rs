//! The broker's plain data: what a publisher hands it (`Batch`, one
//! snapshot's events and info updates by feature) and the game it reports
//! (`GameIdentity`, `ServedGame`). No sequencing, rendering or delivery here: the hub
//! numbers batches, `wire` renders them.

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::catalogue::FeatureId;

/// The game a broker serves, as `getRunningGameInfo` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GameIdentity {
    /// Overwolf's game class id (Dota 2: 7314).
    pub class_id: u32,
    /// The window title (`"Dota 2"`).
    pub title: String,
}

impl GameIdentity {
    /// Overwolf's running-game id: the class id times ten plus the instance (1).
    pub fn instance_id(&self) -> u32 {
        self.class_id.saturating_mul(10).saturating_add(1)
    }
}

/// A game a broker serves: what `getRunningGameInfo` reports and the
/// features its sources offer. A broker serves one or more; each source has
/// one (see [`crate::Broker::with_games`]).
#[derive(Debug, Clone)]
pub struct ServedGame {
    /// Its identity.
    pub identity: GameIdentity,
    /// Its features.
    pub catalogue: crate::Catalogue,
}

/// One event to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct EventItem {
    /// The event name.
    pub name: String,
    /// The event data; `null` for none.
    pub data: Value,
}

/// Everything one game snapshot produced, grouped by feature in first-seen order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub(crate) events: Vec<(FeatureId, Vec<EventItem>)>,
    pub(crate) info: Vec<(FeatureId, Map<String, Value>)>,
    pub(crate) received_at: Option<Instant>,
    /// `onGameInfoUpdated`: the game started or stopped sending.
    pub(crate) running: Option<bool>,
    /// What `listSources` says about the source from now on (carried across
    /// a bus; see `Source::set_details`).
    pub(crate) details: Option<Map<String, Value>>,
}

impl Batch {
    /// Adds an event of a feature.
    pub fn event(&mut self, feature: FeatureId, name: impl Into<String>, data: Value) {
        let item = EventItem {
            name: name.into(),
            data,
        };
        match self.events.iter_mut().find(|(f, _)| *f == feature) {
            Some((_, list)) => list.push(item),
            None => self.events.push((feature, vec![item])),
        }
    }

    /// Sets an info key of a feature; `null` resets it.
    pub fn info(&mut self, feature: FeatureId, category: &str, key: &str, value: Value) {
        let map = match self.info.iter_mut().position(|(f, _)| *f == feature) {
            Some(i) => &mut self.info[i].1,
            None => {
                self.info.push((feature, Map::new()));
                let last = self.info.len() - 1;
                &mut self.info[last].1
            }
        };
        let keys = map
            .entry(category.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(keys) = keys {
            keys.insert(key.to_string(), value);
        }
    }

    /// Records when the game data behind this batch arrived, so the broker can
    /// measure ingest-to-send latency.
    pub fn received_at(&mut self, at: Instant) {
        self.received_at = Some(at);
    }

    /// Whether the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.info.is_empty() && self.running.is_none()
    }

    /// Attaches what `listSources` says about the source from this batch on.
    pub fn details(&mut self, details: Map<String, Value>) {
        self.details = Some(details);
    }

    /// A batch of its own telling subscribed clients that the game is (or is
    /// no longer) sending data (`onGameInfoUpdated`).
    pub fn game_running(running: bool) -> Self {
        Self {
            running: Some(running),
            ..Self::default()
        }
    }
}
