//! `wardcast-bench`: the fan-out benchmark of issue 6 (see `BENCHMARKS.md`).
//!
//! A separate binary of the workspace (package `wardcast-bench`), not a
//! `wardcast` subcommand. Build with `cargo build --release -p wardcast-bench`;
//! run for example
//!
//! ```text
//! target/release/wardcast-bench --scenario fanout --clients 10,100,1000,5000
//! ```
//!
//! For each scenario and client count it runs Wardcast, the floor
//! (`wardcast-floor`) and the Node relay (`bench/node-relay`) one after the
//! other, each in its own process started here, with the same clients, the
//! same GSI bodies and the same measurement, and prints a table with the
//! ratios (or JSON with `--json`). Hidden modes: `--worker` (a client worker
//! process) and `--serve-wardcast` (Wardcast under test); both are started by
//! the bench itself.
//!
//! Tournament mode (issue 11): the `wardcast-nats` target is a federated
//! deployment started here, a nats-server with JetStream, one ingest node and
//! `--edges` edge nodes, each in its own process; the GSI bodies of
//! `--matches` sources (`m0`, `m1`, ...) are posted to the ingest, the clients
//! connect to the edges, and CPU is read for every process
//! (scenarios `nats-hop`, `tournament`, `edges-100k`).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::{sleep, sleep_until, timeout, Instant};

use wardcast_bench::clock::now_ns;
use wardcast_bench::http::HttpConn;
use wardcast_bench::procstat;
use wardcast_bench::report::{self, ProcFigures, RunResult};
use wardcast_bench::worker::{
    self, ClientSpec, Command as WorkerCommand, Protocol, Report, StreamSpec, WorkerConfig,
};
use wardcast_bench::workload::{self, Mode};
use wardcast_bench::{frames, server};

/// Scenarios of issue 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
    /// N clients subscribed to every feature, R snapshots/s (`--clients`, default 10,100,1000,5000).
    Fanout,
    /// 1000 clients, each subscribed to 3 features (ten different triples).
    Selective,
    /// 1000 clients, with and without one more client that stops reading.
    Slow,
    /// 10,000 idle connections (subscribed, nothing posted): RSS per connection.
    Idle,
    /// 1000 clients: raise R until p99 passes `--p99-bound-ms`.
    Rate,
    /// CI smoke: 10 clients, 2 s, Wardcast and the floor; fails on loss or reordering.
    Smoke,
    /// The cost of the NATS hop: fanout at N = 1000 (`--clients`), embedded
    /// (`wardcast`) and federated (`wardcast-nats`: nats-server + ingest + one edge).
    NatsHop,
    /// Tournament: `--matches` (10) sources at `--rate` (10/s) each through one
    /// ingest, spectator bodies, `--edges` (3) edges, 2,500 clients per edge by
    /// default (`--clients`), each client on one source.
    Tournament,
    /// 100,000 clients (`--clients`) over `--edges` (6) edges, one source at
    /// 0.1 posts/s: RSS and fds per connection per edge, time for a broadcast
    /// to reach the last client.
    #[value(name = "edges-100k")]
    Edges100k,
    /// Fanout, selective, slow, idle and rate, in that order.
    All,
}

/// Servers the bench can start itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    /// Wardcast (`wardcast::run`), in a bench-owned process.
    Wardcast,
    /// `wardcast-floor`: pre-serialized frames, one write per client per snapshot.
    Floor,
    /// The Node relay in `bench/node-relay` (npm `ws`), one `ws.send` per frame.
    Node,
    /// The same relay with `--cork`: each client's frames of a snapshot in one write.
    NodeCork,
    /// Tournament mode: nats-server (JetStream) + one ingest + `--edges` edges,
    /// each its own process; clients on the edges, posts to the ingest.
    WardcastNats,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Wardcast => "wardcast",
            Target::Floor => "floor",
            Target::Node => "node",
            Target::NodeCork => "node-cork",
            Target::WardcastNats => "wardcast-nats",
        }
    }
}

/// Wardcast's fan-out benchmark: Wardcast, the floor and the Node relay, side by side.
#[derive(Debug, Parser)]
#[command(name = "wardcast-bench", version)]
struct Args {
    /// What to run.
    #[arg(long, value_enum, default_value = "fanout")]
    scenario: Scenario,
    /// Servers to run, in this order, for every step (default: floor, wardcast,
    /// node, node-cork; smoke: floor, wardcast).
    #[arg(long, value_enum, value_delimiter = ',')]
    targets: Vec<Target>,
    /// Client counts (fanout; the first is used by selective, slow, rate and idle when given).
    #[arg(long, value_delimiter = ',')]
    clients: Vec<usize>,
    /// Snapshots posted per second, per source (default 10; edges-100k: 0.1,
    /// one broadcast every 10 s, so that each is measured alone).
    #[arg(long)]
    rate: Option<f64>,
    /// Edge processes of the `wardcast-nats` target; a list runs each in turn
    /// (default: 1; tournament: 3; edges-100k: 6).
    #[arg(long, value_delimiter = ',')]
    edges: Vec<usize>,
    /// GSI sources (matches), `m0`, `m1`, ..., each its own body sequence
    /// posted at `--rate`, clients spread evenly over them (default: 1;
    /// tournament: 10).
    #[arg(long)]
    matches: Option<usize>,
    /// Tournament mode: JetStream streams in memory instead of files.
    #[arg(long)]
    nats_memory: bool,
    /// Rates tried by the rate search, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,20,40,80,120,160,240,320,480,640"
    )]
    rates: Vec<f64>,
    /// The p99 bound of the rate search, ms.
    #[arg(long, default_value_t = 50.0)]
    p99_bound_ms: f64,
    /// Seconds measured per run (the rate search uses at most 5).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Snapshots posted before measuring (at least 2: the first yields no marker).
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// The features every client subscribes to (fanout, slow, idle, rate, smoke;
    /// default: every feature of the catalogue). Keep `clock_time_changed`: it
    /// carries the marker.
    #[arg(long, value_delimiter = ',')]
    features: Vec<String>,
    /// Whose view the posted match is (player: about 5.7 KB bodies; spectator:
    /// about 47 KB; default: player, tournament: spectator).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Client source addresses: 127.0.0.1 to 127.0.0.K.
    #[arg(long, default_value_t = 8)]
    source_ips: u8,
    /// Clients per worker process (each process stays far below the 20,000 open files limit).
    #[arg(long, default_value_t = 2500)]
    per_worker: usize,
    /// Seconds the idle scenario holds its connections before reading RSS.
    #[arg(long, default_value_t = 5.0)]
    idle_hold: f64,
    /// SO_RCVBUF of the slow client, bytes.
    #[arg(long, default_value_t = 4096)]
    slow_rcvbuf: u32,
    /// Attach `strace -c -f` to the server for the measured window and report
    /// writes per client per snapshot (latency and CPU are then not representative).
    #[arg(long)]
    strace: bool,
    /// Benchmark a running server instead: its WebSocket URL (`ws://HOST:PORT/ws`).
    #[arg(long)]
    url: Option<String>,
    /// With `--url`: where to POST the GSI bodies (default: `http://HOST:PORT/gsi`).
    #[arg(long)]
    post_url: Option<String>,
    /// With `--url`: the server's pid, to read its CPU and RSS.
    #[arg(long)]
    pid: Option<u32>,
    /// With `--url`: the server speaks no protocol (a floor): do not subscribe.
    #[arg(long)]
    raw: bool,
    /// The Node relay script.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/node-relay/relay.js"))]
    node_relay: PathBuf,
    /// Run every step this many times, the targets taking turns (results
    /// carry `repeat`: 0, 1, ...), to see the spread on a shared machine.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Also write the results as JSON to this file (`-`: stdout, instead of the table).
    #[arg(long)]
    json: Option<String>,
}

