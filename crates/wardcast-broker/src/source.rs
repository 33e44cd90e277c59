//! Sources: one game feed each (a match posted by one game client), with its
//! own sequence space, epoch, info store, ring and health.
//!
//! A connection serves one source. A broker starts with its default source
//! and gets more on demand, from its publisher (a GSI post naming a source)
//! or from a client naming one it wants to watch before its game starts,
//! up to [`crate::BrokerConfig::max_sources`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::batch::Batch;
use crate::hub::Hub;
use crate::{Error, FeatureDef, FeatureState};

/// The longest source id.
pub const MAX_SOURCE_ID: usize = 32;

/// Checks a source id: 1 to 32 ASCII letters, digits, `_` or `-` (it names
/// NATS subjects and streams in tournament mode, and appears in URLs).
pub fn validate_source_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= MAX_SOURCE_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSource(
            id.chars().take(MAX_SOURCE_ID + 8).collect(),
        ))
    }
}

/// The state of one source, shared by its publisher and its connections.
pub(crate) struct SourceState {
    pub id: String,
    pub hub: Hub,
    /// The game the source carries, and its catalogue.
    pub game: Arc<crate::ServedGame>,
    /// Replaced by a source of the same id for another game: connections
    /// that are not subscribed move to the new one.
    pub retired: AtomicBool,
    /// Live health per feature, by feature id; written by the publisher, read
    /// by `getFeatures`. Held only to copy in or out, never across an `.await`.
    pub states: RwLock<Vec<FeatureState>>,
    /// What the publisher says about the source (match id, state, …), shown
    /// as is by `listSources`.
    pub details: RwLock<Map<String, Value>>,
    /// Whether the publisher has sent game data (`touch_game`) yet.
    pub fed: AtomicBool,
    /// Whether clients may subscribe: a source read from a bus is not ready
    /// until it has caught up with its stream (and has the stream's epoch).
    pub ready: AtomicBool,
}

/// A handle on one source, for the code that publishes its game data. Cheap
/// to clone.
#[derive(Clone)]
pub struct Source {
    pub(crate) inner: Arc<SourceState>,
}

/// One source as `listSources` and `GET /api/sources` report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSummary {
    /// The source id.
    pub source: String,
    /// The source's epoch: resume within it.
    pub epoch: String,
    /// Whether its game is sending data.
    pub running: bool,
    /// Milliseconds since its last game data; absent before any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_age_ms: Option<u64>,
    /// Its connected clients.
    pub clients: usize,
    /// Whether clients that name no source get this one.
    pub default: bool,
    /// What its publisher reports (for Wardcast: `matchId`, `matchState`, `mode`).
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl Source {
    /// The source id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The catalogue of the source's game.
    pub fn catalogue(&self) -> &crate::Catalogue {
        &self.inner.game.catalogue
    }

    /// The source's game.
    pub fn game(&self) -> &crate::GameIdentity {
        &self.inner.game.identity
    }

    /// Whether another source of the same id (for another game) replaced
    /// this one: its handle publishes to no one.
    pub fn is_retired(&self) -> bool {
        self.inner.retired.load(Ordering::Relaxed)
    }

    /// How much history `resume` can draw on (the broker's configuration).
    pub fn history_limits(&self) -> crate::HistoryLimits {
        self.inner.hub.limits()
    }

    /// The source's epoch, sent to its clients.
    pub fn epoch(&self) -> std::sync::Arc<str> {
        self.inner.hub.epoch()
    }

    /// Takes the epoch of the bus stream this source is read from or written
    /// to (before its first batch; false if it already has batches of
    /// another epoch).
    pub fn adopt_epoch(&self, epoch: &str) -> bool {
        self.inner.hub.adopt_epoch(epoch)
    }

    /// Publishes everything one snapshot of this source produced. Each
    /// notification is serialized once and shared by every client that
    /// receives it.
    pub fn publish(&self, batch: Batch) {
        self.inner.hub.publish(batch);
    }

    /// Records that the game is (or is no longer) sending data; a change is
    /// pushed to the source's subscribed clients as `onGameInfoUpdated`.
    pub fn set_game_running(&self, running: bool) {
        self.inner.hub.set_running(running);
    }

    /// Records when the last game data arrived, for `getRunningGameInfo`.
    pub fn touch_game(&self) {
        self.inner.fed.store(true, Ordering::Relaxed);
        self.inner.hub.touch();
    }

    /// Whether the source's last batches said its game is sending data.
    pub fn game_running(&self) -> bool {
        self.inner.hub.is_running()
    }

    /// The current info of one feature (category → key → value), as a late
    /// joiner's snapshot would carry it; `None` when it has none.
    pub fn info_of(&self, feature: &str) -> Option<Map<String, Value>> {
        self.inner.hub.info_named(feature)
    }

    /// Lets clients subscribe (or, with `false`, makes them retry: "not ready").
    pub fn set_ready(&self, ready: bool) {
        self.inner.ready.store(ready, Ordering::Relaxed);
    }

    /// The sequence number of the last notification published.
    pub fn last_seq(&self) -> u64 {
        self.inner.hub.last_seq()
    }

    /// Sets the live health state of features (by feature id), as `getFeatures`
    /// reports it: the feature's state and its info keys' states, in catalogue order.
    pub fn set_feature_states(&self, states: &[(crate::FeatureId, FeatureState)]) {
        let mut current = self.inner.states.write().unwrap_or_else(|e| e.into_inner());
        for (id, state) in states {
            if let Some(slot) = current.get_mut(usize::from(id.0)) {
                *slot = state.clone();
            }
        }
    }

    /// Sets what `listSources` shows about this source besides its id, epoch
    /// and liveness (the broker knows no game: these are the publisher's words).
    pub fn set_details(&self, details: Map<String, Value>) {
        *self
            .inner
            .details
            .write()
            .unwrap_or_else(|e| e.into_inner()) = details;
    }

    /// The catalogue with this source's current health state of each feature and info key.
    pub fn features(&self) -> Vec<FeatureDef> {
        self.inner.features()
    }
}

impl SourceState {
    pub fn features(&self) -> Vec<FeatureDef> {
        let catalogue = &self.game.catalogue;
        let states = self
            .states
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        catalogue
            .features()
            .iter()
            .zip(states)
            .map(|(f, s)| {
                let mut def = f.clone();
                def.state = s.state;
                for (key, state) in def.info.iter_mut().zip(s.info) {
                    key.state = state;
                }
                def
            })
            .collect()
    }

    pub fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Relaxed)
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    pub fn is_fed(&self) -> bool {
        self.fed.load(Ordering::Relaxed)
    }

    pub fn details(&self) -> Map<String, Value> {
        self.details
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ids_are_short_and_plain() {
        for ok in ["default", "match-1", "A_b9", &"x".repeat(32)] {
            assert!(validate_source_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a.b", "a b", "a/b", "ü", "a>", &"x".repeat(33)] {
            assert!(validate_source_id(bad).is_err(), "{bad:?}");
        }
    }
}
