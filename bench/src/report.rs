//! Results of bench runs: one [`RunResult`] per (scenario, target, N, R), the
//! ratios against the floor and the Node relay measured in the same
//! invocation, a text table and JSON.
//!
//! Definitions:
//! - a *delivered message* is one snapshot's marker frame reaching one client
//!   (so a snapshot delivered to N clients counts N, however many frames it
//!   took); `msgs_per_s` is delivered messages over the measured window;
//! - *latency* runs from just before the POST's first byte is written to the
//!   return of the client's `read()` that brought the marker frame, both on
//!   `CLOCK_MONOTONIC`;
//! - *server CPU per message* is the server process's `utime + stime` over the
//!   measured window divided by delivered messages;
//! - *RSS per connection* is (RSS with every client connected and subscribed −
//!   RSS before the first connection) / N.
//!
//! In tournament mode (`wardcast-nats`) the server is several processes: the
//! `server_cpu_*` figures sum all of them (nats-server, the ingest, the
//! edges), the `edge_cpu_*` figures the edges only, the RSS figures the edges
//! only, and [`ProcFigures`] has each process alone.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The figures of one process of a server made of several.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcFigures {
    /// `nats`, `ingest`, `edge0`, ...
    pub name: String,
    /// Clients connected to it.
    pub clients: u64,
    /// CPU seconds over the measured window.
    pub cpu_s: f64,
    /// CPU in % of one core.
    pub cpu_pct: f64,
    /// CPU per delivered message (every client's, of every edge), µs.
    pub cpu_us_per_msg: f64,
    /// RSS before any client connected, KiB.
    pub rss_base_kib: u64,
    /// RSS with every client connected (idle: after the hold), KiB.
    pub rss_kib: u64,
    /// RSS at the end of the run, clients still connected, KiB.
    pub rss_end_kib: u64,
    /// Open file descriptors before any client connected.
    pub fds_base: u64,
    /// Open file descriptors with every client connected.
    pub fds: u64,
    /// (rss − base) / its clients, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_per_conn_kib: Option<f64>,
    /// (fds − base) / its clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fds_per_conn: Option<f64>,
}

/// What went through nats-server over the measured window (its `/varz`
/// counters: client messages and payload bytes in and out, JetStream's
/// own traffic included).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NatsLoad {
    /// Messages received per second.
    pub in_msgs_per_s: f64,
    /// Bytes received per second.
    pub in_bytes_per_s: f64,
    /// Messages sent per second.
    pub out_msgs_per_s: f64,
    /// Bytes sent per second.
    pub out_bytes_per_s: f64,
}

