//! A worker process: a share of the bench's WebSocket clients.
//!
//! The coordinator starts `wardcast-bench --worker`, writes one JSON line of
//! [`WorkerConfig`] to its stdin, and reads JSON lines of [`Report`] from its
//! stdout:
//! 1. the worker connects every client (bound to its 127.0.0.x source
//!    address), subscribes it, and reports [`Report::Ready`];
//! 2. the clients read; each records `(marker, CLOCK_MONOTONIC ns)` for every
//!    marker frame, timestamped when the read that brought it returned;
//! 3. on [`Command::Finish`] (the post times of the measured markers), each
//!    client stops once it has the last marker or the wait is over, and the
//!    worker reports [`Report::Result`]: the latency histogram, loss,
//!    reordering and what was received.
//!
//! A slow client subscribes and then never reads again, with a small receive
//! buffer so that the server's writes to it back up within seconds.
//!
//! A worker can serve clients of several servers (the edges of a tournament
//! deployment) and several *streams* (GSI sources, one body sequence each,
//! with markers of their own): each client names its server and its stream,
//! and loss and reordering are counted against its own stream's posts. A
//! marker outside the client's stream's range is *foreign* (another source's
//! data reached it). A subscription an edge refuses as "not ready" (it has not
//! caught up with the source's stream yet) is retried every 200 ms for up to
//! 30 s.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;

use crate::clock::now_ns;
use crate::workload::find_marker;
use crate::ws;

/// How a client talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// Overwolf-style JSON-RPC: send `setRequiredFeatures`, wait for its result
    /// (Wardcast and the Node relay).
    Rpc,
    /// No protocol: the client is served as soon as the upgrade completes (the floor).
    Raw,
}

/// One client of a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSpec {
    /// The source address the client binds before connecting.
    pub source: Ipv4Addr,
    /// Its subscription group (index into [`WorkerConfig::groups`]).
    pub group: usize,
    /// Whether it stops reading after subscribing.
    pub slow: bool,
    /// The server it connects to (index into [`WorkerConfig::servers`]).
    pub server: usize,
    /// The stream it watches (index into [`WorkerConfig::streams`]).
    pub stream: usize,
}

/// One stream (GSI source) as the clients see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamSpec {
    /// The WebSocket path for it (`/ws`, `/ws?source=m3`); `group=G` is
    /// appended for the floor.
    pub path: String,
    /// The first measured marker: frames are counted from the marker before it.
    pub measure_from: i64,
    /// Every marker the stream's bodies carry: `first..=last`; any other
    /// marker a client of it receives is foreign.
    pub markers: (i64, i64),
}

/// Everything a worker needs, sent as its first stdin line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerConfig {
    /// The servers' addresses.
    pub servers: Vec<SocketAddr>,
    /// The streams.
    pub streams: Vec<StreamSpec>,
    /// How clients subscribe.
    pub protocol: Protocol,
    /// The features of each subscription group.
    pub groups: Vec<Vec<String>>,
    /// The clients.
    pub clients: Vec<ClientSpec>,
    /// Connections opened at once.
    pub connect_parallel: usize,
    /// `SO_RCVBUF` of a slow client, in bytes.
    pub slow_rcvbuf: u32,
}

/// A coordinator command, one stdin line after the config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// The run is over: here are the measured markers and when each was posted.
    Finish {
        /// Per stream, `(marker, post start ns)` of every measured snapshot.
        posts: Vec<Vec<(i64, u64)>>,
        /// Wait at most this long for the last marker to reach every client.
        wait_ms: u64,
    },
}

/// What a worker measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkerResult {
    /// POST-to-receive latency: `(microseconds, count)` pairs of an hdrhistogram.
    pub histogram: Vec<(u64, u64)>,
    /// Clients that were measured (slow ones excluded).
    pub clients: u64,
    /// Measured markers received (each client counts once per marker).
    pub delivered: u64,
    /// Measured markers due: measured clients × measured snapshots.
    pub expected: u64,
    /// Due markers never received.
    pub lost: u64,
    /// Markers received after a later one.
    pub reordered: u64,
    /// Markers received twice.
    pub duplicates: u64,
    /// Text frames received during the measured window.
    pub frames: u64,
    /// Payload bytes of those frames.
    pub bytes: u64,
    /// Clients whose connection closed or failed before the end.
    pub disconnected: u64,
    /// Markers received that belong to no marker of the client's stream.
    pub foreign: u64,
    /// Per measured marker, `(stream, marker, clients that got it, the last
    /// receive ns)`: when a broadcast reached the last of this worker's clients.
    pub broadcasts: Vec<(usize, i64, u64, u64)>,
    /// The first receive of a measured marker, ns.
    pub first_ns: u64,
    /// The last receive of a measured marker, ns.
    pub last_ns: u64,
}

