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

use subtle::ConstantTimeEq;

use crate::{AccessPolicy, Broker, Error};

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

/// The tungstenite settings. tungstenite reads the client's frames and writes
/// only pongs and the close handshake (the session writes its own frames, see
/// `outgoing.rs`), so both buffers are small: 1 KiB read at a time (clients
/// send small requests; the default is 128 KiB, zeroed on every read), nothing
/// held back on write. A hard cap bounds what a client may send.
fn ws_config(broker: &Broker) -> WebSocketConfig {
    let max = broker.inner.config.max_client_frame;
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024)
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
    let policy = &endpoint.broker.inner.config.access;
    if let Err(refusal) = check_access(policy, request.headers(), request.uri().query(), &peer) {
        tracing::info!("websocket from {peer} refused: {}", refusal.why());
        return refusal.into_response();
    }
    let accept = match check_upgrade(request.headers()) {
        Ok(accept) => accept,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let source = query_param(request.uri().query(), "source");
    if let Some(id) = source.as_deref() {
        // Named before its game posts is fine (a caster's overlay opened
        // first): the source is created, up to the broker's limit.
        if let Err(e) = endpoint.broker.source_state(id) {
            let status = match e {
                Error::TooManySources(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            return (status, format!("{e}\n")).into_response();
        }
    }
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
    let peer = crate::Peer {
        addr: peer.to_string(),
        name: client_name(request.uri().query()),
        source,
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    let config = ws_config(&endpoint.broker);
    let task_endpoint = endpoint.clone();
    endpoint.broker.inner.tasks.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let io = TokioIo::new(upgraded);
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                let broker = task_endpoint.broker.clone();
                crate::serve_connection(broker, ws, peer).await;
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

/// Why a request is refused by the access policy.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A browser page from a site not on the allow-list.
    Origin,
    /// The `Host` names another site (a DNS-rebinding page) and the request
    /// carries no access token.
    Host,
    /// The access token is missing or wrong.
    Token,
}

impl Refusal {
    /// Why, for the log (no secret in it).
    pub fn why(&self) -> &'static str {
        match self {
            Refusal::Origin => "origin not allowed",
            Refusal::Host => "Host is not this machine (DNS rebinding?)",
            Refusal::Token => "missing or wrong access token",
        }
    }
}

/// The plain-text HTTP answer, the same for `/ws` and the gated endpoints.
impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Refusal::Origin => (
                StatusCode::FORBIDDEN,
                "origin not allowed: add it with --allow-origin\n",
            ),
            Refusal::Host => (
                StatusCode::FORBIDDEN,
                "Host not allowed: open the broker as localhost or by its IP address (a page under another name may be DNS rebinding), or present the access token\n",
            ),
            Refusal::Token => (
                StatusCode::UNAUTHORIZED,
                "access token required: add ?token=TOKEN or Authorization: Bearer TOKEN (`wardcast token` prints it)\n",
            ),
        };
        (status, text).into_response()
    }
}

