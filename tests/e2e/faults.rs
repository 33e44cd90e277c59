//! Tournament mode under real faults: the `wardcast` binary as separate
//! processes over a real nats-server, so a `kill -9` and a SIGSTOP are real.
//! An ingest is killed and replaced, an edge is paused 30 s, an ingest is
//! paused 30 s while a second one takes over. Every client's kill events
//! (numbered by the `kills` each post carries) are checked for gaps, repeats
//! and order, and its seqs for order. Skipped without a nats-server, like
//! the in-process federation tests.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::{sleep, timeout, Instant};
use wardcast_bus::server::NatsServer;

use crate::util::*;

/// The bound of a wait that spans a fault (a lease expiring, an edge
/// catching up after a pause), on a slow, shared machine.
const LONG: Duration = Duration::from_secs(30);
/// The pause of an edge or an ingest (the scenario, not a synchronisation).
const PAUSE: Duration = Duration::from_secs(30);
/// How often a condition is polled, inside a bounded wait.
const POLL: Duration = Duration::from_millis(50);

/// Awaits `f` or fails the test after `limit`.
async fn within_for<F: std::future::Future>(what: &str, limit: Duration, f: F) -> F::Output {
    timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {limit:?}: {what}"))
}

/// One `wardcast serve --nats` process, its log kept for the assertions.
struct Node {
    name: &'static str,
    child: Child,
    addr: String,
    logs: Arc<Mutex<String>>,
}

impl Node {
    /// Starts `wardcast serve --listen 127.0.0.1:0 --nats URL --role ROLE`
    /// and waits for its banner.
    async fn start(name: &'static str, nats: &NatsServer, role: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wardcast"))
            .args(["serve", "--listen", "127.0.0.1:0", "--nats", &nats.url()])
            .args(["--role", role])
            .env("RUST_LOG", "info")
            // No GSI token or access token of the machine's user applies.
            .env(
                "XDG_CONFIG_HOME",
                std::env::temp_dir().join("wardcast-faults-no-config"),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn wardcast");
        let logs = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut logs = sink.lock().unwrap_or_else(|e| e.into_inner());
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let banner = within("banner", stdout.next_line())
            .await
            .expect("read stdout")
            .expect("a banner line");
        assert!(banner.contains("listening on"), "{name}: {banner}");
        let addr = banner.rsplit(' ').next().expect("address").to_string();
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Self {
            name,
            child,
            addr,
            logs,
        }
    }

    fn ws(&self) -> String {
        format!("ws://{}/ws?source=m1", self.addr)
    }

    fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Its log's warnings and errors, for the test's output.
    fn warnings(&self) -> String {
        let logs = self.logs();
        let lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .collect();
        format!("{} warned:\n{}", self.name, lines.join("\n"))
    }

    /// Sends `signal` (`STOP`, `CONT`) with kill(1).
    async fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running").to_string();
        let status = within(
            "kill(1)",
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status(),
        )
        .await
        .expect("run kill");
        assert!(status.success(), "kill -{signal} {}", self.name);
    }

    /// `kill -9`: nothing is flushed, no lease is given up.
    async fn kill9(mut self) {
        within("SIGKILL", self.child.kill()).await.expect("kill -9");
    }

    /// SIGTERM, and waits for a clean exit.
    async fn stop(mut self) {
        self.signal("TERM").await;
        let status = within_for("exit after SIGTERM", LONG, self.child.wait())
            .await
            .expect("wait");
        assert!(
            status.success(),
            "{} exited with {status}:\n{}",
            self.name,
            self.logs()
        );
    }

    /// Posts the game's state with `kills` kills until it is taken (a 503
    /// is retried), and returns how many posts were refused first.
    async fn post_kills(&self, http: &reqwest_lite::Client, kills: i64) -> u32 {
        let url = format!("http://{}/gsi/m1", self.addr);
        let body = serde_json::to_vec(&in_game(
            100 + kills,
            json!({"kills": kills, "kill_streak": kills}),
        ))
        .expect("json");
        within_for("a post taken", LONG, async {
            let mut refused = 0;
            loop {
                let (status, text) = within("post", http.post(&url, body.clone())).await;
                if status == 200 {
                    return refused;
                }
                assert_eq!(status, 503, "{}: {text}", self.name);
                refused += 1;
                sleep(POLL).await;
            }
        })
        .await
    }

