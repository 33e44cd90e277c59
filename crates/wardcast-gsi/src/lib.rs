#![doc = include_str!("../README.md")]
//!
//! ## Layout
//! - [`model`]: serde types for a GSI body ([`GameState`]), tolerant of every
//!   missing or unknown field, for player, spectator and idle bodies alike, and
//!   [`parse`], which reports the JSON path of a malformed field.
//! - `ingest` (feature `ingest`, on by default): an axum router that accepts
//!   `POST /gsi`, `POST /gsi/<source>` and `POST /`, answers at once, and hands
//!   each accepted body to a [`SnapshotSink`] (a bounded channel, or a router of
//!   sources) as a [`Snapshot`]. The engine depends on this crate without
//!   the feature, so it sees the model and no tokio.
//! - [`Error`]: every way a body is refused, each mapped to its HTTP status.

pub mod model;

mod error;
#[cfg(feature = "ingest")]
mod ingest;

pub use error::Error;
#[cfg(feature = "ingest")]
pub use ingest::{router, IngestConfig, IngestStats, Offered, Snapshot, SnapshotSink, Stored};
pub use model::{parse, GameState, Mode, ParseError};
