//! The demo matches exercise every supported feature: each of their event
//! names fires at least once per loop, run through the real engine, whether
//! the loop starts in the game (the default) or at the draft (`--from-draft`).
//! The demo is what overlay authors build against without the game, so a
//! feature that never fires in it is a feature they cannot see working. And
//! a newcomer sees the action at once: a kill, a death, gold and info within
//! 15 seconds of the first post.

use std::collections::BTreeSet;

use wardcast::demo::DemoPost;
use wardcast::DemoMode;
use wardcast_dota2::{Engine, CATALOGUE};
use wardcast_engine::Support;

/// One loop of `mode`: the default (in game first) or `--from-draft`.
fn one_loop(mode: DemoMode, seed: u64, from_draft: bool) -> Vec<DemoPost> {
    if from_draft {
        mode.posts_from_draft(seed)
    } else {
        mode.posts(seed)
    }
}

/// Every event name and every info `category.key` one loop of `mode` fires.
fn fired(mode: DemoMode, seed: u64, from_draft: bool) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut engine = Engine::default();
    let (mut events, mut info) = (BTreeSet::new(), BTreeSet::new());
    for post in one_loop(mode, seed, from_draft) {
        let body = serde_json::to_vec(&post.body).expect("json");
        let state = wardcast_dota2::parse(&body).expect("demo bodies parse");
        let out = engine.process(state);
        events.extend(out.events.iter().map(|e| e.name.to_string()));
        info.extend(
            out.info
                .iter()
                .filter(|c| !c.value.is_null())
                .map(|c| format!("{}.{}", c.category, c.key)),
        );
    }
    (events, info)
}

/// The supported event names of the catalogue, less those `mode` cannot
/// produce (with why), and the supported info keys likewise.
fn expected(absent_events: &[&str], absent_info: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut events = BTreeSet::new();
    let mut info = BTreeSet::new();
    for spec in CATALOGUE.iter() {
        if spec.support != Support::Supported || spec.name == "chat" {
            continue; // chat is opt-in (private text), off in the demo
        }
        events.extend(spec.events.iter().map(|e| e.to_string()));
        info.extend(
            spec.info
                .iter()
                .filter(|k| k.support == Support::Supported)
                .map(|k| format!("{}.{}", k.category, k.key)),
        );
    }
    for e in absent_events {
        assert!(events.remove(*e), "{e} is not a supported event");
    }
    for k in absent_info {
        assert!(info.remove(*k), "{k} is not a supported info key");
    }
    // The broker's own features (health, version) are not engine output.
    info.retain(|k| !k.starts_with("gep_internal.") && !k.starts_with("error."));
    (events, info)
}

fn assert_covers(mode: DemoMode, want: (BTreeSet<String>, BTreeSet<String>)) {
    for (seed, from_draft) in [1, 2, 7].into_iter().flat_map(|s| [(s, false), (s, true)]) {
        let (events, info) = fired(mode, seed, from_draft);
        let missing: Vec<_> = want.0.difference(&events).collect();
        assert!(
            missing.is_empty(),
            "{mode} demo, seed {seed}, from draft {from_draft}: events never fired: {missing:?}"
        );
        let missing: Vec<_> = want.1.difference(&info).collect();
        assert!(
            missing.is_empty(),
            "{mode} demo, seed {seed}, from draft {from_draft}: info never set: {missing:?}"
        );
    }
}

/// When (ms from the first post) the engine first fires `kill`, `death`,
/// `gold` and any info update, over one loop of `mode`.
fn first_action(mode: DemoMode, seed: u64) -> [Option<u64>; 4] {
    let mut engine = Engine::default();
    let mut first = [None; 4];
    for post in mode.posts(seed) {
        let body = serde_json::to_vec(&post.body).expect("json");
        let out = engine.process(wardcast_dota2::parse(&body).expect("demo bodies parse"));
        let seen = [
            out.events.iter().any(|e| e.name == "kill"),
            out.events.iter().any(|e| e.name == "death"),
            out.events.iter().any(|e| e.name == "gold"),
            out.info.iter().any(|c| !c.value.is_null()),
        ];
        for (at, seen) in first.iter_mut().zip(seen) {
            if seen && at.is_none() {
                *at = Some(post.at_ms);
            }
        }
    }
    first
}

#[test]
fn both_demos_show_a_kill_a_death_gold_and_info_within_15_seconds() {
    // The posts' own times, as `wardcast demo` plays them at speed 1 from
    // the banner (it prints before the first post).
    for mode in DemoMode::ALL {
        for seed in [0, 1, 2, 3, 7, 42, 7314, u64::MAX] {
            let [kill, death, gold, info] = first_action(mode, seed);
            eprintln!(
                "{mode} seed {seed}: kill {kill:?} death {death:?} gold {gold:?} info {info:?} ms"
            );
            for (what, at) in [
                ("kill", kill),
                ("death", death),
                ("gold", gold),
                ("info", info),
            ] {
                assert!(
                    at.is_some_and(|ms| ms <= 15_000),
                    "{mode} demo, seed {seed}: the first {what} at {at:?} ms"
                );
            }
        }
    }
}

#[test]
fn the_player_demo_fires_every_event_and_info_key_player_mode_has() {
    // What GSI sends only to observers (see the health reasons in protocol/features.md),
    // and the other side's buildings: a player gets only their own side's, and
    // the demo's player is Radiant.
    assert_covers(
        DemoMode::Player,
        expected(
            &["courier_killed"],
            &[
                "buildings.dire",
                "damage.damage_dealt_hero",
                "damage.damage_dealt_tower",
                "roshan.state",
                "roshan.state_end_seconds",
                "win_chance.radiant_win_chance",
                "roster.bans",
                "roster.draft",
                // The spectator board: a player's client sends only `scoreboard.me`.
                "scoreboard.player_0",
                "scoreboard.player_1",
                "scoreboard.player_2",
                "scoreboard.player_3",
                "scoreboard.player_4",
                "scoreboard.player_5",
                "scoreboard.player_6",
                "scoreboard.player_7",
                "scoreboard.player_8",
                "scoreboard.player_9",
            ],
        ),
    );
}

#[test]
fn the_spectator_demo_fires_every_event_and_info_key() {
    // An observer's board is `scoreboard.player_N`; `scoreboard.me` is player mode's.
    assert_covers(DemoMode::Spectator, expected(&[], &["scoreboard.me"]));
}