/// One run to make.
#[derive(Debug, Clone)]
struct RunSpec {
    scenario: &'static str,
    target: Option<Target>,
    clients: usize,
    rate: f64,
    duration: f64,
    groups: Vec<Vec<String>>,
    slow: bool,
    idle: bool,
    /// Edge processes (`wardcast-nats` only).
    edges: usize,
    /// GSI sources posted to, clients spread over them.
    matches: usize,
    mode: Mode,
}

/// One process of a server under test.
struct Proc {
    /// `wardcast`, `floor`, ..., or in tournament mode `nats`, `ingest`, `edge0`, ...
    name: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    pid: Option<u32>,
}

/// One GSI source as the bench drives it.
#[derive(Debug, Clone)]
struct Stream {
    /// Where its bodies are posted (`/gsi`, `/gsi/m3`).
    post_path: String,
    /// Where its clients connect (`/ws`, `/ws?source=m3`).
    ws_path: String,
}

/// A server under test: one process, or a federation of several.
struct Server {
    procs: Vec<Proc>,
    /// Where clients connect: one address, or one per edge.
    ws: Vec<SocketAddr>,
    /// The process behind each of `ws`, an index into `procs`.
    ws_procs: Vec<usize>,
    post: SocketAddr,
    streams: Vec<Stream>,
    protocol: Protocol,
    /// Its sources exist only once posted to, and edges take subscriptions
    /// once caught up: prime them before clients connect.
    federated: bool,
    /// nats-server's monitoring port (`/varz`), in tournament mode.
    nats_monitor: Option<SocketAddr>,
}

/// nats-server's message and byte counters (`GET /varz`): in, out.
async fn nats_counters(monitor: Option<SocketAddr>) -> Option<[u64; 4]> {
    let addr = monitor?;
    let mut conn = timeout(Duration::from_secs(5), HttpConn::connect(addr))
        .await
        .ok()?
        .ok()?;
    let resp = timeout(Duration::from_secs(5), conn.request("GET", "/varz", b""))
        .await
        .ok()?
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&resp.body).ok()?;
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
    Some([
        n("in_msgs")?,
        n("in_bytes")?,
        n("out_msgs")?,
        n("out_bytes")?,
    ])
}

impl Server {
    /// The pid of every process.
    fn pids(&self) -> Vec<Option<u32>> {
        self.procs.iter().map(|p| p.pid).collect()
    }

    /// The pid of the first process that serves clients.
    fn serving_pid(&self) -> Option<u32> {
        self.ws_procs.first().and_then(|&i| self.procs[i].pid)
    }
}

/// Bodies posted to each source before any client connects (tournament mode).
const PRIME: usize = 2;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("--worker") => return worker::main(),
        Some("--serve-wardcast") => return server::main(),
        _ => {}
    }
    let args = Args::parse();
    wardcast_bench::raise_nofile_limit();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wardcast-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

fn plan(args: &Args) -> Vec<RunSpec> {
    let all = if args.features.is_empty() {
        vec![workload::all_features()]
    } else {
        vec![args.features.clone()]
    };
    let first = |default: usize| args.clients.first().copied().unwrap_or(default);
    let rate = args.rate.unwrap_or(10.0);
    let mode = args.mode.unwrap_or(Mode::Player);
    let edges = |default: usize| {
        if args.edges.is_empty() {
            vec![default]
        } else {
            args.edges.clone()
        }
    };
    let spec = |scenario, clients, groups: &Vec<Vec<String>>| RunSpec {
        scenario,
        target: None,
        clients,
        rate,
        duration: args.duration,
        groups: groups.clone(),
        slow: false,
        idle: false,
        edges: edges(1)[0],
        matches: args.matches.unwrap_or(1),
        mode,
    };
    let fanout = || {
        let counts = if args.clients.is_empty() {
            vec![10, 100, 1000, 5000]
        } else {
            args.clients.clone()
        };
        counts
            .into_iter()
            .map(|n| spec("fanout", n, &all))
            .collect::<Vec<_>>()
    };
    let selective = || {
        vec![spec(
            "selective",
            first(1000),
            &workload::selective_groups(),
        )]
    };
    let slow = || {
        // Long enough for the slow client to fall more than Wardcast's ring
        // (256 snapshots, 25.6 s at 10/s) behind and be closed with 4008.
        let base = RunSpec {
            duration: args.duration.max(30.0),
            ..spec("slow-base", first(1000), &all)
        };
        let slow = RunSpec {
            scenario: "slow",
            slow: true,
            ..base.clone()
        };
        vec![base, slow]
    };
    let idle = || {
        vec![RunSpec {
            idle: true,
            ..spec("idle", first(10_000), &all)
        }]
    };
    let rate_steps = || vec![spec("rate", first(1000), &all)];
    let nats_hop = || {
        let counts = if args.clients.is_empty() {
            vec![1000]
        } else {
            args.clients.clone()
        };
        counts
            .into_iter()
            .map(|n| spec("nats-hop", n, &all))
            .collect::<Vec<_>>()
    };
    let tournament = || {
        let mut steps = Vec::new();
        for e in edges(3) {
            let counts = if args.clients.is_empty() {
                vec![2500 * e]
            } else {
                args.clients.clone()
            };
            for n in counts {
                steps.push(RunSpec {
                    edges: e,
                    matches: args.matches.unwrap_or(10),
                    mode: args.mode.unwrap_or(Mode::Spectator),
                    ..spec("tournament", n, &all)
                });
            }
        }
        steps
    };
    let edges_100k = || {
        edges(6)
            .into_iter()
            .map(|e| RunSpec {
                edges: e,
                rate: args.rate.unwrap_or(0.1),
                ..spec("edges-100k", first(100_000), &all)
            })
            .collect::<Vec<_>>()
    };
    match args.scenario {
        Scenario::Fanout => fanout(),
        Scenario::Selective => selective(),
        Scenario::Slow => slow(),
        Scenario::Idle => idle(),
        Scenario::Rate => rate_steps(),
        Scenario::NatsHop => nats_hop(),
        Scenario::Tournament => tournament(),
        Scenario::Edges100k => edges_100k(),
        Scenario::Smoke => vec![RunSpec {
            duration: 2.0,
            ..spec("smoke", first(10), &all)
        }],
        Scenario::All => [fanout(), selective(), slow(), idle(), rate_steps()].concat(),
    }
}

