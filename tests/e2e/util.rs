//! Shared helpers: a broker under test, a schema-validating client, fixtures.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The timeout of every await in the tests.
pub const T: Duration = Duration::from_secs(10);

/// Awaits `f` or fails the test after [`T`].
pub async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    timeout(T, f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The 12 real posts of a player-mode match lifecycle (menu to post-game).
pub fn lifecycle() -> Vec<Value> {
    sequence("player_lifecycle_12")
}

/// The bodies of an engine sequence fixture (`tests/sequences/<name>.json`).
pub fn sequence(name: &str) -> Vec<Value> {
    let path = repo().join(format!("games/dota2/tests/sequences/{name}.json"));
    match read_json(&path) {
        Value::Array(v) => v,
        _ => panic!("fixture {name} is an array"),
    }
}

/// The game clock of the last body of a sequence.
pub fn last_clock(bodies: &[Value]) -> i64 {
    bodies
        .last()
        .and_then(|b| b["map"]["clock_time"].as_i64())
        .expect("the last body has a clock")
}

/// A real in-game body (lifecycle post 10) with player fields overridden.
pub fn in_game(clock: i64, player: Value) -> Value {
    let mut body = lifecycle()[10].clone();
    let obj = body.as_object_mut().expect("object");
    obj.remove("previously");
    obj.remove("added");
    body["map"]["clock_time"] = clock.into();
    if let (Some(p), Value::Object(over)) = (body["player"].as_object_mut(), player) {
        p.extend(over);
    }
    body
}

/// Compiled schemas by name: messages (`notification.onNewEvents`), event
/// data (`data/kill`), info values (`info/me.hero`) and `status`.
pub fn schemas() -> &'static HashMap<String, jsonschema::Validator> {
    static SCHEMAS: OnceLock<HashMap<String, jsonschema::Validator>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut out = HashMap::new();
        // Dota 2's payloads in data/ and info/, each other game's in its own
        // folder (cs2/data/, cs2/info/).
        for (sub, prefix) in [
            ("", ""),
            ("data", "data/"),
            ("info", "info/"),
            ("cs2/data", "cs2/data/"),
            ("cs2/info", "cs2/info/"),
        ] {
            let dir = repo().join("protocol/schemas").join(sub);
            if !dir.is_dir() && sub.starts_with("cs2") {
                continue;
            }
            for entry in std::fs::read_dir(&dir).expect("protocol/schemas") {
                let path = entry.expect("entry").path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let Some(stem) = name.strip_suffix(".schema.json") else {
                    continue;
                };
                let schema = read_json(&path);
                let validator =
                    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
                out.insert(format!("{prefix}{stem}"), validator);
            }
        }
        assert!(out.len() >= 13, "schemas missing");
        out
    })
}

/// Overwolf's class id of Dota 2, whose payload schemas are `data/`, `info/`.
pub const DOTA2: u64 = 7314;
/// Overwolf's class id of Counter-Strike 2 (`cs2/data/`, `cs2/info/`).
pub const CS2: u64 = 22730;

/// Validates each event's data and each info value of a notification against
/// the payload schema of the game of Overwolf class id `class_id`
/// (string-format values are parsed first).
pub fn assert_game_payload_schemas(msg: &Value, class_id: u64) {
    let folder = if class_id == CS2 { "cs2/" } else { "" };
    let params = &msg["params"];
    let decode = |v: &Value| match v {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    };
    match msg["method"].as_str() {
        Some("onNewEvents") => {
            for e in params["events"].as_array().into_iter().flatten() {
                let name = e["name"].as_str().unwrap_or_default();
                assert_schema(&format!("{folder}data/{name}"), &decode(&e["data"]));
            }
        }
        Some("onInfoUpdates2") => {
            for (category, keys) in params["info"].as_object().into_iter().flatten() {
                for (key, value) in keys.as_object().into_iter().flatten() {
                    if value.is_null() {
                        continue;
                    }
                    // In string format a value may be a plain string ("invoker",
                    // a Steam id) or JSON text ("{\"radiant\":1}", "55"): accept either reading.
                    let name = format!("{folder}info/{category}.{key}");
                    let validator = schemas()
                        .get(&name)
                        .unwrap_or_else(|| panic!("no schema {name}"));
                    let parsed = value
                        .as_str()
                        .and_then(|s| serde_json::from_str::<Value>(s).ok());
                    if !validator.is_valid(value)
                        && !parsed.as_ref().is_some_and(|p| validator.is_valid(p))
                    {
                        assert_schema(&name, parsed.as_ref().unwrap_or(value));
                    }
                }
            }
        }
        _ => {}
    }
}

