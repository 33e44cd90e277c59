//! Bad input: every malformed, absurd or hostile input gets the answer that
//! `protocol/bad-input.md` documents, nobody else sees anything of it, and the
//! broker keeps serving. One test per row of that table.

use futures::{SinkExt, StreamExt};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::util::*;

/// A broker with a watcher: a client subscribed to `kill` that has seen the
/// game start and a baseline of 0 kills. After any bad input, one more kill
/// posted must reach the watcher as its very next message: that proves the
/// broker still serves and that the bad input sent the watcher nothing.
struct Live {
    server: Server,
    watcher: Client,
    kills: i64,
    clock: i64,
}

impl Live {
    async fn start(config: wardcast::Config) -> Self {
        let server = Server::start(config).await;
        let mut watcher = server.client().await;
        watcher.subscribe(&["kill"]).await;
        let mut live = Self {
            server,
            watcher,
            kills: 0,
            clock: 100,
        };
        live.server.post(&live.body()).await;
        assert_eq!(live.watcher.note().await.0, "onGameInfoUpdated");
        live
    }

    async fn default() -> Self {
        Self::start(wardcast::Config::default()).await
    }

    /// A good in-game body with the current kill count and clock.
    fn body(&self) -> Value {
        in_game(
            self.clock,
            json!({"kills": self.kills, "kill_streak": self.kills, "deaths": 0}),
        )
    }

    /// The next good body: one more kill, one second later.
    fn next_body(&mut self) -> Value {
        self.kills += 1;
        self.clock += 1;
        self.body()
    }

    /// Asserts that the watcher's next message is exactly the kill event of
    /// the last body (`next_body`) the broker accepted.
    async fn expect_kill(&mut self) {
        let (method, params) = self.watcher.note().await;
        assert_eq!(method, "onNewEvents", "{params}");
        assert_eq!(params["feature"], "kill", "{params}");
        let kills: Vec<Value> = event_data(&params)
            .into_iter()
            .map(|(_, d)| d["kills"].clone())
            .collect();
        assert_eq!(kills, vec![json!(self.kills)], "exactly the one new kill");
    }

    /// Posts one more kill and asserts it is the watcher's next message, and
    /// that `GET /healthz` answers.
    async fn assert_serving(&mut self) {
        let body = self.next_body();
        self.server.post(&body).await;
        self.expect_kill().await;
        assert_eq!(self.server.get("/healthz").await, (200, "ok\n".into()));
    }

    /// Posts the current body again, asserting 200. After an accepted odd
    /// body, this sets the kill baseline back without firing anything.
    async fn rebaseline(&self) {
        self.server.post(&self.body()).await;
    }

    /// Posts one more kill and waits for it, allowing up to `max` other kill
    /// events before it (each validated against its schema on arrival).
    async fn assert_serving_after(&mut self, max: usize) {
        let body = self.next_body();
        self.server.post(&body).await;
        let mut others = 0;
        loop {
            let (method, params) = self.watcher.note().await;
            assert_eq!(method, "onNewEvents", "{params}");
            let kills: Vec<Value> = event_data(&params)
                .into_iter()
                .map(|(_, d)| d["kills"].clone())
                .collect();
            if kills == vec![json!(self.kills)] {
                break;
            }
            others += kills.len();
            assert!(others <= max, "{others} kill events before the good one");
        }
        assert_eq!(self.server.get("/healthz").await, (200, "ok\n".into()));
    }

    /// Posts `body` and returns the answer.
    async fn post(&self, body: impl Into<Vec<u8>>) -> (u16, String) {
        self.server.post_raw(body.into()).await
    }

    /// Posts a JSON body and returns the answer.
    async fn post_json(&self, body: &Value) -> (u16, String) {
        self.post(serde_json::to_vec(body).expect("json")).await
    }

    async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Asserts a 400 whose text starts with `malformed GSI body: ` and contains `detail`.
fn assert_malformed((status, text): (u16, String), detail: &str) {
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("malformed GSI body: "), "{text}");
    assert!(text.contains(detail), "{detail:?} not in {text:?}");
}

/// Asserts an empty 200.
fn assert_accepted((status, text): (u16, String)) {
    assert_eq!((status, text.as_str()), (200, ""));
}