    /// Waits until the node's engine has processed `n` snapshots of `m1`
    /// (an ingest holds posts until it holds the source's lease).
    async fn processed(&self, http: &reqwest_lite::Client, n: u64) {
        let url = format!("http://{}/api/overview?source=m1", self.addr);
        within_for("the ingest processes its posts", LONG, async {
            loop {
                let (status, body) = within("overview", http.get(&url)).await;
                assert_eq!(status, 200, "{body}");
                let overview: Value = serde_json::from_str(&body).expect("json");
                if overview["gsi"]["snapshots"].as_u64() >= Some(n) {
                    return;
                }
                sleep(POLL).await;
            }
        })
        .await;
    }

    /// The node's `listSources` entry of `m1`, once it has the match.
    async fn listed(&self) -> Value {
        within_for("the node lists m1 with its match", LONG, async {
            let mut client = Client::connect(&self.ws()).await;
            loop {
                let sources = client.result("listSources", None).await;
                if let Some(s) = sources["sources"].as_array().and_then(|l| {
                    l.iter()
                        .find(|s| s["source"] == "m1" && s["matchId"].is_string())
                }) {
                    return s.clone();
                }
                sleep(POLL).await;
            }
        })
        .await
    }
}

/// A client of `m1` subscribed to `kill`, holding every kill it got.
struct Watcher {
    name: String,
    client: Client,
    epoch: Value,
    /// The seq of the last notification (or of the subscription's result).
    seq: u64,
    /// Each kill event's `kills`, the seq of its notification and when it came.
    kills: Vec<(i64, u64, Instant)>,
}

impl Watcher {
    /// Connects to `node` and subscribes, retrying while the source is not ready.
    async fn subscribe(name: &str, node: &Node) -> Self {
        let mut client = Client::connect(&node.ws()).await;
        let result = within_for("m1 takes subscriptions", LONG, async {
            loop {
                let result = client.subscribe(&["kill"]).await;
                if result["success"] == true {
                    return result;
                }
                sleep(POLL).await;
            }
        })
        .await;
        // Before it was subscribed the client heard the game start
        // (onGameInfoUpdated, as Overwolf's gameLaunched): older seqs, sent
        // before the result.
        let seq = result["seq"].as_u64().expect("seq");
        for early in client.take_queued() {
            assert_eq!(early["method"], "onGameInfoUpdated", "{early}");
            assert!(early["params"]["seq"].as_u64() < Some(seq), "{early}");
        }
        Self {
            name: format!("{name} (on {})", node.name),
            client,
            epoch: result["epoch"].clone(),
            seq: result["seq"].as_u64().expect("seq"),
            kills: Vec::new(),
        }
    }

    /// A client that connects to `node` and resumes with `epoch` and
    /// `since`; returns it with the result.
    async fn resumed(name: &str, node: &Node, epoch: Value, since: u64) -> (Self, Value) {
        let mut watcher = Self {
            name: format!("{name} (on {})", node.name),
            client: Client::connect(&node.ws()).await,
            epoch,
            seq: since,
            kills: Vec::new(),
        };
        let result = watcher.resume().await;
        (watcher, result)
    }

    /// Leaves its node (as a client whose edge stopped answering does) and
    /// resumes on `node` with its epoch and last seq; returns the result.
    async fn resume_on(&mut self, node: &Node) -> Value {
        self.client = Client::connect(&node.ws()).await;
        self.name = format!("{} then {}", self.name, node.name);
        self.resume().await
    }

    async fn resume(&mut self) -> Value {
        let params = json!({"features": ["kill"], "epoch": self.epoch, "since": self.seq});
        self.client.result("resume", Some(params)).await
    }

    /// Reads until a kill event numbered `last` or more, checking that seqs
    /// only go up and that no kill comes twice or out of order.
    async fn until(&mut self, last: i64) {
        while self.kills.last().is_none_or(|k| k.0 < last) {
            let note = self.client.notification().await;
            let seq = note["params"]["seq"].as_u64().expect("seq");
            assert!(
                seq > self.seq,
                "{}: seq {seq} after {} in {note}",
                self.name,
                self.seq
            );
            self.seq = seq;
            if note["method"] != "onNewEvents" {
                continue;
            }
            for (name, data) in event_data(&note["params"]) {
                if name != "kill" {
                    continue;
                }
                let kills = data["kills"].as_i64().expect("kills");
                if let Some(&(before, ..)) = self.kills.last() {
                    assert!(
                        kills > before,
                        "{}: kill {kills} after kill {before}: a repeat or out of order",
                        self.name
                    );
                }
                self.kills.push((kills, seq, Instant::now()));
            }
        }
    }

