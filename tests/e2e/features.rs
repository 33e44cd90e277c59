//! The full catalogue: live health, spectator mode, and every payload of long
//! sequences checked against its schema (the test client validates each one).

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::util::*;

/// Every supported feature, from `getFeatures`.
pub async fn supported(client: &mut Client) -> Vec<String> {
    let result = client.result("getFeatures", None).await;
    result["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["supported"] == true)
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect()
}

/// Waits for the next pushed health report (gep_internal.health), decoded.
async fn next_health(client: &mut Client) -> Value {
    loop {
        let (method, params) = client.note().await;
        if method != "onInfoUpdates2" || params["feature"] != "gep_internal" {
            continue;
        }
        if let Some(Value::String(text)) = params["info"]["gep_internal"].get("health") {
            return serde_json::from_str(text).expect("health is JSON text");
        }
    }
}

fn feature<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["name"] == name)
        .expect(name)
}

fn health_config() -> wardcast::Config {
    wardcast::Config {
        stale_after: Duration::from_millis(1500),
        ..wardcast::Config::default()
    }
}

#[tokio::test]
async fn health_is_derived_live_and_pushed() {
    health_live(Server::start(health_config()).await).await;
}

/// The same through NATS JetStream (tournament mode).
#[cfg(feature = "nats")]
#[tokio::test]
async fn health_is_derived_live_and_pushed_federated() {
    if let Some((_nats, server)) = crate::federation::federated_with(health_config()).await {
        health_live(server).await;
    }
}

