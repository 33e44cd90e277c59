//! Tests of the spectator match: determinism, the bodies' shape, the
//! consistency of every post, the scripted beats, and what the engine makes of
//! the whole match.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use wardcast_dota2::{Engine, CATALOGUE};
use wardcast_gsi::Mode;

use super::*;

/// Seeds for the slower checks (a debug build makes a match in about a second).
const SEEDS: [u64; 3] = [0, 7314, u64::MAX];

fn num(body: &Value, pointer: &str) -> i64 {
    match body.pointer(pointer).and_then(Value::as_i64) {
        Some(n) => n,
        None => panic!("missing integer {pointer}"),
    }
}

fn text<'a>(body: &'a Value, pointer: &str) -> &'a str {
    body.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn flag(body: &Value, pointer: &str) -> bool {
    match body.pointer(pointer).and_then(Value::as_bool) {
        Some(b) => b,
        None => panic!("missing bool {pointer}"),
    }
}

fn state(body: &Value) -> &str {
    text(body, "/map/game_state")
}

fn in_game(body: &Value) -> bool {
    state(body) == "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"
}

/// `(index, team key)` of the ten players.
fn slots() -> impl Iterator<Item = (usize, &'static str)> {
    (0..10).map(|i| (i, if i < 5 { "team2" } else { "team3" }))
}

fn player(body: &Value, i: usize, field: &str) -> i64 {
    let team = if i < 5 { "team2" } else { "team3" };
    num(body, &format!("/player/{team}/player{i}/{field}"))
}

fn hero_ptr(i: usize, field: &str) -> String {
    let team = if i < 5 { "team2" } else { "team3" };
    format!("/hero/{team}/player{i}/{field}")
}

