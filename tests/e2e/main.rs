//! End-to-end tests: a real broker on `127.0.0.1:0`, real WebSocket clients,
//! real HTTP posts. Every message a client receives is validated against the
//! JSON Schema of `protocol/schemas/`. Every await has a timeout; no test sleeps
//! to synchronize: a test waits for an observable message instead.

mod util;

mod bad_input;
mod binary;
mod cs2;
mod dashboard;
mod demo_coverage;
mod demo_cs2;
mod demo_spectator;
mod examples;
#[cfg(feature = "nats")]
mod faults;
mod features;
#[cfg(feature = "nats")]
mod federation;
mod protocol_examples;
mod reliability;
mod requests;
mod serving;
mod setup;
mod sources;
