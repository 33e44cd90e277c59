//! Counter-Strike 2 for Wardcast: the GSI payload model of CS2 (app id 730),
//! parsed from what the game really sends (see `tests/fixtures/`), and the
//! pure feature engine that turns consecutive bodies into Overwolf's CS2
//! events and info updates, the legacy CS:GO (Overwolf 7764) features beside
//! them, and, when spectating, every player's events and the bomb and phase
//! countdowns (`protocol/features.md`, section Counter-Strike 2).
//!
//! ```
//! let body = br#"{"provider":{"appid":730,"steamid":"76561197960265729"},
//!     "player":{"steamid":"76561197960265729","match_stats":{"kills":2}}}"#;
//! let state = wardcast_cs2::parse(body).expect("a CS2 body");
//! assert_eq!(state.me().and_then(|p| p.match_stats.as_ref()?.kills), Some(2));
//! ```

pub mod catalogue;
pub mod demo;
pub mod engine;
mod game;
pub mod legacy;
pub mod model;

pub use catalogue::CATALOGUE;
pub use engine::Engine;
pub use game::{Cs2, CLASS_ID, GAME};
pub use model::{parse, GameState, Mode, APP_ID};