    /// The `kills` of every kill event, in the order they came.
    fn numbers(&self) -> Vec<i64> {
        self.kills.iter().map(|k| k.0).collect()
    }

    /// The seq of the notification of kill `n`.
    fn seq_of(&self, n: i64) -> u64 {
        self.kills
            .iter()
            .find(|k| k.0 == n)
            .map(|k| k.1)
            .unwrap_or_else(|| panic!("{} got no kill {n}", self.name))
    }
}

/// `1..=last`, the kill events a client must get, once each, in order.
fn one_to(last: i64) -> Vec<i64> {
    (1..=last).collect()
}

/// The ingest is killed with `kill -9` in the middle of a stream; a new
/// ingest process waits for the dead one's lease to expire (`LEASE_TTL`),
/// goes on in the same epoch, and the edge's clients get every kill once, in
/// order. With `stored_first`, the kill waits until one client has the last
/// kill posted (so the stream holds every post answered 200); else it comes
/// right after the last post's 200.
async fn kill9_and_replace_the_ingest(stored_first: bool) {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let http = reqwest_lite::Client::new();
    let edge = Node::start("edge", &nats, "edge").await;
    let first = Node::start("ingest 1", &nats, "ingest").await;
    first.post_kills(&http, 0).await;
    let epoch = edge.listed().await["epoch"].clone();
    let mut clients = Vec::new();
    for i in 0..3 {
        let client = Watcher::subscribe(&format!("client {i}"), &edge).await;
        assert_eq!(client.epoch, epoch);
        clients.push(client);
    }
    for k in 1..=10 {
        first.post_kills(&http, k).await;
    }
    for c in &mut clients {
        c.until(10).await;
    }
    // Mid-stream: clients 1 and 2 have not read kills 11 to 20 when it dies.
    for k in 11..=20 {
        first.post_kills(&http, k).await;
    }
    if stored_first {
        clients[0].until(20).await;
    }
    first.kill9().await;

    // The game goes on posting its state to a new ingest: first the state it
    // had (unchanged, so no kill), then new kills. The new ingest answers
    // 200 and queues them until it holds the source.
    let started = Instant::now();
    let second = Node::start("ingest 2", &nats, "ingest").await;
    let mut refused = second.post_kills(&http, 20).await;
    refused += second.post_kills(&http, 21).await;
    second.processed(&http, 2).await;
    for c in &mut clients {
        c.until(21).await;
    }
    eprintln!(
        "the new ingest took over {:.1} s after the kill ({refused} posts refused meanwhile)",
        started.elapsed().as_secs_f64()
    );
    for k in 22..=30 {
        second.post_kills(&http, k).await;
    }
    for c in &mut clients {
        c.until(30).await;
        assert_eq!(
            c.numbers(),
            one_to(30),
            "{}: every kill once, in order, across the kill -9",
            c.name,
        );
    }
    assert_eq!(edge.listed().await["epoch"], epoch, "the same epoch");

    // The stored history spans the kill: a client that left after kill 5
    // resumes and gets exactly 6 to 30.
    let since = clients[0].seq_of(5);
    let (mut late, resumed) = Watcher::resumed("late", &edge, epoch.clone(), since).await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    assert_eq!(resumed["epoch"], epoch);
    late.until(30).await;
    assert_eq!(late.numbers(), (6..=30).collect::<Vec<_>>());
    second.stop().await;
    edge.stop().await;
}

#[tokio::test]
async fn an_ingest_killed_with_sigkill_is_replaced_and_clients_lose_and_repeat_nothing() {
    kill9_and_replace_the_ingest(true).await;
}

/// The same, with the kill right after the last post's 200: the ingest
/// answers 200 when it has queued a body, before the stream holds its batch,
/// so a body answered 200 can die with it; the new ingest's first body is a
/// baseline, so that body's kill is never sent (lost in about half the runs).
#[tokio::test]
async fn a_body_answered_200_survives_a_kill_9_of_the_ingest() {
    kill9_and_replace_the_ingest(false).await;
}

