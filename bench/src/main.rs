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

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
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
use wardcast_bench::report::{self, RunResult};
use wardcast_bench::worker::{self, ClientSpec, Command as WorkerCommand, Protocol, Report};
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
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Wardcast => "wardcast",
            Target::Floor => "floor",
            Target::Node => "node",
            Target::NodeCork => "node-cork",
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
    /// Snapshots posted per second.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
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
    /// Whose view the posted match is (player: about 5.7 KB bodies; spectator: about 47 KB).
    #[arg(long, value_enum, default_value = "player")]
    mode: Mode,
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
}

/// A server under test.
struct Server {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    ws: SocketAddr,
    ws_path: String,
    post: SocketAddr,
    post_path: String,
    pid: Option<u32>,
    protocol: Protocol,
}

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
    let spec = |scenario, clients, groups: &Vec<Vec<String>>| RunSpec {
        scenario,
        target: None,
        clients,
        rate: args.rate,
        duration: args.duration,
        groups: groups.clone(),
        slow: false,
        idle: false,
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
    let rate = || vec![spec("rate", first(1000), &all)];
    match args.scenario {
        Scenario::Fanout => fanout(),
        Scenario::Selective => selective(),
        Scenario::Slow => slow(),
        Scenario::Idle => idle(),
        Scenario::Rate => rate(),
        Scenario::Smoke => vec![RunSpec {
            duration: 2.0,
            ..spec("smoke", first(10), &all)
        }],
        Scenario::All => [fanout(), selective(), slow(), idle(), rate()].concat(),
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
    for step in plan(&args) {
        for &target in &targets {
            let step = RunSpec {
                target,
                ..step.clone()
            };
            let outcome = if step.scenario == "rate" {
                rate_search(&args, &step).await
            } else {
                run_one(&args, &step).await.map(|r| vec![r])
            };
            match outcome {
                Ok(rs) => {
                    for r in &rs {
                        eprintln!("{}", report::table(std::slice::from_ref(r)).trim_end());
                        let bad_delivery = !step.idle
                            && step.scenario != "rate"
                            && (r.lost > 0 || r.reordered > 0 || r.delivered == 0);
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

async fn start_server(
    args: &Args,
    target: Target,
    bodies: &[bytes::Bytes],
    groups: &[Vec<String>],
    tmp: &Path,
) -> Result<Server, String> {
    let mut cmd = match target {
        Target::Wardcast => {
            let mut c =
                Command::new(std::env::current_exe().map_err(|e| format!("current exe: {e}"))?);
            c.arg("--serve-wardcast");
            c
        }
        Target::Floor => {
            let set = frames::render(bodies, groups).await?;
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
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", target.name()))?;
    let stdin = child.stdin.take();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "no server stdout".to_string())?;
    let mut lines = line_reader(stdout);
    let line = timeout(Duration::from_secs(30), lines.recv())
        .await
        .map_err(|_| format!("{} did not start within 30 s", target.name()))?
        .ok_or_else(|| format!("{} exited at start", target.name()))?;
    let addr: SocketAddr = line
        .strip_prefix("listening ")
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| format!("{}: unexpected first line {line:?}", target.name()))?;
    // Keep draining its stdout so it never blocks on a full pipe.
    tokio::spawn(async move { while lines.recv().await.is_some() {} });
    Ok(Server {
        pid: child.id(),
        child: Some(child),
        stdin,
        ws: addr,
        ws_path: "/ws".into(),
        post: addr,
        post_path: "/gsi".into(),
        protocol: if target == Target::Floor {
            Protocol::Raw
        } else {
            Protocol::Rpc
        },
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
        child: None,
        stdin: None,
        ws,
        ws_path,
        post,
        post_path,
        pid: args.pid,
        protocol: if args.raw {
            Protocol::Raw
        } else {
            Protocol::Rpc
        },
    })
}

impl Server {
    async fn stop(mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            if timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
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
    let measured = if spec.idle {
        0
    } else {
        (spec.rate * spec.duration).ceil().max(1.0) as usize
    };
    let total = if spec.idle { 0 } else { args.warmup + measured };
    let seq = workload::sequence(args.mode, total.max(2));
    let bodies = &seq.bodies[..total];
    let tmp = std::env::temp_dir().join(format!("wardcast-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let server = match (spec.target, &args.url) {
        (Some(t), _) => start_server(args, t, bodies, &spec.groups, &tmp).await?,
        (None, Some(url)) => external_server(args, url)?,
        (None, None) => return Err("no target".into()),
    };
    let result = measure(args, spec, &server, &seq, total, measured, &tmp).await;
    server.stop().await;
    let _ = std::fs::remove_dir_all(&tmp);
    let mut r = result?;
    r.target = name.into();
    Ok(r)
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    args: &Args,
    spec: &RunSpec,
    server: &Server,
    seq: &workload::Sequence,
    total: usize,
    measured: usize,
    tmp: &Path,
) -> Result<RunResult, String> {
    let mut r = RunResult {
        scenario: spec.scenario.into(),
        clients: spec.clients,
        rate: if spec.idle { 0.0 } else { spec.rate },
        ..RunResult::default()
    };
    let base = server
        .pid
        .and_then(|p| procstat::sample(p).ok())
        .unwrap_or_default();
    r.rss_base_kib = base.rss_kib;

    // Clients, spread over worker processes and source addresses.
    let all = spec.clients + usize::from(spec.slow);
    let workers_n = all.div_ceil(args.per_worker.max(1)).max(1);
    let mut specs: Vec<Vec<ClientSpec>> = vec![Vec::new(); workers_n];
    for i in 0..all {
        let host = 1 + (i % usize::from(args.source_ips.max(1))) as u8;
        specs[i % workers_n].push(ClientSpec {
            source: Ipv4Addr::new(127, 0, 0, host),
            group: i % spec.groups.len().max(1),
            slow: spec.slow && i == spec.clients,
        });
    }
    let measure_from = seq.marker(args.warmup);
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let mut workers = Vec::new();
    for clients in specs {
        let mut child = Command::new(&exe)
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
        let config = worker::WorkerConfig {
            server: server.ws,
            path: server.ws_path.clone(),
            protocol: server.protocol,
            groups: spec.groups.clone(),
            clients,
            measure_from,
            connect_parallel: 64,
            slow_rcvbuf: args.slow_rcvbuf,
        };
        let line = serde_json::to_string(&config).map_err(|e| e.to_string())?;
        w.send(&line).await?;
        workers.push(w);
    }
    for w in &mut workers {
        match w.next_report(Duration::from_secs(300)).await? {
            Report::Ready { failed, error, .. } => {
                r.connect_failed += failed;
                if let Some(e) = error {
                    r.note.get_or_insert(format!("connect: {e}"));
                }
            }
            Report::Result(_) => return Err("a worker reported out of order".into()),
        }
    }
    let worker_pids: Vec<u32> = workers.iter().filter_map(|w| w.pid).collect();
    let server_pids: Vec<u32> = server.pid.into_iter().collect();
    let connected = server
        .pid
        .and_then(|p| procstat::sample(p).ok())
        .unwrap_or_default();

    let mut posts = Vec::with_capacity(measured);
    let (mut cpu0, mut cli0) = (procstat::Sample::default(), procstat::Sample::default());
    let mut first_post_ns = 0;
    let mut last_post_ns = 0;
    let mut strace = None;
    if spec.idle {
        sleep(Duration::from_secs_f64(args.idle_hold)).await;
    } else {
        let mut conn = timeout(Duration::from_secs(10), HttpConn::connect(server.post))
            .await
            .map_err(|_| "connecting the poster timed out".to_string())?
            .map_err(|e| format!("connecting the poster: {e}"))?;
        let interval = 1.0 / spec.rate;
        let mut start = Instant::now() + Duration::from_millis(20);
        for (k, body) in seq.bodies[..total].iter().enumerate() {
            if k == args.warmup {
                if args.strace {
                    if let Some(pid) = server.pid {
                        strace = Some(start_strace(pid, tmp).await?);
                    }
                }
                // Let the warm-up's deliveries settle, then restart the schedule.
                sleep(Duration::from_millis(200)).await;
                start = Instant::now() - Duration::from_secs_f64(interval * k as f64);
                cpu0 = cpu_of(&server_pids);
                cli0 = cpu_of(&worker_pids);
            }
            sleep_until(start + Duration::from_secs_f64(interval * k as f64)).await;
            let t = now_ns();
            let resp = timeout(
                Duration::from_secs(10),
                conn.request("POST", &server.post_path, body),
            )
            .await
            .map_err(|_| "a POST took more than 10 s".to_string())?
            .map_err(|e| format!("POST: {e}"))?;
            if resp.status != 200 {
                r.post_errors += 1;
            }
            if k >= args.warmup {
                if posts.is_empty() {
                    first_post_ns = t;
                }
                last_post_ns = t;
                posts.push((seq.marker(k), t));
            }
        }
    }

    let finish = serde_json::to_string(&WorkerCommand::Finish {
        posts: posts.clone(),
        wait_ms: 5000,
    })
    .map_err(|e| e.to_string())?;
    let mut hist = worker::new_histogram();
    let mut last_recv = 0u64;
    let mut frames = 0u64;
    let mut bytes = 0u64;
    let mut clients_measured = 0u64;
    if spec.idle {
        // RSS after the hold, before the clients go.
        r.rss_kib = server
            .pid
            .and_then(|p| procstat::sample(p).ok())
            .unwrap_or_default()
            .rss_kib;
    } else {
        r.rss_kib = connected.rss_kib;
    }
    // Every client is still connected here (a client disconnects once it has
    // the last marker).
    r.rss_end_kib = server
        .pid
        .and_then(|p| procstat::sample(p).ok())
        .unwrap_or_default()
        .rss_kib;
    if spec.target == Some(Target::Wardcast) {
        (r.slow_disconnects, r.server_clients) = wardcast_metrics(server.post).await;
    }
    for w in &mut workers {
        w.send(&finish).await?;
    }
    for w in &mut workers {
        match w.next_report(Duration::from_secs(60)).await? {
            Report::Result(res) => {
                for (v, c) in res.histogram {
                    let _ = hist.record_n(v.min(hist.high()), c);
                }
                r.delivered += res.delivered;
                r.lost += res.lost;
                r.reordered += res.reordered;
                r.duplicates += res.duplicates;
                r.disconnected += res.disconnected;
                frames += res.frames;
                bytes += res.bytes;
                clients_measured += res.clients;
                last_recv = last_recv.max(res.last_ns);
            }
            Report::Ready { .. } => return Err("a worker reported out of order".into()),
        }
    }
    let cpu1 = cpu_of(&server_pids);
    let cli1 = cpu_of(&worker_pids);
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
    r.snapshots = posts.len();
    let window_ns = last_recv.max(last_post_ns).saturating_sub(first_post_ns);
    r.seconds = if posts.len() > 1 {
        (last_post_ns - first_post_ns) as f64 / 1e9 + 1.0 / spec.rate
    } else {
        0.0
    };
    if window_ns > 0 {
        r.msgs_per_s = r.delivered as f64 / (window_ns as f64 / 1e9);
    }
    let due = (clients_measured * posts.len() as u64).max(1);
    r.frames_per_msg = frames as f64 / due as f64;
    r.bytes_per_msg = bytes as f64 / due as f64;
    let cpu_window_s = if window_ns > 0 {
        window_ns as f64 / 1e9
    } else {
        args.idle_hold
    };
    r.server_cpu_s = procstat::cpu_delta_secs(&cpu0, &cpu1);
    if !spec.idle {
        r.server_cpu_pct = 100.0 * r.server_cpu_s / cpu_window_s;
        r.client_cpu_pct = 100.0 * procstat::cpu_delta_secs(&cli0, &cli1) / cpu_window_s;
        if r.delivered > 0 {
            r.server_cpu_us_per_msg = r.server_cpu_s * 1e6 / r.delivered as f64;
        }
    }
    if spec.clients > 0 && r.rss_kib > 0 {
        let per = |rss: u64| rss.saturating_sub(r.rss_base_kib) as f64 / spec.clients as f64;
        r.rss_per_conn_kib = per(r.rss_kib);
        r.rss_end_per_conn_kib = per(r.rss_end_kib);
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
