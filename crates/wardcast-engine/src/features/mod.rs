//! One module per feature family. Each exposes `run(step, [tracker,] sink)`.
//!
//! Families run in a fixed order, so the output order is deterministic: game
//! state first, then the player's counters, then the hero, then the end of the
//! match, then info.

mod counters;
mod game;
mod hero;
mod match_info;
mod me;

use crate::{Sink, Step};

/// State a family keeps between snapshots, beyond the previous snapshot itself.
#[derive(Debug, Default)]
pub(crate) struct Trackers {
    kills: counters::MultiKill,
    game: game::Tracker,
    match_info: match_info::Tracker,
}

impl Trackers {
    /// Forgets per-match state when a different match starts.
    pub fn new_match(&mut self) {
        self.kills = counters::MultiKill::default();
    }
}

/// Runs every family on one step.
pub(crate) fn run(step: &Step<'_>, trackers: &mut Trackers, sink: &mut Sink<'_>) {
    game::run_state(step, sink);
    counters::run(step, &mut trackers.kills, sink);
    hero::run(step, sink);
    game::run_end(step, &mut trackers.game, sink);
    me::run(step, sink);
    match_info::run(step, &mut trackers.match_info, sink);
}

/// The increase of a cumulative counter from the previous snapshot to the next:
/// `Some((from, to))` when both are known and it grew. A first sighting, a missing
/// value or a decrease (a new match) is a baseline, never an event.
pub(crate) fn increase(prev: Option<i64>, next: Option<i64>) -> Option<(i64, i64)> {
    match (prev, next) {
        (Some(a), Some(b)) if b > a => Some((a, b)),
        _ => None,
    }
}

/// A change of a value present in both snapshots.
pub(crate) fn changed<T: PartialEq + Copy>(prev: Option<T>, next: Option<T>) -> Option<T> {
    match (prev, next) {
        (Some(a), Some(b)) if a != b => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increase_needs_both_sides_and_growth() {
        assert_eq!(increase(Some(1), Some(3)), Some((1, 3)));
        assert_eq!(increase(None, Some(3)), None);
        assert_eq!(increase(Some(3), Some(0)), None);
        assert_eq!(increase(Some(3), None), None);
        assert_eq!(changed(Some(1), Some(2)), Some(2));
        assert_eq!(changed(None, Some(2)), None);
    }
}
