//! Counter-Strike 2, the second game: a source's game is told by each body's
//! `provider.appid` (570 Dota 2, 730 CS2). The real 174-post CS2 capture end
//! to end, a Dota and a CS2 source on one broker, a source that changes
//! game, and `wardcast setup --game cs2` through the binary.
//!
//! Validation: every message is checked against `protocol/schemas/`. A
//! CS2 event's data and info values are checked against CS2's payload
//! schemas (`protocol/schemas/cs2/`), and against the shape
//! protocol/features.md's CS2 section documents for them
//! ([`assert_cs2_data`]). Dota messages are checked as `util`'s client does.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::setup::{wardcast, TempTree};
use crate::util::*;

const CS2_CLASS_ID: u64 = 22730;
const CS2_TITLE: &str = "Counter-Strike 2";
const DOTA_CLASS_ID: u64 = 7314;

/// The bodies of the real 174-post capture (kills, deaths, rounds, plants, MVPs).
fn capture() -> Vec<Value> {
    let path = repo()
        .join("games/cs2/tests/fixtures/player_competitive_wingman_sequence_174posts_2025.json");
    match read_json(&path) {
        Value::Array(requests) => requests.into_iter().map(|r| r["body"].clone()).collect(),
        _ => panic!("the capture is an array"),
    }
}

/// The reviewed engine output of the capture, one line per post that gave
/// events or changed a watched `match_info` key.
fn expected() -> Vec<Value> {
    let path = repo().join("games/cs2/tests/expected/sequence_174posts.jsonl");
    std::fs::read_to_string(&path)
        .expect("expected jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect()
}

/// The data of an event as a client decodes it in string format: `""` is no data.
fn decoded(data: &Value) -> Value {
    match data {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| data.clone()),
        other => other.clone(),
    }
}

/// The expected events of posts `posts` as the broker publishes them: each
/// post's events grouped by feature (first-seen order), one `onNewEvents`
/// per feature. `(feature, name, data)` with `""` as null.
/// One event: `(feature, name, data)`.
type ExpectedEvent = (String, String, Value);

fn expected_events(posts: std::ops::Range<usize>) -> Vec<ExpectedEvent> {
    let mut out = Vec::new();
    for line in expected() {
        let post = line["post"].as_u64().expect("post") as usize;
        if !posts.contains(&post) {
            continue;
        }
        let mut groups: Vec<(String, Vec<ExpectedEvent>)> = Vec::new();
        for e in line["events"].as_array().expect("events") {
            let feature = e[0].as_str().expect("feature").to_string();
            let item = (
                feature.clone(),
                e[1].as_str().expect("name").to_string(),
                decoded(&e[2]),
            );
            match groups.iter_mut().find(|(f, _)| *f == feature) {
                Some((_, list)) => list.push(item),
                None => groups.push((feature, vec![item])),
            }
        }
        out.extend(groups.into_iter().flat_map(|(_, list)| list));
    }
    out
}

/// Each watched `match_info` key's values in order, as the string format
/// sends them (a string as is, a number as its JSON text, a reset as null).
fn expected_info() -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in expected() {
        // The broker sends one map per feature and body: a key's last value of the body.
        let mut post: Vec<(String, Value)> = Vec::new();
        for change in line["info"].as_array().expect("info") {
            let key = change[0].as_str().expect("key").to_string();
            let value = match &change[1] {
                Value::Null => Value::Null,
                Value::String(s) => Value::String(s.clone()),
                other => Value::String(other.to_string()),
            };
            match post.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => *v = value,
                None => post.push((key, value)),
            }
        }
        for (key, value) in post {
            out.entry(key).or_default().push(value);
        }
    }
    out
}

/// The watched `match_info` keys of the expected output.
const WATCHED: &[&str] = &[
    "game_phase",
    "round_phase",
    "score",
    "round_number",
    "match_outcome",
];

