#![doc = include_str!("../README.md")]
//!
//! ## Layout
//! - [`body`]: what every game's GSI body has: [`Auth`], the client [`Mode`],
//!   [`app_id`] (which game sent a body, read from `provider.appid` alone),
//!   [`parse_as`] (any game's model, with the JSON path of a malformed field)
//!   and [`Parsed`], a body parsed by its game's model. The games' models
//!   live with their games (`games/dota2`, `games/cs2`).
//! - `ingest` (feature `ingest`, default): an axum router that accepts
//!   `POST /gsi`, `POST /gsi/<source>` and `POST /`, answers at once, and hands
//!   each accepted body to a [`SnapshotSink`] (a bounded channel, or a router of
//!   sources) as a [`Snapshot`]. The games depend on this crate without
//!   the feature, so they see no tokio.
//! - [`Error`]: every way a body is refused, each mapped to its HTTP status.

pub mod body;

mod error;
#[cfg(feature = "ingest")]
mod ingest;

pub use body::{app_id, integer_or_string, parse_as, Auth, Mode, ParseError, Parsed};
pub use error::Error;
#[cfg(feature = "ingest")]
pub use ingest::{router, IngestConfig, IngestStats, Offered, Snapshot, SnapshotSink, Stored};
