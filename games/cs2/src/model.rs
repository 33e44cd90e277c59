//! Serde types for a Counter-Strike 2 GSI body.
//!
//! Valve publishes no schema (CS2 kept CS:GO's), so every field is optional
//! and unknown fields are ignored. Player mode sends `provider`, `map`,
//! `round` and `player`; spectator and GOTV mode add `allplayers` (keyed by
//! SteamID64), `bomb`, `phase_countdowns` and `grenades`. SteamIDs arrive as
//! strings or as bare integers and are kept as exact decimal strings (never
//! through a float); countdowns arrive as numbers inside strings.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
pub use wardcast_gsi::Mode;
use wardcast_gsi::ParseError;

/// CS2's Steam app id (`provider.appid`; CS2 still names itself
/// "Counter-Strike: Global Offensive").
pub const APP_ID: i64 = 730;

/// A whole GSI POST body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct GameState {
    /// Who sent the body, for whom, and when.
    pub provider: Option<Provider>,
    /// The match: mode, map, phase, scores.
    pub map: Option<Map>,
    /// The round: phase, bomb, winner.
    pub round: Option<Round>,
    /// The local player, or the player being watched (after death, or when
    /// spectating): compare [`Player::steamid`] with [`Provider::steamid`].
    pub player: Option<Player>,
    /// Spectator / GOTV: every player, keyed by SteamID64.
    pub allplayers: Option<BTreeMap<String, Player>>,
    /// Spectator / GOTV: the bomb.
    pub bomb: Option<Bomb>,
    /// Spectator / GOTV: the current phase and when it ends.
    pub phase_countdowns: Option<PhaseCountdowns>,
    /// Spectator / GOTV: grenades in flight or burning, keyed by entity id.
    pub grenades: Option<BTreeMap<String, Grenade>>,
    /// Echo of the cfg `auth` block.
    pub auth: Option<wardcast_gsi::Auth>,
    /// Old values of the leaves that changed since the previous body (a hint only).
    pub previously: Option<serde_json::Value>,
    /// Paths that appeared since the previous body (a hint only).
    pub added: Option<serde_json::Value>,
}

/// The `provider` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Provider {
    /// `"Counter-Strike: Global Offensive"`, in CS2 too.
    pub name: Option<String>,
    /// Steam app id, [`APP_ID`].
    pub appid: Option<i64>,
    /// GSI provider version (CS2 builds are 13960 and later).
    pub version: Option<i64>,
    /// SteamID64 of the local client: who "me" is.
    #[serde(deserialize_with = "wardcast_gsi::integer_or_string")]
    pub steamid: Option<String>,
    /// Unix seconds.
    pub timestamp: Option<i64>,
}

/// The `map` section (in a match).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Map {
    /// `competitive`, `scrimcomp2v2` (Wingman), `casual`, `deathmatch`, ...
    pub mode: Option<String>,
    /// `de_dust2`, `workshop/2126169449/de_mirage`, ...
    pub name: Option<String>,
    /// `warmup`, `live`, `intermission` (halftime), `gameover`.
    pub phase: Option<String>,
    /// Rounds completed; it rises in the round-end post, and drops back to 0
    /// when the match restarts.
    pub round: Option<i64>,
    /// The side playing CT (scores follow the teams, so they swap at halftime).
    pub team_ct: Option<Team>,
    /// The side playing T.
    pub team_t: Option<Team>,
    /// Maps to win the series (0 outside a series).
    pub num_matches_to_win_series: Option<i64>,
    /// Spectators of the match (spectator mode).
    pub current_spectators: Option<i64>,
    /// Souvenir packages dropped (spectator mode).
    pub souvenirs_total: Option<i64>,
    /// How each round was won, by 1-based round number (`ct_win_elimination`,
    /// `t_win_bomb`, ...).
    pub round_wins: Option<BTreeMap<String, String>>,
}

/// A side's team in `map.team_ct` / `map.team_t`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Team {
    /// Rounds won.
    pub score: Option<i64>,
    /// Rounds lost in a row.
    pub consecutive_round_losses: Option<i64>,
    /// Tactical timeouts left.
    pub timeouts_remaining: Option<i64>,
    /// Maps won in the series.
    pub matches_won_this_series: Option<i64>,
    /// The team's name, when set (tournaments, `mp_teamname`).
    pub name: Option<String>,
    /// The team's flag, when set.
    pub flag: Option<String>,
}

/// The `round` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Round {
    /// `freezetime`, `live`, `over`.
    pub phase: Option<String>,
    /// `planted`, `exploded`, `defused`; absent until a plant (reported to
    /// players with a deliberate delay).
    pub bomb: Option<String>,
    /// `CT` or `T`, with `phase: over`.
    pub win_team: Option<String>,
}

/// A player: the `player` section, or an entry of `allplayers` (whose
/// SteamID is its key, not a field).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Player {
    /// Whom this block describes.
    #[serde(deserialize_with = "wardcast_gsi::integer_or_string")]
    pub steamid: Option<String>,
    /// The player's name.
    pub name: Option<String>,
    /// The clan tag, when set.
    pub clan: Option<String>,
    /// The key that watches this player (since Nov 2023: 0 for key 1 ... 9 for key 0).
    pub observer_slot: Option<i64>,
    /// `CT` or `T` (it flips at halftime).
    pub team: Option<String>,
    /// `playing`, `menu`, `textinput` (also during a match).
    pub activity: Option<String>,
    /// Health, armor, money, this round's kills.
    pub state: Option<PlayerState>,
    /// Weapons by slot (`weapon_0`, ...); slots are reused, so match by name.
    pub weapons: Option<BTreeMap<String, Weapon>>,
    /// The match's totals.
    pub match_stats: Option<MatchStats>,
    /// Spectator mode: the watched SteamID64, or `free` (free camera).
    #[serde(deserialize_with = "wardcast_gsi::integer_or_string")]
    pub spectarget: Option<String>,
    /// Spectator mode: `"x, y, z"`.
    pub position: Option<String>,
    /// Spectator mode: `"x, y, z"`.
    pub forward: Option<String>,
}