/// A worker's line on stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Report {
    /// Every client has connected (and subscribed) or failed.
    Ready {
        /// Clients connected and subscribed.
        connected: usize,
        /// Clients that could not.
        failed: usize,
        /// The first failure.
        error: Option<String>,
        /// Subscriptions refused as "not ready" and sent again.
        #[serde(default)]
        retries: u64,
    },
    /// The measurements.
    Result(WorkerResult),
}

/// The end of a run as the clients see it.
#[derive(Debug, Clone)]
struct Finish {
    /// The last measured marker of each stream.
    last_markers: Arc<[i64]>,
    deadline: Instant,
}

impl Finish {
    fn last_marker(&self, stream: usize) -> i64 {
        self.last_markers.get(stream).copied().unwrap_or(i64::MIN)
    }
}

struct Shared {
    config: WorkerConfig,
    /// The masked `setRequiredFeatures` frame of each group.
    subscribe: Vec<Vec<u8>>,
}

/// What one client saw.
#[derive(Default)]
struct Outcome {
    slow: bool,
    stream: usize,
    records: Vec<(i64, u64)>,
    frames: u64,
    bytes: u64,
    disconnected: bool,
}

const MASK: [u8; 4] = [0x5a, 0x17, 0xc3, 0x2e];

fn err(what: impl Into<String>) -> io::Error {
    io::Error::other(what.into())
}

/// A client connection: the socket and what has been read but not parsed.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn fill(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        self.stream.read_buf(&mut self.buf).await
    }

    /// The next complete frame's header, if buffered.
    fn frame(&self) -> Option<ws::Header> {
        ws::parse_header(&self.buf).filter(|h| self.buf.len() >= h.frame_len())
    }
}

/// How long a client keeps asking a source that is not ready yet, and how often.
const NOT_READY_FOR: Duration = Duration::from_secs(30);
const NOT_READY_EVERY: Duration = Duration::from_millis(200);

async fn connect(spec: ClientSpec, shared: &Shared, retries: &mut u64) -> io::Result<Conn> {
    let cfg = &shared.config;
    let server = *cfg
        .servers
        .get(spec.server)
        .ok_or_else(|| err("no such server"))?;
    let stream_spec = cfg
        .streams
        .get(spec.stream)
        .ok_or_else(|| err("no such stream"))?;
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(spec.source.into(), 0))?;
    if spec.slow {
        socket.set_recv_buffer_size(cfg.slow_rcvbuf)?;
    }
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    let mut conn = Conn {
        stream,
        buf: Vec::with_capacity(8 * 1024),
    };
    let sep = if stream_spec.path.contains('?') {
        '&'
    } else {
        '?'
    };
    let path = format!("{}{sep}group={}", stream_spec.path, spec.group);
    let request = ws::upgrade_request(&server.to_string(), &path);
    conn.stream.write_all(request.as_bytes()).await?;
    let end = loop {
        if let Some(end) = ws::head_end(&conn.buf) {
            break end;
        }
        if conn.fill().await? == 0 {
            return Err(err("closed during the upgrade"));
        }
    };
    let status = String::from_utf8_lossy(&conn.buf[..end.min(64)]).to_string();
    if !status.starts_with("HTTP/1.1 101") {
        let line = status.lines().next().unwrap_or("").to_string();
        return Err(err(format!("upgrade refused: {line}")));
    }
    conn.buf.drain(..end);
    if cfg.protocol == Protocol::Rpc {
        let frame = shared
            .subscribe
            .get(spec.group)
            .ok_or_else(|| err("no such group"))?;
        conn.stream.write_all(frame).await?;
        let give_up = Instant::now() + NOT_READY_FOR;
        loop {
            if let Some(h) = conn.frame() {
                let payload = &conn.buf[h.header_len..h.frame_len()];
                let is_result = h.opcode == ws::OP_TEXT
                    && memchr::memmem::find(payload, b"\"id\":1").is_some()
                    && memchr::memmem::find(payload, b"\"result\"").is_some();
                if h.opcode == ws::OP_CLOSE {
                    return Err(err("closed while subscribing"));
                }
                let refused =
                    is_result && memchr::memmem::find(payload, b"\"success\":true").is_none();
                let not_ready = refused && memchr::memmem::find(payload, b"not ready").is_some();
                if refused && !(not_ready && Instant::now() < give_up) {
                    return Err(err(format!(
                        "subscription refused: {}",
                        String::from_utf8_lossy(payload)
                    )));
                }
                conn.buf.drain(..h.frame_len());
                if not_ready {
                    // The edge has not caught up with the source yet: ask again.
                    *retries += 1;
                    tokio::time::sleep(NOT_READY_EVERY).await;
                    conn.stream.write_all(frame).await?;
                    continue;
                }
                if is_result {
                    break;
                }
                continue;
            }
            if conn.fill().await? == 0 {
                return Err(err("closed while subscribing"));
            }
        }
    }
    Ok(conn)
}

