//! The features a broker serves, known only by name.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The index of a feature in the [`Catalogue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureId(pub u16);

/// One info key a feature writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoKey {
    /// The info category.
    pub category: String,
    /// The key in the category.
    pub key: String,
    /// Whether the publisher produces this key.
    pub supported: bool,
    /// Why it is not produced, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Live health of the key: 0 unsupported, 1 green, 2 yellow, 3 red.
    #[serde(default)]
    pub state: u8,
}

/// One feature as a client sees it in `getFeatures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureDef {
    /// The feature name.
    pub name: String,
    /// The events it yields.
    pub events: Vec<String>,
    /// The info keys it writes.
    pub info: Vec<InfoKey>,
    /// Whether the publisher produces it.
    pub supported: bool,
    /// Why it is not supported, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Live health: 0 unsupported, 1 green, 2 yellow, 3 red. Set by the publisher
    /// through `Broker::set_feature_states`; `getFeatures` reports the current value.
    #[serde(default)]
    pub state: u8,
}

/// The list of features, with a name index.
#[derive(Debug, Clone)]
pub struct Catalogue {
    features: Vec<FeatureDef>,
    by_name: HashMap<String, FeatureId>,
}

impl Catalogue {
    /// Builds a catalogue; later duplicates of a name are ignored.
    pub fn new(features: Vec<FeatureDef>) -> Self {
        let mut kept = Vec::with_capacity(features.len());
        let mut by_name = HashMap::new();
        for f in features {
            if by_name.contains_key(&f.name) || kept.len() >= usize::from(u16::MAX) {
                continue;
            }
            by_name.insert(f.name.clone(), FeatureId(kept.len() as u16));
            kept.push(f);
        }
        Self {
            features: kept,
            by_name,
        }
    }

    /// Looks a feature up by name.
    pub fn id(&self, name: &str) -> Option<FeatureId> {
        self.by_name.get(name).copied()
    }

    /// The feature with this id.
    pub fn get(&self, id: FeatureId) -> Option<&FeatureDef> {
        self.features.get(usize::from(id.0))
    }

    /// Every feature, in order.
    pub fn features(&self) -> &[FeatureDef] {
        &self.features
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }
}

/// A set of features, one bit each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FeatureSet {
    bits: Vec<u64>,
}

impl FeatureSet {
    pub fn insert(&mut self, id: FeatureId) {
        let (word, bit) = (usize::from(id.0) / 64, id.0 % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << bit;
    }

    pub fn contains(&self, id: FeatureId) -> bool {
        let (word, bit) = (usize::from(id.0) / 64, id.0 % 64);
        self.bits.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}