/// The identity fields the Dota-era schemas pinned, with CS2's and Dota's values.
fn identity() -> [(&'static str, Value, Value); 7] {
    [
        ("/result/classId", json!(CS2_CLASS_ID), json!(DOTA_CLASS_ID)),
        ("/result/id", json!(227301), json!(73141)),
        ("/result/title", json!(CS2_TITLE), json!("Dota 2")),
        (
            "/params/gameInfo/classId",
            json!(CS2_CLASS_ID),
            json!(DOTA_CLASS_ID),
        ),
        ("/params/gameInfo/id", json!(227301), json!(73141)),
        ("/params/gameInfo/title", json!(CS2_TITLE), json!("Dota 2")),
        ("/game_id", json!(CS2_CLASS_ID), json!(DOTA_CLASS_ID)),
    ]
}

/// Checks `msg` against schema `name`. A schema that refuses CS2's identity
/// (and only its identity: the rest of the message must pass) is reported
/// on stderr, not failed on, while the schemas are being made game-wide.
fn check(name: &str, msg: &Value) {
    if schemas().get(name).expect(name).is_valid(msg) {
        return;
    }
    let mut copy = msg.clone();
    let mut mapped = false;
    for (pointer, cs2, dota) in identity() {
        if let Some(v) = copy.pointer_mut(pointer) {
            if *v == cs2 {
                *v = dota;
                mapped = true;
            }
        }
    }
    assert_schema(name, &copy);
    if mapped {
        eprintln!("schema {name} pins Dota 2's identity: refused CS2's in {msg}");
    }
}

/// Whether this checkout has CS2's payload schemas (`protocol/schemas/cs2/`).
fn cs2_payload_schemas() -> bool {
    schemas().keys().any(|k| k.starts_with("cs2/"))
}

/// The object's member names.
fn members(data: &Value) -> BTreeSet<&str> {
    data.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Fails unless `data` (decoded) is the shape protocol/features.md's CS2
/// section documents for event `name` of `feature`.
fn assert_cs2_data(feature: &str, name: &str, data: &Value) {
    let count = |v: &Value| v.as_u64().is_some_and(|n| n >= 1);
    let side = |v: &Value| v == "CT" || v == "T";
    let side_or_null = |v: &Value| v.is_null() || side(v);
    // The object has exactly `want` (and, for the per-player events, the
    // spectator members steamid, name, team).
    let exactly = |want: &[&str], spectator: bool| {
        let got = members(data);
        let want: BTreeSet<&str> = want.iter().copied().collect();
        data.is_object()
            && (got == want
                || (spectator
                    && got
                        == want
                            .iter()
                            .copied()
                            .chain(["steamid", "name", "team"])
                            .collect()))
    };
    let weapon = |with_ammo: bool| {
        let ammo = ["weapon_current_ammo", "weapon_max_ammo"];
        let mut want = vec!["weapon_name", "weapon_type"];
        if with_ammo {
            want.extend(ammo);
        }
        exactly(&want, false)
            && data["weapon_name"].is_string()
            && data["weapon_type"].is_string()
            && (!with_ammo || ammo.iter().all(|k| data[*k].is_u64()))
    };
    let ok = match (feature, name) {
        ("match_info", "match_start" | "match_end" | "round_start" | "round_end") => data.is_null(),
        ("match_info", "kill" | "death" | "assist") => count(data),
        ("match_info" | "kill_feed", "kill_feed") => {
            let flags = [
                "headshot",
                "suicide",
                "wallbang",
                "revenge",
                "domination",
                "noscope",
                "throughsmoke",
                "flashed",
            ];
            let names = ["attacker", "assister", "weapon", "victim"];
            exactly(&[&flags[..], &names[..]].concat(), false)
                && flags.iter().all(|k| data[*k].is_boolean())
                && names.iter().all(|k| data[*k].is_string())
        }
        ("kill", "kill") => exactly(&["totalKills"], true) && count(&data["totalKills"]),
        ("death", "death") => exactly(&["totalDeaths"], true) && count(&data["totalDeaths"]),
        ("assist", "assist") => exactly(&["totalAssists"], true) && count(&data["totalAssists"]),
        ("headshot", "headshot") => {
            exactly(&["headshotsInRound"], true) && count(&data["headshotsInRound"])
        }
        ("mvp", "mvp") => exactly(&["totalMvps"], true) && count(&data["totalMvps"]),
        ("round_start", "round_start") => {
            exactly(&["num_of_rounds", "player_team"], false)
                && count(&data["num_of_rounds"])
                && side_or_null(&data["player_team"])
        }
        ("match_start", "match_start") => {
            exactly(&["player_team"], false) && side_or_null(&data["player_team"])
        }
        ("match_end", "match_end") | ("bomb_planted", "bomb_planted") => exactly(&[], false),
        ("team_round_win", "team_round_win") => {
            exactly(&["winningTeam", "bomb"], false)
                && side(&data["winningTeam"])
                && [
                    json!(null),
                    json!("planted"),
                    json!("defused"),
                    json!("exploded"),
                ]
                .contains(&data["bomb"])
        }
        ("bomb_change", "bomb_change") => {
            exactly(&["state"], false)
                && ["planted", "defused", "exploded"]
                    .map(Value::from)
                    .contains(&data["state"])
        }
        ("reloading", "reloading") | ("fired", "fired") => weapon(true),
        ("weapon_change", "weapon_change") | ("weapon_acquired", "weapon_acquired") => {
            weapon(false)
        }
        ("player_activity_change", "player_activity_change") => {
            exactly(&["activity"], false)
                && ["playing", "menu", "textinput"]
                    .map(Value::from)
                    .contains(&data["activity"])
        }
        ("team_set", "team_set") => exactly(&["team"], false) && side(&data["team"]),
        ("match_score", "score") => {
            exactly(&["team_ct", "team_t"], false)
                && data["team_ct"].is_u64()
                && data["team_t"].is_u64()
        }
        _ => panic!("{feature}/{name} is not an event of the CS2 catalogue: {data}"),
    };
    assert!(ok, "{feature}/{name}: {data} is not the documented shape");
}

/// A source's game, as a test client expects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Game {
    Dota,
    Cs2,
}

/// A WebSocket client (on [`Client`]'s socket) that checks every message
/// for the game of its source: Dota 2 as `util`'s client does, CS2 as the
/// module docs say.
struct GameClient {
    ws: Client,
    game: Game,
    next_id: u64,
    /// Notifications that arrived while waiting for a response.
    queued: VecDeque<Value>,
}

impl GameClient {
    async fn of(server: &Server, source: Option<&str>, game: Game) -> Self {
        let ws = match source {
            Some(id) => server.client_of(id).await,
            None => server.client().await,
        };
        Self {
            ws,
            game,
            next_id: 1,
            queued: VecDeque::new(),
        }
    }

    fn validate_notification(&self, msg: &Value) {
        let method = msg["method"].as_str().expect("method");
        check(&format!("notification.{method}"), msg);
        if self.game == Game::Dota {
            assert_game_payload_schemas(msg, DOTA2);
            return;
        }
        if cs2_payload_schemas() {
            assert_game_payload_schemas(msg, CS2);
        }
        let params = &msg["params"];
        match method {
            "onNewEvents" => {
                let feature = params["feature"].as_str().expect("feature");
                for e in params["events"].as_array().expect("events") {
                    let name = e["name"].as_str().expect("name");
                    assert!(e["data"].is_string(), "string format: {e}");
                    assert_cs2_data(feature, name, &decoded(&e["data"]));
                }
            }
            "onInfoUpdates2" => {
                for (category, keys) in params["info"].as_object().expect("info") {
                    for (key, value) in keys.as_object().expect("keys") {
                        assert!(
                            value.is_string() || value.is_null(),
                            "string format: {category}.{key} = {value}"
                        );
                        // The game-wide keys have a schema either way.
                        let name = format!("info/{category}.{key}");
                        let game_wide = [
                            "info/gep_internal.health",
                            "info/gep_internal.version_info",
                            "info/match_info.pseudo_match_id",
                        ];
                        // (With CS2's own schemas, cs2/info/ has checked them above.)
                        if !cs2_payload_schemas()
                            && game_wide.contains(&name.as_str())
                            && !value.is_null()
                        {
                            let text = value.as_str().expect("string");
                            let parsed = serde_json::from_str(text)
                                .unwrap_or_else(|_| Value::String(text.into()));
                            check(&name, &parsed);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    async fn call(&mut self, method: &str, params: Option<Value>) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut req = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(p) = params {
            req["params"] = p;
        }
        assert_schema(&format!("request.{method}"), &req);
        self.ws.send_text(&req.to_string()).await;
        loop {
            let msg = self.ws.recv_raw().await;
            if msg.get("method").is_some() {
                self.validate_notification(&msg);
                self.queued.push_back(msg);
                continue;
            }
            assert_eq!(msg["id"], json!(id), "responses arrive in request order");
            return msg;
        }
    }

    async fn result(&mut self, method: &str, params: Option<Value>) -> Value {
        let response = self.call(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        check(&format!("response.{method}"), &response);
        response["result"].clone()
    }

    async fn subscribe(&mut self, features: &[&str]) -> Value {
        self.result("setRequiredFeatures", Some(json!({ "features": features })))
            .await
    }

    /// The next notification, checked.
    async fn notification(&mut self) -> Value {
        if let Some(n) = self.queued.pop_front() {
            return n;
        }
        let msg = self.ws.recv_raw().await;
        assert!(
            msg.get("method").is_some(),
            "expected a notification, got {msg}"
        );
        self.validate_notification(&msg);
        msg
    }

    /// The supported features of `getFeatures`, in order.
    async fn supported(&mut self) -> Vec<String> {
        let result = self.result("getFeatures", None).await;
        result["features"]
            .as_array()
            .expect("features")
            .iter()
            .filter(|f| f["supported"] == true)
            .map(|f| f["name"].as_str().expect("name").to_string())
            .collect()
    }

    /// Reads notifications until `done` says so of the `(feature, name,
    /// data)` events read so far; returns them.
    async fn events_until(
        &mut self,
        done: impl Fn(&[(String, String, Value)]) -> bool,
    ) -> Vec<(String, String, Value)> {
        let mut events = Vec::new();
        while !done(&events) {
            let note = self.notification().await;
            if note["method"] != "onNewEvents" {
                continue;
            }
            let feature = note["params"]["feature"].as_str().unwrap_or_default();
            for (name, data) in event_data(&note["params"]) {
                events.push((feature.to_string(), name, data));
            }
        }
        events
    }

    async fn close_code(&mut self) -> Option<u16> {
        self.ws.close_code().await
    }
}

fn named<'a>(events: &'a [(String, String, Value)], feature: &str, name: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|(f, n, _)| f == feature && n == name)
        .map(|(_, _, d)| d)
        .collect()
}

/// Every feature name of the CS2 catalogue, supported or not, in order.
fn cs2_catalogue() -> (Vec<String>, Vec<String>) {
    let catalogue = wardcast::catalogue(
        &wardcast_cs2::GAME,
        &wardcast_engine::EngineConfig::default(),
    );
    let all = catalogue.features();
    (
        all.iter().map(|f| f.name.to_string()).collect(),
        all.iter()
            .filter(|f| f.supported)
            .map(|f| f.name.to_string())
            .collect(),
    )
}

async fn post_ok(server: &Server, source: &str, body: &Value) {
    let (status, text) = server.post_to(source, body).await;
    assert_eq!(status, 200, "post to {source} refused: {text}");
}

async fn get_json(server: &Server, path: &str) -> Value {
    let (status, text) = server.get(path).await;
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).expect("JSON")
}

/// A Dota kill body: `kills` for the local player at `clock`.
fn dota_kills(clock: i64, kills: i64) -> Value {
    in_game(clock, json!({"kills": kills, "kill_streak": kills}))
}

/// The `kills` of the next `n` Dota kill events.
async fn dota_kill_counts(client: &mut GameClient, n: usize) -> Vec<i64> {
    let events = client
        .events_until(|e| e.iter().filter(|(_, name, _)| name == "kill").count() >= n)
        .await;
    events
        .iter()
        .filter(|(_, name, _)| name == "kill")
        .map(|(_, _, d)| d["kills"].as_i64().expect("a Dota kill has kills"))
        .collect()
}

/// The real capture posted in order to the broker's own source: the client
/// gets CS2's identity and catalogue, and every event of the reviewed
/// output, in order, with its documented data.
#[tokio::test]
async fn the_real_cs2_capture_streams_end_to_end() {
    let server = Server::default().await;
    let bodies = capture();
    // The first body makes the broker's own source a CS2 source.
    server.post(&bodies[0]).await;
    let mut client = GameClient::of(&server, None, Game::Cs2).await;

    let running = client.result("getRunningGameInfo", None).await;
    assert_eq!(running["isRunning"], true, "{running}");
    assert_eq!(running["classId"], CS2_CLASS_ID);
    assert_eq!(running["id"], 227301);
    assert_eq!(running["title"], CS2_TITLE);

    let (all, supported) = cs2_catalogue();
    let features = client.result("getFeatures", None).await;
    let names: Vec<&str> = features["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, all);
    for name in [
        "gep_internal",
        "match_info",
        "live_data",
        "kill",
        "death",
        "round_start",
        "team_round_win",
        "bomb_planted",
        "mvp",
        "roster",
    ] {
        assert!(supported.iter().any(|f| f == name), "{name} supported");
    }
    for dota_only in ["roshan", "hero_leveled_up", "me", "clock_time_changed"] {
        assert!(!names.contains(&dota_only), "{dota_only} is Dota's");
    }

    // Every supported feature, and names this game does not serve.
    let mut wanted: Vec<&str> = supported.iter().map(String::as_str).collect();
    wanted.extend(["replay", "roshan"]);
    let result = client.subscribe(&wanted).await;
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["supportedFeatures"], json!(supported), "{result}");
    let unsupported: Vec<&str> = result["unsupportedFeatures"]
        .as_array()
        .expect("unsupportedFeatures")
        .iter()
        .map(|f| f.as_str().expect("name"))
        .collect();
    assert!(
        unsupported.contains(&"replay") && unsupported.contains(&"roshan"),
        "{result}"
    );

    for body in &bodies[1..] {
        server.post(body).await;
    }
    let want = expected_events(1..bodies.len());
    let mut events = Vec::new();
    let mut info: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut last_seq = 0;
    while events.len() < want.len() {
        let note = client.notification().await;
        let seq = note["params"]["seq"].as_u64().expect("seq");
        assert!(seq > last_seq, "in order");
        last_seq = seq;
        let params = &note["params"];
        match note["method"].as_str() {
            Some("onNewEvents") => {
                let feature = params["feature"].as_str().expect("feature");
                for (name, data) in event_data(params) {
                    events.push((feature.to_string(), name, data));
                }
            }
            Some("onInfoUpdates2") if params["feature"] == "match_info" => {
                for keys in params["info"].as_object().expect("info").values() {
                    for (key, value) in keys.as_object().expect("keys") {
                        if WATCHED.contains(&key.as_str()) {
                            info.entry(key.clone()).or_default().push(value.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(events, want, "every event of the reviewed output, in order");
    assert_eq!(
        named(&events, "kill", "kill"),
        [&json!({"totalKills": 1}); 2]
    );
    assert_eq!(named(&events, "match_info", "kill"), [&json!(1); 2]);
    assert_eq!(named(&events, "match_info", "round_end").len(), 24);
    assert!(named(&events, "match_info", "round_end")
        .iter()
        .all(|d| d.is_null()));
    assert_eq!(named(&events, "death", "death").len(), 5);
    assert_eq!(named(&events, "bomb_planted", "bomb_planted").len(), 14);
    assert_eq!(named(&events, "mvp", "mvp").len(), 8);
    assert_eq!(named(&events, "round_start", "round_start").len(), 29);
    assert_eq!(named(&events, "team_round_win", "team_round_win").len(), 22);

    // The info of the last posts may still be on its way after the last event.
    let want_info = expected_info();
    within("the match_info keys of the last posts", async {
        while WATCHED
            .iter()
            .any(|k| info.get(*k).map(Vec::len) < want_info.get(*k).map(Vec::len))
        {
            let (method, params) = {
                let n = client.notification().await;
                (n["method"].clone(), n["params"].clone())
            };
            if method == "onInfoUpdates2" && params["feature"] == "match_info" {
                for keys in params["info"].as_object().expect("info").values() {
                    for (key, value) in keys.as_object().expect("keys") {
                        if WATCHED.contains(&key.as_str()) {
                            info.entry(key.clone()).or_default().push(value.clone());
                        }
                    }
                }
            }
        }
    })
    .await;
    assert_eq!(info, want_info, "the match_info keys, change by change");

    // The broker's own source is a CS2 source everywhere.
    let status = get_json(&server, "/status").await;
    check("status", &status);
    assert_eq!(status["game_id"], CS2_CLASS_ID);
    let kill = status["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == "kill"))
        .expect("kill in /status");
    assert_eq!(kill["state"], 1, "{kill}");
    let overview = get_json(&server, "/api/overview").await;
    check("overview", &overview);
    assert_eq!(
        overview["game"],
        json!({"classId": CS2_CLASS_ID, "title": CS2_TITLE, "name": "cs2"})
    );
    let last = bodies.last().expect("a last body");
    assert_eq!(
        overview["match"],
        json!({
            "map_name": last["map"]["name"],
            "game_mode": last["map"]["mode"],
            "phase": last["map"]["phase"],
            "round": last["map"]["round"],
            "round_phase": last["round"]["phase"],
            "score_ct": last["map"]["team_ct"]["score"],
            "score_t": last["map"]["team_t"]["score"],
        }),
        "{overview}"
    );
    let sources = client.result("listSources", None).await;
    let own = &sources["sources"][0];
    assert_eq!(own["default"], true, "{sources}");
    assert_eq!(own["game"], "cs2", "{sources}");
    assert_eq!(own["mode"], "playing", "{sources}");
    assert_eq!(own["matchState"], "live", "{sources}");
    let listed = get_json(&server, "/api/sources").await;
    assert_eq!(listed["sources"][0]["game"], "cs2", "{listed}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_dota_source_and_a_cs2_source_on_one_broker() {
    two_games(&Server::default().await).await;
}

/// The same in tournament mode: every batch through NATS JetStream.
#[cfg(feature = "nats")]
#[tokio::test]
async fn a_dota_source_and_a_cs2_source_on_one_broker_federated() {
    if let Some((_nats, server)) = crate::federation::federated_server().await {
        two_games(&server).await;
    }
}

/// A Dota match posting to `dota-match` and a CS2 match to `cs2-match` at
/// once: each source's clients get only their game, in its shapes.
async fn two_games(server: &Server) {
    let bodies = capture();
    post_ok(server, "cs2-match", &bodies[0]).await;
    post_ok(server, "dota-match", &dota_kills(100, 0)).await;
    let mut cs2 = GameClient::of(server, Some("cs2-match"), Game::Cs2).await;
    let mut dota = GameClient::of(server, Some("dota-match"), Game::Dota).await;

    let running = cs2.result("getRunningGameInfo", None).await;
    assert_eq!(
        (&running["classId"], &running["title"]),
        (&json!(CS2_CLASS_ID), &json!(CS2_TITLE)),
        "{running}"
    );
    let running = dota.result("getRunningGameInfo", None).await;
    assert_eq!(
        (&running["classId"], &running["title"]),
        (&json!(DOTA_CLASS_ID), &json!("Dota 2")),
        "{running}"
    );
    let (_, cs2_supported) = cs2_catalogue();
    assert_eq!(cs2.supported().await, cs2_supported);
    let dota_features = dota.supported().await;
    assert!(
        dota_features.iter().any(|f| f == "roshan"),
        "{dota_features:?}"
    );
    assert!(!dota_features.iter().any(|f| f == "team_round_win"));

    // Feature names of both games: each source takes its own.
    let r = cs2.subscribe(&["kill", "match_info", "round_start"]).await;
    assert_eq!(
        r["supportedFeatures"],
        json!(["kill", "match_info", "round_start"])
    );
    let r = dota.subscribe(&["kill", "match_info", "round_start"]).await;
    assert_eq!(r["supportedFeatures"], json!(["kill", "match_info"]), "{r}");

    // Both matches post at once, interleaved.
    for (i, body) in bodies[1..=13].iter().enumerate() {
        post_ok(server, "cs2-match", body).await;
        if i < 3 {
            post_ok(
                server,
                "dota-match",
                &dota_kills(101 + i as i64, 1 + i as i64),
            )
            .await;
        }
    }
    // Every event the CS2 client gets is checked as CS2's (a Dota kill would fail).
    let events = cs2
        .events_until(|e| !named(e, "match_info", "round_end").is_empty())
        .await;
    let subscribed = ["kill", "match_info", "round_start"];
    let want: Vec<_> = expected_events(1..14)
        .into_iter()
        .filter(|(feature, _, _)| subscribed.contains(&feature.as_str()))
        .collect();
    assert_eq!(events, want, "only the subscribed features' events");
    assert_eq!(named(&events, "kill", "kill"), [&json!({"totalKills": 1})]);
    assert_eq!(named(&events, "match_info", "kill"), [&json!(1)]);
    // Every payload the Dota client gets is checked against Dota's schemas.
    assert_eq!(dota_kill_counts(&mut dota, 3).await, [1, 2, 3]);

    let sources = dota.result("listSources", None).await;
    let row = |id: &str| {
        sources["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .find(|s| s["source"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed: {sources}"))
    };
    let (c, d) = (row("cs2-match"), row("dota-match"));
    assert_eq!(
        (&c["game"], &c["running"], &c["clients"]),
        (&json!("cs2"), &json!(true), &json!(1)),
        "{c}"
    );
    assert_eq!(
        (&d["game"], &d["running"], &d["clients"]),
        (&json!("dota2"), &json!(true), &json!(1)),
        "{d}"
    );
    assert_eq!(d["matchId"], "7300000000", "{d}");
    assert!(c.get("matchId").is_none(), "CS2 sends no match id: {c}");
    let listed = get_json(server, "/api/sources").await;
    let games: BTreeMap<String, Value> = listed["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap_or_default().to_string(),
                s["game"].clone(),
            )
        })
        .collect();
    assert_eq!(games["cs2-match"], "cs2", "{listed}");
    assert_eq!(games["dota-match"], "dota2", "{listed}");

    let status = get_json(server, "/status?source=cs2-match").await;
    check("status", &status);
    assert_eq!(status["game_id"], CS2_CLASS_ID);
    let status = get_json(server, "/status?source=dota-match").await;
    assert_schema("status", &status);
    assert_eq!(status["game_id"], DOTA_CLASS_ID);
    let overview = get_json(server, "/api/overview?source=cs2-match").await;
    check("overview", &overview);
    assert_eq!(overview["game"]["name"], "cs2");
    assert_eq!(overview["match"]["map_name"], "de_dust2");
    let overview = get_json(server, "/api/overview?source=dota-match").await;
    assert_schema("overview", &overview);
    assert_eq!(overview["game"]["name"], "dota2");
}

/// A source whose poster changes game starts over for the new game: its
/// clients are closed with 4010 and, back, get the new game's catalogue.
#[tokio::test]
async fn a_source_that_changes_game_starts_over_for_it() {
    let server = Server::default().await;
    let bodies = capture();
    post_ok(&server, "switch", &dota_kills(100, 0)).await;
    let mut client = GameClient::of(&server, Some("switch"), Game::Dota).await;
    client.subscribe(&["kill", "match_info"]).await;
    post_ok(&server, "switch", &dota_kills(101, 1)).await;
    assert_eq!(dota_kill_counts(&mut client, 1).await, [1]);

    // The same source now posts CS2.
    post_ok(&server, "switch", &bodies[0]).await;
    assert_eq!(client.close_code().await, Some(4010));

    let mut client = GameClient::of(&server, Some("switch"), Game::Cs2).await;
    let running = client.result("getRunningGameInfo", None).await;
    assert_eq!(running["classId"], CS2_CLASS_ID, "{running}");
    assert_eq!(running["title"], CS2_TITLE);
    assert_eq!(running["isRunning"], true);
    let (_, supported) = cs2_catalogue();
    assert_eq!(client.supported().await, supported);
    let result = client.subscribe(&["kill", "match_info"]).await;
    assert_eq!(result["supportedFeatures"], json!(["kill", "match_info"]));
    for body in &bodies[1..=13] {
        post_ok(&server, "switch", body).await;
    }
    let events = client
        .events_until(|e| !named(e, "match_info", "round_end").is_empty())
        .await;
    assert_eq!(named(&events, "kill", "kill"), [&json!({"totalKills": 1})]);
    assert_eq!(named(&events, "match_info", "kill"), [&json!(1)]);
    let sources = client.result("listSources", None).await;
    let row = sources["sources"]
        .as_array()
        .and_then(|l| l.iter().find(|s| s["source"] == "switch"))
        .expect("switch listed");
    assert_eq!(row["game"], "cs2", "{row}");
    assert_eq!(
        get_json(&server, "/status?source=switch").await["game_id"],
        CS2_CLASS_ID
    );

    // And back to Dota: closed again, and Dota's again.
    post_ok(&server, "switch", &dota_kills(200, 0)).await;
    assert_eq!(client.close_code().await, Some(4010));
    let mut client = GameClient::of(&server, Some("switch"), Game::Dota).await;
    let running = client.result("getRunningGameInfo", None).await;
    assert_eq!(running["classId"], DOTA_CLASS_ID, "{running}");
    client.subscribe(&["kill"]).await;
    post_ok(&server, "switch", &dota_kills(201, 1)).await;
    assert_eq!(dota_kill_counts(&mut client, 1).await, [1]);
    server.shutdown().await;
}

/// An Overwolf app connects before the game and waits for `gameLaunched`
/// before it subscribes. Its source has no data yet (a Dota source, the
/// default game); CS2's first body replaces it with a CS2 source: the
/// waiting client must hear CS2 launch.
#[tokio::test]
async fn a_client_waiting_for_the_game_hears_cs2_launch() {
    let server = Server::default().await;
    let mut waiting = GameClient::of(&server, None, Game::Cs2).await;
    let running = waiting.result("getRunningGameInfo", None).await;
    assert_eq!(running["isRunning"], false, "{running}");
    server.post(&capture()[0]).await;
    let note = waiting.notification().await;
    assert_eq!(note["method"], "onGameInfoUpdated", "{note}");
    assert_eq!(note["params"]["reason"], json!(["gameLaunched"]));
    assert_eq!(note["params"]["gameInfo"]["classId"], CS2_CLASS_ID);
    assert_eq!(note["params"]["gameInfo"]["title"], CS2_TITLE);
    server.shutdown().await;
}

async fn run(args: &[&str]) -> (bool, String, String) {
    let output = within("wardcast setup", wardcast().args(args).output())
        .await
        .expect("run wardcast");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `<base>/steam` whose vdf lists `<base>/lib one` (Dota 2, app 570) and
/// `<base>/lib two` (CS2, app 730). Returns the root, the Dota folder and
/// the CS2 folder.
fn fake_steam(base: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let root = base.join("steam");
    let first = base.join("lib one");
    let second = base.join("lib two");
    let dota = first.join("steamapps/common/dota 2 beta");
    let cs2 = second.join("steamapps/common/Counter-Strike Global Offensive");
    std::fs::create_dir_all(root.join("steamapps")).expect("mkdir");
    std::fs::create_dir_all(dota.join("game/dota")).expect("mkdir");
    std::fs::create_dir_all(cs2.join("game/csgo")).expect("mkdir");
    let vdf = format!(
        r#""libraryfolders"
{{
	"0"
	{{
		"path"		"{}"
		"apps"
		{{
			"570"		"38201437651"
		}}
	}}
	"1"
	{{
		"path"		"{}"
		"apps"
		{{
			"730"		"64000000000"
		}}
	}}
}}
"#,
        s(&first).replace('\\', "\\\\"),
        s(&second).replace('\\', "\\\\")
    );
    std::fs::write(root.join("steamapps/libraryfolders.vdf"), vdf).expect("write vdf");
    (root, dota, cs2)
}

#[tokio::test]
async fn setup_game_cs2_writes_the_cfg_into_csgo_cfg() {
    let tree = TempTree::new("setup-cs2");
    let (root, dota, cs2) = fake_steam(&tree.0);
    let token_file = tree.0.join("config/gsi_token");
    let cfg = cs2.join("game/csgo/cfg/gamestate_integration_wardcast.cfg");
    let args = [
        "setup",
        "--game",
        "cs2",
        "--steam-dir",
        s(&root),
        "--gsi-token-file",
        s(&token_file),
        "--listen",
        "127.0.0.1:7314",
    ];
    let (ok, stdout, stderr) = run(&args).await;
    assert!(ok, "setup failed: {stderr}");
    assert!(stdout.contains("wrote"), "{stdout}");
    assert!(stdout.contains(s(&cfg)), "{stdout}");
    assert!(stdout.contains(CS2_TITLE), "{stdout}");
    let token = std::fs::read_to_string(&token_file).expect("token file");
    let token = token.trim().to_string();
    assert_eq!(token.len(), 32, "{token}");
    let text = std::fs::read_to_string(&cfg).expect("the cfg is in game/csgo/cfg");
    assert!(
        text.contains("\"uri\"           \"http://127.0.0.1:7314/gsi\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("\"token\"         \"{token}\"")),
        "{text}"
    );
    let sections = wardcast_engine::Game::info(&wardcast_cs2::GAME).setup.data;
    assert!(sections.contains(&"allplayers_id") && sections.contains(&"bomb"));
    for section in sections {
        assert!(
            text.contains(&format!("\"{section}\"")),
            "{section}: {text}"
        );
    }
    for dota_only in ["hero", "abilities", "items", "buildings"] {
        assert!(
            !text.contains(&format!("\"{dota_only}\"")),
            "{dota_only}: {text}"
        );
    }
    let listing: Vec<String> = std::fs::read_dir(cfg.parent().expect("dir"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listing, ["gamestate_integration_wardcast.cfg"]);
    assert!(!dota.join("game/dota/cfg").exists(), "Dota 2 is left alone");

    // Again: nothing changes; --game-dir naming the install itself finds the same cfg.
    let (ok, stdout, stderr) = run(&args).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("already up to date"), "{stdout}");
    let (ok, stdout, stderr) = run(&[
        "setup",
        "--game",
        "cs2",
        "--game-dir",
        s(&cs2),
        "--gsi-token-file",
        s(&token_file),
    ])
    .await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("already up to date"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&cfg).expect("cfg"), text);

    // --game-dir at a folder that is not CS2 (the Dota install): one line, nothing written.
    let (ok, stdout, stderr) = run(&[
        "setup",
        "--game",
        "cs2",
        "--game-dir",
        s(&dota),
        "--gsi-token-file",
        s(&token_file),
    ])
    .await;
    assert!(!ok, "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--game-dir"), "{stderr}");
    assert!(stderr.contains(s(&dota)), "{stderr}");
    assert!(stderr.contains(CS2_TITLE), "{stderr}");
    assert!(!dota.join("game/csgo").exists() && !dota.join("game/dota/cfg").exists());

    // serve takes CS2 bodies carrying that token, and only those.
    let mut child = wardcast()
        .args(["serve", "--listen", "127.0.0.1:0", "--gsi-token-file"])
        .arg(&token_file)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn wardcast");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = within("banner", lines.next_line())
        .await
        .expect("read")
        .expect("a banner line");
    assert!(first.contains("listening on"), "{first}");
    let addr = first.rsplit(' ').next().expect("address").to_string();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let http = reqwest_lite::Client::new();
    let url = format!("http://{addr}/gsi");
    let mut body = capture()[11].clone();
    let post = |body: &Value| {
        within(
            "post",
            http.post(&url, serde_json::to_vec(body).expect("json")),
        )
    };
    assert_eq!(
        post(&body).await.0,
        401,
        "the capture's own token is not this one"
    );
    body["auth"] = json!({ "token": token });
    let (status, text) = post(&body).await;
    assert_eq!(status, 200, "{text}");
    child.start_kill().expect("kill");
    within("exit", child.wait()).await.expect("wait");
}