/// Reads until the run is over; records every marker with its receive time.
async fn read_loop(
    conn: &mut Conn,
    stream: usize,
    measure_from: i64,
    mut finish: watch::Receiver<Option<Finish>>,
    out: &mut Outcome,
) {
    let mut max_marker = i64::MIN;
    let mut message: Vec<u8> = Vec::new();
    let mut pong = Vec::new();
    let mut t_read = now_ns();
    loop {
        // Everything complete in the buffer arrived by `t_read`.
        let mut at = 0;
        while let Some(h) = ws::parse_header(&conn.buf[at..]) {
            if conn.buf.len() - at < h.frame_len() {
                break;
            }
            let payload = &conn.buf[at + h.header_len..at + h.frame_len()];
            match h.opcode {
                ws::OP_TEXT | ws::OP_BINARY | ws::OP_CONTINUATION => {
                    let whole: &[u8] = if h.fin && message.is_empty() {
                        payload
                    } else {
                        message.extend_from_slice(payload);
                        if !h.fin {
                            at += h.frame_len();
                            continue;
                        }
                        &message
                    };
                    if max_marker >= measure_from - 1 {
                        out.frames += 1;
                        out.bytes += whole.len() as u64;
                    }
                    if let Some(m) = find_marker(whole) {
                        out.records.push((m, t_read));
                        max_marker = max_marker.max(m);
                    }
                    message.clear();
                }
                ws::OP_PING => {
                    pong.clear();
                    ws::encode_client(ws::OP_PONG, payload, MASK, &mut pong);
                    if conn.stream.write_all(&pong).await.is_err() {
                        out.disconnected = true;
                        return;
                    }
                }
                ws::OP_CLOSE => {
                    out.disconnected = true;
                    return;
                }
                _ => {}
            }
            at += h.frame_len();
        }
        conn.buf.drain(..at);
        let end = finish.borrow().clone();
        if let Some(end) = &end {
            if max_marker >= end.last_marker(stream) {
                return;
            }
        }
        tokio::select! {
            read = conn.fill() => match read {
                Ok(0) | Err(_) => {
                    out.disconnected = true;
                    return;
                }
                Ok(_) => t_read = now_ns(),
            },
            changed = finish.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = async {
                match &end {
                    Some(end) => tokio::time::sleep_until(end.deadline).await,
                    None => std::future::pending().await,
                }
            } => return,
        }
    }
}

async fn client(
    spec: ClientSpec,
    shared: Arc<Shared>,
    gate: Arc<Semaphore>,
    ready: mpsc::UnboundedSender<(Result<(), String>, u64)>,
    mut finish: watch::Receiver<Option<Finish>>,
) -> Outcome {
    let mut out = Outcome {
        slow: spec.slow,
        stream: spec.stream,
        ..Outcome::default()
    };
    let mut retries = 0;
    let connected = {
        let _permit = gate.acquire().await;
        tokio::time::timeout(
            Duration::from_secs(60),
            connect(spec, &shared, &mut retries),
        )
        .await
    };
    let mut conn = match connected {
        Ok(Ok(conn)) => {
            let _ = ready.send((Ok(()), retries));
            conn
        }
        Ok(Err(e)) => {
            let _ = ready.send((Err(e.to_string()), retries));
            out.disconnected = true;
            return out;
        }
        Err(_) => {
            let _ = ready.send((Err("connect timed out after 60 s".into()), retries));
            out.disconnected = true;
            return out;
        }
    };
    drop(ready);
    if spec.slow {
        // Never read again; keep the socket open until the run is over.
        while finish.borrow().is_none() {
            if finish.changed().await.is_err() {
                break;
            }
        }
        return out;
    }
    let measure_from = shared
        .config
        .streams
        .get(spec.stream)
        .map_or(i64::MIN, |s| s.measure_from);
    read_loop(&mut conn, spec.stream, measure_from, finish, &mut out).await;
    out
}