/// Checks a request's `Host`, origin and token against the policy.
///
/// - `Host` must name this machine: an IP address, `localhost` or
///   `*.localhost`, or a host of an allowed origin. Any other name is what a
///   DNS-rebinding page sends after pointing its own name at this machine, so
///   it is refused unless the request carries the access token.
/// - A browser `Origin` must be on the allow-list, or be the broker's own
///   address (`Origin` equal to `Host`, when `Host` passed the rule above).
/// - The access token, when one is set, is required from every address but
///   loopback, and from loopback too with `require_token`.
pub fn check_access(
    policy: &AccessPolicy,
    headers: &HeaderMap,
    query: Option<&str>,
    peer: &SocketAddr,
) -> Result<(), Refusal> {
    let token_ok = token_presented(policy, headers, query);
    let needs_token = !peer.ip().is_loopback() || policy.require_token;
    if policy.token.is_some() && needs_token && !token_ok {
        return Err(Refusal::Token);
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(host) = host {
        if !token_ok && !host_is_local(host, &policy.allowed_origins) {
            return Err(Refusal::Host);
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| Refusal::Origin)?;
        if !origin_allowed(origin, host, &policy.allowed_origins) {
            return Err(Refusal::Origin);
        }
    }
    Ok(())
}

/// Whether the request carries the policy's access token (`Authorization:
/// Bearer` or `?token=`), compared in constant time.
fn token_presented(policy: &AccessPolicy, headers: &HeaderMap, query: Option<&str>) -> bool {
    let Some(expected) = policy.token.as_deref() else {
        return false;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let from_query = query_param(query, "token");
    let given = bearer.or(from_query.as_deref()).unwrap_or("");
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// The host name of a `host[:port]` authority, IPv6 brackets kept.
fn hostname(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() => {
            // "::1" split at its last colon is not a port: only bracketed IPv6 has one.
            if h.contains(':') && !h.starts_with('[') {
                authority
            } else {
                h
            }
        }
        _ => authority,
    }
}

/// Whether a `Host` header names this machine rather than some other site: an
/// IP address literal, `localhost`, `*.localhost` (browsers resolve those
/// themselves), or the host of an allowed origin.
fn host_is_local(host: &str, allowed_origins: &[String]) -> bool {
    let name = hostname(host).to_ascii_lowercase();
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
    {
        return true;
    }
    allowed_origins.iter().any(|o| {
        o.split_once("://").is_some_and(|(_, rest)| {
            hostname(rest.trim_end_matches('/')).eq_ignore_ascii_case(&name)
        })
    })
}

/// The first value of `name` in a URL query, percent-decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The longest client name kept, in characters.
const MAX_CLIENT_NAME: usize = 64;

/// The name a client gave with `?client=NAME`: control characters dropped,
/// cut to [`MAX_CLIENT_NAME`] characters, `None` when empty.
fn client_name(query: Option<&str>) -> Option<String> {
    let name: String = query_param(query, "client")?
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CLIENT_NAME)
        .collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether a browser origin may connect.
fn origin_allowed(origin: &str, host: Option<&str>, extra: &[String]) -> bool {
    if origin == "null"
        || origin.starts_with("file://")
        || origin.starts_with("overwolf-extension://")
    {
        return true;
    }
    let origin = origin.trim_end_matches('/');
    if extra
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if !matches!(scheme, "http" | "https") {
        return false;
    }
    // The broker's own pages. `check_access` has already refused a `Host`
    // that names another site, so a DNS-rebinding page cannot pass as one.
    if host.is_some_and(|h| h.eq_ignore_ascii_case(rest)) {
        return true;
    }
    matches!(
        hostname(rest).to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn origins() {
        let extra = vec!["https://overlay.example".to_string()];
        for ok in [
            "null",
            "file://",
            "file:///C:/overlay.html",
            "http://localhost",
            "http://localhost:8080",
            "https://127.0.0.1:3000",
            "http://[::1]:5173",
            "overwolf-extension://abcdef",
            "https://overlay.example",
        ] {
            assert!(origin_allowed(ok, None, &extra), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "ws://localhost",
            "http://192.168.1.20:7314",
        ] {
            assert!(!origin_allowed(bad, None, &extra), "{bad}");
        }
        assert!(
            origin_allowed("http://192.168.1.20:7314", Some("192.168.1.20:7314"), &[]),
            "the broker's own pages"
        );
    }

    #[test]
    fn dns_rebinding_pages_are_refused_without_the_token() {
        let local: SocketAddr = "127.0.0.1:50000".parse().expect("addr");
        let open = AccessPolicy::default();
        // A page at evil.example whose name now resolves to 127.0.0.1: its
        // WebSocket carries Origin = Host = evil.example; its same-origin
        // fetches carry no Origin at all.
        for h in [
            headers(&[
                ("host", "evil.example:7314"),
                ("origin", "http://evil.example:7314"),
            ]),
            headers(&[("host", "evil.example:7314")]),
            headers(&[("host", "localhost.evil.example")]),
        ] {
            assert_eq!(check_access(&open, &h, None, &local), Err(Refusal::Host));
        }
        // This machine by any of its names or addresses.
        for host in [
            "127.0.0.1:7314",
            "localhost:7314",
            "LOCALHOST",
            "wardcast.localhost:7314",
            "[::1]:7314",
            "::1",
            "192.168.1.20:7314",
        ] {
            let h = headers(&[("host", host)]);
            assert_eq!(check_access(&open, &h, None, &local), Ok(()), "{host}");
        }
        assert_eq!(
            check_access(
                &open,
                &headers(&[
                    ("host", "192.168.1.20:7314"),
                    ("origin", "http://192.168.1.20:7314")
                ]),
                None,
                &local
            ),
            Ok(()),
            "the broker's own page, opened by IP"
        );
        // A name the user allowed, or any name with the token (a LAN client
        // that opened the broker as streampc.local).
        let named = AccessPolicy {
            allowed_origins: vec!["http://streampc.local:7314".into()],
            ..AccessPolicy::default()
        };
        let h = headers(&[
            ("host", "streampc.local:7314"),
            ("origin", "http://streampc.local:7314"),
        ]);
        assert_eq!(check_access(&named, &h, None, &local), Ok(()));
        let with_token = AccessPolicy {
            token: Some("s3cret".into()),
            ..AccessPolicy::default()
        };
        assert_eq!(
            check_access(&with_token, &h, None, &local),
            Err(Refusal::Host)
        );
        assert_eq!(
            check_access(&with_token, &h, Some("token=s3cret"), &local),
            Ok(())
        );
        let lan: SocketAddr = "192.168.1.30:50000".parse().expect("addr");
        assert_eq!(
            check_access(&with_token, &h, None, &lan),
            Err(Refusal::Token),
            "from the LAN the missing token is what to fix"
        );
    }

    #[test]
    fn tokens() {
        let policy = AccessPolicy {
            token: Some("s3cret".into()),
            ..AccessPolicy::default()
        };
        let lan: SocketAddr = "192.168.1.30:50000".parse().expect("addr");
        let local: SocketAddr = "127.0.0.1:50000".parse().expect("addr");
        assert_eq!(check_access(&policy, &headers(&[]), None, &local), Ok(()));
        assert_eq!(
            check_access(&policy, &headers(&[]), None, &lan),
            Err(Refusal::Token)
        );
        assert_eq!(
            check_access(&policy, &headers(&[]), Some("token=nope"), &lan),
            Err(Refusal::Token)
        );
        assert_eq!(
            check_access(&policy, &headers(&[]), Some("a=1&token=s3cret"), &lan),
            Ok(())
        );
        assert_eq!(
            check_access(
                &policy,
                &headers(&[("authorization", "Bearer s3cret")]),
                None,
                &lan
            ),
            Ok(())
        );
        let strict = AccessPolicy {
            require_token: true,
            ..policy
        };
        assert_eq!(
            check_access(&strict, &headers(&[]), None, &local),
            Err(Refusal::Token)
        );
        assert_eq!(
            check_access(
                &strict,
                &headers(&[("origin", "https://evil.example")]),
                Some("token=s3cret"),
                &local
            ),
            Err(Refusal::Origin)
        );
    }

    #[test]
    fn client_names_are_decoded_trimmed_and_bounded() {
        assert_eq!(
            client_name(Some("token=x&client=Stream%20Deck")),
            Some("Stream Deck".into())
        );
        assert_eq!(
            client_name(Some("client=obs+overlay")),
            Some("obs overlay".into())
        );
        assert_eq!(client_name(Some("client=%0A%1B")), None);
        assert_eq!(client_name(Some("client=")), None);
        assert_eq!(client_name(None), None);
        let long = "a".repeat(500);
        assert_eq!(
            client_name(Some(&format!("client={long}"))).map(|n| n.len()),
            Some(MAX_CLIENT_NAME)
        );
    }

    #[test]
    fn token_in_query_is_percent_decoded() {
        assert_eq!(
            query_param(Some("a=1&token=ab%2Bc"), "token"),
            Some("ab+c".into())
        );
        assert_eq!(query_param(Some("tokenx=1"), "token"), None);
    }
}
