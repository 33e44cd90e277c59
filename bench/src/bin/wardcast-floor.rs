//! `wardcast-floor`: the physical floor of the fan-out benchmark (issue 6).
//!
//! A minimal tokio TCP + WebSocket server with no engine, no filter and no
//! protocol. It loads the frames Wardcast sends per snapshot (rendered by
//! `wardcast-bench` with the real engine and broker, per subscription group),
//! pre-encodes each snapshot's frames of each group into one buffer, and on
//! every `POST /gsi` sends the next snapshot's buffer to every connected
//! client of each group: one `write()` per client per snapshot. It does not
//! parse the body; the k-th POST triggers snapshot k, so the bench's
//! POST-to-receive latency means the same thing as for Wardcast.
//!
//! - `GET /ws?group=G`: a WebSocket upgrade; the client is served from the
//!   moment the `101` is sent and anything it sends is read and discarded.
//! - `POST /gsi` (any path): keep-alive; answered `200` at once.
//!
//! Like Wardcast, each connection is a task fed from a bounded broadcast ring
//! (256 snapshots; a client further behind is dropped), on a multi-thread
//! runtime with one worker per core, with `TCP_NODELAY`.
//!
//! Usage: `wardcast-floor --frames FILE [--listen 127.0.0.1:0]`; prints
//! `listening ADDR`, exits when stdin closes.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use wardcast_bench::frames::FrameSet;
use wardcast_bench::ws;

/// Snapshots a client may fall behind before it is dropped (Wardcast's ring size).
const RING: usize = 256;

struct State {
    /// `snapshots[g][k]`: group `g`'s frames of snapshot `k`, WebSocket-encoded back to back.
    snapshots: Vec<Vec<Bytes>>,
    rings: Vec<broadcast::Sender<Bytes>>,
    next: AtomicUsize,
}

fn main() -> ExitCode {
    let mut frames_path = None;
    let mut listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--frames" => frames_path = args.next(),
            "--listen" => match args.next().and_then(|a| a.parse().ok()) {
                Some(a) => listen = a,
                None => return usage("--listen needs IP:PORT"),
            },
            _ => return usage(&format!("unknown argument {arg}")),
        }
    }
    let Some(frames_path) = frames_path else {
        return usage("--frames FILE is required");
    };
    let set: FrameSet = match std::fs::read(&frames_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(set) => set,
        Err(e) => {
            eprintln!("wardcast-floor: {frames_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    wardcast_bench::raise_nofile_limit();
    let snapshots: Vec<Vec<Bytes>> = set
        .groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|frames| {
                    let mut buf = Vec::new();
                    for f in frames {
                        ws::encode_server(ws::OP_TEXT, f.as_bytes(), &mut buf);
                    }
                    Bytes::from(buf)
                })
                .collect()
        })
        .collect();
    let rings = snapshots
        .iter()
        .map(|_| broadcast::channel(RING).0)
        .collect();
    let state = Arc::new(State {
        snapshots,
        rings,
        next: AtomicUsize::new(0),
    });
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wardcast-floor: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(state, listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wardcast-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!("wardcast-floor: {why}\nusage: wardcast-floor --frames FILE [--listen IP:PORT]");
    ExitCode::FAILURE
}

async fn serve(state: Arc<State>, listen: SocketAddr) -> std::io::Result<()> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    let listener = socket.listen(4096)?;
    println!("listening {}", listener.local_addr()?);
    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::pin!(stdin_closed);
    loop {
        tokio::select! {
            () = &mut stdin_closed => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, state.clone()));
                }
                Err(e) => {
                    eprintln!("wardcast-floor: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// One HTTP connection: requests until it upgrades or closes.
async fn connection(mut stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let end = loop {
            if let Some(end) = ws::head_end(&buf) {
                break end;
            }
            if buf.len() > 64 * 1024 {
                return;
            }
            if buf.capacity() - buf.len() < 1024 {
                buf.reserve(8192);
            }
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        let Ok(head) = std::str::from_utf8(&buf[..end]) else {
            return;
        };
        let mut parts = head.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut length = 0usize;
        let mut key = None;
        for line in head.lines().skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("sec-websocket-key") {
                    key = Some(value.trim().to_string());
                }
            }
        }
        buf.drain(..end);
        if method == "GET" && target.starts_with("/ws") {
            let Some(key) = key else {
                let _ = stream
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return;
            };
            let group = target
                .split_once("group=")
                .and_then(|(_, g)| g.split('&').next())
                .and_then(|g| g.parse::<usize>().ok())
                .unwrap_or(0)
                .min(state.rings.len().saturating_sub(1));
            let Some(ring) = state.rings.get(group) else {
                return;
            };
            // Subscribed before the 101, so a client that sees it is served.
            let rx = ring.subscribe();
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                derive_accept_key(key.as_bytes())
            );
            if stream.write_all(response.as_bytes()).await.is_err() {
                return;
            }
            websocket(stream, rx).await;
            return;
        }
        if method == "POST" {
            while buf.len() < length {
                match stream.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
            buf.drain(..length);
            let k = state.next.fetch_add(1, Ordering::Relaxed);
            for (ring, snapshots) in state.rings.iter().zip(&state.snapshots) {
                if !snapshots.is_empty() {
                    // An error only means no client of this group is connected.
                    let _ = ring.send(snapshots[k % snapshots.len()].clone());
                }
            }
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            continue;
        }
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
}

/// A WebSocket client: one write per snapshot; what it sends is discarded.
async fn websocket(stream: TcpStream, mut rx: broadcast::Receiver<Bytes>) {
    let (mut rd, mut wr) = stream.into_split();
    let mut scratch = [0u8; 512];
    loop {
        tokio::select! {
            read = rd.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            next = rx.recv() => match next {
                Ok(snapshot) => {
                    if wr.write_all(&snapshot).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_) | RecvError::Closed) => return,
            },
        }
    }
}
