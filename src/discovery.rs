//! LAN discovery over mDNS/DNS-SD (RFC 6762/6763), with the `mdns-sd` crate.
//!
//! `wardcast serve` advertises `_wardcast._tcp` when it listens beyond
//! loopback, so Stream Deck plugins, phones and tools on the LAN can find it;
//! `wardcast discover` browses for it. The TXT record says where the WebSocket
//! and the dashboard are and whether a token is needed; it never carries the
//! token itself.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use serde::Serialize;

use crate::Error;

/// The DNS-SD service type Wardcast advertises.
pub const SERVICE_TYPE: &str = "_wardcast._tcp.local.";

/// The standard mDNS port; tests use another so they do not meet real brokers.
pub const MDNS_PORT: u16 = 5353;

/// A running advertisement; dropping it withdraws it (a goodbye packet) and
/// stops the mDNS thread.
pub struct Advertisement {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Advertisement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertisement")
            .field("fullname", &self.fullname)
            .finish()
    }
}

/// What a broker says of itself in its TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// The instance name, shown to users (e.g. "Wardcast on streampc").
    pub instance: String,
    /// Whether clients on other machines need the access token.
    pub token_required: bool,
}

impl Announce {
    /// The default announcement for this machine.
    pub fn for_this_host(token_required: bool) -> Self {
        Self {
            instance: format!("Wardcast on {}", host_label()),
            token_required,
        }
    }
}

/// This machine's host name as one DNS label.
fn host_label() -> String {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    let label: String = name
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    if label.is_empty() {
        "wardcast".into()
    } else {
        label
    }
}

impl Advertisement {
    /// Advertises a broker listening on `listen` (all interfaces' addresses
    /// when it is unspecified, `0.0.0.0` or `::`), on mDNS port `mdns_port`.
    pub fn start(listen: SocketAddr, announce: &Announce, mdns_port: u16) -> Result<Self, Error> {
        let daemon = ServiceDaemon::new_with_port(mdns_port).map_err(mdns_error)?;
        let host = format!("{}.local.", host_label());
        let properties = [
            ("version", env!("CARGO_PKG_VERSION")),
            ("path", "/ws"),
            ("dashboard", "/"),
            ("game", "dota2"),
            ("class_id", "7314"),
            (
                "token",
                if announce.token_required {
                    "required"
                } else {
                    "none"
                },
            ),
        ];
        let ip = if listen.ip().is_unspecified() {
            String::new()
        } else {
            listen.ip().to_string()
        };
        let mut info = ServiceInfo::new(
            SERVICE_TYPE,
            &announce.instance,
            &host,
            ip.as_str(),
            listen.port(),
            &properties[..],
        )
        .map_err(mdns_error)?;
        if listen.ip().is_unspecified() {
            info = info.enable_addr_auto();
        }
        let fullname = info.get_fullname().to_string();
        daemon.register(info).map_err(mdns_error)?;
        Ok(Self { daemon, fullname })
    }

    /// The advertised instance's full DNS-SD name.
    pub fn fullname(&self) -> &str {
        &self.fullname
    }
}

impl Drop for Advertisement {
    fn drop(&mut self) {
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = done.recv_timeout(Duration::from_millis(500));
        }
        let _ = self.daemon.shutdown();
    }
}

/// A broker found on the LAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// The instance name.
    pub instance: String,
    /// The host name it gave.
    pub host: String,
    /// Its addresses.
    pub addresses: Vec<IpAddr>,
    /// Its port.
    pub port: u16,
    /// Its TXT record.
    pub txt: BTreeMap<String, String>,
    /// The WebSocket URL of each address.
    pub ws_urls: Vec<String>,
}

/// Browses for brokers for `wait`, on mDNS port `mdns_port`, and returns what
/// answered, by instance name.
pub async fn discover(wait: Duration, mdns_port: u16) -> Result<Vec<Found>, Error> {
    let daemon = ServiceDaemon::new_with_port(mdns_port).map_err(mdns_error)?;
    let events = daemon.browse(SERVICE_TYPE).map_err(mdns_error)?;
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, events.recv_async()).await {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                // Answers may come per interface: keep every address seen,
                // those a LAN peer can reach first.
                let mut addresses: Vec<IpAddr> = found
                    .get(&service.fullname)
                    .map(|f| f.addresses.clone())
                    .unwrap_or_default();
                addresses.extend(service.addresses.iter().map(|a| a.to_ip_addr()));
                addresses.sort_by_key(|ip| (reach_rank(ip), *ip));
                addresses.dedup();
                let txt: BTreeMap<String, String> = service
                    .txt_properties
                    .iter()
                    .map(|p| (p.key().to_string(), p.val_str().to_string()))
                    .collect();
                let path = txt.get("path").cloned().unwrap_or_else(|| "/ws".into());
                let ws_urls = addresses
                    .iter()
                    .map(|ip| format!("ws://{}{path}", SocketAddr::new(*ip, service.port)))
                    .collect();
                let instance = service
                    .fullname
                    .strip_suffix(SERVICE_TYPE)
                    .map(|n| n.trim_end_matches('.').to_string())
                    .unwrap_or_else(|| service.fullname.clone());
                found.insert(
                    service.fullname.clone(),
                    Found {
                        instance,
                        host: service.host.clone(),
                        addresses,
                        port: service.port,
                        txt,
                        ws_urls,
                    },
                );
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                found.remove(&fullname);
            }
            _ => {}
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    let _ = daemon.shutdown();
    Ok(found.into_values().collect())
}

/// Sorts addresses by how widely they reach: LAN IPv4, LAN IPv6, link-local,
/// then loopback (useful only on the broker's own machine).
fn reach_rank(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => 4,
        IpAddr::V4(v4) if v4.is_link_local() => 2,
        IpAddr::V4(_) => 0,
        IpAddr::V6(v6) if v6.is_loopback() => 4,
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => 3,
        IpAddr::V6(_) => 1,
    }
}

fn mdns_error(e: mdns_sd::Error) -> Error {
    Error::Input(format!("mDNS: {e}"))
}
