//! Typed messages of protocol v1, for clients and tests.
//!
//! The broker renders its own messages with borrowed, zero-copy structs; these
//! owned types are the client's view of the same contract (see `protocol/` at
//! the repository root). Every example in `protocol/examples/` round-trips
//! through them unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalogue::FeatureDef;

/// The `dataFormat` a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// Overwolf's strings (the default).
    String,
    /// JSON values.
    Object,
}

/// A request from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// The request id: a string or a number.
    pub id: Value,
    /// The method name.
    pub method: String,
    /// The params, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

/// Params of `setRequiredFeatures`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRequiredFeaturesParams {
    /// The features wanted.
    pub features: Vec<String>,
    /// The data format; `string` when absent.
    #[serde(
        rename = "dataFormat",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_format: Option<DataFormat>,
    /// The source (match) to watch, on a broker that serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Params of `resume`: a subscription plus where the client left off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeParams {
    /// The features wanted.
    pub features: Vec<String>,
    /// The data format; `string` when absent.
    #[serde(
        rename = "dataFormat",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_format: Option<DataFormat>,
    /// The epoch of the last result received.
    pub epoch: String,
    /// The seq of the last notification received.
    pub since: u64,
    /// The source (match) to watch, on a broker that serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The result of `listSources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSourcesResult {
    /// Every source the broker serves, the configured default first.
    pub sources: Vec<SourceInfo>,
}

/// One source, as `listSources` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// The source id.
    pub source: String,
    /// Its epoch.
    pub epoch: String,
    /// Whether its game is sending data.
    pub running: bool,
    /// Milliseconds since its last game data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_age_ms: Option<u64>,
    /// Clients watching it.
    pub clients: usize,
    /// Whether clients that name no source get it.
    pub default: bool,
    /// What the publisher reports (`mode`, `matchId`, `matchState`).
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

/// A response to a request: a result or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// The request's id, or null when it could not be read.
    pub id: Value,
    /// The result, on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// The error, on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

/// A JSON-RPC error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// The error code (-32700, -32600, -32601, -32602, -32603).
    pub code: i64,
    /// What went wrong.
    pub message: String,
    /// More detail, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// The result of `setRequiredFeatures` or `resume`, success or failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRequiredFeaturesResult {
    /// Whether at least one feature is now subscribed.
    pub success: bool,
    /// `"success"` or `"error"` (Overwolf's older convention).
    pub status: String,
    /// On failure, why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// On failure, why (Overwolf's older convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The requested features now subscribed, in request order.
    pub supported_features: Vec<String>,
    /// The requested features that are unknown or unsupported.
    pub unsupported_features: Vec<String>,
    /// On success, the broker run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// On success, the seq the snapshot covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// For `resume`: whether every missed notification is replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<bool>,
    /// For `resume`: how many notifications are replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed: Option<u64>,
}

/// The result of `getInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetInfoResult {
    /// Always true.
    pub success: bool,
    /// Always `"success"`.
    pub status: String,
    /// category → key → value, plus `features`.
    pub res: Map<String, Value>,
}

/// The result of `getFeatures`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetFeaturesResult {
    /// The catalogue.
    pub features: Vec<FeatureDef>,
}

/// The game as `getRunningGameInfo` and `onGameInfoUpdated` describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameInfo {
    /// Whether game data is arriving.
    pub is_running: bool,
    /// Overwolf's game class id.
    pub class_id: u32,
    /// Overwolf's running-game id (class id × 10 + 1).
    pub id: u32,
    /// The game's title.
    pub title: String,
}

/// The result of `getRunningGameInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningGameInfoResult {
    /// Always true.
    pub success: bool,
    /// Always `"success"`.
    pub status: String,
    /// The game.
    #[serde(flatten)]
    pub game: GameInfo,
    /// Milliseconds since the last game data, or null.
    pub last_update_age_ms: Option<u64>,
}

/// A notification from the broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params")]
pub enum Notification {
    /// Events of one feature.
    #[serde(rename = "onNewEvents")]
    NewEvents(NewEvents),
    /// Info of one feature.
    #[serde(rename = "onInfoUpdates2")]
    InfoUpdates2(InfoUpdates),
    /// A problem for this client.
    #[serde(rename = "onError")]
    Error(ErrorNotice),
    /// The game started or stopped sending data.
    #[serde(rename = "onGameInfoUpdated")]
    GameInfoUpdated(GameInfoUpdated),
}

/// A notification with its `jsonrpc` member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationMessage {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// The notification.
    #[serde(flatten)]
    pub notification: Notification,
}

/// One game event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameEvent {
    /// The event name.
    pub name: String,
    /// The data: a string (string format) or a JSON value (object format).
    pub data: Value,
}

/// Params of `onNewEvents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvents {
    /// The notification's sequence number.
    pub seq: u64,
    /// The feature the events belong to.
    pub feature: String,
    /// The events, in order.
    pub events: Vec<GameEvent>,
}

/// Params of `onInfoUpdates2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoUpdates {
    /// The notification's sequence number.
    pub seq: u64,
    /// The feature the info belongs to.
    pub feature: String,
    /// category → key → value.
    pub info: Map<String, Value>,
    /// True on snapshot notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<bool>,
}

/// Params of `onError`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorNotice {
    /// The notification's sequence number.
    pub seq: u64,
    /// Why, e.g. `slow_consumer`.
    pub reason: String,
}

/// Params of `onGameInfoUpdated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameInfoUpdated {
    /// The notification's sequence number.
    pub seq: u64,
    /// The game now.
    pub game_info: GameInfo,
    /// Whether the running state changed.
    pub running_changed: bool,
    /// Whether the game changed.
    pub game_changed: bool,
    /// `gameLaunched` or `gameTerminated`.
    pub reason: Vec<String>,
}