/// Edge A is stopped (SIGSTOP) for 30 s while the game posts every 100 ms.
/// Edge B's clients get every kill, live, throughout. A client of A that
/// gives up on it resumes on B and gets exactly what it missed. After
/// SIGCONT, A's clients get everything they missed, in order, once each,
/// without being closed.
#[tokio::test]
async fn an_edge_paused_30_s_catches_up_and_the_other_edge_is_unaffected() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let http = reqwest_lite::Client::new();
    let ingest = Node::start("ingest", &nats, "ingest").await;
    let a = Node::start("edge A", &nats, "edge").await;
    let b = Node::start("edge B", &nats, "edge").await;
    ingest.post_kills(&http, 0).await;
    let epoch = a.listed().await["epoch"].clone();
    assert_eq!(b.listed().await["epoch"], epoch, "one epoch on every edge");
    let mut on_a = Vec::new();
    for i in 0..3 {
        on_a.push(Watcher::subscribe(&format!("client {i}"), &a).await);
    }
    let mut on_b = Vec::new();
    for i in 0..2 {
        on_b.push(Watcher::subscribe(&format!("client {i}"), &b).await);
    }
    for k in 1..=5 {
        ingest.post_kills(&http, k).await;
    }
    for c in on_a.iter_mut().chain(on_b.iter_mut()) {
        assert_eq!(c.epoch, epoch);
        c.until(5).await;
    }
    let mut moving = on_a.pop().expect("a third client of A");

    a.signal("STOP").await;
    let paused = Instant::now();
    // The game posts every 100 ms, through the pause and 5 s beyond it.
    const LAST: i64 = 5 + 350;
    let (posted_tx, mut posted) = tokio::sync::watch::channel(5i64);
    let poster = tokio::spawn(async move {
        let mut taken = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        for k in 6..=LAST {
            tick.tick().await;
            ingest.post_kills(&http, k).await;
            taken.push((k, Instant::now()));
            posted_tx.send_replace(k);
        }
        (ingest, taken)
    });
    let readers_b: Vec<_> = on_b
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                c.until(LAST).await;
                c
            })
        })
        .collect();

    // A client of A gives up on it a while into the pause and resumes on B.
    within_for("posts go on", LONG, posted.wait_for(|k| *k >= 50))
        .await
        .expect("the poster runs");
    let resumed = moving.resume_on(&b).await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    assert_eq!(resumed["epoch"], epoch);
    let mover = tokio::spawn(async move {
        moving.until(LAST).await;
        moving
    });

    // The pause itself (the scenario, not a synchronisation).
    tokio::time::sleep_until(paused + PAUSE).await;
    a.signal("CONT").await;
    let resumed_at = Instant::now();
    let readers_a: Vec<_> = on_a
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                c.until(LAST).await;
                c
            })
        })
        .collect();

    let (ingest, taken) = within_for("the posts", LONG, poster)
        .await
        .expect("the poster");
    for reader in readers_b {
        let c = within_for("edge B's clients", LONG, reader)
            .await
            .expect("a client of B");
        assert_eq!(c.numbers(), one_to(LAST), "{}", c.name);
        // Live throughout: each kill within 5 s of its post's answer.
        for ((k, _, got), (posted, at)) in c.kills[5..].iter().zip(&taken) {
            assert_eq!(k, posted);
            let lag = got.saturating_duration_since(*at);
            assert!(
                lag < Duration::from_secs(5),
                "{}: kill {k} came {lag:?} late",
                c.name
            );
        }
    }
    let moved = within_for("the client that moved", LONG, mover)
        .await
        .expect("the moved client");
    assert_eq!(moved.numbers(), one_to(LAST), "{}", moved.name);
    for reader in readers_a {
        let c = within_for("edge A's clients catch up", LONG, reader)
            .await
            .unwrap_or_else(|e| panic!("a client of A: {e}\nedge A log:\n{}", a.logs()));
        assert_eq!(c.numbers(), one_to(LAST), "{}", c.name);
        // What was posted before SIGCONT, A's clients have how long after it.
        let (missed, _) = taken
            .iter()
            .rfind(|(_, at)| *at < resumed_at)
            .expect("posts during the pause");
        let caught_up = c.kills[usize::try_from(*missed).expect("index") - 1].2;
        eprintln!(
            "{} had the {} kills posted during the pause {:.1} s after SIGCONT",
            c.name,
            missed - 5,
            caught_up
                .saturating_duration_since(resumed_at)
                .as_secs_f64()
        );
    }
    eprintln!("{}", a.warnings());
    assert_eq!(a.listed().await["epoch"], epoch);
    assert_eq!(b.listed().await["epoch"], epoch);
    ingest.stop().await;
    a.stop().await;
    b.stop().await;
}