/// Fails the test if `message` does not match schema `name`.
pub fn assert_schema(name: &str, message: &Value) {
    let validator = schemas()
        .get(name)
        .unwrap_or_else(|| panic!("no schema {name}"));
    let errors: Vec<String> = validator
        .iter_errors(message)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} violated by {message}: {errors:#?}"
    );
}

/// A broker under test, running `wardcast::run` in this process.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), wardcast::Error>>>,
    http: reqwest_lite::Client,
}

impl Server {
    pub async fn start(config: wardcast::Config) -> Self {
        // `WARDCAST_TEST_LOG=wardcast=debug` shows the servers' logs (with --nocapture).
        if let Ok(filter) = std::env::var("WARDCAST_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let listener = within("bind", TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(wardcast::run(config, listener, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
            http: reqwest_lite::Client::new(),
        }
    }

    pub async fn default() -> Self {
        Self::start(wardcast::Config::default()).await
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn gsi_url(&self) -> String {
        format!("http://{}/gsi", self.addr)
    }

    /// Posts raw bytes to `/gsi` and returns the status and body text.
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, String) {
        within("post", self.http.post(&self.gsi_url(), body)).await
    }

    /// Posts a JSON body to `/gsi`, asserting 200.
    pub async fn post(&self, body: &Value) {
        let (status, text) = self.post_raw(serde_json::to_vec(body).expect("json")).await;
        assert_eq!(status, 200, "post refused: {text}");
    }

    /// Posts a JSON body to `/gsi/<source>` and returns the status and body text.
    pub async fn post_to(&self, source: &str, body: &Value) -> (u16, String) {
        let url = format!("http://{}/gsi/{source}", self.addr);
        within(
            "post",
            self.http
                .post(&url, serde_json::to_vec(body).expect("json")),
        )
        .await
    }

    /// A client of one source (`/ws?source=<source>`).
    pub async fn client_of(&self, source: &str) -> Client {
        Client::connect(&format!("{}?source={source}", self.ws_url())).await
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        within("get", self.http.get(&format!("http://{}{path}", self.addr))).await
    }

    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }

    /// Stops the broker and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            within("broker stop", task)
                .await
                .expect("join")
                .expect("run ok");
        }
    }
}