/// The figures of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunResult {
    /// The scenario (`fanout`, `selective`, `slow`, `idle`, `rate`, `smoke`).
    pub scenario: String,
    /// The server: `wardcast`, `floor`, `node` or `url`.
    pub target: String,
    /// Clients measured (a slow client is extra).
    pub clients: usize,
    /// Snapshots per second posted, per source.
    pub rate: f64,
    /// Edge processes (tournament mode), else 1.
    pub edges: usize,
    /// Sources posted to (matches).
    pub matches: usize,
    /// Which repetition of its step this is (`--repeat`), from 0.
    pub repeat: usize,
    /// `player` or `spectator` bodies.
    pub mode: String,
    /// The 1-minute load average when the run started.
    pub load_avg: Option<f64>,
    /// CPU used on the machine over the measured window by anything but the
    /// server's processes and the bench's clients (the poster, other jobs),
    /// in % of one core.
    pub other_cpu_pct: f64,
    /// Snapshots measured (after the warm-up).
    pub snapshots: usize,
    /// Seconds from the first measured post to the last.
    pub seconds: f64,
    /// Delivered messages (see the module docs).
    pub delivered: u64,
    /// Delivered messages per second.
    pub msgs_per_s: f64,
    /// Text frames per client per snapshot.
    pub frames_per_msg: f64,
    /// Payload bytes per client per snapshot.
    pub bytes_per_msg: f64,
    /// Latency percentiles and maximum, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// 99.9th percentile latency, ms.
    pub p999_ms: f64,
    /// Maximum latency, ms.
    pub max_ms: f64,
    /// Due messages never received.
    pub lost: u64,
    /// Messages received after a later one.
    pub reordered: u64,
    /// Messages received twice.
    pub duplicates: u64,
    /// Clients that lost their connection.
    pub disconnected: u64,
    /// Clients that could not connect or subscribe.
    pub connect_failed: usize,
    /// Markers a client got from another source than its own.
    pub foreign: u64,
    /// Subscriptions refused as "not ready" and sent again.
    pub subscribe_retries: u64,
    /// Seconds until every client had connected and subscribed.
    pub connect_s: f64,
    /// Tournament mode: seconds from the first post until every edge took a
    /// subscription to every source.
    pub ready_s: Option<f64>,
    /// POSTs answered with a status other than 200.
    pub post_errors: u64,
    /// Server CPU seconds over the measured window.
    pub server_cpu_s: f64,
    /// Server CPU in % of one core.
    pub server_cpu_pct: f64,
    /// Server CPU per delivered message, µs.
    pub server_cpu_us_per_msg: f64,
    /// CPU seconds of the processes that serve clients (the edges; else the server).
    pub edge_cpu_s: f64,
    /// Their CPU in % of one core.
    pub edge_cpu_pct: f64,
    /// Their CPU per delivered message, µs.
    pub edge_cpu_us_per_msg: f64,
    /// nats-server's traffic, in tournament mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats: Option<NatsLoad>,
    /// Each process, when the server is several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub procs: Vec<ProcFigures>,
    /// Posts measured (one broadcast each to its source's clients).
    pub broadcasts: usize,
    /// Broadcasts that reached every client of their source.
    pub broadcasts_complete: usize,
    /// Post to the last client of its source, median over broadcasts, ms.
    pub broadcast_p50_ms: f64,
    /// Post to the last client of its source, the slowest broadcast, ms.
    pub broadcast_max_ms: f64,
    /// Every broadcast's time to its last client, ms (when 50 or fewer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub broadcast_ms: Vec<f64>,
    /// CPU of the bench's client workers in % of one core.
    pub client_cpu_pct: f64,
    /// Server RSS before any client connected, KiB.
    pub rss_base_kib: u64,
    /// Server RSS with every client connected (and, for idle, after the hold), KiB.
    pub rss_kib: u64,
    /// (rss − base) / clients, KiB.
    pub rss_per_conn_kib: f64,
    /// Server RSS at the end of the run, clients still connected, KiB.
    pub rss_end_kib: u64,
    /// (rss_end − base) / clients, KiB: what a connection holds once traffic has flowed.
    pub rss_end_per_conn_kib: f64,
    /// Wardcast's slow-consumer disconnects (4008, from `/metrics`), when known.
    pub slow_disconnects: Option<u64>,
    /// Wardcast's connected clients at the end of the run (from `/metrics`), when known.
    pub server_clients: Option<u64>,
    /// p99 / the floor's p99 in the same invocation.
    pub p99_vs_floor: Option<f64>,
    /// CPU per message / the floor's.
    pub cpu_vs_floor: Option<f64>,
    /// p99 / the Node relay's p99.
    pub p99_vs_node: Option<f64>,
    /// CPU per message / the Node relay's.
    pub cpu_vs_node: Option<f64>,
    /// p99 / the corked Node relay's p99.
    pub p99_vs_node_cork: Option<f64>,
    /// CPU per message / the corked Node relay's.
    pub cpu_vs_node_cork: Option<f64>,
    /// Messages per second / the floor's.
    pub tput_vs_floor: Option<f64>,
    /// p99 / embedded Wardcast's (`wardcast`) in the same scenario.
    pub p99_vs_wardcast: Option<f64>,
    /// Server CPU per message (every process) / embedded Wardcast's.
    pub cpu_vs_wardcast: Option<f64>,
    /// Edge CPU per message / embedded Wardcast's.
    pub edge_cpu_vs_wardcast: Option<f64>,
    /// Highest rate with p99 under the bound (rate search only).
    pub max_rate: Option<f64>,
    /// Anything worth knowing about the run.
    pub note: Option<String>,
}

/// Fills in latency figures from a histogram in microseconds.
pub fn set_latency(r: &mut RunResult, h: &Histogram<u64>) {
    let ms = |us: u64| us as f64 / 1000.0;
    if h.is_empty() {
        return;
    }
    r.p50_ms = ms(h.value_at_quantile(0.50));
    r.p99_ms = ms(h.value_at_quantile(0.99));
    r.p999_ms = ms(h.value_at_quantile(0.999));
    r.max_ms = ms(h.max());
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (a > 0.0 && b > 0.0).then(|| a / b)
}

