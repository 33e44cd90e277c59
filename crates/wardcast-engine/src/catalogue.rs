//! The shape of a game's feature catalogue.
//!
//! Each game lists every feature Overwolf documents for it, in its
//! documentation order, with the events it yields and the info keys it
//! writes. A feature Wardcast cannot or does not yet produce is listed with
//! [`Support::Unsupported`] and a reason, so clients are told rather than
//! left waiting.

/// Whether Wardcast produces a feature or an info key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Produced from GSI.
    Supported,
    /// Not produced, and why.
    Unsupported(&'static str),
}

/// One info key a feature writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoSpec {
    /// The info category.
    pub category: &'static str,
    /// The key.
    pub key: &'static str,
    /// Whether Wardcast produces this key.
    pub support: Support,
}

/// One feature: its name, its events and its info keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSpec {
    /// The feature name, exactly as Overwolf's (or, for Wardcast's additions, in the same style).
    pub name: &'static str,
    /// Names of the events the feature yields.
    pub events: &'static [&'static str],
    /// The info keys the feature writes.
    pub info: &'static [InfoSpec],
    /// Whether Wardcast produces it.
    pub support: Support,
    /// Whether Overwolf's feed for the game has it (false for Wardcast's additions).
    pub overwolf: bool,
}

/// A supported feature of Overwolf's feed for the game.
pub const fn overwolf(
    name: &'static str,
    events: &'static [&'static str],
    info: &'static [InfoSpec],
) -> FeatureSpec {
    FeatureSpec {
        name,
        events,
        info,
        support: Support::Supported,
        overwolf: true,
    }
}

/// A feature of Overwolf's feed Wardcast cannot produce, and why.
pub const fn overwolf_unsupported(
    name: &'static str,
    events: &'static [&'static str],
    info: &'static [InfoSpec],
    why: &'static str,
) -> FeatureSpec {
    FeatureSpec {
        support: Support::Unsupported(why),
        ..overwolf(name, events, info)
    }
}

/// A supported feature that is Wardcast's addition (not in Overwolf's feed).
pub const fn addition(
    name: &'static str,
    events: &'static [&'static str],
    info: &'static [InfoSpec],
) -> FeatureSpec {
    FeatureSpec {
        overwolf: false,
        ..overwolf(name, events, info)
    }
}

/// A supported info key.
pub const fn key(category: &'static str, key: &'static str) -> InfoSpec {
    InfoSpec {
        category,
        key,
        support: Support::Supported,
    }
}

/// An info key Wardcast cannot produce, and why.
pub const fn no_key(category: &'static str, key: &'static str, why: &'static str) -> InfoSpec {
    InfoSpec {
        category,
        key,
        support: Support::Unsupported(why),
    }
}

/// The feature named `name` in `catalogue`.
pub fn find<'a>(catalogue: &'a [FeatureSpec], name: &str) -> Option<&'a FeatureSpec> {
    catalogue.iter().find(|f| f.name == name)
}
