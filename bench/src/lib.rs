//! Wardcast's benchmark harness (issue 6).
//!
//! The package builds two binaries:
//! - `wardcast-bench`, the load generator and coordinator (a separate binary in
//!   the workspace, not a `wardcast` subcommand, so the product binary carries
//!   no bench code). It starts the server under test in its own process (or
//!   targets `--url`), spreads N real WebSocket clients over worker processes
//!   (itself re-executed with a hidden `--worker` flag) bound to several
//!   127.0.0.x source addresses, posts a GSI sequence at a fixed rate and
//!   measures POST-to-receive latency, loss, reordering, server CPU and RSS.
//! - `wardcast-floor`, the physical floor: a minimal tokio TCP + WebSocket
//!   server that sends pre-serialized frames with one write per client per
//!   snapshot and does nothing else.
//!
//! The Node relay peer lives in `bench/node-relay/` (npm `ws`).
//!
//! # Modules
//! - [`clock`]: CLOCK_MONOTONIC nanoseconds, comparable across processes.
//! - [`ws`]: the little of RFC 6455 the client and the floor need.
//! - [`http`]: a keep-alive HTTP/1.1 client for the GSI posts.
//! - [`procstat`]: CPU time and RSS of a process from `/proc`.
//! - [`workload`]: the GSI bodies posted and the client subscriptions.
//! - [`frames`]: the frames Wardcast sends per snapshot, rendered in-process by
//!   the real engine and broker, for the floor to replay.
//! - [`worker`]: a worker process's clients and their measurements.
//! - [`server`]: Wardcast started in a bench-owned process.
//! - [`report`]: results, ratios, the table and the JSON.

pub mod clock;
pub mod frames;
pub mod http;
pub mod procstat;
pub mod report;
pub mod server;
pub mod worker;
pub mod workload;
pub mod ws;

/// Raises this process's soft open-file limit to the hard limit (20,000 on
/// the build machines), so one process can hold thousands of sockets.
pub fn raise_nofile_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        // Best effort: the bench reports connection failures if this did not help.
        let _ = setrlimit(Resource::Nofile, raised);
    }
}
