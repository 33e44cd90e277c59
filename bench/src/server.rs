//! Wardcast under test, in a process of its own (`wardcast-bench
//! --serve-wardcast`), so its CPU time and RSS can be read from `/proc`.
//!
//! It runs `wardcast::run` with the default configuration (as `wardcast
//! serve` does, on a multi-thread runtime with one worker per core) on a
//! listener bound to `127.0.0.1:0` with a backlog of 4096, prints
//! `listening ADDR` on stdout, and shuts down when stdin closes.

use std::process::ExitCode;

use tokio::io::AsyncReadExt;

/// The most connections the bench lets Wardcast accept (the default, 10,000,
/// is exactly the idle scenario's count, and the bench adds a slow client).
pub const MAX_CONNECTIONS: usize = 19_000;

/// Runs Wardcast until stdin closes.
pub fn main() -> ExitCode {
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