/// Sets every run's ratios against the floor and the Node relay run of the
/// same scenario, client count and rate.
pub fn add_ratios(results: &mut [RunResult]) {
    let find = |results: &[RunResult], r: &RunResult, target: &str| {
        results
            .iter()
            .find(|o| {
                o.target == target
                    && o.scenario == r.scenario
                    && o.clients == r.clients
                    && o.matches == r.matches
                    && o.repeat == r.repeat
                    && (o.rate - r.rate).abs() < 1e-9
            })
            .cloned()
    };
    let snapshot = results.to_vec();
    for r in results.iter_mut() {
        if let Some(f) = find(&snapshot, r, "floor") {
            r.p99_vs_floor = ratio(r.p99_ms, f.p99_ms);
            r.cpu_vs_floor = ratio(r.server_cpu_us_per_msg, f.server_cpu_us_per_msg);
            r.tput_vs_floor = ratio(r.msgs_per_s, f.msgs_per_s);
        }
        if let Some(n) = find(&snapshot, r, "node") {
            r.p99_vs_node = ratio(r.p99_ms, n.p99_ms);
            r.cpu_vs_node = ratio(r.server_cpu_us_per_msg, n.server_cpu_us_per_msg);
        }
        if let Some(w) = find(&snapshot, r, "wardcast") {
            if r.target != "wardcast" {
                r.p99_vs_wardcast = ratio(r.p99_ms, w.p99_ms);
                r.cpu_vs_wardcast = ratio(r.server_cpu_us_per_msg, w.server_cpu_us_per_msg);
                r.edge_cpu_vs_wardcast = ratio(r.edge_cpu_us_per_msg, w.server_cpu_us_per_msg);
            }
        }
        if let Some(n) = find(&snapshot, r, "node-cork") {
            r.p99_vs_node_cork = ratio(r.p99_ms, n.p99_ms);
            r.cpu_vs_node_cork = ratio(r.server_cpu_us_per_msg, n.server_cpu_us_per_msg);
        }
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

/// The results as a text table.
pub fn table(results: &[RunResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<10} {:<13} {:>6} {:>5} {:>7} {:>7} {:>7} {:>7} {:>8} {:>5} {:>6} {:>7} {:>6} {:>6} {:>6} {:>6} {:>8} {:>6} {:>6} {:>6} {:>6}",
        "scenario", "target", "N", "R", "p50ms", "p99ms", "p999ms", "maxms", "msg/s", "fr/m", "loss", "reorder",
        "cpu%", "us/msg", "cli%", "KiB/c", "maxR", "p99/fl", "cpu/fl", "p99/nd", "cpu/nd"
    );
    for r in results {
        let _ = writeln!(
            s,
            "{:<10} {:<13} {:>6} {:>5} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>8.0} {:>5.1} {:>6} {:>7} {:>6.1} {:>6.2} {:>6.1} {:>6.1} {:>8} {:>6} {:>6} {:>6} {:>6}",
            r.scenario,
            r.target,
            r.clients,
            r.rate,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.max_ms,
            r.msgs_per_s,
            r.frames_per_msg,
            r.lost,
            r.reordered,
            r.server_cpu_pct,
            r.server_cpu_us_per_msg,
            r.client_cpu_pct,
            r.rss_per_conn_kib,
            r.max_rate.map_or_else(|| "-".into(), |v| format!("{v:.0}")),
            opt(r.p99_vs_floor),
            opt(r.cpu_vs_floor),
            opt(r.p99_vs_node),
            opt(r.cpu_vs_node),
        );
        if r.edges > 1 || r.matches > 1 || !r.procs.is_empty() || r.scenario == "nats-hop" {
            let _ = writeln!(
                s,
                "           {} edges, {} sources, {} bodies; edge CPU {:.1} % = {:.2} us/msg; foreign {}; broadcasts complete {}/{}, to the last client p50 {:.1} ms, max {:.1} ms; connect {:.1} s; other CPU {:.0} %",
                r.edges,
                r.matches,
                r.mode,
                r.edge_cpu_pct,
                r.edge_cpu_us_per_msg,
                r.foreign,
                r.broadcasts_complete,
                r.broadcasts,
                r.broadcast_p50_ms,
                r.broadcast_max_ms,
                r.connect_s,
                r.other_cpu_pct,
            );
        }
        if let Some(n) = &r.nats {
            let _ = writeln!(
                s,
                "           nats-server: in {:.0} msgs/s {:.0} KB/s, out {:.0} msgs/s {:.0} KB/s",
                n.in_msgs_per_s,
                n.in_bytes_per_s / 1000.0,
                n.out_msgs_per_s,
                n.out_bytes_per_s / 1000.0,
            );
        }
        for p in &r.procs {
            let _ = writeln!(
                s,
                "           {:<7} clients {:>6}  cpu {:>6.1} %  {:>6.2} us/msg  rss {} -> {} KiB{}  fds {} -> {}{}",
                p.name,
                p.clients,
                p.cpu_pct,
                p.cpu_us_per_msg,
                p.rss_base_kib,
                p.rss_kib,
                p.rss_per_conn_kib
                    .map_or_else(String::new, |v| format!(" ({v:.1} KiB/conn)")),
                p.fds_base,
                p.fds,
                p.fds_per_conn
                    .map_or_else(String::new, |v| format!(" ({v:.2}/conn)")),
            );
        }
        if let Some(note) = &r.note {
            let _ = writeln!(s, "           note: {note}");
        }
    }
    s
}