/// Ingest 1 is stopped (SIGSTOP) for 30 s; its lease lapses and ingest 2
/// takes the source over. When ingest 1 goes on (SIGCONT), with the game of
/// its observer PC still posting to it, it writes nothing over ingest 2: the
/// edge's client gets ingest 2's kills only, once each, in order.
#[tokio::test]
async fn an_ingest_paused_30_s_cannot_write_over_the_one_that_took_over() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let http = reqwest_lite::Client::new();
    let edge = Node::start("edge", &nats, "edge").await;
    let first = Node::start("ingest 1", &nats, "ingest").await;
    first.post_kills(&http, 0).await;
    let epoch = edge.listed().await["epoch"].clone();
    let mut client = Watcher::subscribe("client", &edge).await;
    for k in 1..=5 {
        first.post_kills(&http, k).await;
    }
    client.until(5).await;

    first.signal("STOP").await;
    let paused = Instant::now();
    let second = Node::start("ingest 2", &nats, "ingest").await;
    second.post_kills(&http, 5).await; // the same state: a baseline
    second.post_kills(&http, 6).await;
    // It takes over once the lease lapses.
    second.processed(&http, 2).await;
    client.until(6).await;
    for k in 7..=10 {
        second.post_kills(&http, k).await;
    }
    client.until(10).await;

    // The pause itself (the scenario, not a synchronisation).
    tokio::time::sleep_until(paused + PAUSE).await;
    first.signal("CONT").await;
    // Its observer's game still posts to it (kills numbered from 100), on a
    // new connection: the server may close one kept alive across the pause
    // just as a request arrives on it.
    let body =
        serde_json::to_vec(&in_game(400, json!({"kills": 100, "kill_streak": 1}))).expect("json");
    let (status, text) = within(
        "a post to ingest 1",
        reqwest_lite::Client::new().post(&format!("http://{}/gsi/m1", first.addr), body),
    )
    .await;
    eprintln!("ingest 1 answered {status} {text:?} after SIGCONT");
    within_for("ingest 1 finds it is fenced off", LONG, async {
        while !first
            .logs()
            .contains("written by another ingest (stream sequence")
        {
            sleep(POLL).await;
        }
    })
    .await;
    for k in 11..=15 {
        second.post_kills(&http, k).await;
    }
    client.until(15).await;
    assert_eq!(client.numbers(), one_to(15), "ingest 2's kills only");
    assert_eq!(edge.listed().await["epoch"], epoch, "the same epoch");
    eprintln!("{}", first.warnings());
    first.stop().await;
    second.stop().await;
    edge.stop().await;
}

/// An edge process carrying clients is killed with `kill -9` mid-stream
/// (its sockets vanish, no close frame); its clients reconnect to the other
/// edge and resume there with their epoch and last seq: every kill once, in
/// order, and the other edge's clients never notice.
#[tokio::test]
async fn an_edge_killed_with_sigkill_loses_its_clients_nothing() {
    let Some(nats) = NatsServer::start().await else {
        return;
    };
    let http = reqwest_lite::Client::new();
    let doomed = Node::start("edge A", &nats, "edge").await;
    let other = Node::start("edge B", &nats, "edge").await;
    let ingest = Node::start("ingest", &nats, "ingest").await;
    ingest.post_kills(&http, 0).await;
    let mut on_doomed = Vec::new();
    for i in 0..3 {
        on_doomed.push(Watcher::subscribe(&format!("client {i}"), &doomed).await);
    }
    let mut bystander = Watcher::subscribe("bystander", &other).await;
    for k in 1..=10 {
        ingest.post_kills(&http, k).await;
    }
    for watcher in &mut on_doomed {
        watcher.until(10).await;
    }
    doomed.kill9().await;
    // The game posts on while the clients find their edge gone.
    for k in 11..=20 {
        ingest.post_kills(&http, k).await;
    }
    for watcher in &mut on_doomed {
        let result = watcher.resume_on(&other).await;
        assert_eq!(result["recovered"], true, "{}: {result}", watcher.name);
        watcher.until(20).await;
        assert_eq!(watcher.numbers(), one_to(20), "{}", watcher.name);
    }
    bystander.until(20).await;
    assert_eq!(bystander.numbers(), one_to(20), "the other edge's client");
    ingest.stop().await;
    other.stop().await;
}