/// Writes `request` on a fresh TCP connection and reads the answer until the
/// broker closes it. Returns the status and the body (after the headers).
async fn raw_http(server: &Server, request: &[u8]) -> (u16, String) {
    let mut tcp = within("tcp connect", TcpStream::connect(server.addr))
        .await
        .expect("connect");
    // The broker may answer and close before it has read everything (413).
    let _ = within("write", tcp.write_all(request)).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match within("read", tcp.read(&mut buf)).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `POST /gsi` with a `Content-Length` header and the given content type.
fn http_post(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST /gsi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// `POST /gsi` with `Transfer-Encoding: chunked` and no `Content-Length`,
/// the body cut into chunks of `chunk` bytes.
fn http_post_chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut req = b"POST /gsi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        .to_vec();
    for part in body.chunks(chunk) {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    req
}

// ---------------------------------------------------------------------------
// GSI bodies: POST /gsi
// ---------------------------------------------------------------------------

#[tokio::test]
async fn gsi_malformed_json_is_400() {
    let mut live = Live::default().await;
    assert_malformed(
        live.post(&b"{not json}"[..]).await,
        "key must be a string at line 1 column 2",
    );
    assert_malformed(
        live.post(&br#"{"map": {"clock_time": 1,, }}"#[..]).await,
        "at map.?: key must be a string",
    );
    assert_malformed(
        live.post(&br#"{"player": {"name": "\x"}}"#[..]).await,
        "at player.name: invalid escape",
    );
    assert_malformed(
        live.post(&b"\xef\xbb\xbf{}"[..]).await,
        "expected value at line 1 column 1",
    );
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_empty_body_is_400() {
    let mut live = Live::default().await;
    assert_malformed(
        live.post(Vec::new()).await,
        "EOF while parsing a value at line 1 column 0",
    );
    assert_malformed(live.post(&b"  \r\n"[..]).await, "EOF while parsing a value");
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_truncated_json_is_400() {
    let mut live = Live::default().await;
    let whole = serde_json::to_vec(&live.next_body()).expect("json");
    for cut in [1, whole.len() / 2, whole.len() - 1] {
        assert_malformed(live.post(&whole[..cut]).await, "EOF while parsing");
    }
    // The whole body, posted after its truncations, is the first to count.
    assert_accepted(live.post(whole).await);
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_trailing_bytes_are_400() {
    let mut live = Live::default().await;
    let good = serde_json::to_string(&live.next_body()).expect("json");
    assert_malformed(
        live.post(format!("{good}{good}")).await,
        "trailing characters",
    );
    assert_malformed(live.post(format!("{good}\0")).await, "trailing characters");
    // Trailing whitespace is fine.
    assert_accepted(live.post(format!("{good} \r\n")).await);
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_invalid_utf8_is_400() {
    let mut live = Live::default().await;
    for (body, detail) in [
        (
            &b"{\"player\": {\"name\": \"\xff\xfe\"}}"[..],
            "at player.name: invalid unicode code point",
        ),
        (
            &b"{\"roshan\": {\"state\": \"\xc3\x28\"}}"[..],
            "at roshan.state: invalid unicode code point",
        ),
        (
            &b"{\"events\": [{\"x\": \"\xed\xa0\x80\"}]}"[..],
            "at events[0].x: invalid unicode code point",
        ),
        (&b"{\"\xff\": 1}"[..], "invalid unicode code point"),
        (&b"{\"map\": \xff}"[..], "at map: expected value"),
    ] {
        assert_malformed(live.post(body).await, detail);
    }
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_invalid_utf8_in_an_unknown_key_is_accepted() {
    let mut live = Live::default().await;
    // Unknown keys are skipped without being decoded.
    let good = serde_json::to_string(&live.next_body()).expect("json");
    let mut body = good.as_bytes()[..good.len() - 1].to_vec();
    body.extend_from_slice(b",\"unknown_section\": \"\xff\xfe\"}");
    assert_accepted(live.post(body).await);
    live.expect_kill().await;
    let mut body = live.next_body();
    body["player"]["not_a_gsi_field"] = json!("placeholder");
    let text = serde_json::to_vec(&body).expect("json");
    let at = text
        .windows(11)
        .position(|w| w == b"placeholder")
        .expect("placeholder");
    let mut text = text;
    text[at] = 0xff;
    assert_accepted(live.post(text).await);
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_non_object_body_is_400() {
    let mut live = Live::default().await;
    for (body, detail) in [
        (
            "42",
            "invalid type: integer `42`, expected struct GameState",
        ),
        (
            "\"text\"",
            "invalid type: string \"text\", expected struct GameState",
        ),
        (
            "true",
            "invalid type: boolean `true`, expected struct GameState",
        ),
        ("null", "invalid type: null, expected struct GameState"),
        (
            "[1, 2]",
            "at [0]: invalid type: integer `1`, expected struct Provider",
        ),
    ] {
        assert_malformed(live.post(body).await, detail);
    }
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_string_for_a_number_is_400_naming_the_path() {
    let mut live = Live::default().await;
    let mut body = live.next_body();
    body["player"]["kills"] = json!(live.kills.to_string());
    assert_malformed(
        live.post_json(&body).await,
        "at player.kills: invalid type: string \"1\", expected i64",
    );
    let mut body = live.body();
    body["hero"]["alive"] = json!(1);
    assert_malformed(
        live.post_json(&body).await,
        "at hero.alive: invalid type: integer `1`, expected a boolean",
    );
    let mut body = live.body();
    body["player"]["kills"] = json!(true);
    assert_malformed(
        live.post_json(&body).await,
        "at player.kills: invalid type: boolean `true`, expected i64",
    );
    // The refused bodies did not count: the same kill, posted right, is new.
    live.kills -= 1;
    live.clock -= 1;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_null_values_count_as_absent() {
    let mut live = Live::default().await;
    let mut body = live.body();
    body["player"]["kills"] = Value::Null;
    body["map"]["clock_time"] = Value::Null;
    body["hero"] = Value::Null;
    body["items"] = Value::Null;
    assert_accepted(live.post_json(&body).await);
    // An absent count is no baseline: the next count sets one again, and
    // fires nothing.
    live.rebaseline().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_array_for_a_map_is_400_naming_the_path() {
    let mut live = Live::default().await;
    let mut body = live.body();
    body["player"]["team2"] = json!([]);
    assert_malformed(
        live.post_json(&body).await,
        "at player.team2: invalid type: sequence, expected a map",
    );
    let mut body = live.body();
    body["buildings"] = json!([{"health": 1}]);
    assert_malformed(
        live.post_json(&body).await,
        "at buildings: invalid type: sequence, expected a map",
    );
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_array_for_a_section_is_read_by_position() {
    let mut live = Live::default().await;
    // A section (a struct) given as an array is read field by field, in the
    // order the fields are declared: a wrong element is a 400 naming it...
    let mut body = live.body();
    body["hero"] = json!([74, 2]);
    assert_malformed(
        live.post_json(&body).await,
        "at hero[1]: invalid type: integer `2`, expected a string",
    );
    let mut body = live.body();
    body["player"] = json!(["76561198000000000", 1]);
    assert_malformed(
        live.post_json(&body).await,
        "at player[1]: invalid type: integer `1`, expected a string",
    );
    // ...and fitting elements, or none, are accepted.
    let mut body = live.body();
    body["hero"] = json!([74, "npc_dota_hero_invoker"]);
    assert_accepted(live.post_json(&body).await);
    let mut body = live.body();
    body["player"] = json!([]);
    assert_accepted(live.post_json(&body).await);
    assert_accepted(live.post(&b"[]"[..]).await);
    live.rebaseline().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_huge_number_for_an_integer_is_400() {
    let mut live = Live::default().await;
    for (kills, detail) in [
        (
            "1e300",
            "at player.kills: invalid type: floating point `1e+300`, expected i64",
        ),
        (
            "3.0",
            "at player.kills: invalid type: floating point `3.0`, expected i64",
        ),
        (
            "-0",
            "at player.kills: invalid type: floating point `-0.0`, expected i64",
        ),
        (
            "9223372036854775808",
            "at player.kills: invalid value: integer `9223372036854775808`, expected i64",
        ),
    ] {
        let text = serde_json::to_string(&live.body()).expect("json").replacen(
            "\"kills\":0",
            &format!("\"kills\":{kills}"),
            1,
        );
        assert!(text.contains(kills));
        assert_malformed(live.post(text).await, detail);
    }
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_i64_max_is_accepted() {
    let mut live = Live::default().await;
    // i64::MAX and i64::MIN where no event counts from them.
    let mut body = live.body();
    body["map"]["game_time"] = json!(i64::MAX);
    body["map"]["clock_time"] = json!(i64::MAX);
    body["hero"]["xp"] = json!(i64::MAX);
    body["hero"]["health"] = json!(i64::MIN);
    body["player"]["gold"] = json!(i64::MAX);
    body["player"]["last_hits"] = json!(i64::MAX);
    assert_accepted(live.post_json(&body).await);
    // Back from the end of time is a replay seek: a new baseline, then kills fire again.
    live.rebaseline().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_i64_max_counter_jump_fires_no_flood() {
    let mut live = Live::default().await;
    let mut body = live.body();
    body["player"]["kills"] = json!(i64::MAX);
    assert_accepted(live.post_json(&body).await);
    live.rebaseline().await;
    live.assert_serving_after(1).await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_counter_from_i64_min_to_max_keeps_serving() {
    let mut live = Live::default().await;
    for kills in [i64::MIN, i64::MAX] {
        let mut body = live.body();
        body["player"]["kills"] = json!(kills);
        assert_accepted(live.post_json(&body).await);
    }
    live.rebaseline().await;
    live.assert_serving_after(1).await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_clock_from_i64_min_keeps_serving() {
    let mut live = Live::default().await;
    let mut body = live.body();
    body["map"]["clock_time"] = json!(i64::MIN);
    assert_accepted(live.post_json(&body).await);
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_negative_counters_are_accepted_without_impossible_events() {
    let mut live = Live::default().await;
    let mut deaths = live.server.client().await;
    deaths.subscribe(&["death"]).await;
    live.assert_serving().await;
    live.assert_serving().await;
    let mut body = live.body();
    body["player"]["kills"] = json!(-5);
    body["player"]["deaths"] = json!(-1);
    assert_accepted(live.post_json(&body).await);
    // Back to the real counts (2 kills, 0 deaths): nothing fires, so the
    // third kill and the first death are the next events.
    live.rebaseline().await;
    live.assert_serving().await;
    let mut body = live.body();
    body["player"]["deaths"] = json!(1);
    live.server.post(&body).await;
    let (method, params) = deaths.note().await;
    assert_eq!(method, "onNewEvents");
    assert_eq!(
        event_data(&params),
        vec![("death".into(), json!({"deaths": 1}))]
    );
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_deep_nesting_is_400() {
    let mut live = Live::default().await;
    let deep = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    for (body, detail) in [
        (
            format!("{{\"roshan\": {}}}", deep(10_000)),
            "at roshan[0][0]",
        ),
        (format!("{{\"roshan\": {deep_objects}}}"), "at roshan.a.a"),
        (
            format!("{{\"events\": [{{\"x\": {}}}]}}", deep(10_000)),
            "at events[0].x[0]",
        ),
        (
            format!("{{\"draft\": {{\"team2\": {}}}}}", deep(10_000)),
            "at draft.team2[0]",
        ),
        // The limit: 128 levels, the body's own object included.
        (format!("{{\"roshan\": {}}}", deep(127)), "at roshan[0]"),
    ] {
        let (status, text) = live.post(body).await;
        assert_malformed((status, text.clone()), detail);
        assert!(text.contains("recursion limit exceeded"), "{text}");
    }
    assert_accepted(live.post(format!("{{\"roshan\": {}}}", deep(126))).await);
    live.rebaseline().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_deep_nesting_in_an_unknown_key_is_accepted() {
    let mut live = Live::default().await;
    // Unknown keys are skipped without recursion, whatever their depth.
    let mut body = live.next_body();
    let deep = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    body["player"]["not_a_gsi_field"] = json!("placeholder");
    let text = serde_json::to_string(&body)
        .expect("json")
        .replace("\"placeholder\"", &deep(100_000));
    let text = format!(
        "{},\"unknown_section\":{}}}",
        &text[..text.len() - 1],
        deep(100_000)
    );
    assert_accepted(live.post(text).await);
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_duplicate_keys_are_400() {
    let mut live = Live::default().await;
    let text = serde_json::to_string(&live.body()).expect("json").replacen(
        "\"kills\":0",
        "\"kills\":0,\"kills\":9",
        1,
    );
    assert_malformed(live.post(text).await, "at player: duplicate field `kills`");
    let text = serde_json::to_string(&live.body()).expect("json");
    let twice = format!("{},\"player\":{{}}}}", &text[..text.len() - 1]);
    assert_malformed(live.post(twice).await, "duplicate field `player`");
    assert_malformed(
        live.post(&br#"{"auth": {"token": "a", "token": "b"}}"#[..])
            .await,
        "at auth: duplicate field `token`",
    );
    assert_malformed(
        live.post(&br#"{"events": [{"event_type": "tip", "event_type": "tip"}]}"#[..])
            .await,
        "at events[0]: duplicate field `event_type`",
    );
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_duplicate_keys_in_maps_and_free_form_sections_are_accepted() {
    let mut live = Live::default().await;
    for (key, raw) in [
        ("roshan", r#"{"state": "alive", "state": "alive"}"#),
        ("unknown_section", r#"1, "unknown_section": 2"#),
        ("buildings", r#"{"radiant": {}, "radiant": {}}"#),
        (
            "items",
            r#"{"slot0": {"name": "empty"}, "slot0": {"name": "empty"}}"#,
        ),
        ("events", r#"[{"event_type": "tip", "x": 1, "x": 2}]"#),
    ] {
        let mut body = live.body();
        body.as_object_mut().expect("object").remove(key);
        let text = serde_json::to_string(&body).expect("json");
        let text = format!("{},\"{key}\": {raw}}}", &text[..text.len() - 1]);
        assert_accepted(live.post(text).await);
    }
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_missing_section_is_accepted() {
    let mut live = Live::default().await;
    // No hero and no items: the player section still counts the kill.
    let mut body = live.next_body();
    body.as_object_mut().expect("object").remove("hero");
    body.as_object_mut().expect("object").remove("items");
    assert_accepted(live.post_json(&body).await);
    live.expect_kill().await;
    // No map at all (a menu body), and no sections at all.
    let mut body = live.body();
    body.as_object_mut().expect("object").remove("map");
    assert_accepted(live.post_json(&body).await);
    assert_accepted(live.post(&b"{}"[..]).await);
    live.rebaseline().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_wrong_content_type_is_accepted() {
    let mut live = Live::default().await;
    let body = serde_json::to_vec(&live.next_body()).expect("json");
    let answer = raw_http(&live.server, &http_post("text/plain", &body)).await;
    assert_eq!(answer, (200, String::new()));
    live.expect_kill().await;
    let body = serde_json::to_vec(&live.next_body()).expect("json");
    let answer = raw_http(
        &live.server,
        &http_post("application/x-www-form-urlencoded", &body),
    )
    .await;
    assert_eq!(answer, (200, String::new()));
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_chunked_body_is_accepted() {
    let mut live = Live::default().await;
    let body = serde_json::to_vec(&live.next_body()).expect("json");
    let answer = raw_http(&live.server, &http_post_chunked(&body, 1000)).await;
    assert_eq!(answer, (200, String::new()));
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_body_over_the_limit_is_413() {
    let mut config = wardcast::Config::default();
    config.ingest.max_body = 64 * 1024;
    let mut live = Live::start(config).await;
    // Valid JSON, padded past the limit.
    let mut big = live.next_body();
    big["padding"] = json!("x".repeat(64 * 1024));
    let big = serde_json::to_vec(&big).expect("json");
    let refused = (
        413,
        "GSI body larger than the limit of 65536 bytes\n".to_string(),
    );
    assert_eq!(live.post(big.clone()).await, refused);
    // Without a Content-Length: the limit holds while reading.
    assert_eq!(
        raw_http(&live.server, &http_post_chunked(&big, 8 * 1024)).await,
        refused
    );
    // Exactly at the limit is accepted.
    let mut exact = live.body();
    exact["padding"] = json!("");
    let len = serde_json::to_vec(&exact).expect("json").len();
    exact["padding"] = json!("x".repeat(64 * 1024 - len));
    let exact = serde_json::to_vec(&exact).expect("json");
    assert_eq!(exact.len(), 64 * 1024);
    assert_accepted(live.post(exact).await);
    live.expect_kill().await;
    live.assert_serving().await;
    let (_, metrics) = live.server.get("/metrics").await;
    assert!(
        metrics.contains(r#"wardcast_gsi_rejected_total{reason="too_large"} 2"#),
        "{metrics}"
    );
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_post_from_a_web_page_is_403() {
    let mut live = Live::default().await;
    // What any site the user visits can send: a "simple" cross-site POST,
    // with no preflight. Browsers always add the page's Origin to a POST.
    let body = serde_json::to_vec(&live.next_body()).expect("json");
    let mut request = format!(
        "POST /gsi HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    assert_eq!(
        raw_http(&live.server, &request).await,
        (
            403,
            "GSI posts from web pages are refused (the request has an Origin header)\n".into()
        )
    );
    // Nothing was processed: the same kill, posted properly, is the next news.
    live.kills -= 1;
    live.assert_serving().await;
    let (_, metrics) = live.server.get("/metrics").await;
    assert!(
        metrics.contains(r#"wardcast_gsi_rejected_total{reason="cross_origin"} 1"#),
        "{metrics}"
    );
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_body_trickled_past_the_deadline_is_408() {
    let mut config = wardcast::Config::default();
    config.ingest.body_timeout = std::time::Duration::from_secs(1);
    let mut live = Live::start(config).await;
    // A slowloris body: one byte every 100 ms, which no per-chunk idle timeout
    // would catch; the deadline covers the whole body.
    let body = serde_json::to_vec(&live.next_body()).expect("json");
    let mut tcp = within("tcp connect", TcpStream::connect(live.server.addr))
        .await
        .expect("connect");
    let head = format!(
        "POST /gsi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    within("write", tcp.write_all(head.as_bytes()))
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let trickle = async {
        let mut pace = tokio::time::interval(std::time::Duration::from_millis(100));
        for byte in &body {
            pace.tick().await;
            if tcp.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
        }
        tcp
    };
    let mut tcp = within("trickle", trickle).await;
    let mut answer = Vec::new();
    let _ = within("read", tcp.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {:?}: {answer}",
        started.elapsed()
    );
    assert!(
        answer.ends_with("GSI body not received within 1 s\n"),
        "{answer}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    live.kills -= 1;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn gsi_bodies_beyond_the_in_flight_limit_are_503() {
    let mut config = wardcast::Config::default();
    config.ingest.max_in_flight = 2;
    config.ingest.body_timeout = std::time::Duration::from_secs(30);
    let mut live = Live::start(config).await;
    // Two bodies that never finish hold both slots.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut tcp = within("tcp connect", TcpStream::connect(live.server.addr))
            .await
            .expect("connect");
        within(
            "write",
            tcp.write_all(b"POST /gsi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"),
        )
        .await
        .expect("write");
        stalled.push(tcp);
    }
    // The broker takes them in the order they arrive; a third is refused at
    // once rather than queued behind them.
    let mut body = serde_json::to_vec(&live.next_body()).expect("json");
    let mut answer = (0, String::new());
    for _ in 0..50 {
        answer = raw_http(&live.server, &http_post("application/json", &body)).await;
        if answer.0 == 503 {
            break;
        }
        // Accepted before both stalled bodies held their slots: post the
        // next kill instead.
        assert_eq!(answer.0, 200, "{answer:?}");
        live.expect_kill().await;
        body = serde_json::to_vec(&live.next_body()).expect("json");
    }
    assert_eq!(answer, (503, "GSI ingest busy, retry\n".into()));
    let (_, metrics) = live.server.get("/metrics").await;
    assert!(
        metrics.contains(r#"wardcast_gsi_rejected_total{reason="busy"} 1"#),
        "{metrics}"
    );
    // Letting them go frees the slots.
    drop(stalled);
    let mut freed = false;
    for _ in 0..100 {
        let answer = raw_http(&live.server, &http_post("application/json", &body)).await;
        if answer.0 == 200 {
            freed = true;
            break;
        }
        assert_eq!(answer.0, 503);
        tokio::task::yield_now().await;
    }
    assert!(freed, "the slots were freed");
    live.expect_kill().await;
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn http_host_of_another_site_is_403() {
    // A DNS-rebinding page: evil.example now resolves to 127.0.0.1, so the
    // browser sends Host: evil.example, and no Origin on same-origin GETs.
    let mut live = Live::default().await;
    for path in ["/api/overview", "/status", "/metrics"] {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: evil.example:7314\r\nConnection: close\r\n\r\n");
        let (status, text) = raw_http(&live.server, request.as_bytes()).await;
        assert_eq!(status, 403, "{path}: {text}");
        assert!(text.starts_with("Host not allowed"), "{path}: {text}");
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost:7314\r\nConnection: close\r\n\r\n");
        assert_eq!(
            raw_http(&live.server, request.as_bytes()).await.0,
            200,
            "{path}"
        );
    }
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = live.server.ws_url().into_client_request().expect("request");
    request
        .headers_mut()
        .insert("host", "evil.example:7314".parse().expect("header"));
    request.headers_mut().insert(
        "origin",
        "http://evil.example:7314".parse().expect("header"),
    );
    match within("connect", tokio_tungstenite::connect_async(request)).await {
        Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    live.assert_serving().await;
    live.shutdown().await;
}

// ---------------------------------------------------------------------------
// WebSocket: GET /ws
// ---------------------------------------------------------------------------

/// Sends `text` and asserts the answer is error `code` for `id`, with a
/// message containing `message`; validated against `response.error`.
async fn expect_error(client: &mut Client, text: &str, id: Value, code: i64, message: &str) {
    client.send_text(text).await;
    let response = client.recv_raw().await;
    assert_schema("response.error", &response);
    assert_eq!(response["id"], id, "{response}");
    assert_eq!(response["error"]["code"], code, "{response}");
    let got = response["error"]["message"].as_str().unwrap_or_default();
    assert!(got.contains(message), "{message:?} not in {response}");
}

/// The bad client still serves requests, and the watcher saw nothing.
async fn still_open(live: &mut Live, bad: &mut Client) {
    let result = bad.subscribe(&["death"]).await;
    assert_eq!(result["success"], true);
    live.assert_serving().await;
}

/// Connects a plain socket, sends `message`, and returns the close code and
/// reason the broker sends (None if the socket ends without a close frame).
async fn close_after(server: &Server, message: Message) -> Option<(u16, String)> {
    let (mut ws, _) = within("connect", tokio_tungstenite::connect_async(server.ws_url()))
        .await
        .expect("connect");
    // The broker may close before the whole frame is out: a failed send is fine.
    let _ = within("send", ws.send(message)).await;
    loop {
        match within("close", ws.next()).await {
            Some(Ok(Message::Close(frame))) => {
                return frame.map(|f| (u16::from(f.code), f.reason.as_str().to_string()))
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test]
async fn ws_binary_frame_is_invalid_request() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "getInfo"}).to_string();
    bad.send_binary(request.into_bytes()).await;
    let response = bad.recv_raw().await;
    assert_schema("response.error", &response);
    assert_eq!(
        response,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600,
               "message": "binary frames are not accepted; send JSON-RPC as text"}})
    );
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_invalid_json_is_parse_error() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    for text in ["{not json", "", "{\"jsonrpc\":\"2.0\",\"id\":1,", "{} {}"] {
        expect_error(&mut bad, text, Value::Null, -32700, "parse error").await;
    }
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_deep_nesting_is_parse_error() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    // serde_json's limit, 128 levels, holds for requests as for GSI bodies;
    // 10,000 levels fit in the 64 KiB frame limit.
    for depth in [128, 10_000] {
        let text = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getInfo\",\"params\":{}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        expect_error(
            &mut bad,
            &text,
            Value::Null,
            -32700,
            "recursion limit exceeded",
        )
        .await;
    }
    // 127 levels parse, and are then refused as params of the wrong shape.
    let text = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"getInfo\",\"params\":{}{}}}",
        "[".repeat(126),
        "]".repeat(126)
    );
    expect_error(
        &mut bad,
        &text,
        json!(2),
        -32602,
        "this method takes no params",
    )
    .await;
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_non_object_json_is_invalid_request() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    for text in [
        r#"[{"jsonrpc":"2.0","id":1,"method":"getInfo"}]"#,
        "42",
        r#""getInfo""#,
        "null",
    ] {
        expect_error(
            &mut bad,
            text,
            Value::Null,
            -32600,
            "a request must be a JSON object",
        )
        .await;
    }
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_unknown_method_is_method_not_found() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    expect_error(
        &mut bad,
        r#"{"jsonrpc":"2.0","id":7,"method":"getEverything"}"#,
        json!(7),
        -32601,
        "unknown method \"getEverything\"",
    )
    .await;
    let long = "m".repeat(10_000);
    expect_error(
        &mut bad,
        &json!({"jsonrpc": "2.0", "id": "x", "method": long}).to_string(),
        json!("x"),
        -32601,
        &format!("unknown method \"{}\"", "m".repeat(64)),
    )
    .await;
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_bad_params_are_invalid_params() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    let sub = |params: Value| {
        json!({"jsonrpc": "2.0", "id": 3, "method": "setRequiredFeatures", "params": params})
            .to_string()
    };
    for (text, message) in [
        (
            r#"{"jsonrpc":"2.0","id":3,"method":"setRequiredFeatures"}"#.to_string(),
            "params must be an object with a features array",
        ),
        (
            sub(json!(["kill"])),
            "params must be an object with a features array",
        ),
        (
            sub(json!({"features": "kill"})),
            "features must be an array of strings",
        ),
        (
            sub(json!({"features": ["kill", 1]})),
            "features must be an array of strings",
        ),
        (
            sub(json!({"features": ["kill"], "dataFormat": "xml"})),
            "dataFormat must be \"string\" or \"object\"",
        ),
        (
            r#"{"jsonrpc":"2.0","id":3,"method":"getInfo","params":[]}"#.to_string(),
            "this method takes no params",
        ),
    ] {
        expect_error(&mut bad, &text, json!(3), -32602, message).await;
    }
    // A failed call changed nothing: the bad client is still unsubscribed.
    let info = bad.result("getInfo", None).await;
    assert_eq!(info["res"], json!({"features": {}}));
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_unknown_envelope_member_is_invalid_request() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    expect_error(
        &mut bad,
        r#"{"jsonrpc":"2.0","id":5,"method":"getInfo","extra":true}"#,
        json!(5),
        -32600,
        "unknown member \"extra\"",
    )
    .await;
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_unknown_param_is_invalid_params() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    expect_error(
        &mut bad,
        r#"{"jsonrpc":"2.0","id":6,"method":"setRequiredFeatures","params":{"features":["kill"],"filter":"all"}}"#,
        json!(6),
        -32602,
        "unknown param \"filter\"",
    )
    .await;
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_too_many_features_is_invalid_params() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    let names: Vec<String> = (0..2000).map(|i| format!("f{i}")).collect();
    let text = json!({"jsonrpc": "2.0", "id": 8, "method": "setRequiredFeatures",
                      "params": {"features": names}})
    .to_string();
    assert!(text.len() < 64 * 1024, "the frame fits: {}", text.len());
    expect_error(
        &mut bad,
        &text,
        json!(8),
        -32602,
        "too many features (at most 1024)",
    )
    .await;
    // 1024 is allowed.
    let mut names: Vec<String> = (0..1023).map(|i| format!("f{i}")).collect();
    names.push("kill".into());
    let result = bad
        .result("setRequiredFeatures", Some(json!({ "features": names })))
        .await;
    assert_eq!(result["supportedFeatures"], json!(["kill"]));
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_feature_name_over_256_bytes_is_invalid_params() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    let text = json!({"jsonrpc": "2.0", "id": 9, "method": "setRequiredFeatures",
                      "params": {"features": ["kill", "k".repeat(257)]}})
    .to_string();
    expect_error(
        &mut bad,
        &text,
        json!(9),
        -32602,
        "a feature name is longer than 256 bytes",
    )
    .await;
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

/// The close the broker sends for a frame over the limit.
fn too_large() -> Option<(u16, String)> {
    Some((1009, "frame too large".into()))
}

#[tokio::test]
async fn ws_100k_feature_names_close_1009() {
    let mut live = Live::default().await;
    let names: Vec<String> = (0..100_000).map(|i| format!("f{i}")).collect();
    let text = json!({"jsonrpc": "2.0", "id": 1, "method": "setRequiredFeatures",
                      "params": {"features": names}})
    .to_string();
    assert!(text.len() > 64 * 1024);
    assert_eq!(
        close_after(&live.server, Message::text(text)).await,
        too_large()
    );
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_1mb_feature_name_closes_1009() {
    let mut live = Live::default().await;
    let text = json!({"jsonrpc": "2.0", "id": 1, "method": "setRequiredFeatures",
                      "params": {"features": ["k".repeat(1024 * 1024)]}})
    .to_string();
    assert_eq!(
        close_after(&live.server, Message::text(text)).await,
        too_large()
    );
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_oversized_frame_closes_1009() {
    let mut live = Live::default().await;
    // Just over the limit, and 200 KiB; text and binary alike.
    for size in [64 * 1024 + 1, 200 * 1024] {
        let text = "x".repeat(size);
        assert_eq!(
            close_after(&live.server, Message::text(text)).await,
            too_large(),
            "{size} bytes"
        );
    }
    assert_eq!(
        close_after(&live.server, Message::binary(vec![0u8; 200 * 1024])).await,
        too_large()
    );
    // Exactly 64 KiB is a frame like any other: a parse error, connection open.
    let mut bad = live.server.client().await;
    expect_error(
        &mut bad,
        &"x".repeat(64 * 1024),
        Value::Null,
        -32700,
        "parse error",
    )
    .await;
    still_open(&mut live, &mut bad).await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_invalid_utf8_text_frame_closes_1007() {
    let mut live = Live::default().await;
    let (mut ws, _) = within(
        "connect",
        tokio_tungstenite::connect_async(live.server.ws_url()),
    )
    .await
    .expect("connect");
    let frame = Frame::message(&b"{\"id\":\"\xff\"}"[..], OpCode::Data(Data::Text), true);
    within("send", ws.send(Message::Frame(frame)))
        .await
        .expect("send");
    // RFC 6455: invalid UTF-8 in a text frame fails the connection with 1007.
    let code = loop {
        match within("close", ws.next()).await {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("expected a close frame, got {e}"),
            None => break None,
        }
    };
    assert_eq!(code, Some(1007));
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_request_flood_is_rate_limited() {
    let mut live = Live::default().await;
    let mut bad = live.server.client().await;
    let total = 300;
    for id in 1..=total {
        bad.send_text(&json!({"jsonrpc": "2.0", "id": id, "method": "getInfo"}).to_string())
            .await;
    }
    let mut limited = Vec::new();
    for id in 1..=total {
        let response = bad.recv_raw().await;
        assert_eq!(response["id"], id, "responses in request order");
        if response.get("error").is_some() {
            assert_schema("response.error", &response);
            assert_eq!(
                response["error"],
                json!({"code": -32005, "message": "rate limit exceeded"}),
                "{response}"
            );
            limited.push(id);
        } else {
            assert_schema("response.getInfo", &response);
        }
    }
    // The burst of 100 passes; beyond it, the refill (20/s) cannot keep up.
    assert!(
        limited.first().is_some_and(|&first| first > 100),
        "the first 100 pass: {limited:?}"
    );
    assert!(
        limited.len() >= 100,
        "most of the other 200 are refused: {}",
        limited.len()
    );
    // Every frame counts, bad ones too: over the budget, a binary frame or a
    // frame that is not JSON gets -32005 rather than its own error.
    for _ in 0..10 {
        bad.send_binary(b"x".to_vec()).await;
        bad.send_text("{not json").await;
    }
    let (mut binary, mut not_json) = (0, 0);
    for i in 0..20 {
        let response = bad.recv_raw().await;
        assert_schema("response.error", &response);
        assert_eq!(response["id"], Value::Null);
        // Binary frames went out at even positions, non-JSON at odd ones.
        let own = if i % 2 == 0 { -32600 } else { -32700 };
        match response["error"]["code"].as_i64() {
            Some(-32005) if i % 2 == 0 => binary += 1,
            Some(-32005) => not_json += 1,
            Some(code) if code == own => {}
            _ => panic!("unexpected {response}"),
        }
    }
    assert!(binary > 0 && not_json > 0, "{binary} {not_json}");
    // The connection stays open and the budget refills: retry until a request passes.
    within("budget refill", async {
        loop {
            let response = bad.call("getInfo", None).await;
            if response.get("error").is_none() {
                assert_schema("response.getInfo", &response);
                break;
            }
            assert_schema("response.error", &response);
            assert_eq!(response["error"]["code"], -32005, "{response}");
        }
    })
    .await;
    // Other connections have their own budget.
    let info = live.watcher.result("getInfo", None).await;
    assert_eq!(info["success"], true);
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_connection_limit_refuses_with_503() {
    let mut config = wardcast::Config::default();
    config.broker.max_connections = 3;
    let mut live = Live::start(config).await;
    let url = live.server.ws_url();
    let connect = || tokio_tungstenite::connect_async(url.clone());
    // The watcher is one; two more fill the limit.
    let (mut second, _) = within("connect", connect()).await.expect("second");
    let (_third, _) = within("connect", connect()).await.expect("third");
    let refused = |result: Result<_, WsError>| match result {
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
        Err(other) => panic!("expected an HTTP answer, got {other}"),
        Ok(_) => panic!("a connection over the limit was accepted"),
    };
    assert_eq!(
        refused(within("connect", connect()).await.map(|_| ())),
        (503, "too many connections\n".to_string())
    );
    // One leaves; its slot frees once the broker has seen it go.
    within("close", second.close(None)).await.expect("close");
    let (mut fourth, _) = within("a slot frees", async {
        loop {
            match connect().await {
                Ok(ok) => break ok,
                Err(WsError::Http(r)) if r.status().as_u16() == 503 => continue,
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await;
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "getInfo"}).to_string();
    within("send", fourth.send(Message::text(request)))
        .await
        .expect("send");
    match within("receive", fourth.next()).await {
        Some(Ok(Message::Text(t))) => assert!(t.as_str().contains("\"result\""), "{t}"),
        other => panic!("expected the getInfo result, got {other:?}"),
    }
    // Full again.
    assert_eq!(
        refused(within("connect", connect()).await.map(|_| ())).0,
        503
    );
    live.assert_serving().await;
    live.shutdown().await;
}

#[tokio::test]
async fn ws_connect_disconnect_storm() {
    let mut config = wardcast::Config::default();
    config.broker.max_connections = 64;
    let mut live = Live::start(config).await;
    let url = live.server.ws_url();
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        live.server.addr
    );
    for i in 0..500 {
        match i % 5 {
            // Subscribed, then dropped without a close frame.
            0 => {
                let mut c = Client::connect(&url).await;
                c.subscribe(&["kill", "me", "game"]).await;
            }
            // Upgraded, then dropped at once.
            1 => drop(Client::connect(&url).await),
            // Closed properly.
            2 => {
                let (mut ws, _) = within("connect", tokio_tungstenite::connect_async(&url))
                    .await
                    .expect("connect");
                within("close", ws.close(None)).await.expect("close");
            }
            // Half an upgrade request, then gone.
            3 => {
                let mut tcp = within("tcp", TcpStream::connect(live.server.addr))
                    .await
                    .expect("tcp");
                let half = &handshake.as_bytes()[..handshake.len() / 2];
                within("write", tcp.write_all(half)).await.expect("write");
            }
            // The whole upgrade request, gone before the answer.
            _ => {
                let mut tcp = within("tcp", TcpStream::connect(live.server.addr))
                    .await
                    .expect("tcp");
                within("write", tcp.write_all(handshake.as_bytes()))
                    .await
                    .expect("write");
            }
        }
    }
    // No slot leaked: once the broker has seen every stormer go, all 64 can
    // be taken again: the watcher, 62 held here and a fresh client.
    let held = within("every slot frees", async {
        loop {
            let mut held = Vec::new();
            for _ in 0..62 {
                match tokio_tungstenite::connect_async(&url).await {
                    Ok((ws, _)) => held.push(ws),
                    Err(WsError::Http(r)) if r.status().as_u16() == 503 => break,
                    Err(e) => panic!("{e}"),
                }
            }
            if held.len() == 62 {
                break held;
            }
        }
    })
    .await;
    let mut fresh = live.server.client().await;
    let full = within("connect", tokio_tungstenite::connect_async(&url)).await;
    assert!(
        matches!(&full, Err(WsError::Http(r)) if r.status().as_u16() == 503),
        "the 65th is refused: {full:?}"
    );
    fresh.subscribe(&["kill"]).await;
    live.assert_serving().await;
    let (method, params) = fresh.note().await;
    assert_eq!(method, "onNewEvents");
    assert_eq!(event_data(&params)[0].1["kills"], json!(live.kills));
    drop(held);
    live.shutdown().await;
}
