//! One module per feature family. Each exposes `run(step, [tracker,] sink)`.
//!
//! Families run in a fixed order, so the output order is deterministic: game
//! state and the map first, then every player's counters, hero, abilities and
//! items, then the `events` window, the end of the match, and info (the
//! scoreboard last).

mod abilities;
mod buildings;
mod counters;
mod events;
mod game;
mod hero;
mod items;
mod map;
mod match_info;
mod me;
mod roster;
mod scoreboard;

use crate::{Sink, Step};

/// State a family keeps between snapshots, beyond the previous snapshot itself.
#[derive(Debug, Default)]
pub(crate) struct Trackers {
    /// Per player: slots 0-9 in spectator mode, 10 for the local player.
    players: [PlayerTracker; 11],
    game: game::Tracker,
    match_info: match_info::Tracker,
    events: events::Tracker,
}

/// What is remembered per player.
#[derive(Debug, Default)]
pub(crate) struct PlayerTracker {
    kills: counters::MultiKill,
    /// Game clock of the last `hero_buyback_info_changed`.
    buyback_info_clock: Option<i64>,
    /// When the player's `scoreboard` value was last sent.
    scoreboard: Option<scoreboard::Second>,
}

impl Trackers {
    /// Forgets per-match state when a different match starts.
    pub fn new_match(&mut self) {
        self.players = Default::default();
        self.events = Default::default();
    }

    /// Forgets the timeline-scoped state at a replay seek: multi-kill chains,
    /// buyback periods, the fired `events` entries, and which one-shot match
    /// events (`new_game`, `match_ended`, `game_over`) fired, since the viewer
    /// can watch them happen again. The match's pseudo id stays.
    pub fn seek(&mut self) {
        self.new_match();
        self.game = Default::default();
    }
}

/// Runs every family on one step.
pub(crate) fn run(step: &Step<'_>, trackers: &mut Trackers, sink: &mut Sink<'_>) {
    game::run_state(step, &mut trackers.game, sink);
    map::run(step, sink);
    for (prev, next) in &step.players {
        let tracker = &mut trackers.players[next.slot()];
        counters::run(step, prev.as_ref(), next, &mut tracker.kills, sink);
        hero::run(
            step,
            prev.as_ref(),
            next,
            &mut tracker.buyback_info_clock,
            sink,
        );
        abilities::run(prev.as_ref(), next, sink);
        items::run(prev.as_ref(), next, sink);
    }
    buildings::run(step, sink);
    events::run(step, &mut trackers.events, sink);
    game::run_end(step, &mut trackers.game, sink);
    me::run(step, sink);
    match_info::run(step, &mut trackers.match_info, sink);
    roster::run(step, sink);
    for (_, who) in &step.players {
        scoreboard::run(
            step,
            who,
            &mut trackers.players[who.slot()].scoreboard,
            sink,
        );
    }
}

/// The most a counter can plausibly grow between two snapshots (a second or
/// two apart): a larger jump is bad data or a reconnect, taken as a new
/// baseline rather than answered with thousands of events.
pub(crate) const MAX_STEP: i64 = 20;

/// The increase of a cumulative counter from the previous snapshot to the next:
/// `Some((from, to))` when both are known and it grew by at most [`MAX_STEP`].
/// A first sighting, a missing or negative value, a decrease (a new match) or
/// an implausible jump is a baseline, never an event.
pub(crate) fn increase(prev: Option<i64>, next: Option<i64>) -> Option<(i64, i64)> {
    match (prev, next) {
        (Some(a), Some(b)) if a >= 0 && b > a && b - a <= MAX_STEP => Some((a, b)),
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
        assert_eq!(
            increase(Some(-5), Some(2)),
            None,
            "negative counters are bad data"
        );
        assert_eq!(
            increase(Some(0), Some(i64::MAX)),
            None,
            "an absurd jump is a baseline"
        );
        assert_eq!(
            increase(Some(i64::MIN), Some(i64::MAX)),
            None,
            "no overflow"
        );
        assert_eq!(increase(Some(0), Some(MAX_STEP)), Some((0, MAX_STEP)));
        assert_eq!(changed(Some(1), Some(2)), Some(2));
        assert_eq!(changed(None, Some(2)), None);
    }
}
