//! Wardcast under test, in a process of its own (`wardcast-bench
//! --serve-wardcast`), so its CPU time and RSS can be read from `/proc`.
//!
//! It runs `wardcast::run` with the default configuration (as `wardcast
//! serve` does, on a multi-thread runtime with one worker per core) on a
//! listener bound to `127.0.0.1:0` with a backlog of 4096, prints
//! `listening ADDR` on stdout, and shuts down when stdin closes.
//!
//! Tournament mode: `--nats URL --role ingest|edge|both [--node-name NAME]
//! [--nats-memory]` sets `config.federation` (the node federates over NATS
//! JetStream, as `wardcast serve --nats URL --role ROLE` does).

use std::process::ExitCode;

use tokio::io::AsyncReadExt;
use wardcast::federation::{FederationConfig, Role};

/// The most connections the bench lets Wardcast accept (the default, 10,000,
/// is exactly the idle scenario's count, and the bench adds a slow client).
pub const MAX_CONNECTIONS: usize = 19_000;

/// The node's options, from the arguments after `--serve-wardcast`.
#[derive(Debug, Default)]
struct Options {
    nats: Option<String>,
    role: Option<Role>,
    name: Option<String>,
    memory: bool,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--nats" => o.nats = Some(value("--nats")?),
            "--role" => {
                o.role = Some(match value("--role")?.as_str() {
                    "ingest" => Role::Ingest,
                    "edge" => Role::Edge,
                    "both" => Role::Both,
                    other => return Err(format!("unknown role {other:?}")),
                });
            }
            "--node-name" => o.name = Some(value("--node-name")?),
            "--nats-memory" => o.memory = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if o.nats.is_none() && (o.role.is_some() || o.name.is_some() || o.memory) {
        return Err("--role, --node-name and --nats-memory need --nats".into());
    }
    Ok(o)
}

/// Runs Wardcast until stdin closes.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let options = match options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("serve-wardcast: {e}");
            return ExitCode::FAILURE;
        }
    };
    crate::raise_nofile_limit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("serve-wardcast: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(([127, 0, 0, 1], 0).into())?;
        let listener = socket.listen(4096)?;
        println!("listening {}", listener.local_addr()?);
        let mut config = wardcast::Config::default();
        config.broker.max_connections = MAX_CONNECTIONS;
        if let Some(url) = options.nats {
            config.federation = Some(FederationConfig {
                bus: wardcast_bus::BusConfig {
                    urls: vec![url],
                    name: options
                        .name
                        .unwrap_or_else(|| format!("bench-{}", std::process::id())),
                    memory: options.memory,
                    ..Default::default()
                },
                role: options.role.unwrap_or(Role::Both),
            });
        }
        let shutdown = async {
            let mut stdin = tokio::io::stdin();
            let mut buf = [0u8; 64];
            while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
        };
        wardcast::run(config, listener, shutdown)
            .await
            .map_err(std::io::Error::other)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve-wardcast: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn federation_options_are_read() {
        let o = options(&args(&[
            "--nats",
            "nats://127.0.0.1:4222",
            "--role",
            "edge",
            "--node-name",
            "edge1",
        ]))
        .expect("valid options");
        assert_eq!(o.nats.as_deref(), Some("nats://127.0.0.1:4222"));
        assert_eq!(o.role, Some(Role::Edge));
        assert_eq!(o.name.as_deref(), Some("edge1"));
        assert!(options(&args(&[])).is_ok_and(|o| o.nats.is_none()));
        assert!(options(&args(&["--role", "edge"])).is_err());
        assert!(options(&args(&["--nats", "x", "--role", "hub"])).is_err());
    }
}
