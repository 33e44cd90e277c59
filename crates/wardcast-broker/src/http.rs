//! The `GET /ws` endpoint: a WebSocket upgrade handed to a tokio-tungstenite stream.
//!
//! The upgrade is done on hyper directly (rather than through axum's own
//! WebSocket type) so the broker sets tungstenite's buffer sizes and frame
//! limits itself and drives the socket as a plain `Sink`/`Stream`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use crate::{Broker, Error};

struct Endpoint {
    broker: Broker,
    /// Open connections, checked against the configured maximum.
    open: AtomicUsize,
}

/// Builds the router for `GET /ws`. The server must be run with connect info
/// (`into_make_service_with_connect_info::<SocketAddr>()`) and with upgrades on.
pub fn router(broker: Broker) -> Router {
    let endpoint = Arc::new(Endpoint {
        broker,
        open: AtomicUsize::new(0),
    });
    Router::new()
        .route("/ws", get(upgrade))
        .with_state(endpoint)
}

/// The tungstenite settings: small read and write buffers per connection (the
/// defaults are 128 KiB each), a write buffer that holds a whole snapshot's
/// frames until the flush, and a hard cap on what a client may send.
fn ws_config(broker: &Broker) -> WebSocketConfig {
    let max = broker.inner.config.max_client_frame;
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(64 * 1024)
        .max_write_buffer_size(16 * 1024 * 1024)
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

fn check_upgrade(headers: &HeaderMap) -> Result<String, Error> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::UPGRADE, "websocket") || !has_token(header::CONNECTION, "upgrade") {
        return Err(Error::Upgrade("expected a websocket upgrade request"));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(Error::Upgrade(
            "unsupported websocket version (expected 13)",
        ));
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or(Error::Upgrade("missing Sec-WebSocket-Key"))?;
    Ok(derive_accept_key(key.as_bytes()))
}

async fn upgrade(
    State(endpoint): State<Arc<Endpoint>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    if endpoint.broker.is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let accept = match check_upgrade(request.headers()) {
        Ok(accept) => accept,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let max = endpoint.broker.inner.config.max_connections;
    if endpoint.open.fetch_add(1, Ordering::AcqRel) >= max {
        endpoint.open.fetch_sub(1, Ordering::AcqRel);
        tracing::warn!(max, "connection limit reached, refusing {peer}");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", Error::TooManyConnections),
        )
            .into_response();
    }
    let on_upgrade = hyper::upgrade::on(&mut request);
    let config = ws_config(&endpoint.broker);
    let task_endpoint = endpoint.clone();
    endpoint.broker.inner.tasks.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let io = TokioIo::new(upgraded);
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                let broker = task_endpoint.broker.clone();
                crate::serve_connection(broker, ws, peer.to_string()).await;
            }
            Err(e) => tracing::debug!("websocket upgrade failed: {e}"),
        }
        task_endpoint.open.fetch_sub(1, Ordering::AcqRel);
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    response
}
