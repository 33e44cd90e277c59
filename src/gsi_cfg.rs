//! The `gamestate_integration_wardcast.cfg` file the game needs.

use std::fmt::Write;
use std::net::SocketAddr;

/// Every data section the game can send; Wardcast asks for all of them.
pub const DATA_SECTIONS: &[&str] = &[
    "provider",
    "map",
    "player",
    "hero",
    "abilities",
    "items",
    "events",
    "buildings",
    "league",
    "draft",
    "wearables",
    "minimap",
    "roshan",
    "couriers",
    "neutralitems",
];

/// The URI the game should post to for a broker listening on `listen`. The game
/// runs on this machine, so an unspecified address becomes loopback.
pub fn gsi_uri(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    format!("http://{host}:{}/gsi", listen.port())
}

/// The cfg file's content, in Valve's KeyValues format.
pub fn render(listen: SocketAddr, token: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\"wardcast\"\n{{");
    let _ = writeln!(out, "    \"uri\"           \"{}\"", gsi_uri(listen));
    for (key, value) in [
        ("timeout", "5.0"),
        ("buffer", "0.1"),
        ("throttle", "0.1"),
        ("heartbeat", "30.0"),
    ] {
        let _ = writeln!(
            out,
            "    \"{key}\"{:pad$}\"{value}\"",
            "",
            pad = 14 - key.len()
        );
    }
    let _ = writeln!(out, "    \"data\"\n    {{");
    for section in DATA_SECTIONS {
        let _ = writeln!(
            out,
            "        \"{section}\"{:pad$}\"1\"",
            "",
            pad = 14usize.saturating_sub(section.len())
        );
    }
    let _ = writeln!(out, "    }}");
    if let Some(token) = token {
        let _ = writeln!(
            out,
            "    \"auth\"\n    {{\n        \"token\"         \"{token}\"\n    }}"
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_has_uri_sections_and_token() {
        let cfg = render("0.0.0.0:7314".parse().expect("addr"), Some("s3cret"));
        assert!(cfg.contains("\"uri\"           \"http://127.0.0.1:7314/gsi\""));
        assert!(cfg.contains("\"token\"         \"s3cret\""));
        for s in DATA_SECTIONS {
            assert!(cfg.contains(&format!("\"{s}\"")), "{s}");
        }
        assert!(!render("127.0.0.1:9000".parse().expect("addr"), None).contains("auth"));
    }
}
