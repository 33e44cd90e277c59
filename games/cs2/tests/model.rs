//! The model against real CS2 (and CS:GO GOTV) captures.

use serde_json::Value;
use wardcast_cs2::{parse, Mode, APP_ID};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The 174 bodies of the real player-mode capture, in order.
fn sequence() -> Vec<Vec<u8>> {
    let list: Vec<Value> = serde_json::from_slice(&fixture(
        "player_competitive_wingman_sequence_174posts_2025.json",
    ))
    .expect("the capture is JSON");
    list.iter()
        .map(|r| serde_json::to_vec(&r["body"]).expect("body"))
        .collect()
}

#[test]
fn every_body_of_the_real_capture_parses_and_names_cs2() {
    let bodies = sequence();
    assert_eq!(bodies.len(), 174);
    let mut modes = std::collections::BTreeMap::new();
    for (i, body) in bodies.iter().enumerate() {
        let state = parse(body).unwrap_or_else(|e| panic!("body {i}: {e:?}"));
        let provider = state.provider.as_ref().expect("provider");
        assert_eq!(provider.appid, Some(APP_ID), "body {i}");
        assert_eq!(provider.steamid.as_deref(), Some("11111111111111111"));
        *modes.entry(format!("{:?}", state.mode())).or_insert(0) += 1;
    }
    assert_eq!(modes.get("Spectating"), None, "{modes:?}");
    assert!(modes["Playing"] > 150 && modes["Idle"] >= 4, "{modes:?}");
}

#[test]
fn a_kill_shows_in_the_local_players_stats() {
    let state = parse(&fixture("player_kill_delta_2025.json")).expect("parse");
    let me = state.me().expect("the local player");
    assert_eq!(me.match_stats.as_ref().and_then(|m| m.kills), Some(1));
    let round = me.state.as_ref().expect("state");
    assert_eq!((round.round_kills, round.round_killhs), (Some(1), Some(0)));
    assert_eq!(
        state
            .previously
            .as_ref()
            .map(|p| p["player"]["match_stats"]["kills"].clone()),
        Some(0.into())
    );
}

#[test]
fn a_round_over_carries_the_winner_the_defuse_and_the_score() {
    let state = parse(&fixture("player_round_over_defused_mvp_2025.json")).expect("parse");
    let round = state.round.as_ref().expect("round");
    assert_eq!(round.phase.as_deref(), Some("over"));
    assert_eq!(round.win_team.as_deref(), Some("CT"));
    assert_eq!(round.bomb.as_deref(), Some("defused"));
    let map = state.map.as_ref().expect("map");
    assert_eq!(map.round, Some(1));
    assert_eq!(map.team_ct.as_ref().and_then(|t| t.score), Some(1));
}

#[test]
fn a_dead_players_block_goes_away_and_a_menu_body_is_idle() {
    let dead = parse(&fixture("player_dead_player_block_removed_2025.json")).expect("parse");
    assert!(dead.player.is_none() && dead.me().is_none());
    assert_eq!(dead.mode(), Mode::Playing);
    let menu = parse(&fixture("player_menu_idle_2025.json")).expect("parse");
    assert_eq!(menu.mode(), Mode::Idle);
    assert_eq!(menu.me().and_then(|p| p.activity.as_deref()), Some("menu"));
}

#[test]
fn the_side_switch_flips_the_team_and_swaps_the_scores() {
    let before = parse(&fixture("player_halftime_intermission_2025.json")).expect("parse");
    let after = parse(&fixture("player_side_switch_after_halftime_2025.json")).expect("parse");
    let scores = |s: &wardcast_cs2::GameState| {
        let map = s.map.as_ref().expect("map");
        (
            map.team_ct.as_ref().and_then(|t| t.score),
            map.team_t.as_ref().and_then(|t| t.score),
        )
    };
    assert_eq!(
        before.map.as_ref().and_then(|m| m.phase.as_deref()),
        Some("intermission")
    );
    let (ct, t) = scores(&before);
    assert_eq!(scores(&after), (t, ct), "the scores follow the teams");
    assert_eq!(after.me().and_then(|p| p.team.as_deref()), Some("CT"));
}

#[test]
fn a_gotv_body_lists_every_player_the_bomb_and_the_countdown() {
    let state = parse(&fixture("spectator_gotv_full_csgo_2022.json")).expect("parse");
    assert_eq!(state.mode(), Mode::Spectating);
    let all = state.allplayers.as_ref().expect("allplayers");
    assert_eq!(all.len(), 10);
    assert!(all
        .keys()
        .all(|id| id.len() == 17 && id.starts_with("7656119")));
    assert!(
        state.me().is_none(),
        "the watched player is not the spectator"
    );
    let countdown = state.phase_countdowns.as_ref().expect("phase_countdowns");
    assert!(countdown.phase_ends_in.is_some_and(|s| s > 0.0));
    assert!(state
        .bomb
        .as_ref()
        .and_then(|b| b.state.as_deref())
        .is_some());
    let grenade = state
        .grenades
        .as_ref()
        .and_then(|g| g.values().next())
        .expect("a grenade");
    assert!(
        grenade.owner.as_deref().is_some_and(|o| o.len() == 17),
        "{grenade:?}"
    );
}

#[test]
fn steam_ids_as_bare_integers_stay_exact() {
    // 76561197960265729 is above 2^53: through a float it would change.
    let body = br#"{"bomb":{"player":76561197960265729,"countdown":"12.5"},
        "grenades":{"7":{"owner":76561198034202275,"lifetime":"1.2","type":"smoke"}}}"#;
    let state = parse(body).expect("parse");
    let bomb = state.bomb.as_ref().expect("bomb");
    assert_eq!(bomb.player.as_deref(), Some("76561197960265729"));
    assert_eq!(bomb.countdown, Some(12.5));
    assert_eq!(
        state
            .grenades
            .as_ref()
            .and_then(|g| g["7"].owner.as_deref()),
        Some("76561198034202275")
    );
}

#[test]
fn a_bad_field_is_named() {
    let err = parse(br#"{"map":{"round":"three"}}"#).expect_err("a string round");
    assert_eq!(err.path, "map.round");
}