fn summarize(
    outcomes: &[Outcome],
    posts: &[Vec<(i64, u64)>],
    streams: &[StreamSpec],
) -> WorkerResult {
    let post_at: Vec<HashMap<i64, u64>> =
        posts.iter().map(|p| p.iter().copied().collect()).collect();
    let mut hist = new_histogram();
    let mut r = WorkerResult {
        first_ns: u64::MAX,
        ..WorkerResult::default()
    };
    // (stream, marker) -> (clients, last receive)
    let mut broadcasts: HashMap<(usize, i64), (u64, u64)> = HashMap::new();
    let no_posts = Vec::new();
    for o in outcomes.iter().filter(|o| !o.slow) {
        let posts = posts.get(o.stream).unwrap_or(&no_posts);
        let Some(stream) = streams.get(o.stream) else {
            continue;
        };
        let measure_from = stream.measure_from;
        let (first, last_marker) = stream.markers;
        let last = posts.iter().map(|p| p.0).max().unwrap_or(measure_from - 1);
        let range = usize::try_from(last - measure_from + 1).unwrap_or(0);
        r.clients += 1;
        r.frames += o.frames;
        r.bytes += o.bytes;
        r.disconnected += u64::from(o.disconnected);
        let mut seen = vec![false; range];
        let mut max_seen = i64::MIN;
        for &(m, t) in &o.records {
            if m < first || m > last_marker {
                r.foreign += 1;
                continue;
            }
            let idx = usize::try_from(m - measure_from)
                .ok()
                .filter(|&i| i < range);
            let already = idx.is_some_and(|i| seen[i]);
            if already || m == max_seen {
                r.duplicates += 1;
            } else if m < max_seen {
                r.reordered += 1;
            }
            max_seen = max_seen.max(m);
            if let (Some(i), false) = (idx, already) {
                seen[i] = true;
                if let Some(&post) = post_at.get(o.stream).and_then(|p| p.get(&m)) {
                    let micros = (t.saturating_sub(post) / 1000).max(1);
                    let _ = hist.record(micros.min(hist.high()));
                    r.delivered += 1;
                    r.first_ns = r.first_ns.min(t);
                    r.last_ns = r.last_ns.max(t);
                    let b = broadcasts.entry((o.stream, m)).or_insert((0, 0));
                    b.0 += 1;
                    b.1 = b.1.max(t);
                }
            }
        }
        let due = posts.len() as u64;
        let got = posts
            .iter()
            .filter(|(m, _)| {
                usize::try_from(m - measure_from)
                    .ok()
                    .and_then(|i| seen.get(i))
                    .copied()
                    .unwrap_or(false)
            })
            .count() as u64;
        r.expected += due;
        r.lost += due - got;
    }
    if r.first_ns == u64::MAX {
        r.first_ns = 0;
    }
    r.histogram = hist
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    let mut broadcasts: Vec<(usize, i64, u64, u64)> = broadcasts
        .into_iter()
        .map(|((s, m), (n, t))| (s, m, n, t))
        .collect();
    broadcasts.sort_unstable();
    r.broadcasts = broadcasts;
    r
}

/// A latency histogram: 1 µs to 120 s, three significant figures.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("constant, valid bounds")
}

