//! The `gamestate_integration_wardcast.cfg` file the game needs.

use std::fmt::Write;
use std::net::SocketAddr;

use wardcast_engine::Game;

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

/// The cfg file's content for `game`, in Valve's KeyValues format: every
/// data section the game can send (Wardcast asks for all of them).
pub fn render(game: &dyn Game, listen: SocketAddr, token: Option<&str>) -> String {
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
    for section in game.info().setup.data {
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
        for game in crate::games::GAMES {
            let cfg = render(*game, "0.0.0.0:7314".parse().expect("addr"), Some("s3cret"));
            assert!(cfg.contains("\"uri\"           \"http://127.0.0.1:7314/gsi\""));
            assert!(cfg.contains("\"token\"         \"s3cret\""));
            for s in game.info().setup.data {
                assert!(cfg.contains(&format!("\"{s}\"")), "{s}");
            }
            let open = render(*game, "127.0.0.1:9000".parse().expect("addr"), None);
            assert!(!open.contains("auth"));
        }
        let cs2 = render(
            &wardcast_cs2::GAME,
            "127.0.0.1:1".parse().expect("addr"),
            None,
        );
        assert!(cs2.contains("\"allplayers_id\"") && !cs2.contains("\"hero\""));
    }
}
