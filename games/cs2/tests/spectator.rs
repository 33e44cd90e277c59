//! Spectator / GOTV mode: the real GOTV body, then edited bodies that play
//! its round out (`tests/fixtures/make_spectator_sequence.py` says what each
//! edit is). Every player's events carry the player's `steamid`, `name` and
//! `team`; the roster and scoreboard list all ten; the bomb and the phase
//! countdowns are info. The whole output is written next to it
//! (`tests/expected/spectator_gotv_sequence.jsonl`) and reviewed;
//! `UPDATE_EXPECT=1` rewrites it.

use serde_json::{json, Value};
use wardcast_cs2::{parse, Engine};
use wardcast_engine::Output;

const S1MPLE: &str = "76561198034202275";

fn bodies() -> Vec<Vec<u8>> {
    let path = format!(
        "{}/tests/fixtures/spectator_gotv_sequence_edited.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let list: Vec<Value> =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    list.iter()
        .map(|b| serde_json::to_vec(b).expect("body"))
        .collect()
}

fn run() -> Vec<Output> {
    let mut engine = Engine::new();
    bodies()
        .iter()
        .map(|b| engine.process(parse(b).expect("parse"), b))
        .collect()
}

fn events<'a>(out: &'a Output, feature: &str) -> Vec<&'a Value> {
    out.events
        .iter()
        .filter(|e| e.feature == feature)
        .map(|e| &e.data)
        .collect()
}

fn info<'a>(out: &'a Output, feature: &str, key: &str) -> Option<&'a Value> {
    out.info
        .iter()
        .find(|c| c.feature == feature && c.key == key)
        .map(|c| &c.value)
}

#[test]
fn the_first_body_is_a_baseline_with_ten_players() {
    let outs = run();
    let first = &outs[0];
    for feature in ["kill", "death", "assist", "headshot", "mvp", "kill_feed"] {
        assert!(events(first, feature).is_empty(), "{feature}");
    }
    let roster = info(first, "roster", "match").and_then(Value::as_str);
    let roster: Value = serde_json::from_str(roster.expect("roster.match")).expect("JSON");
    assert_eq!(roster["players"].as_array().map(Vec::len), Some(10));
    for i in 0..10 {
        let key = format!("roster_{i}");
        let entry = first
            .info
            .iter()
            .find(|c| c.feature == "match_info" && c.key == key);
        assert!(entry.is_some(), "{key}");
    }
    assert_eq!(info(first, "bomb", "state"), Some(&json!("dropped")));
    assert_eq!(
        info(first, "phase_countdowns", "phase_ends_in"),
        Some(&json!(13.4))
    );
    // info.player follows the watched player, not the observer.
    assert_eq!(info(first, "info", "steamid"), Some(&json!(S1MPLE)));
}

#[test]
fn a_headshot_kill_names_the_killer_the_victim_and_the_assister() {
    let outs = run();
    let out = &outs[1];
    let kill = json!({"totalKills": 5, "steamid": S1MPLE, "name": "s1mple", "team": "T"});
    assert_eq!(events(out, "kill"), [&kill]);
    let hs = json!({"headshotsInRound": 1, "steamid": S1MPLE, "name": "s1mple", "team": "T"});
    assert_eq!(events(out, "headshot"), [&hs]);
    let death = events(out, "death");
    assert_eq!(death.len(), 1);
    assert_eq!(death[0]["name"], "Twistzz");
    assert_eq!(death[0]["totalDeaths"], 3);
    assert_eq!(events(out, "assist")[0]["name"], "b1t");
    let feed = events(out, "kill_feed");
    assert_eq!(feed.len(), 1);
    assert_eq!(
        (
            &feed[0]["attacker"],
            &feed[0]["victim"],
            &feed[0]["assister"]
        ),
        (&json!("s1mple"), &json!("Twistzz"), &json!("b1t"))
    );
    assert_eq!(
        (&feed[0]["weapon"], &feed[0]["headshot"]),
        (&json!("ak47"), &json!(true))
    );
    // Overwolf's CS2 name for the same event.
    assert_eq!(events(out, "match_info"), [feed[0]]);
}

#[test]
fn the_plant_and_the_defuse_are_bomb_info_and_events() {
    let outs = run();
    assert_eq!(events(&outs[2], "bomb_planted"), [&json!({})]);
    assert_eq!(
        events(&outs[2], "bomb_change"),
        [&json!({"state": "planted"})]
    );
    // An unquoted SteamID, exact.
    assert_eq!(info(&outs[2], "bomb", "player"), Some(&json!(S1MPLE)));
    assert_eq!(info(&outs[2], "bomb", "countdown"), Some(&json!(40.0)));
    // Defusing is still a planted bomb: info only.
    assert!(events(&outs[3], "bomb_change").is_empty());
    assert_eq!(info(&outs[3], "bomb", "state"), Some(&json!("defusing")));
}

#[test]
fn two_victims_in_one_body_give_two_kills_and_an_unnamed_attacker() {
    let outs = run();
    let out = &outs[4];
    let totals: Vec<_> = events(out, "kill")
        .iter()
        .map(|d| d["totalKills"].clone())
        .collect();
    assert_eq!(totals, [json!(6), json!(7)]);
    let feed = events(out, "kill_feed");
    assert_eq!(feed.len(), 2);
    assert!(feed.iter().all(|f| f["attacker"] == ""), "{feed:?}");
}

#[test]
fn the_round_ends_with_its_winner_the_score_and_the_mvp() {
    let outs = run();
    let out = &outs[5];
    assert_eq!(
        events(out, "team_round_win"),
        [&json!({"winningTeam": "T", "bomb": "planted"})]
    );
    assert_eq!(
        events(out, "match_score"),
        [&json!({"team_ct": 7, "team_t": 4})]
    );
    assert_eq!(events(out, "mvp")[0]["totalMvps"], 1);
    assert_eq!(events(out, "mvp")[0]["steamid"], S1MPLE);
    assert_eq!(
        events(&outs[6], "bomb_change"),
        [&json!({"state": "exploded"})]
    );
    let start = events(&outs[8], "round_start");
    assert_eq!(start, [&json!({"num_of_rounds": 12, "player_team": null})]);
}

#[test]
fn the_gotv_sequence_gives_the_reviewed_output() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut lines = Vec::new();
    for (i, out) in run().iter().enumerate() {
        let events: Vec<Value> = out
            .events
            .iter()
            .map(|e| json!([e.feature, e.name, e.data]))
            .collect();
        let info: Vec<Value> = out
            .info
            .iter()
            .filter(|c| c.key != "provider")
            .map(|c| json!([c.feature, c.category, c.key, c.value]))
            .collect();
        lines.push(json!({"body": i, "events": events, "info": info}).to_string());
    }
    let got = lines.join("\n") + "\n";
    let path = format!("{dir}/tests/expected/spectator_gotv_sequence.jsonl");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &got).expect("write");
    }
    let want = std::fs::read_to_string(&path).expect("expected (UPDATE_EXPECT=1 writes it)");
    assert!(got == want, "the output changed: diff {path}");
}