/// A WebSocket client that validates everything it receives.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Notifications that arrived while waiting for a response.
    queued: VecDeque<Value>,
    /// The class id of the game the client's source carries, as the broker
    /// last told it (getRunningGameInfo, onGameInfoUpdated): the payloads
    /// are checked against that game's schemas.
    class_id: u64,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = within("connect", tokio_tungstenite::connect_async(url))
            .await
            .expect("connect");
        Self {
            ws,
            next_id: 1,
            queued: VecDeque::new(),
            class_id: DOTA2,
        }
    }

    /// Connects over a socket with a small receive buffer (for slow-reader tests).
    pub async fn connect_with_recv_buffer(server: &Server, size: u32) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(size).expect("rcvbuf");
        let stream = within("tcp", socket.connect(server.addr))
            .await
            .expect("connect");
        let (ws, _) = within(
            "handshake",
            tokio_tungstenite::client_async(server.ws_url(), MaybeTlsStream::Plain(stream)),
        )
        .await
        .expect("handshake");
        Self {
            ws,
            next_id: 1,
            queued: VecDeque::new(),
            class_id: DOTA2,
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        within("send", self.ws.send(Message::text(text)))
            .await
            .expect("send");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        within("send", self.ws.send(Message::binary(bytes)))
            .await
            .expect("send");
    }

    /// The next JSON message, whatever it is.
    pub async fn recv_raw(&mut self) -> Value {
        loop {
            let msg = within("receive", self.ws.next())
                .await
                .expect("stream open")
                .expect("frame");
            match msg {
                Message::Text(t) => {
                    return serde_json::from_str(t.as_str()).expect("broker sent JSON")
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Sends a request and returns the whole response, validated against
    /// `response.<method>` (or `response.error`).
    pub async fn call(&mut self, method: &str, params: Option<Value>) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut req = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(p) = params {
            req["params"] = p;
        }
        assert_schema(&format!("request.{method}"), &req);
        self.send_text(&req.to_string()).await;
        self.response(id).await
    }

    /// Waits for the response with this id, queueing notifications.
    pub async fn response(&mut self, id: u64) -> Value {
        loop {
            let msg = self.recv_raw().await;
            if msg.get("method").is_some() {
                self.validate_notification(&msg);
                self.queued.push_back(msg);
                continue;
            }
            assert_eq!(
                msg["id"],
                json!(id),
                "responses arrive in request order: {msg}"
            );
            return msg;
        }
    }

    /// Calls and returns the `result`, validated against its schema.
    pub async fn result(&mut self, method: &str, params: Option<Value>) -> Value {
        let response = self.call(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        assert_schema(&format!("response.{method}"), &response);
        if method == "getRunningGameInfo" {
            if let Some(id) = response["result"]["classId"].as_u64() {
                self.class_id = id;
            }
        }
        response["result"].clone()
    }

    /// Subscribes and returns the result.
    pub async fn subscribe(&mut self, features: &[&str]) -> Value {
        self.result("setRequiredFeatures", Some(json!({ "features": features })))
            .await
    }

    fn validate_notification(&mut self, msg: &Value) {
        let method = msg["method"].as_str().expect("method");
        assert_schema(&format!("notification.{method}"), msg);
        if let Some(id) = msg["params"]["gameInfo"]["classId"].as_u64() {
            self.class_id = id;
        }
        assert_game_payload_schemas(msg, self.class_id);
    }

    /// Takes the notifications that arrived before the last response (and
    /// were queued while waiting for it).
    #[cfg_attr(not(feature = "nats"), allow(dead_code))] // used by the tournament-mode faults
    pub fn take_queued(&mut self) -> Vec<Value> {
        self.queued.drain(..).collect()
    }

    /// The next notification, validated.
    pub async fn notification(&mut self) -> Value {
        if let Some(n) = self.queued.pop_front() {
            return n;
        }
        let msg = self.recv_raw().await;
        assert!(
            msg.get("method").is_some(),
            "expected a notification, got {msg}"
        );
        self.validate_notification(&msg);
        msg
    }

    /// The next notification's method and params, with `seq` removed.
    pub async fn note(&mut self) -> (String, Value) {
        let mut n = self.notification().await;
        let method = n["method"].as_str().unwrap_or_default().to_string();
        let mut params = n["params"].take();
        if let Some(p) = params.as_object_mut() {
            p.remove("seq");
        }
        (method, params)
    }

    /// The next raw frame, for tests that watch the connection itself.
    pub async fn ws_next(
        &mut self,
    ) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
        self.ws.next().await
    }

    /// Waits until the connection is closed and returns the close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match within("close", self.ws.next()).await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// The parsed data of each event in an `onNewEvents` params (string format).
pub fn event_data(params: &Value) -> Vec<(String, Value)> {
    params["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let data = match &e["data"] {
                Value::String(s) if s.is_empty() => Value::Null,
                Value::String(s) => serde_json::from_str(s).expect("data is JSON text"),
                other => other.clone(),
            };
            (e["name"].as_str().unwrap_or_default().to_string(), data)
        })
        .collect()
}

/// A tiny HTTP/1.1 client for posting GSI bodies, on hyper.
pub mod reqwest_lite {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::{connect::HttpConnector, Client as Hyper};
    use hyper_util::rt::TokioExecutor;

    pub struct Client(Hyper<HttpConnector, Full<Bytes>>);

    impl Client {
        pub fn new() -> Self {
            Self(Hyper::builder(TokioExecutor::new()).build_http())
        }

        async fn send(&self, req: hyper::Request<Full<Bytes>>) -> (u16, String) {
            let res = self.0.request(req).await.expect("http request");
            let status = res.status().as_u16();
            let body = res.into_body().collect().await.expect("body").to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }

        pub async fn post(&self, url: &str, body: Vec<u8>) -> (u16, String) {
            let req = hyper::Request::post(url)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))
                .expect("request");
            self.send(req).await
        }

        pub async fn get(&self, url: &str) -> (u16, String) {
            let req = hyper::Request::get(url)
                .body(Full::new(Bytes::new()))
                .expect("request");
            self.send(req).await
        }
    }
}