fn events(body: &Value) -> &[Value] {
    body.get("events")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn has_event(body: &Value, kind: &str) -> bool {
    events(body).iter().any(|e| e["event_type"] == kind)
}

#[test]
fn same_seed_same_posts_and_another_seed_another_match() {
    let seven = spectator_match(7);
    assert_eq!(seven, spectator_match(7));
    assert_ne!(seven, spectator_match(8));
}

#[test]
fn every_body_parses_and_is_a_spectator_body() {
    for seed in SEEDS {
        let posts = spectator_match(seed);
        assert!(
            (300..=450).contains(&posts.len()),
            "seed {seed}: {} posts",
            posts.len()
        );
        for (i, post) in posts.iter().enumerate() {
            assert_eq!(post.at_ms, 1000 * i as u64);
            assert_eq!(
                num(&post.body, "/provider/timestamp"),
                1_700_000_000 + i as i64
            );
            let bytes = serde_json::to_vec(&post.body).unwrap_or_default();
            let parsed = wardcast_dota2::parse(&bytes);
            let Ok(gsi) = parsed else {
                panic!("seed {seed} post {i}: {parsed:?}");
            };
            let expected = if post.body.get("map").is_some() {
                Mode::Spectating
            } else {
                Mode::Idle
            };
            assert_eq!(gsi.mode(), expected, "seed {seed} post {i}");
        }
        let modes: Vec<bool> = posts.iter().map(|p| p.body.get("map").is_some()).collect();
        assert_eq!(
            modes.iter().filter(|m| !**m).count(),
            6,
            "3 menu posts each end"
        );
        assert!(modes[3..posts.len() - 3].iter().all(|m| *m));
    }
}

#[test]
fn kills_deaths_assists_and_scores_agree_at_every_post() {
    for seed in (0..6).chain([7314, u64::MAX, 0xDEAD_BEEF]) {
        let posts = spectator_match(seed);
        let bodies: Vec<&Value> = posts
            .iter()
            .map(|p| &p.body)
            .filter(|b| b.get("map").is_some())
            .collect();
        let mut prev: Option<&Value> = None;
        for b in &bodies {
            for (team, score_key, enemies) in [
                ("team2", "/map/radiant_score", 5..10),
                ("team3", "/map/dire_score", 0..5),
            ] {
                let members: Vec<usize> = slots()
                    .filter(|(_, t)| *t == team)
                    .map(|(i, _)| i)
                    .collect();
                let kills: i64 = members.iter().map(|&i| player(b, i, "kills")).sum();
                assert_eq!(kills, num(b, score_key), "seed {seed}: {team} score");
                let deaths: i64 = enemies.clone().map(|v| player(b, v, "deaths")).sum();
                assert_eq!(kills, deaths, "seed {seed}: kills are enemy deaths");
                // Each enemy's deaths are exactly the kills on them in the kill lists.
                for v in enemies.clone() {
                    let on_v: i64 = members
                        .iter()
                        .map(|&k| {
                            let team = if k < 5 { "team2" } else { "team3" };
                            b.pointer(&format!("/player/{team}/player{k}/kill_list/victimid_{v}"))
                                .and_then(Value::as_i64)
                                .unwrap_or(0)
                        })
                        .sum();
                    assert_eq!(on_v, player(b, v, "deaths"), "seed {seed}: victim {v}");
                }
                let assists: i64 = members.iter().map(|&i| player(b, i, "assists")).sum();
                assert!(assists <= 4 * kills, "seed {seed}: assists");
            }
            for (i, team) in slots() {
                let p = &b["player"][team][format!("player{i}")];
                let list: i64 = p["kill_list"]
                    .as_object()
                    .map_or(0, |m| m.values().filter_map(Value::as_i64).sum());
                assert_eq!(list, player(b, i, "kills"), "seed {seed}: kill_list of {i}");
                for victim in p["kill_list"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    let v: usize = victim
                        .strip_prefix("victimid_")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(99);
                    assert_ne!(v < 5, i < 5, "seed {seed}: {i} killed an ally {v}");
                }
                let (g, r, u) = (
                    player(b, i, "gold"),
                    player(b, i, "gold_reliable"),
                    player(b, i, "gold_unreliable"),
                );
                assert_eq!(g, r + u, "seed {seed}: gold of {i}");
                assert!(r >= 0 && u >= 0, "seed {seed}: gold of {i}");
                if b.pointer(&hero_ptr(i, "level")).is_some() {
                    let (h, mh) = (
                        num(b, &hero_ptr(i, "health")),
                        num(b, &hero_ptr(i, "max_health")),
                    );
                    assert!((0..=mh).contains(&h), "seed {seed}: health of {i}");
                    let alive = flag(b, &hero_ptr(i, "alive"));
                    assert_eq!(alive, h > 0, "seed {seed}: alive iff health, {i}");
                    let respawn = num(b, &hero_ptr(i, "respawn_seconds"));
                    assert_eq!(alive, respawn == 0, "seed {seed}: respawn of {i}");
                }
            }
            if let Some(a) = prev {
                for (i, _) in slots() {
                    for field in ["kills", "deaths", "assists", "last_hits", "denies"] {
                        assert!(
                            player(b, i, field) >= player(a, i, field),
                            "seed {seed}: {field} of {i} never drop"
                        );
                    }
                    if let (Some(x), Some(y)) = (
                        a.pointer(&hero_ptr(i, "xp")).and_then(Value::as_i64),
                        b.pointer(&hero_ptr(i, "xp")).and_then(Value::as_i64),
                    ) {
                        assert!(y >= x, "seed {seed}: xp of {i}");
                        let (la, lb) =
                            (num(a, &hero_ptr(i, "level")), num(b, &hero_ptr(i, "level")));
                        assert!(lb >= la, "seed {seed}: level of {i}");
                    }
                }
                // Assists come only with a teammate's kill in the same post.
                for (team, score_key) in [
                    ("team2", "/map/radiant_score"),
                    ("team3", "/map/dire_score"),
                ] {
                    let grew = num(b, score_key) - num(a, score_key);
                    let assists: i64 = slots()
                        .filter(|(_, t)| *t == team)
                        .map(|(i, _)| player(b, i, "assists") - player(a, i, "assists"))
                        .sum();
                    assert!(
                        assists <= 4 * grew,
                        "seed {seed}: {team} assists without kills"
                    );
                }
            }
            prev = Some(b);
        }
        // Stats rise over the match.
        let (first, last) = (
            bodies
                .iter()
                .find(|b| in_game(b))
                .copied()
                .unwrap_or(&Value::Null),
            bodies
                .iter()
                .rev()
                .find(|b| in_game(b))
                .copied()
                .unwrap_or(&Value::Null),
        );
        for (i, _) in slots() {
            let (from, to) = (player(first, i, "net_worth"), player(last, i, "net_worth"));
            assert!(
                to > from + 900,
                "seed {seed}: net worth of {i}: {from} to {to}"
            );
            assert!(player(last, i, "gpm") > 0 && player(last, i, "xpm") > 0);
            assert!(
                num(last, &hero_ptr(i, "level")) >= 5,
                "seed {seed}: level of {i}"
            );
        }
        let cores_lh: i64 = [0, 1, 5, 6]
            .iter()
            .map(|&i| player(last, i, "last_hits"))
            .sum();
        assert!(cores_lh > 80, "seed {seed}: cores' last hits {cores_lh}");
        assert!(num(last, "/map/radiant_score") > num(last, "/map/dire_score"));
        for team in ["team2", "team3"] {
            let kills: i64 = slots()
                .filter(|(_, t)| *t == team)
                .map(|(i, _)| player(last, i, "kills"))
                .sum();
            assert!(kills >= 3, "seed {seed}: {team} kills {kills}");
        }
    }
}

#[test]
fn the_scripted_beats_happen_for_every_seed() {
    for seed in (0..10).chain([7314, u64::MAX, u64::MAX / 3]) {
        let posts = spectator_match(seed);
        let bodies: Vec<&Value> = posts.iter().map(|p| &p.body).collect();

        // The lifecycle.
        let mut states: Vec<&str> = Vec::new();
        for b in &bodies {
            let s = if b.get("map").is_some() {
                state(b)
            } else {
                "menu"
            };
            if states.last() != Some(&s) {
                states.push(s);
            }
        }
        assert_eq!(
            states,
            [
                "menu",
                "DOTA_GAMERULES_STATE_HERO_SELECTION",
                "DOTA_GAMERULES_STATE_STRATEGY_TIME",
                "DOTA_GAMERULES_STATE_PRE_GAME",
                "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS",
                "DOTA_GAMERULES_STATE_POST_GAME",
                "menu",
            ],
            "seed {seed}"
        );
        let game: Vec<&Value> = bodies.iter().copied().filter(|b| in_game(b)).collect();
        let clock = |b: &Value| num(b, "/map/clock_time");
        assert_eq!(game.first().map(|b| clock(b)), Some(0));
        assert_eq!(game.last().map(|b| clock(b)), Some(END));

        // The draft ends with 7 bans and 5 picks a side, each hero once.
        let draft = bodies
            .iter()
            .rev()
            .find(|b| state(b) == "DOTA_GAMERULES_STATE_HERO_SELECTION")
            .map(|b| &b["draft"])
            .unwrap_or(&Value::Null);
        let mut heroes = BTreeSet::new();
        for team in ["team2", "team3"] {
            for (kind, n) in [("pick", 5), ("ban", 7)] {
                for k in 0..n {
                    let id = num(draft, &format!("/{team}/{kind}{k}_id"));
                    assert!(id > 0, "seed {seed}: {team} {kind}{k}");
                    assert!(heroes.insert(id), "seed {seed}: hero {id} twice");
                }
            }
        }
        assert_eq!(num(draft, "/activeteam"), 0);
        let first_draft = bodies
            .iter()
            .find(|b| state(b) == "DOTA_GAMERULES_STATE_HERO_SELECTION")
            .copied()
            .unwrap_or(&Value::Null);
        assert_eq!(num(first_draft, "/draft/team2/ban0_id"), 0);
        assert_eq!(
            first_draft.pointer("/hero/team2/player0"),
            Some(&json!({"id": 0}))
        );

        // Clock: two seconds a post, frozen while paused.
        let paused: Vec<&Value> = game
            .iter()
            .copied()
            .filter(|b| flag(b, "/map/paused"))
            .collect();
        assert_eq!(paused.len(), PAUSE_POSTS, "seed {seed}: pause");
        assert!(paused.windows(2).all(|w| clock(w[0]) == clock(w[1])));
        for w in game.windows(2) {
            let step = clock(w[1]) - clock(w[0]);
            let pause_edge = flag(w[0], "/map/paused") || flag(w[1], "/map/paused");
            assert!(
                step == 2 || (pause_edge && step == 0),
                "seed {seed}: clock step {step}"
            );
            assert_eq!(
                num(w[1], "/map/game_time") - clock(w[1]),
                GAME_TIME_OFFSET,
                "seed {seed}: game_time follows the clock"
            );
            assert_eq!(
                flag(w[1], "/map/daytime"),
                clock(w[1]) < 300,
                "seed {seed}: day/night"
            );
        }

        // Roshan: alive → respawn_base → respawn_variable → alive, then the
        // Dire kill him again (he is not back before the end).
        let mut roshan: Vec<&str> = Vec::new();
        for b in &game {
            let s = text(b, "/map/roshan_state");
            if roshan.last() != Some(&s) {
                roshan.push(s);
            }
            let end = num(b, "/map/roshan_state_end_seconds");
            assert_eq!(s == "alive", end == 0, "seed {seed}: roshan end seconds");
        }
        assert_eq!(
            roshan,
            [
                "alive",
                "respawn_base",
                "respawn_variable",
                "alive",
                "respawn_base"
            ],
            "seed {seed}"
        );
        let killed_at = game.iter().position(|b| has_event(b, "roshan_killed"));
        let aegis_at = game.iter().position(|b| has_event(b, "aegis_picked_up"));
        assert!(
            matches!((killed_at, aegis_at), (Some(k), Some(a)) if a > k),
            "seed {seed}: Roshan {killed_at:?} then the Aegis {aegis_at:?}"
        );
        let aegis_posts = game
            .iter()
            .filter(|b| has_event(b, "aegis_picked_up"))
            .count();
        assert!(aegis_posts >= 10, "seed {seed}: the Aegis entry is re-sent");
        let holder = game.iter().any(|b| {
            b.pointer("/items/team2")
                .map(Value::to_string)
                .is_some_and(|s| s.contains("item_aegis"))
        });
        assert!(holder, "seed {seed}: the Aegis is carried");
        // The Dire's Roshan: the Radiant deny its Aegis two seconds later.
        let entry = |kind: &str, b: &Value| -> Option<Value> {
            events(b).iter().find(|e| e["event_type"] == kind).cloned()
        };
        let dire_kill = game.iter().find_map(|b| {
            events(b)
                .iter()
                .find(|e| e["event_type"] == "roshan_killed" && e["killed_by_team"] == "dire")
                .cloned()
        });
        let deny = game.iter().find_map(|b| entry("aegis_denied", b));
        let (Some(dire_kill), Some(deny)) = (dire_kill, deny) else {
            panic!("seed {seed}: no Dire Roshan with the Aegis denied");
        };
        assert!(matches!(
            dire_kill["killer_player_id"].as_i64(),
            Some(5..=9)
        ));
        assert!(matches!(deny["player_id"].as_i64(), Some(0..=4)), "{deny}");
        assert_eq!(
            num(&deny, "/game_time") - num(&dire_kill, "/game_time"),
            2,
            "seed {seed}"
        );
        let deny_clock = num(&deny, "/game_time") - GAME_TIME_OFFSET;
        assert!(
            (460..490).contains(&deny_clock),
            "seed {seed}: the deny at {deny_clock}"
        );

        // The Dire mid is Invoker: Invoke renames his ability3 and ability4.
        let slot = |b: &Value, n: usize| {
            text(b, &format!("/abilities/team3/player6/ability{n}/name")).to_string()
        };
        let mut spells = BTreeSet::new();
        for b in &game {
            assert_eq!(text(b, &hero_ptr(6, "name")), "npc_dota_hero_invoker");
            assert_eq!(slot(b, 5), "invoker_invoke");
            for n in [3, 4] {
                spells.insert(slot(b, n));
            }
        }
        assert!(
            spells.len() >= 5 && spells.contains("invoker_empty2"),
            "seed {seed}: {spells:?}"
        );

        // The events window: newest first, at most 16 entries, 30 s long.
        for b in &bodies {
            let times: Vec<i64> = events(b).iter().map(|e| num(e, "/game_time")).collect();
            assert!(times.len() <= 16);
            assert!(
                times.windows(2).all(|w| w[0] >= w[1]),
                "seed {seed}: newest first"
            );
            if let Some(now) = b.pointer("/map/game_time").and_then(Value::as_i64) {
                assert!(times.iter().all(|t| now - t <= 30 && *t <= now));
            }
        }
        for kind in [
            "bounty_rune_pickup",
            "courier_killed",
            "tip",
            "generic_event",
            "roshan_killed",
            "aegis_picked_up",
        ] {
            assert!(
                game.iter().any(|b| has_event(b, kind)),
                "seed {seed}: {kind}"
            );
        }
        let bounty_entries: BTreeSet<String> = game
            .iter()
            .flat_map(|b| events(b).iter())
            .filter(|e| e["event_type"] == "bounty_rune_pickup")
            .map(Value::to_string)
            .collect();
        assert_eq!(
            bounty_entries.len(),
            6,
            "seed {seed}: two pickups at 0:00, 3:00, 6:00"
        );

        // Buildings: a Radiant tower falls, the Dire Ancient falls at the end.
        let last = game.last().copied().unwrap_or(&Value::Null);
        assert!(last.pointer("/buildings/dire/dota_badguys_fort").is_none());
        assert!(last
            .pointer("/buildings/radiant/dota_goodguys_tower1_bot")
            .is_none());
        assert!(last
            .pointer("/buildings/radiant/dota_goodguys_fort")
            .is_some());
        let wins: Vec<i64> = game
            .iter()
            .filter(|b| text(b, "/map/win_team") == "radiant")
            .map(|b| clock(b))
            .collect();
        assert_eq!(
            wins,
            vec![END],
            "seed {seed}: the win on the last in-game post"
        );
        assert!(num(last, "/map/radiant_win_chance") > 50);

        // A buyback, a smoke, a stun, the ward shop's cooldown per side.
        let bought_back = (5..10).any(|i| {
            game.iter()
                .any(|b| num(b, &hero_ptr(i, "buyback_cooldown")) > 0)
        });
        assert!(bought_back, "seed {seed}: a Dire buyback");
        for status in ["smoked", "stunned"] {
            let seen = game
                .iter()
                .any(|b| slots().any(|(i, _)| flag(b, &hero_ptr(i, status))));
            assert!(seen, "seed {seed}: {status}");
        }
        for side in ["radiant", "dire"] {
            let ptr = format!("/map/{side}_ward_purchase_cooldown");
            assert!(
                game.iter().any(|b| num(b, &ptr) > 0) && game.iter().any(|b| num(b, &ptr) == 0)
            );
        }
        // The observer follows one hero at a time.
        for b in game.iter() {
            let selected = slots()
                .filter(|(i, _)| flag(b, &hero_ptr(*i, "selected_unit")))
                .count();
            assert_eq!(selected, 1, "seed {seed}: one selected hero");
        }
    }
}

/// Every event name and info key the engine produced for the whole match,
/// with how often, plus the per-player events' players and teams.
#[derive(Default)]
struct Seen {
    events: BTreeMap<String, usize>,
    info: BTreeMap<String, usize>,
    roshan_states: BTreeSet<String>,
    /// `(event, team)` of per-player events that carried `player_index`.
    per_team: BTreeSet<(String, String)>,
}

fn run_engine(posts: &[DemoPost]) -> Seen {
    let mut engine = Engine::default();
    let mut seen = Seen::default();
    for (n, post) in posts.iter().enumerate() {
        let bytes = serde_json::to_vec(&post.body).unwrap_or_default();
        let parsed = wardcast_dota2::parse(&bytes);
        let Ok(gsi) = parsed else {
            panic!("post {n}: {parsed:?}");
        };
        let out = engine.process(gsi);
        for e in &out.events {
            let spec = CATALOGUE.iter().find(|f| f.name == e.feature);
            assert!(
                spec.is_some_and(|f| f.events.contains(&e.name)),
                "post {n}: {}.{} is not in the catalogue",
                e.feature,
                e.name
            );
            *seen.events.entry(e.name.to_string()).or_default() += 1;
            if let (Some(index), Some(team)) = (
                e.data.get("player_index").and_then(Value::as_u64),
                e.data.get("team").and_then(Value::as_str),
            ) {
                assert_eq!(
                    team == "radiant",
                    index < 5,
                    "post {n}: {} {}",
                    e.name,
                    e.data
                );
                seen.per_team.insert((e.name.to_string(), team.to_string()));
            }
        }
        for i in &out.info {
            let spec = CATALOGUE.iter().find(|f| f.name == i.feature);
            assert!(
                spec.is_some_and(|f| f
                    .info
                    .iter()
                    .any(|k| k.category == i.category && k.key == i.key)),
                "post {n}: info {}.{}.{} is not in the catalogue",
                i.feature,
                i.category,
                i.key
            );
            *seen
                .info
                .entry(format!("{}.{}", i.category, i.key))
                .or_default() += 1;
            if i.category == "roshan" && i.key == "state" {
                if let Some(s) = i.value.as_str() {
                    seen.roshan_states.insert(s.to_string());
                }
            }
        }
    }
    seen
}

#[test]
fn the_engine_sees_every_spectator_feature() {
    for seed in [7314, 1] {
        let posts = spectator_match(seed);
        let seen = run_engine(&posts);
        if seed == 7314 {
            println!("seed {seed}: {} posts", posts.len());
            println!("events: {:#?}", seen.events);
            println!("info: {:#?}", seen.info);
        }
        for name in [
            "game_state_changed",
            "match_state_changed",
            "new_game",
            "game_over",
            "kill",
            "death",
            "assist",
            "cs",
            "gold",
            "gpm",
            "xpm",
            "roshan_killed",
            "aegis_picked_up",
            "bounty_rune_pickup",
            "courier_killed",
            "tip",
            "building_destroyed",
            "game_paused",
            "game_unpaused",
            "kill_feed",
            "daytime_changed",
            "clock_time_changed",
            "ward_purchase_cooldown_changed",
            "hero_leveled_up",
            "hero_respawned",
            "hero_boughtback",
            "hero_buyback_info_changed",
            "hero_health_mana_info",
            "hero_status_effect_changed",
            "hero_ability_skilled",
            "hero_attributes_skilled",
            "hero_ability_used",
            "hero_ability_cooldown_changed",
            "hero_ability_changed",
            "aegis_denied",
            "hero_item_changed",
            "hero_item_used",
            "hero_item_consumed",
            "hero_item_charged",
            "hero_item_cooldown_changed",
            "match_ended",
        ] {
            assert!(
                seen.events.get(name).is_some_and(|n| *n > 0),
                "seed {seed}: no {name}"
            );
        }
        for name in ["kill", "death", "assist", "hero_leveled_up"] {
            for team in ["radiant", "dire"] {
                assert!(
                    seen.per_team
                        .contains(&(name.to_string(), team.to_string())),
                    "seed {seed}: no {name} with player_index for the {team}"
                );
            }
        }
        assert_eq!(seen.events.get("roshan_killed"), Some(&2), "seed {seed}");
        assert_eq!(seen.events.get("aegis_picked_up"), Some(&1), "seed {seed}");
        assert_eq!(seen.events.get("aegis_denied"), Some(&1), "seed {seed}");
        assert_eq!(seen.events.get("courier_killed"), Some(&1), "seed {seed}");
        assert_eq!(seen.events.get("tip"), Some(&1), "seed {seed}");
        assert_eq!(
            seen.events.get("bounty_rune_pickup"),
            Some(&6),
            "seed {seed}"
        );
        assert_eq!(seen.events.get("match_ended"), Some(&1), "seed {seed}");
        assert_eq!(seen.events.get("game_paused"), Some(&1), "seed {seed}");
        assert_eq!(seen.events.get("game_unpaused"), Some(&1), "seed {seed}");
        // One kill-feed line per kill plus the buyback.
        let kills = seen.events.get("kill").copied().unwrap_or(0);
        assert_eq!(
            seen.events.get("kill_feed"),
            Some(&(kills + 1)),
            "seed {seed}"
        );
        assert_eq!(seen.events.get("death"), Some(&kills), "seed {seed}");
        for key in [
            "roshan.state",
            "roshan.state_end_seconds",
            "win_chance.radiant_win_chance",
            "pause.paused",
            "buildings.radiant",
            "buildings.dire",
            "roster.players",
            "roster.bans",
            "roster.draft",
            "me.hero",
            "me.team",
            "damage.damage_dealt_hero",
            "damage.damage_dealt_tower",
            "team_score.team_score",
            "match_info.pseudo_match_id",
        ] {
            assert!(seen.info.contains_key(key), "seed {seed}: no info {key}");
        }
        let states: Vec<&str> = seen.roshan_states.iter().map(String::as_str).collect();
        assert_eq!(
            states,
            ["alive", "respawn_base", "respawn_variable"],
            "seed {seed}"
        );
    }
}

#[test]
fn the_demo_loop_starts_each_round_as_a_new_match() {
    // `play` reuses the posts with a new match id per round: the engine must
    // see a second full match, with its own match_ended.
    let posts = spectator_match(5);
    let length = posts.last().map_or(0, |p| p.at_ms + 1000);
    let two_rounds: Vec<DemoPost> = (0..2)
        .flat_map(|round| {
            posts.iter().map(move |p| DemoPost {
                at_ms: p.at_ms + round * length,
                body: super::super::round_body(p.body.clone(), round, length),
            })
        })
        .collect();
    let seen = run_engine(&two_rounds);
    assert_eq!(seen.events.get("match_ended"), Some(&2));
    assert_eq!(seen.events.get("roshan_killed"), Some(&4));
    assert_eq!(seen.events.get("aegis_denied"), Some(&2));
}

/// The windows repeat entries as real broadcasts do (two and three copies of
/// one entry in one array), and the engine still fires one event per entry
/// the game logged: every distinct entry once, none twice.
#[test]
fn repeated_window_entries_fire_once_each() {
    const WINDOW_EVENTS: [&str; 7] = [
        "roshan_killed",
        "aegis_picked_up",
        "aegis_denied",
        "bounty_rune_pickup",
        "tip",
        "courier_killed",
        "kill_feed",
    ];
    for seed in SEEDS {
        let posts = spectator_match(seed);
        let mut distinct: Vec<&Value> = Vec::new();
        let mut most_copies = 0;
        for post in &posts {
            let window = events(&post.body);
            for entry in window {
                most_copies = most_copies.max(window.iter().filter(|e| *e == entry).count());
                if !distinct.contains(&entry) {
                    distinct.push(entry);
                }
            }
        }
        assert_eq!(most_copies, 3, "seed {seed}: windows repeat entries");
        let seen = run_engine(&posts);
        let fired: usize = WINDOW_EVENTS
            .iter()
            .map(|name| seen.events.get(*name).copied().unwrap_or(0))
            .sum();
        assert_eq!(
            fired,
            distinct.len(),
            "seed {seed}: one event per logged entry, whatever the copies"
        );
    }
}

/// One line per notable change; run with `--nocapture` to read the match.
#[test]
fn print_summary() {
    let posts = spectator_match(7314);
    let mut prev: Option<&Value> = None;
    let mut lines = Vec::new();
    for (n, p) in posts.iter().enumerate() {
        let b = &p.body;
        let mut notes = Vec::new();
        if let Some(a) = prev {
            if state(a) != state(b) {
                notes.push(format!(
                    "-> {}",
                    state(b).trim_start_matches("DOTA_GAMERULES_STATE_")
                ));
            }
            for (i, _) in slots() {
                if b.get("map").is_none() || a.get("map").is_none() {
                    break;
                }
                for field in ["kills", "deaths"] {
                    if player(b, i, field) > player(a, i, field) {
                        notes.push(format!("p{i} {field} {}", player(b, i, field)));
                    }
                }
            }
            let fresh: Vec<String> = events(b)
                .iter()
                .filter(|e| !events(a).contains(e))
                .map(|e| text(e, "/event_type").to_string())
                .collect();
            if !fresh.is_empty() {
                notes.push(format!("events {fresh:?}"));
            }
            if b.pointer("/map/roshan_state") != a.pointer("/map/roshan_state") {
                notes.push(format!("roshan {}", text(b, "/map/roshan_state")));
            }
            if b.pointer("/map/paused") != a.pointer("/map/paused") {
                notes.push(format!(
                    "paused {}",
                    b.pointer("/map/paused").unwrap_or(&Value::Null)
                ));
            }
        }
        if !notes.is_empty() || n % 30 == 0 {
            lines.push(format!(
                "{n:>3} clock {:>4} score {}-{} win% {} | {}",
                b.pointer("/map/clock_time")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                b.pointer("/map/radiant_score")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                b.pointer("/map/dire_score")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                b.pointer("/map/radiant_win_chance")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                notes.join(", ")
            ));
        }
        prev = Some(b);
    }
    println!("{} posts\n{}", posts.len(), lines.join("\n"));
    assert!(lines.len() > 20);
}