/// `player.state`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PlayerState {
    /// 0–100.
    pub health: Option<i64>,
    /// 0–100.
    pub armor: Option<i64>,
    /// Whether the player wears a helmet.
    pub helmet: Option<bool>,
    /// Present only when a defuse kit is owned.
    pub defusekit: Option<bool>,
    /// Flash intensity, 0–255.
    pub flashed: Option<i64>,
    /// Smoke intensity, 0–255 (not in `allplayers`).
    pub smoked: Option<i64>,
    /// Burn intensity, 0–255.
    pub burning: Option<i64>,
    /// Money.
    pub money: Option<i64>,
    /// Round kills.
    pub round_kills: Option<i64>,
    /// Round kills by headshot.
    pub round_killhs: Option<i64>,
    /// Damage dealt this round (spectators; absent for players in CS2, and
    /// sometimes zeroed once the player dies).
    pub round_totaldmg: Option<i64>,
    /// The value of the equipment carried.
    pub equip_value: Option<i64>,
}

/// `player.match_stats`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct MatchStats {
    /// Kills (can go down: team kills).
    pub kills: Option<i64>,
    /// Assists.
    pub assists: Option<i64>,
    /// Deaths (a bomb-blast death does not raise it).
    pub deaths: Option<i64>,
    /// Rounds as MVP.
    pub mvps: Option<i64>,
    /// Scoreboard score.
    pub score: Option<i64>,
}

/// A weapon in `player.weapons`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Weapon {
    /// `weapon_ak47`, `weapon_c4`, ...
    pub name: Option<String>,
    /// `default` or a skin id.
    pub paintkit: Option<String>,
    /// `Rifle`, `Pistol`, `Knife`, `Grenade`, `C4`, ... (none for the taser).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Rounds in the clip (not for knives and C4).
    pub ammo_clip: Option<i64>,
    /// Clip size.
    pub ammo_clip_max: Option<i64>,
    /// Reserve rounds (for grenades: how many).
    pub ammo_reserve: Option<i64>,
    /// `active`, `holstered`, `reloading`.
    pub state: Option<String>,
}

/// The `bomb` section (spectator mode).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Bomb {
    /// `carried`, `dropped`, `planting`, `planted`, `defusing`, `defused`, `exploded`.
    pub state: Option<String>,
    /// `"x, y, z"`.
    pub position: Option<String>,
    /// Seconds left to plant, to explode or to defuse (a number in a string).
    #[serde(deserialize_with = "seconds")]
    pub countdown: Option<f64>,
    /// SteamID64 of the carrier, planter or defuser (sometimes a bare integer).
    #[serde(deserialize_with = "wardcast_gsi::integer_or_string")]
    pub player: Option<String>,
}

/// The `phase_countdowns` section (spectator mode).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PhaseCountdowns {
    /// `freezetime`, `live`, `bomb`, `defuse`, `over`, `warmup`, `paused`,
    /// `timeout_ct`, `timeout_t`, ...
    pub phase: Option<String>,
    /// Seconds until the phase ends (a number in a string).
    #[serde(deserialize_with = "seconds")]
    pub phase_ends_in: Option<f64>,
}

/// A grenade in `grenades` (spectator mode).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Grenade {
    /// SteamID64 of the thrower (sometimes a bare integer).
    #[serde(deserialize_with = "wardcast_gsi::integer_or_string")]
    pub owner: Option<String>,
    /// `smoke`, `decoy`, `firebomb`, `inferno`, `flashbang`, `frag`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `"x, y, z"`.
    pub position: Option<String>,
    /// `"x, y, z"`.
    pub velocity: Option<String>,
    /// Seconds since it was thrown (a number in a string).
    #[serde(deserialize_with = "seconds")]
    pub lifetime: Option<f64>,
    /// Seconds its effect has lasted (smoke, decoy).
    #[serde(deserialize_with = "seconds")]
    pub effecttime: Option<f64>,
    /// An inferno's flames, `flame_<id>` → `"x, y, z"`.
    pub flames: Option<BTreeMap<String, String>>,
}

impl GameState {
    /// The mode the body shows: spectating when it lists every player,
    /// playing when it has a match, idle otherwise.
    pub fn mode(&self) -> Mode {
        if self.allplayers.is_some() {
            Mode::Spectating
        } else if self.map.is_some() {
            Mode::Playing
        } else {
            Mode::Idle
        }
    }

    /// The `player` block, when it describes the local player (not the
    /// player watched after death, nor a spectated one): every player-mode
    /// event is guarded by this.
    pub fn me(&self) -> Option<&Player> {
        let local = self.provider.as_ref()?.steamid.as_deref()?;
        self.player
            .as_ref()
            .filter(|p| p.steamid.as_deref() == Some(local))
    }
}

/// Parses a CS2 GSI body, reporting the JSON path of the first error.
pub fn parse(body: &[u8]) -> Result<GameState, ParseError> {
    wardcast_gsi::parse_as(body)
}

/// Seconds as a number or as a number in a string (`"34.9"`); text that is
/// not a finite number is absent.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(f64),
        S(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::N(n)) => Some(n),
        Some(Raw::S(s)) => s.trim().parse::<f64>().ok(),
    }
    .filter(|n| n.is_finite()))
}