async fn run(args: Args) -> ExitCode {
    if args.warmup < 2 {
        eprintln!("wardcast-bench: --warmup must be at least 2");
        return ExitCode::FAILURE;
    }
    let targets: Vec<Option<Target>> = if args.url.is_some() {
        vec![None]
    } else if !args.targets.is_empty() {
        args.targets.iter().copied().map(Some).collect()
    } else if args.scenario == Scenario::Smoke {
        vec![Some(Target::Floor), Some(Target::Wardcast)]
    } else if args.scenario == Scenario::NatsHop {
        vec![Some(Target::Wardcast), Some(Target::WardcastNats)]
    } else if matches!(args.scenario, Scenario::Tournament | Scenario::Edges100k) {
        vec![Some(Target::WardcastNats)]
    } else {
        vec![
            Some(Target::Floor),
            Some(Target::Wardcast),
            Some(Target::Node),
            Some(Target::NodeCork),
        ]
    };
    let mut results: Vec<RunResult> = Vec::new();
    let mut failed = false;
    let steps: Vec<(usize, RunSpec, Option<Target>)> = plan(&args)
        .into_iter()
        .flat_map(|step| {
            let targets = &targets;
            (0..args.repeat.max(1)).flat_map(move |rep| {
                let step = step.clone();
                targets.iter().map(move |&t| (rep, step.clone(), t))
            })
        })
        .collect();
    for (repeat, step, target) in steps {
        let step = RunSpec { target, ..step };
        let outcome = if step.scenario == "rate" {
            rate_search(&args, &step).await
        } else {
            run_one(&args, &step).await.map(|r| vec![r])
        };
        let outcome = outcome.map(|mut rs| {
            for r in &mut rs {
                r.repeat = repeat;
            }
            rs
        });
        match outcome {
            Ok(rs) => {
                for r in &rs {
                    eprintln!("{}", report::table(std::slice::from_ref(r)).trim_end());
                    let bad_delivery = !step.idle
                        && step.scenario != "rate"
                        && (r.lost > 0 || r.reordered > 0 || r.foreign > 0 || r.delivered == 0);
                    if bad_delivery || r.connect_failed > 0 || r.duplicates > 0 {
                        failed = true;
                    }
                }
                results.extend(rs);
            }
            Err(e) => {
                eprintln!(
                    "wardcast-bench: {} {} N={}: {e}",
                    step.scenario,
                    target.map_or("url", Target::name),
                    step.clients
                );
                failed = true;
            }
        }
    }
    report::add_ratios(&mut results);
    let json = serde_json::json!({ "machine": machine(), "results": results });
    match args.json.as_deref() {
        Some("-") => println!("{json:#}"),
        Some(path) => {
            if let Err(e) = std::fs::write(path, format!("{json:#}\n")) {
                eprintln!("wardcast-bench: cannot write {path}: {e}");
                failed = true;
            }
            print!("{}", report::table(&results));
        }
        None => print!("{}", report::table(&results)),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The machine, for the report.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string());
    let cpus = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .ok();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok());
    serde_json::json!({ "cpu": model, "cpus": cpus, "kernel": kernel, "mem_kib": mem_kib })
}

/// Raises R until p99 passes the bound (or messages are lost, or posts fall
/// behind); returns every step, the last one carrying `max_rate`.
async fn rate_search(args: &Args, step: &RunSpec) -> Result<Vec<RunResult>, String> {
    let mut out: Vec<RunResult> = Vec::new();
    let mut best: Option<f64> = None;
    for &rate in &args.rates {
        let spec = RunSpec {
            rate,
            duration: args.duration.min(5.0),
            ..step.clone()
        };
        let r = run_one(args, &spec).await?;
        let achieved = r.snapshots as f64 / r.seconds.max(1e-9);
        let ok = r.p99_ms > 0.0
            && r.p99_ms <= args.p99_bound_ms
            && r.lost == 0
            && r.post_errors == 0
            && achieved >= 0.9 * rate;
        out.push(r);
        if !ok {
            break;
        }
        best = Some(rate);
    }
    if let Some(last) = out.last_mut() {
        last.max_rate = best;
    }
    Ok(out)
}

fn sibling_exe(name: &str) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    Ok(me.with_file_name(name))
}

/// Reads lines from a child's stdout into a channel.
fn line_reader(stdout: tokio::process::ChildStdout) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Starts `cmd`, waits for its `listening ADDR` line and keeps draining its stdout.
async fn spawn_listening(mut cmd: Command, name: &str) -> Result<(Proc, SocketAddr), String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let stdin = child.stdin.take();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "no server stdout".to_string())?;
    let mut lines = line_reader(stdout);
    let line = timeout(Duration::from_secs(30), lines.recv())
        .await
        .map_err(|_| format!("{name} did not start within 30 s"))?
        .ok_or_else(|| format!("{name} exited at start"))?;
    let addr: SocketAddr = line
        .strip_prefix("listening ")
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| format!("{name}: unexpected first line {line:?}"))?;
    // Keep draining its stdout so it never blocks on a full pipe.
    tokio::spawn(async move { while lines.recv().await.is_some() {} });
    let proc = Proc {
        name: name.to_string(),
        pid: child.id(),
        child: Some(child),
        stdin,
    };
    Ok((proc, addr))
}

