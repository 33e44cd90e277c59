//! The info DB: the current value of every info key, so updates fire only on change.

use std::collections::BTreeMap;

use serde_json::Value;

/// Current info values keyed by (feature, category, key): what a game's
/// engine last said, so it emits an info update only when a value changes.
#[derive(Debug, Default)]
pub struct InfoDb {
    values: BTreeMap<(&'static str, &'static str, &'static str), Value>,
}

impl InfoDb {
    /// Stores a value and reports whether it changed. Setting `null` on an
    /// unknown key is not a change.
    pub fn set(
        &mut self,
        feature: &'static str,
        category: &'static str,
        key: &'static str,
        value: Value,
    ) -> bool {
        let slot = (feature, category, key);
        match self.values.get(&slot) {
            Some(old) if *old == value => false,
            None if value.is_null() => false,
            _ => {
                self.values.insert(slot, value);
                true
            }
        }
    }

    /// The stored value of one key; a key reset to `null` is stored as `null`.
    pub fn get(
        &self,
        feature: &'static str,
        category: &'static str,
        key: &'static str,
    ) -> Option<&Value> {
        self.values.get(&(feature, category, key))
    }

    /// Every stored value.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, &'static str, &Value)> {
        self.values.iter().map(|((f, c, k), v)| (*f, *c, *k, v))
    }
}