fn emit(report: &Report) {
    use std::io::Write;
    let line = serde_json::to_string(report).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// Runs a worker process (`wardcast-bench --worker`).
pub fn main() -> ExitCode {
    crate::raise_nofile_limit();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("worker: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worker: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> io::Result<()> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines
        .next_line()
        .await?
        .ok_or_else(|| err("no config on stdin"))?;
    let config: WorkerConfig =
        serde_json::from_str(&first).map_err(|e| err(format!("bad config: {e}")))?;
    let subscribe = config
        .groups
        .iter()
        .map(|features| {
            let request = serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "setRequiredFeatures",
                "params": { "features": features },
            });
            let mut frame = Vec::new();
            ws::encode_client(
                ws::OP_TEXT,
                request.to_string().as_bytes(),
                MASK,
                &mut frame,
            );
            frame
        })
        .collect();
    let gate = Arc::new(Semaphore::new(config.connect_parallel.max(1)));
    let clients = config.clients.clone();
    let shared = Arc::new(Shared { config, subscribe });
    let (finish_tx, finish_rx) = watch::channel(None);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let handles: Vec<_> = clients
        .iter()
        .map(|spec| {
            tokio::spawn(client(
                *spec,
                shared.clone(),
                gate.clone(),
                ready_tx.clone(),
                finish_rx.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    let (mut connected, mut failed, mut error, mut retries) = (0, 0, None, 0);
    while let Some((r, tries)) = ready_rx.recv().await {
        retries += tries;
        match r {
            Ok(()) => connected += 1,
            Err(e) => {
                failed += 1;
                error.get_or_insert(e);
            }
        }
    }
    emit(&Report::Ready {
        connected,
        failed,
        error,
        retries,
    });
    let posts = match lines.next_line().await? {
        Some(line) => match serde_json::from_str::<Command>(&line) {
            Ok(Command::Finish { posts, wait_ms }) => {
                let last_markers: Arc<[i64]> = posts
                    .iter()
                    .map(|p| p.iter().map(|p| p.0).max().unwrap_or(i64::MIN))
                    .collect();
                let deadline = Instant::now() + Duration::from_millis(wait_ms);
                let _ = finish_tx.send(Some(Finish {
                    last_markers,
                    deadline,
                }));
                posts
            }
            Err(e) => return Err(err(format!("bad command: {e}"))),
        },
        // The coordinator went away: stop.
        None => {
            let _ = finish_tx.send(Some(Finish {
                last_markers: Arc::from(Vec::new()),
                deadline: Instant::now(),
            }));
            Vec::new()
        }
    };
    let mut outcomes = Vec::with_capacity(handles.len());
    for h in handles {
        outcomes.push(h.await.unwrap_or_default());
    }
    emit(&Report::Result(summarize(
        &outcomes,
        &posts,
        &shared.config.streams,
    )));
    // Stay (and keep the connections) until the coordinator has read this
    // process's CPU time and closes stdin.
    while let Ok(Some(_)) = lines.next_line().await {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(stream: usize, records: &[(i64, u64)]) -> Outcome {
        Outcome {
            stream,
            records: records.to_vec(),
            ..Outcome::default()
        }
    }

    fn stream(measure_from: i64, markers: (i64, i64)) -> StreamSpec {
        StreamSpec {
            path: "/ws".into(),
            measure_from,
            markers,
        }
    }

    #[test]
    fn loss_reordering_and_duplicates_are_counted_per_client() {
        let posts = vec![vec![(10, 1_000_000), (11, 2_000_000), (12, 3_000_000)]];
        let clean = outcome(
            0,
            &[(9, 0), (10, 1_500_000), (11, 2_500_000), (12, 3_500_000)],
        );
        let messy = outcome(0, &[(11, 2_100_000), (10, 2_200_000), (10, 2_300_000)]);
        let r = summarize(&[clean, messy], &posts, &[stream(10, (5, 12))]);
        assert_eq!(r.clients, 2);
        assert_eq!(r.expected, 6);
        assert_eq!(r.delivered, 5);
        assert_eq!(r.lost, 1);
        assert_eq!(r.reordered, 1);
        assert_eq!(r.duplicates, 1);
        let total: u64 = r.histogram.iter().map(|(_, c)| c).sum();
        assert_eq!(total, 5);
        assert_eq!(r.foreign, 0);
        assert_eq!(
            r.broadcasts,
            vec![
                (0, 10, 2, 2_200_000),
                (0, 11, 2, 2_500_000),
                (0, 12, 1, 3_500_000)
            ]
        );
    }

    #[test]
    fn each_client_is_held_to_its_own_stream() {
        let posts = vec![
            vec![(10, 1_000_000), (11, 2_000_000)],
            vec![(110, 1_100_000), (111, 2_100_000)],
        ];
        let streams = [stream(10, (5, 11)), stream(110, (105, 111))];
        let a = outcome(0, &[(10, 1_200_000), (11, 2_200_000)]);
        // Got its own first marker, then one of stream 0's: foreign, and its second lost.
        let b = outcome(1, &[(110, 1_300_000), (11, 2_300_000)]);
        let r = summarize(&[a, b], &posts, &streams);
        assert_eq!(r.expected, 4);
        assert_eq!(r.delivered, 3);
        assert_eq!(r.lost, 1);
        assert_eq!(r.foreign, 1);
        assert_eq!(r.reordered, 0);
        assert_eq!(r.broadcasts.len(), 3);
    }
}