/// Starts a nats-server with JetStream storing under `dir`, on a free loopback
/// port (`$WARDCAST_NATS_SERVER`, else `nats-server` on `PATH`, as the bus's
/// test harness finds it); returns it and its client URL.
async fn start_nats(dir: &Path) -> Result<(Proc, String, Option<SocketAddr>), String> {
    let binary = wardcast_bus::server::binary().ok_or_else(|| {
        "no nats-server: set WARDCAST_NATS_SERVER or put nats-server on PATH".to_string()
    })?;
    let store = dir.join("nats-store");
    std::fs::create_dir_all(&store).map_err(|e| format!("{}: {e}", store.display()))?;
    let mut child = Command::new(&binary)
        .args(["-a", "127.0.0.1", "-p", "-1", "-m", "-1", "-js", "-sd"])
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| "no nats-server stderr".to_string())?;
    let mut lines = BufReader::new(stderr).lines();
    let port_of = |line: &str, after: &str| {
        line.split(after)
            .nth(1)?
            .trim()
            .rsplit(':')
            .next()?
            .parse::<u16>()
            .ok()
    };
    let ready = async {
        let (mut port, mut monitor) = (None, None);
        while let Ok(Some(line)) = lines.next_line().await {
            port = port.or_else(|| port_of(&line, "client connections on "));
            monitor = monitor.or_else(|| port_of(&line, "http monitor on "));
            if line.contains("Server is ready") {
                return port.map(|p| (p, monitor));
            }
        }
        None
    };
    let (port, monitor) = timeout(Duration::from_secs(15), ready)
        .await
        .map_err(|_| "nats-server not ready within 15 s".to_string())?
        .ok_or_else(|| "nats-server exited before it was ready".to_string())?;
    let monitor = monitor.map(|p| SocketAddr::from((Ipv4Addr::LOCALHOST, p)));
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let proc = Proc {
        name: "nats".into(),
        pid: child.id(),
        child: Some(child),
        stdin: None,
    };
    Ok((proc, format!("nats://127.0.0.1:{port}"), monitor))
}

/// The `wardcast-nats` target: nats-server, one ingest, `spec.edges` edges.
async fn start_federation(args: &Args, spec: &RunSpec, tmp: &Path) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let (nats, url, nats_monitor) = start_nats(tmp).await?;
    let mut procs = vec![nats];
    let node = |role: &str, name: &str| {
        let mut c = Command::new(&exe);
        c.args([
            "--serve-wardcast",
            "--nats",
            &url,
            "--role",
            role,
            "--node-name",
            name,
        ]);
        if args.nats_memory {
            c.arg("--nats-memory");
        }
        c
    };
    let (ingest, post) = spawn_listening(node("ingest", "bench-ingest"), "ingest").await?;
    procs.push(ingest);
    let mut ws = Vec::new();
    let mut ws_procs = Vec::new();
    for e in 0..spec.edges.max(1) {
        let name = format!("edge{e}");
        let (edge, addr) = spawn_listening(node("edge", &format!("bench-{name}")), &name).await?;
        ws_procs.push(procs.len());
        procs.push(edge);
        ws.push(addr);
    }
    Ok(Server {
        procs,
        ws,
        ws_procs,
        post,
        streams: named_streams("/ws", spec.matches),
        protocol: Protocol::Rpc,
        federated: true,
        nats_monitor,
    })
}

/// Sources `m0`, `m1`, ...: `POST /gsi/mK`, `/ws?source=mK`.
fn named_streams(ws_path: &str, matches: usize) -> Vec<Stream> {
    (0..matches.max(1))
        .map(|j| Stream {
            post_path: format!("/gsi/m{j}"),
            ws_path: format!("{ws_path}?source=m{j}"),
        })
        .collect()
}

async fn start_server(
    args: &Args,
    spec: &RunSpec,
    bodies: &[bytes::Bytes],
    tmp: &Path,
) -> Result<Server, String> {
    let target = spec.target.ok_or_else(|| "no target".to_string())?;
    if target == Target::WardcastNats {
        return start_federation(args, spec, tmp).await;
    }
    if target != Target::Wardcast && spec.matches > 1 {
        return Err(format!("{} serves one source only", target.name()));
    }
    let cmd = match target {
        Target::Wardcast | Target::WardcastNats => {
            let mut c =
                Command::new(std::env::current_exe().map_err(|e| format!("current exe: {e}"))?);
            c.arg("--serve-wardcast");
            c
        }
        Target::Floor => {
            let set = frames::render(bodies, &spec.groups).await?;
            let path = tmp.join("frames.json");
            let text = serde_json::to_vec(&set).map_err(|e| e.to_string())?;
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut c = Command::new(sibling_exe("wardcast-floor")?);
            c.arg("--frames").arg(&path);
            c
        }
        Target::Node | Target::NodeCork => {
            let modules = args
                .node_relay
                .parent()
                .map(|d| d.join("node_modules/ws"))
                .unwrap_or_default();
            if !modules.exists() {
                return Err(format!(
                    "the Node relay's dependencies are missing: run `npm ci --prefix {}`",
                    args.node_relay
                        .parent()
                        .map_or_else(String::new, |d| d.display().to_string())
                ));
            }
            let mut c = Command::new("node");
            c.arg(&args.node_relay).args(["--port", "0"]);
            if target == Target::NodeCork {
                c.arg("--cork");
            }
            c
        }
    };
    let (proc, addr) = spawn_listening(cmd, target.name()).await?;
    let streams = if spec.matches > 1 {
        named_streams("/ws", spec.matches)
    } else {
        vec![Stream {
            post_path: "/gsi".into(),
            ws_path: "/ws".into(),
        }]
    };
    Ok(Server {
        procs: vec![proc],
        ws: vec![addr],
        ws_procs: vec![0],
        post: addr,
        streams,
        protocol: if target == Target::Floor {
            Protocol::Raw
        } else {
            Protocol::Rpc
        },
        federated: false,
        nats_monitor: None,
    })
}

/// `ws://HOST:PORT/PATH` or `http://HOST:PORT/PATH` into an address and a path.
fn parse_url(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| format!("not a URL: {url}"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let host = host.replace("localhost", "127.0.0.1");
    let addr = host
        .parse()
        .map_err(|_| format!("{url}: give HOST:PORT as an IP address and port"))?;
    Ok((addr, path))
}

fn external_server(args: &Args, url: &str) -> Result<Server, String> {
    let (ws, ws_path) = parse_url(url)?;
    let (post, post_path) = match &args.post_url {
        Some(p) => parse_url(p)?,
        None => (ws, "/gsi".to_string()),
    };
    Ok(Server {
        procs: vec![Proc {
            name: "url".into(),
            child: None,
            stdin: None,
            pid: args.pid,
        }],
        ws: vec![ws],
        ws_procs: vec![0],
        post,
        streams: vec![Stream { post_path, ws_path }],
        protocol: if args.raw {
            Protocol::Raw
        } else {
            Protocol::Rpc
        },
        federated: false,
        nats_monitor: None,
    })
}

impl Server {
    /// Stops the processes, the last started first (edges, then the ingest,
    /// then nats-server).
    async fn stop(mut self) {
        while let Some(mut p) = self.procs.pop() {
            drop(p.stdin.take());
            if let Some(mut child) = p.child.take() {
                let graceful = p.name != "nats";
                if !graceful
                    || timeout(Duration::from_secs(10), child.wait())
                        .await
                        .is_err()
                {
                    let _ = child.kill().await;
                }
            }
        }
    }
}

/// A worker process and its report lines.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<String>,
    pid: Option<u32>,
}