async fn health_live(server: Server) {
    let mut client = server.client().await;
    client.subscribe(&["gep_internal", "error"]).await;

    let (status, body) = server.get("/status").await;
    assert_eq!(status, 200);
    let report: Value = serde_json::from_str(&body).expect("status JSON");
    assert_schema("status", &report);
    assert_eq!(report["game_id"], 7314);
    assert_eq!(report["state"], 2, "yellow before any game data");
    assert_eq!(feature(&report, "party")["state"], 0);
    assert!(feature(&report, "kill")["keys"][0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("no game data yet")));

    // A player-mode body in game: most features go green, damage stays yellow.
    server.post(&in_game(100, json!({}))).await;
    let report = loop {
        let report = next_health(&mut client).await;
        if feature(&report, "kill")["state"] == 1 {
            break report;
        }
    };
    assert_eq!(feature(&report, "damage")["state"], 2);
    let damage_reason = feature(&report, "damage")["keys"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(damage_reason.contains("player mode"), "{damage_reason}");
    assert_eq!(feature(&report, "hero_item_used")["state"], 1);
    assert_eq!(
        feature(&report, "me")["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["name"] == "mmr")
            .expect("mmr")["state"],
        0
    );
    let features = client.result("getFeatures", None).await;
    let kill = features["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["name"] == "kill")
        .cloned();
    assert_eq!(
        kill.expect("kill")["state"],
        1,
        "getFeatures carries the live state"
    );

    // No more data while in a match: red is pushed, with the error feature.
    let red = loop {
        let report = next_health(&mut client).await;
        if report["state"] == 3 {
            break report;
        }
    };
    assert_eq!(feature(&red, "kill")["state"], 3);
    let (status, body) = server.get("/status").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["state"],
        3
    );
    let info = client.result("getInfo", None).await;
    assert_eq!(info["res"]["error"]["plugin_error"], "gsi_timeout");

    // Data again: back to green-and-yellow, and the error clears.
    server.post(&in_game(101, json!({}))).await;
    until_the_error_clears(&mut client).await;
    let info = client.result("getInfo", None).await;
    assert!(
        info["res"].get("error").is_none(),
        "the reset key is gone: {info}"
    );
    server.shutdown().await;
}

/// GSI stops during a match: red after `stale_after`; after `game_timeout`
/// the game counts as stopped: `gameTerminated`, every info key reset to
/// `null` (Overwolf clears the store), and health stays red, naming the lost
/// match, until data comes back.
#[tokio::test]
async fn when_gsi_stops_mid_match_the_store_is_cleared_and_health_stays_red() {
    let config = wardcast::Config {
        stale_after: Duration::from_millis(300),
        game_timeout: Duration::from_millis(900),
        ..wardcast::Config::default()
    };
    let server = Server::start(config).await;
    let mut client = server.client().await;
    client
        .subscribe(&["game", "me", "match_info", "gep_internal", "error"])
        .await;
    server.post(&in_game(100, json!({}))).await;
    let mut seen_me = false;
    let mut terminated = false;
    let mut reset = std::collections::BTreeSet::new();
    let mut lost = None;
    while !(terminated && reset.len() >= 3 && lost.is_some()) {
        let (method, params) = client.note().await;
        match method.as_str() {
            "onGameInfoUpdated" if params["reason"] == json!(["gameTerminated"]) => {
                assert!(seen_me, "terminated after the match was seen");
                assert_eq!(params["gameInfo"]["isRunning"], false);
                terminated = true;
            }
            "onInfoUpdates2" => {
                let feature = params["feature"].as_str().unwrap_or_default().to_string();
                for (category, keys) in params["info"].as_object().into_iter().flatten() {
                    for (key, value) in keys.as_object().into_iter().flatten() {
                        if category == "me" && !value.is_null() {
                            seen_me = true;
                        }
                        if category == "error" {
                            // Only on change: the key had no value before red.
                            assert_eq!(value, "gsi_timeout", "error.{key} before red");
                        }
                        if matches!(feature.as_str(), "game" | "me" | "match_info")
                            && value.is_null()
                        {
                            assert!(terminated, "{category}.{key} reset after gameTerminated");
                            reset.insert(feature.clone());
                        }
                        if category == "gep_internal" && key == "health" {
                            let report: Value =
                                serde_json::from_str(value.as_str().unwrap_or("null"))
                                    .expect("health is JSON text");
                            let reason = feature_reason(&report, "kill");
                            if terminated
                                && report["state"] == 3
                                && reason.contains("during a match")
                            {
                                lost = Some(report);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // It stays red (the tick re-derives it) and /status says so.
    let (_, text) = server.get("/status").await;
    let status: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(status["state"], 3, "{status}");
    let info = client.result("getInfo", None).await;
    assert_eq!(info["res"]["error"]["plugin_error"], "gsi_timeout");
    // Data again: the game runs, health leaves red, the error clears.
    server.post(&in_game(101, json!({}))).await;
    until_the_error_clears(&mut client).await;
    let (_, text) = server.get("/status").await;
    let status: Value = serde_json::from_str(&text).expect("json");
    assert_ne!(status["state"], 3, "{status}");
    server.shutdown().await;
}

/// Waits for `error.plugin_error` to be reset to `null`.
async fn until_the_error_clears(client: &mut Client) {
    loop {
        let (method, params) = client.note().await;
        if method == "onInfoUpdates2"
            && params["feature"] == "error"
            && params["info"]["error"]["plugin_error"].is_null()
        {
            return;
        }
    }
}

/// The reason on a feature's first key, or "".
fn feature_reason(report: &Value, name: &str) -> String {
    feature(report, name)["keys"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The real 54-post pregame capture (menu, loading, hero selection, strategy
/// time, pre-game), end to end to a client of every feature: in order, each
/// notification valid against its schema (the client checks), nothing of the
/// match before the match has loaded, and the documented events.
#[tokio::test]
async fn the_real_pregame_sequence_streams_in_order_end_to_end() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let features = supported(&mut client).await;
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    client.subscribe(&features).await;
    let bodies = sequence("player_pregame_54");
    for body in &bodies {
        server.post(body).await;
    }
    let mut events = Vec::new();
    let mut game_state = Value::Null;
    let mut hero = None;
    let mut last_seq = 0;
    while events
        .iter()
        .filter(|(n, _): &&(String, Value)| n == "clock_time_changed")
        .count()
        < 16
    {
        let note = client.notification().await;
        let seq = note["params"]["seq"].as_u64().expect("seq");
        assert!(seq > last_seq, "in order");
        last_seq = seq;
        let params = &note["params"];
        if note["method"] == "onInfoUpdates2" {
            if let Some(h) = params["info"]["me"].get("hero") {
                hero = Some(h.clone());
            }
            continue;
        }
        if note["method"] != "onNewEvents" {
            continue;
        }
        // A body's events come before its info, so the mode is the last
        // game_state_changed event's (the info follows it).
        for (name, data) in event_data(params) {
            if name == "game_state_changed" {
                game_state = data["game_state"].clone();
            } else {
                assert_eq!(game_state, "playing", "{name} before the match loaded");
            }
            events.push((name, data));
        }
    }
    let of = |n: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|(name, _)| name == n)
            .map(|(_, d)| d.clone())
            .collect()
    };
    assert_eq!(events[0].0, "game_state_changed");
    assert_eq!(of("game_state_changed")[0]["game_state"], "playing");
    let states: Vec<Value> = of("match_state_changed")
        .iter()
        .map(|d| d["match_state"].clone())
        .collect();
    assert_eq!(
        states,
        [
            "DOTA_GAMERULES_STATE_WAIT_FOR_PLAYERS_TO_LOAD",
            "DOTA_GAMERULES_STATE_HERO_SELECTION",
            "DOTA_GAMERULES_STATE_STRATEGY_TIME",
            "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD",
            "DOTA_GAMERULES_STATE_PRE_GAME",
        ]
        .map(Value::from)
    );
    assert_eq!(hero, Some(json!("omniknight")), "me.hero once picked");
    assert_eq!(of("hero_item_changed").len(), 6, "the starting items");
    server.shutdown().await;
}

#[tokio::test]
async fn a_long_spectator_sequence_fires_every_players_events() {
    let server = Server::default().await;
    let mut client = server.client().await;
    let features = supported(&mut client).await;
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    client.subscribe(&features).await;
    let bodies = sequence("spectator_10players_40");
    let last_clock = last_clock(&bodies);
    for body in &bodies {
        server.post(body).await;
    }
    let (mut events, mut roster, mut damage, mut me) = (Vec::new(), None, 0, None);
    loop {
        let (method, params) = client.note().await;
        if method == "onInfoUpdates2" {
            if let Some(players) = params["info"]["roster"].get("players") {
                roster = Some(
                    serde_json::from_str::<Value>(players.as_str().expect("string")).expect("json"),
                );
            }
            if params["feature"] == "damage" {
                damage += 1;
            }
            if let Some(hero) = params["info"]["me"].get("hero") {
                me = Some(hero.clone());
            }
            continue;
        }
        if method != "onNewEvents" {
            continue;
        }
        let mut done = false;
        for (name, data) in event_data(&params) {
            done |= name == "clock_time_changed" && data["clock_time"] == last_clock;
            events.push((name, data));
        }
        if done {
            break;
        }
    }
    let of = |n: &str| {
        events
            .iter()
            .filter(|(name, _)| name == n)
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>()
    };
    let kills = of("kill");
    assert_eq!(kills.len(), 2);
    assert!(
        kills
            .iter()
            .all(|k| k["player_index"].is_u64() && k["team"].is_string()),
        "{kills:?}"
    );
    assert_eq!(of("death").len(), 2);
    assert_eq!(of("hero_boughtback").len(), 1);
    assert_eq!(
        of("roshan_killed").len(),
        1,
        "the events window repeats, the event does not"
    );
    assert_eq!(of("aegis_picked_up").len(), 1);
    assert_eq!(
        of("building_destroyed"),
        vec![json!({"team": "dire", "building": "dota_badguys_tower1_bot"})]
    );
    assert_eq!(of("clock_time_changed").len(), 39, "one per clock second");
    assert!(
        of("gold")
            .iter()
            .map(|g| g["player_index"].clone())
            .collect::<std::collections::HashSet<_>>()
            .len()
            > 5
    );
    let roster = roster.expect("roster");
    assert_eq!(roster.as_array().map(Vec::len), Some(10));
    assert!(damage > 0, "damage comes from the spectator fields");
    assert_eq!(me, Some(json!("chen")), "me is the selected hero");
    server.shutdown().await;
}

/// A client that joins mid-match gets the whole scoreboard in its snapshot:
/// all ten players' real K/D/A, net worth and items, before anything happens.
#[tokio::test]
async fn a_late_joiner_gets_the_whole_scoreboard_at_once() {
    let server = Server::default().await;
    let mut observer = server.client().await;
    observer.subscribe(&["clock_time_changed"]).await;
    let bodies = sequence("spectator_10players_40");
    for body in &bodies[..2] {
        server.post(body).await;
    }
    // The pipeline has published body 1 once its clock second arrives.
    loop {
        let (method, params) = observer.note().await;
        if method == "onNewEvents"
            && event_data(&params)[0].1["clock_time"] == bodies[1]["map"]["clock_time"]
        {
            break;
        }
    }
    let mut late = server.client().await;
    late.subscribe(&["scoreboard"]).await;
    let snapshot = late.notification().await;
    assert_eq!(snapshot["params"]["snapshot"], json!(true));
    assert_eq!(snapshot["params"]["feature"], "scoreboard");
    let board = snapshot["params"]["info"]["scoreboard"]
        .as_object()
        .expect("scoreboard category");
    assert_eq!(board.len(), 10, "player_0..player_9: {board:?}");
    for i in 0..10 {
        let team = if i < 5 { "team2" } else { "team3" };
        let player = &bodies[1]["player"][team][format!("player{i}")];
        let row: Value =
            serde_json::from_str(board[&format!("player_{i}")].as_str().expect("JSON text"))
                .expect("row");
        for field in [
            "kills",
            "deaths",
            "assists",
            "last_hits",
            "net_worth",
            "name",
        ] {
            assert_eq!(row[field], player[field], "player_{i}.{field}");
        }
        assert_eq!(row["player_index"], json!(i));
        assert_eq!(row["items"].as_array().map(Vec::len), Some(6));
    }
    server.shutdown().await;
}

/// Real spectator bodies repeat an `events` entry inside one array, more
/// copies from post to post: end to end, each pickup, Roshan kill and Aegis is
/// one event, and a teammate's pickup in the same second is another.
#[tokio::test]
async fn repeated_window_entries_are_one_event_each_end_to_end() {
    let server = Server::default().await;
    let mut client = server.client().await;
    client
        .subscribe(&["bounty_rune", "roshan", "clock_time_changed"])
        .await;
    let bodies = sequence("spectator_events_repeated_copies");
    let last_clock = last_clock(&bodies);
    for body in &bodies {
        server.post(body).await;
    }
    let mut window = Vec::new();
    'read: loop {
        let (method, params) = client.note().await;
        if method != "onNewEvents" {
            continue;
        }
        for (name, data) in event_data(&params) {
            if name == "clock_time_changed" {
                if data["clock_time"] == last_clock {
                    break 'read;
                }
                continue;
            }
            window.push((name, data["player_id"].clone(), data["game_time"].clone()));
        }
    }
    assert_eq!(
        window,
        vec![
            ("bounty_rune_pickup".to_string(), json!(1), json!(2098)),
            ("bounty_rune_pickup".to_string(), json!(3), json!(2098)),
            ("roshan_killed".to_string(), Value::Null, json!(2107)),
            ("aegis_picked_up".to_string(), json!(1), json!(2108)),
        ]
    );
    server.shutdown().await;
}

/// The engine's output for one body, grouped as the broker publishes it: one
/// `onNewEvents` per feature (first-seen order), then one `onInfoUpdates2` per feature.
fn grouped(output: &wardcast_engine::Output) -> Vec<(String, Value)> {
    let mut events: Vec<(&str, Vec<Value>)> = Vec::new();
    for e in &output.events {
        let item = json!({"name": e.name, "data": e.data});
        match events.iter_mut().find(|(f, _)| *f == e.feature) {
            Some((_, list)) => list.push(item),
            None => events.push((e.feature, vec![item])),
        }
    }
    let mut info: Vec<(&str, serde_json::Map<String, Value>)> = Vec::new();
    for c in &output.info {
        let i = match info.iter().position(|(f, _)| *f == c.feature) {
            Some(i) => i,
            None => {
                info.push((c.feature, serde_json::Map::new()));
                info.len() - 1
            }
        };
        let category = info[i].1.entry(c.category).or_insert_with(|| json!({}));
        category[c.key] = c.value.clone();
    }
    let mut out: Vec<(String, Value)> = events
        .into_iter()
        .map(|(f, list)| {
            (
                "onNewEvents".to_string(),
                json!({"feature": f, "events": list}),
            )
        })
        .collect();
    out.extend(info.into_iter().map(|(f, map)| {
        (
            "onInfoUpdates2".to_string(),
            json!({"feature": f, "info": map}),
        )
    }));
    out
}

#[tokio::test]
async fn every_engine_case_fires_end_to_end_with_its_documented_shape() {
    let root = repo().join("games/dota2/tests/cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("cases")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    let mut fired = std::collections::BTreeSet::new();
    for dir in dirs {
        let mut config = wardcast::Config::default();
        if dir.join("config.json").exists() {
            let c = read_json(&dir.join("config.json"));
            config.engine.multikill_window_secs = c["multikill_window_secs"].as_i64().unwrap_or(18);
            config.engine.allow_chat = c["allow_chat"].as_bool().unwrap_or(false);
        }
        let mut engine = wardcast_dota2::Engine::new(config.engine.clone()).expect("engine");
        let server = Server::start(config).await;
        let mut client = server.client().await;
        // Every supported feature but the health ones, whose pushes depend on timing.
        let features = supported(&mut client).await;
        let features: Vec<&str> = features
            .iter()
            .map(String::as_str)
            .filter(|f| !matches!(*f, "gep_internal" | "error"))
            .collect();
        client
            .result(
                "setRequiredFeatures",
                Some(json!({"features": features, "dataFormat": "object"})),
            )
            .await;

        let mut bodies = match dir
            .join("prev.json")
            .exists()
            .then(|| read_json(&dir.join("prev.json")))
        {
            Some(Value::Array(list)) => list,
            Some(one) => vec![one],
            None => Vec::new(),
        };
        bodies.push(read_json(&dir.join("next.json")));
        let mut expected = vec![("onGameInfoUpdated".to_string(), json!(null))];
        for body in &bodies {
            server.post(body).await;
            let text = serde_json::to_vec(body).expect("json");
            expected.extend(grouped(
                &engine.process(wardcast_dota2::parse(&text).expect("parse")),
            ));
        }
        for (method, want) in expected {
            let (got_method, mut got) = client.note().await;
            assert_eq!(got_method, method, "{}", dir.display());
            if method == "onGameInfoUpdated" {
                continue;
            }
            if let Some(events) = got["events"].as_array() {
                for e in events {
                    fired.insert(e["name"].as_str().unwrap_or_default().to_string());
                }
            }
            if let Some(info) = got["info"].as_object() {
                for (category, keys) in info {
                    for key in keys.as_object().into_iter().flatten().map(|(k, _)| k) {
                        fired.insert(format!("{category}.{key}"));
                    }
                }
            }
            got.as_object_mut().map(|o| o.remove("seq"));
            assert_eq!(got, want, "{}", dir.display());
        }
        server.shutdown().await;
    }
    // Every event and info key of every supported feature (but health) fired in some case.
    let catalogue = wardcast::catalogue(
        &wardcast_dota2::GAME,
        &wardcast_engine::EngineConfig {
            allow_chat: true,
            ..Default::default()
        },
    );
    let mut never = Vec::new();
    for f in catalogue
        .features()
        .iter()
        .filter(|f| f.supported && !matches!(f.name.as_str(), "gep_internal" | "error"))
    {
        for e in f.events.iter().filter(|e| !fired.contains(*e)) {
            never.push(format!("event {e} ({})", f.name));
        }
        for k in f.info.iter().filter(|k| k.supported) {
            let name = format!("{}.{}", k.category, k.key);
            if !fired.contains(&name) {
                never.push(format!("info {name} ({})", f.name));
            }
        }
    }
    assert!(never.is_empty(), "never fired end to end: {never:#?}");
}