impl Worker {
    async fn next_report(&mut self, wait: Duration) -> Result<Report, String> {
        let line = timeout(wait, self.lines.recv())
            .await
            .map_err(|_| format!("a worker did not report within {wait:?}"))?
            .ok_or_else(|| "a worker exited early".to_string())?;
        serde_json::from_str(&line).map_err(|e| format!("worker said {line:?}: {e}"))
    }

    async fn send(&mut self, line: &str) -> Result<(), String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| "worker stdin closed".to_string())?;
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(|e| format!("writing to a worker: {e}"))
    }
}

/// The summed CPU readings of these processes.
fn cpu_of(pids: &[u32]) -> procstat::Sample {
    pids.iter().filter_map(|p| procstat::sample(*p).ok()).fold(
        procstat::Sample::default(),
        |a, s| procstat::Sample {
            cpu_ticks: a.cpu_ticks + s.cpu_ticks,
            cpu_ns: a.cpu_ns + s.cpu_ns,
            rss_kib: a.rss_kib + s.rss_kib,
        },
    )
}

/// `strace -c -f` attached to the server for the measured window.
struct Strace {
    child: Child,
    out: PathBuf,
}

async fn start_strace(pid: u32, tmp: &Path) -> Result<Strace, String> {
    let out = tmp.join(format!("strace-{pid}.txt"));
    let child = Command::new("strace")
        .args(["-c", "-f", "-o"])
        .arg(&out)
        .args(["-p", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start strace (apt-get install strace): {e}"))?;
    // Attaching to every thread takes a moment; nothing is measured before it.
    sleep(Duration::from_millis(500)).await;
    Ok(Strace { child, out })
}

/// Stops strace and returns its calls per syscall.
async fn stop_strace(mut s: Strace) -> Result<HashMap<String, u64>, String> {
    if let Some(pid) = s.child.id().and_then(|p| i32::try_from(p).ok()) {
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
    }
    let _ = timeout(Duration::from_secs(10), s.child.wait()).await;
    let text = std::fs::read_to_string(&s.out).map_err(|e| format!("strace output: {e}"))?;
    let mut calls = HashMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors,] syscall
        if cols.len() >= 5 && cols[0].parse::<f64>().is_ok() {
            if let (Ok(n), Some(name)) = (cols[3].parse::<u64>(), cols.last()) {
                calls.insert((*name).to_string(), n);
            }
        }
    }
    Ok(calls)
}

async fn run_one(args: &Args, spec: &RunSpec) -> Result<RunResult, String> {
    let name = spec.target.map_or("url", Target::name);
    if spec.target.is_none() && spec.matches > 1 {
        return Err("--url serves one source: leave --matches at 1".into());
    }
    let federated = spec.target == Some(Target::WardcastNats);
    if federated && args.warmup < PRIME + 2 {
        return Err(format!(
            "--warmup must be at least {} in tournament mode",
            PRIME + 2
        ));
    }
    let measured = if spec.idle {
        0
    } else {
        (spec.rate * spec.duration).ceil().max(1.0) as usize
    };
    let total = if spec.idle { 0 } else { args.warmup + measured };
    let count = total.max(PRIME);
    if i64::try_from(count).unwrap_or(i64::MAX) >= workload::STREAM_MARKER_GAP {
        return Err(format!(
            "{count} bodies per source: at most {} (shorten --duration or lower --rate)",
            workload::STREAM_MARKER_GAP - 1
        ));
    }
    let seqs: Vec<workload::Sequence> = (0..spec.matches.max(1))
        .map(|j| {
            let offset = i64::try_from(j).unwrap_or(0) * workload::STREAM_MARKER_GAP;
            workload::sequence_at(spec.mode, count, offset)
        })
        .collect();
    let tmp = std::env::temp_dir().join(format!("wardcast-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let server = match (spec.target, &args.url) {
        (Some(_), _) => start_server(args, spec, &seqs[0].bodies[..total], &tmp).await,
        (None, Some(url)) => external_server(args, url),
        (None, None) => Err("no target".into()),
    };
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let result = measure(args, spec, &server, &seqs, total, measured, &tmp).await;
    server.stop().await;
    let _ = std::fs::remove_dir_all(&tmp);
    let mut r = result?;
    r.target = name.into();
    Ok(r)
}

/// One reading of every process of the server (`None` where unreadable).
fn sample_all(server: &Server) -> Vec<(procstat::Sample, u64)> {
    server
        .pids()
        .into_iter()
        .map(|pid| match pid {
            Some(p) => (
                procstat::sample(p).unwrap_or_default(),
                procstat::fd_count(p),
            ),
            None => (procstat::Sample::default(), 0),
        })
        .collect()
}

/// Starts a worker process and gives it its config.
async fn spawn_worker(exe: &Path, config: &WorkerConfig) -> Result<Worker, String> {
    let mut child = Command::new(exe)
        .arg("--worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start a worker: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "no worker stdout".to_string())?;
    let mut w = Worker {
        pid: child.id(),
        stdin: child.stdin.take(),
        lines: line_reader(stdout),
        child,
    };
    let line = serde_json::to_string(config).map_err(|e| e.to_string())?;
    w.send(&line).await?;
    Ok(w)
}

/// Posts `body` until the server answers 200 (a federated ingest may still
/// be connecting to NATS), for at most 30 s.
async fn post_until_ok(conn: &mut HttpConn, path: &str, body: &[u8]) -> Result<(), String> {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let resp = timeout(Duration::from_secs(10), conn.request("POST", path, body))
            .await
            .map_err(|_| "a POST took more than 10 s".to_string())?
            .map_err(|e| format!("POST {path}: {e}"))?;
        if resp.status == 200 {
            return Ok(());
        }
        if Instant::now() > give_up {
            return Err(format!(
                "POST {path} still answered {} after 30 s: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body).trim()
            ));
        }
        sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until every edge takes a subscription to every source: one probe
/// client per (edge, source), retrying while the edge answers "not ready".
async fn wait_ready(exe: &Path, server: &Server, streams: &[StreamSpec]) -> Result<(), String> {
    let mut clients = Vec::new();
    for e in 0..server.ws.len() {
        for j in 0..streams.len() {
            clients.push(ClientSpec {
                source: Ipv4Addr::LOCALHOST,
                group: 0,
                slow: false,
                server: e,
                stream: j,
            });
        }
    }
    let config = WorkerConfig {
        servers: server.ws.clone(),
        streams: streams.to_vec(),
        protocol: server.protocol,
        groups: vec![vec![workload::MARKER_FEATURE.to_string()]],
        clients,
        connect_parallel: 64,
        slow_rcvbuf: 4096,
    };
    let mut probe = spawn_worker(exe, &config).await?;
    let ready = probe.next_report(Duration::from_secs(90)).await?;
    drop(probe.stdin.take());
    if timeout(Duration::from_secs(10), probe.child.wait())
        .await
        .is_err()
    {
        let _ = probe.child.kill().await;
    }
    match ready {
        Report::Ready { failed: 0, .. } => Ok(()),
        Report::Ready { failed, error, .. } => Err(format!(
            "{failed} edge/source pairs never took a subscription: {}",
            error.unwrap_or_default()
        )),
        Report::Result(_) => Err("the probe reported out of order".into()),
    }
}

/// Posts one body and reads the answer; a connection the server has closed
/// (it closes keep-alive connections idle for 10 s, longer than the gap
/// between posts at low rates) is opened again and the post made on it,
/// timed from then. Returns the post's start (ns) and the status.
async fn post_one(
    addr: SocketAddr,
    conn: &mut HttpConn,
    path: &str,
    body: &[u8],
) -> Result<(u64, u16), String> {
    for attempt in 0..2 {
        let t = now_ns();
        let sent = timeout(Duration::from_secs(10), conn.request("POST", path, body))
            .await
            .map_err(|_| "a POST took more than 10 s".to_string())?;
        match sent {
            Ok(resp) => return Ok((t, resp.status)),
            Err(e) if attempt > 0 => return Err(format!("POST: {e}")),
            Err(_) => {
                *conn = timeout(Duration::from_secs(10), HttpConn::connect(addr))
                    .await
                    .map_err(|_| "reconnecting the poster timed out".to_string())?
                    .map_err(|e| format!("reconnecting the poster: {e}"))?;
            }
        }
    }
    Err("POST: no answer".into())
}

#[allow(clippy::too_many_arguments)]
/// One stream's share of [`post_streams`]: body `k` of `range` at
/// `start + offset + (k - range.start) / rate`.
async fn post_stream(
    addr: SocketAddr,
    conn: &mut HttpConn,
    stream: &Stream,
    seq: &workload::Sequence,
    range: Range<usize>,
    start: Instant,
    offset: f64,
    rate: f64,
) -> Result<(Vec<(i64, u64)>, u64), String> {
    let mut posts = Vec::with_capacity(range.len());
    let mut errors = 0u64;
    for (i, k) in range.enumerate() {
        sleep_until(start + Duration::from_secs_f64(offset + i as f64 / rate)).await;
        let (t, status) = post_one(addr, conn, &stream.post_path, &seq.bodies[k]).await?;
        if status != 200 {
            errors += 1;
        }
        posts.push((seq.marker(k), t));
    }
    Ok((posts, errors))
}

/// Posts bodies `range` of every stream at `rate` each, the streams' posts
/// spread evenly over each interval, one keep-alive connection per stream;
/// returns each stream's `(marker, post start ns)` and the non-200 answers.
async fn post_streams(
    addr: SocketAddr,
    conns: &mut [HttpConn],
    streams: &[Stream],
    seqs: &[workload::Sequence],
    range: Range<usize>,
    rate: f64,
) -> Result<(Vec<Vec<(i64, u64)>>, u64), String> {
    let m = conns.len().max(1) as f64;
    let start = Instant::now() + Duration::from_millis(20);
    let jobs =
        conns
            .iter_mut()
            .zip(streams)
            .zip(seqs)
            .enumerate()
            .map(|(j, ((conn, stream), seq))| {
                let offset = j as f64 / (m * rate);
                post_stream(addr, conn, stream, seq, range.clone(), start, offset, rate)
            });
    let mut all = Vec::new();
    let mut errors = 0;
    for result in futures::future::join_all(jobs).await {
        let (posts, e) = result?;
        all.push(posts);
        errors += e;
    }
    Ok((all, errors))
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    args: &Args,
    spec: &RunSpec,
    server: &Server,
    seqs: &[workload::Sequence],
    total: usize,
    measured: usize,
    tmp: &Path,
) -> Result<RunResult, String> {
    let m = server.streams.len();
    let mut r = RunResult {
        scenario: spec.scenario.into(),
        clients: spec.clients,
        rate: if spec.idle { 0.0 } else { spec.rate },
        edges: server.ws.len(),
        matches: m,
        mode: format!("{:?}", spec.mode).to_lowercase(),
        load_avg: procstat::load_average(),
        ..RunResult::default()
    };
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let streams: Vec<StreamSpec> = server
        .streams
        .iter()
        .zip(seqs)
        .map(|(s, seq)| StreamSpec {
            path: s.ws_path.clone(),
            measure_from: seq.marker(args.warmup),
            markers: seq.markers(),
        })
        .collect();
    let mut conns = Vec::with_capacity(m);
    if !spec.idle || server.federated {
        for _ in 0..m {
            let conn = timeout(Duration::from_secs(10), HttpConn::connect(server.post))
                .await
                .map_err(|_| "connecting the poster timed out".to_string())?
                .map_err(|e| format!("connecting the poster: {e}"))?;
            conns.push(conn);
        }
    }
    // Tournament mode: a source exists on the bus once its ingest has had a
    // body, and an edge takes subscriptions once it has caught up with it.
    let prime = if server.federated { PRIME } else { 0 };
    if prime > 0 {
        let started = Instant::now();
        for ((conn, stream), seq) in conns.iter_mut().zip(&server.streams).zip(seqs) {
            for body in &seq.bodies[..prime] {
                post_until_ok(conn, &stream.post_path, body).await?;
            }
        }
        wait_ready(&exe, server, &streams).await?;
        r.ready_s = Some(started.elapsed().as_secs_f64());
    }
    let base = sample_all(server);

    // Clients, spread over worker processes, edges, sources and source addresses.
    let all = spec.clients + usize::from(spec.slow);
    let workers_n = all.div_ceil(args.per_worker.max(1)).max(1);
    let edges = server.ws.len().max(1);
    let mut specs: Vec<Vec<ClientSpec>> = vec![Vec::new(); workers_n];
    let mut per_edge = vec![0u64; edges];
    let mut per_stream = vec![0u64; m];
    for i in 0..all {
        let host = 1 + (i % usize::from(args.source_ips.max(1))) as u8;
        let slow = spec.slow && i == spec.clients;
        let c = ClientSpec {
            source: Ipv4Addr::new(127, 0, 0, host),
            group: i % spec.groups.len().max(1),
            slow,
            server: i % edges,
            stream: (i / edges) % m.max(1),
        };
        per_edge[c.server] += 1;
        if !slow {
            per_stream[c.stream] += 1;
        }
        specs[i % workers_n].push(c);
    }
    let mut workers = Vec::new();
    for clients in specs {
        let config = WorkerConfig {
            servers: server.ws.clone(),
            streams: streams.clone(),
            protocol: server.protocol,
            groups: spec.groups.clone(),
            clients,
            connect_parallel: 64,
            slow_rcvbuf: args.slow_rcvbuf,
        };
        workers.push(spawn_worker(&exe, &config).await?);
    }
    let connect_started = Instant::now();
    for w in &mut workers {
        match w.next_report(Duration::from_secs(600)).await? {
            Report::Ready {
                failed,
                error,
                retries,
                ..
            } => {
                r.connect_failed += failed;
                r.subscribe_retries += retries;
                if let Some(e) = error {
                    r.note.get_or_insert(format!("connect: {e}"));
                }
            }
            Report::Result(_) => return Err("a worker reported out of order".into()),
        }
    }
    r.connect_s = connect_started.elapsed().as_secs_f64();
    let worker_pids: Vec<u32> = workers.iter().filter_map(|w| w.pid).collect();
    let connected = sample_all(server);
    if !spec.idle {
        // Fresh poster connections: a server may close an idle keep-alive
        // one while many clients connect (the priming posts came before).
        conns.clear();
        for _ in 0..m {
            let conn = timeout(Duration::from_secs(10), HttpConn::connect(server.post))
                .await
                .map_err(|_| "connecting the poster timed out".to_string())?
                .map_err(|e| format!("connecting the poster: {e}"))?;
            conns.push(conn);
        }
    }

    let mut posts: Vec<Vec<(i64, u64)>> = vec![Vec::new(); m];
    let mut cpu0 = Vec::new();
    let mut cli0 = procstat::Sample::default();
    let mut machine0 = (0, 0);
    let mut nats0 = None;
    let mut strace = None;
    let mut held = Vec::new();
    if spec.idle {
        sleep(Duration::from_secs_f64(args.idle_hold)).await;
        held = sample_all(server);
    } else {
        let (_, errors) = post_streams(
            server.post,
            &mut conns,
            &server.streams,
            seqs,
            prime..args.warmup,
            spec.rate,
        )
        .await?;
        r.post_errors += errors;
        // Let the warm-up's deliveries settle, then start the measured schedule.
        sleep(Duration::from_millis(200)).await;
        if args.strace {
            if let Some(pid) = server.serving_pid() {
                strace = Some(start_strace(pid, tmp).await?);
            }
        }
        nats0 = nats_counters(server.nats_monitor).await;
        cpu0 = sample_all(server);
        cli0 = cpu_of(&worker_pids);
        machine0 = procstat::machine_ticks();
        let (p, errors) = post_streams(
            server.post,
            &mut conns,
            &server.streams,
            seqs,
            args.warmup..total,
            spec.rate,
        )
        .await?;
        r.post_errors += errors;
        posts = p;
    }
    let first_post_ns = posts.iter().filter_map(|p| p.first()).map(|p| p.1).min();
    let last_post_ns = posts.iter().filter_map(|p| p.last()).map(|p| p.1).max();

    let finish = serde_json::to_string(&WorkerCommand::Finish {
        posts: posts.clone(),
        wait_ms: 5000 + (spec.clients as u64) / 10,
    })
    .map_err(|e| e.to_string())?;
    let mut hist = worker::new_histogram();
    let mut last_recv = 0u64;
    let mut frames = 0u64;
    let mut bytes = 0u64;
    let mut expected = 0u64;
    let mut broadcasts: HashMap<(usize, i64), (u64, u64)> = HashMap::new();
    // Every client is still connected here (a client disconnects once it has
    // the last marker).
    let end = sample_all(server);
    if spec.target == Some(Target::Wardcast) {
        (r.slow_disconnects, r.server_clients) = wardcast_metrics(server.post).await;
    }
    for w in &mut workers {
        w.send(&finish).await?;
    }
    for w in &mut workers {
        match w.next_report(Duration::from_secs(120)).await? {
            Report::Result(res) => {
                for (v, c) in res.histogram {
                    let _ = hist.record_n(v.min(hist.high()), c);
                }
                r.delivered += res.delivered;
                r.lost += res.lost;
                r.reordered += res.reordered;
                r.duplicates += res.duplicates;
                r.disconnected += res.disconnected;
                r.foreign += res.foreign;
                frames += res.frames;
                bytes += res.bytes;
                expected += res.expected;
                last_recv = last_recv.max(res.last_ns);
                for (stream, marker, n, t) in res.broadcasts {
                    let b = broadcasts.entry((stream, marker)).or_insert((0, 0));
                    b.0 += n;
                    b.1 = b.1.max(t);
                }
            }
            Report::Ready { .. } => return Err("a worker reported out of order".into()),
        }
    }
    let cpu1 = sample_all(server);
    let cli1 = cpu_of(&worker_pids);
    let nats1 = nats_counters(server.nats_monitor).await;
    let machine1 = procstat::machine_ticks();
    if let Some(s) = strace.take() {
        let calls = stop_strace(s).await?;
        let writes: u64 = ["write", "writev", "sendto", "sendmsg"]
            .iter()
            .filter_map(|n| calls.get(*n))
            .sum();
        let per = writes as f64 / (spec.clients.max(1) * measured.max(1)) as f64;
        let mut top: Vec<(&String, &u64)> = calls.iter().filter(|(n, _)| *n != "total").collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let detail: Vec<String> = top
            .iter()
            .take(8)
            .map(|(n, c)| format!("{n} {c}"))
            .collect();
        r.note = Some(format!(
            "strace: {per:.3} writes per client per snapshot ({}; {} clients x {} snapshots); latency/CPU under strace are not representative",
            detail.join(", "),
            spec.clients,
            measured
        ));
    }
    for mut w in workers {
        drop(w.stdin.take());
        if timeout(Duration::from_secs(10), w.child.wait())
            .await
            .is_err()
        {
            let _ = w.child.kill().await;
        }
    }

    // Figures.
    report::set_latency(&mut r, &hist);
    r.snapshots = posts.iter().map(Vec::len).sum();
    let (first_post_ns, last_post_ns) = (first_post_ns.unwrap_or(0), last_post_ns.unwrap_or(0));
    let window_ns = last_recv.max(last_post_ns).saturating_sub(first_post_ns);
    r.seconds = if measured > 1 {
        (last_post_ns - first_post_ns) as f64 / 1e9 + 1.0 / (spec.rate * m as f64)
    } else {
        0.0
    };
    if window_ns > 0 {
        r.msgs_per_s = r.delivered as f64 / (window_ns as f64 / 1e9);
    }
    let due = expected.max(1);
    r.frames_per_msg = frames as f64 / due as f64;
    r.bytes_per_msg = bytes as f64 / due as f64;
    let cpu_window_s = if window_ns > 0 {
        window_ns as f64 / 1e9
    } else {
        args.idle_hold
    };
    if let (Some(a), Some(b)) = (nats0, nats1) {
        // Over the same span as the CPU readings (a little longer than the window).
        let per_s = |i: usize| b[i].saturating_sub(a[i]) as f64 / cpu_window_s;
        r.nats = Some(report::NatsLoad {
            in_msgs_per_s: per_s(0),
            in_bytes_per_s: per_s(1),
            out_msgs_per_s: per_s(2),
            out_bytes_per_s: per_s(3),
        });
    }
    let rss_at = if spec.idle { &held } else { &connected };
    let is_edge = |i: usize| server.ws_procs.contains(&i);
    for (i, p) in server.procs.iter().enumerate() {
        let clients = server
            .ws_procs
            .iter()
            .position(|&w| w == i)
            .map_or(0, |e| per_edge[e]);
        let cpu_s = if spec.idle {
            0.0
        } else {
            procstat::cpu_delta_secs(&cpu0[i].0, &cpu1[i].0)
        };
        let per_conn = |after: u64, before: u64| {
            (clients > 0).then(|| after.saturating_sub(before) as f64 / clients as f64)
        };
        r.procs.push(ProcFigures {
            name: p.name.clone(),
            clients,
            cpu_s,
            cpu_pct: if spec.idle {
                0.0
            } else {
                100.0 * cpu_s / cpu_window_s
            },
            cpu_us_per_msg: if r.delivered > 0 {
                cpu_s * 1e6 / r.delivered as f64
            } else {
                0.0
            },
            rss_base_kib: base[i].0.rss_kib,
            rss_kib: rss_at[i].0.rss_kib,
            rss_end_kib: end[i].0.rss_kib,
            fds_base: base[i].1,
            fds: rss_at[i].1,
            rss_per_conn_kib: per_conn(rss_at[i].0.rss_kib, base[i].0.rss_kib),
            fds_per_conn: per_conn(rss_at[i].1, base[i].1),
        });
        if is_edge(i) {
            r.rss_base_kib += base[i].0.rss_kib;
            r.rss_kib += rss_at[i].0.rss_kib;
            r.rss_end_kib += end[i].0.rss_kib;
        }
    }
    if !spec.idle {
        r.server_cpu_s = r.procs.iter().map(|p| p.cpu_s).sum();
        r.edge_cpu_s = (0..r.procs.len())
            .filter(|&i| is_edge(i))
            .map(|i| r.procs[i].cpu_s)
            .sum();
        r.server_cpu_pct = 100.0 * r.server_cpu_s / cpu_window_s;
        r.edge_cpu_pct = 100.0 * r.edge_cpu_s / cpu_window_s;
        r.client_cpu_pct = 100.0 * procstat::cpu_delta_secs(&cli0, &cli1) / cpu_window_s;
        // The machine's busy time over the same span (cpu0 to cpu1, a little
        // longer than the window), less the server's and the clients'.
        let busy_s = procstat::ticks_to_secs(machine1.0.saturating_sub(machine0.0));
        let span_s = procstat::ticks_to_secs(machine1.1.saturating_sub(machine0.1))
            / std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64);
        let ours_s = r.server_cpu_s + procstat::cpu_delta_secs(&cli0, &cli1);
        if span_s > 0.0 {
            r.other_cpu_pct = (100.0 * (busy_s - ours_s) / span_s).max(0.0);
        }
        if r.delivered > 0 {
            r.server_cpu_us_per_msg = r.server_cpu_s * 1e6 / r.delivered as f64;
            r.edge_cpu_us_per_msg = r.edge_cpu_s * 1e6 / r.delivered as f64;
        }
    }
    if server.procs.len() == 1 {
        // One process: per-process figures would repeat the run's.
        r.procs.clear();
    }
    if spec.clients > 0 && r.rss_kib > 0 {
        let per = |rss: u64| rss.saturating_sub(r.rss_base_kib) as f64 / spec.clients as f64;
        r.rss_per_conn_kib = per(r.rss_kib);
        r.rss_end_per_conn_kib = per(r.rss_end_kib);
    }
    // Broadcasts: when each post reached the last client of its source.
    let post_at: HashMap<(usize, i64), u64> = posts
        .iter()
        .enumerate()
        .flat_map(|(j, p)| p.iter().map(move |&(mk, t)| ((j, mk), t)))
        .collect();
    let mut done: Vec<(usize, i64, f64)> = broadcasts
        .iter()
        .filter(|(key, (n, _))| per_stream.get(key.0).is_some_and(|&c| *n == c))
        .filter_map(|(key, (_, last))| {
            let post = post_at.get(key)?;
            Some((key.0, key.1, last.saturating_sub(*post) as f64 / 1e6))
        })
        .collect();
    done.sort_by_key(|a| (a.0, a.1));
    r.broadcasts = r.snapshots;
    r.broadcasts_complete = done.len();
    let mut times: Vec<f64> = done.iter().map(|d| d.2).collect();
    times.sort_by(f64::total_cmp);
    if !times.is_empty() {
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        r.broadcast_p50_ms = at(0.5);
        r.broadcast_max_ms = at(1.0);
    }
    if done.len() <= 50 {
        r.broadcast_ms = done.iter().map(|d| d.2).collect();
    }
    if spec.slow {
        let closed = match (r.slow_disconnects, r.server_clients) {
            (Some(n), Some(c)) => format!(
                "; at the end Wardcast had {c} of {} clients connected and had closed {n} with 4008",
                spec.clients + 1
            ),
            _ => String::new(),
        };
        let note = format!(
            "+1 client that stops reading (SO_RCVBUF {} B); figures are the other {}{closed}",
            args.slow_rcvbuf, spec.clients
        );
        r.note = Some(match r.note.take() {
            Some(n) => format!("{note}; {n}"),
            None => note,
        });
    }
    Ok(r)
}

/// Wardcast's slow-consumer disconnects and connected clients, from `GET /metrics`.
async fn wardcast_metrics(addr: SocketAddr) -> (Option<u64>, Option<u64>) {
    let page = async {
        let mut conn = timeout(Duration::from_secs(5), HttpConn::connect(addr))
            .await
            .ok()?
            .ok()?;
        let resp = timeout(Duration::from_secs(5), conn.request("GET", "/metrics", b""))
            .await
            .ok()?
            .ok()?;
        Some(String::from_utf8_lossy(&resp.body).to_string())
    };
    let Some(text) = page.await else {
        return (None, None);
    };
    let value = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as u64)
    };
    (
        value("wardcast_slow_consumer_disconnects_total"),
        value("wardcast_clients"),
    )
}
