//! The CS2 feature engine: consecutive GSI snapshots in, Overwolf's CS2
//! (game id 22730) events and info updates out, and beside them the legacy
//! CS:GO (7764) features and the spectator additions ([`crate::legacy`]),
//! which follow the same round and match boundaries. Pure: no IO, no clock;
//! the same bodies give the same output.
//!
//! The rules, from what real captures show (`tests/fixtures/`):
//! - Every player-mode event is about the local player only: the `player`
//!   block counts only while its `steamid` is `provider.steamid` (after death
//!   it can describe the watched player, or vanish).
//! - A counter rising fires its event; a first sighting, a drop (team kills,
//!   a restart) or another player's block is a new baseline, not an event.
//! - A round ends once, on the first of: `round.phase` becoming `over`,
//!   `map.round` rising, or `live` turning to `freezetime` (short phases can
//!   be skipped entirely).
//! - A match starts when `map.phase` turns `live` at round 0 (from warmup,
//!   or from no match), or when it restarts (`map.round` back to 0 while
//!   live); it ends at `gameover`, or when the game leaves the match.

use serde_json::{json, Value};
use wardcast_engine::{Event, InfoDb, Output};

use crate::legacy::{Legacy, Lifecycle};
use crate::model::{GameState, Map, MatchStats, Player};

/// The feature with Overwolf's CS2 match events and most info keys.
pub const MATCH_INFO: &str = "match_info";
/// The feature with the raw body (`live_data.provider`).
pub const LIVE_DATA: &str = "live_data";

/// The `roster_XX` keys, one per player of a spectated match.
const ROSTER_KEYS: [&str; 10] = [
    "roster_0", "roster_1", "roster_2", "roster_3", "roster_4", "roster_5", "roster_6", "roster_7",
    "roster_8", "roster_9",
];

/// The engine: feed it snapshots in arrival order.
#[derive(Debug, Default)]
pub struct Engine {
    prev: Option<GameState>,
    info: InfoDb,
    /// A match is under way (`match_start` fired, `match_end` not yet).
    in_match: bool,
    /// The current round is live (`round_start` fired).
    round_live: bool,
    /// The current round's end fired.
    round_ended: bool,
    /// The local player's side, last seen (for `match_outcome` once dead).
    my_team: Option<String>,
    /// Matches started, for `pseudo_match_id`.
    matches: u64,
    /// The current match's `pseudo_match_id`.
    match_id: Option<String>,
    /// The local player's SteamID and match totals when last seen in this
    /// match (the block can vanish after death and come back later).
    my_stats: Option<(String, MatchStats)>,
    /// The legacy CS:GO features and the spectator additions.
    legacy: Legacy,
    /// The lifecycle events fired for the body being processed.
    life: Lifecycle,
}

impl Engine {
    /// A fresh engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// Processes the next snapshot. `body` is the body as received (its
    /// `auth` block is left out of `live_data.provider`).
    pub fn process(&mut self, next: GameState, body: &[u8]) -> Output {
        let mut out = Output::default();
        let prev = self.prev.take();
        let prev_map = prev.as_ref().and_then(|p| p.map.as_ref());
        let next_map = next.map.as_ref();
        // Another map, or no map: counters start over.
        let same_match = match (prev_map, next_map) {
            (Some(a), Some(b)) => a.name == b.name && !went_down(a.round, b.round),
            _ => false,
        };
        self.life = Lifecycle::default();
        self.live_data(&mut out, body);
        self.match_events(&mut out, prev_map, next_map);
        self.round_events(&mut out, prev.as_ref(), &next, same_match);
        if !same_match {
            self.my_stats = None;
        }
        self.player_events(&mut out, next.me());
        self.match_info(&mut out, &next);
        self.legacy.step(
            &mut out,
            &mut self.info,
            prev.as_ref(),
            &next,
            same_match,
            self.life,
        );
        self.prev = Some(next);
        out
    }

    /// Forgets everything and returns the `null` reset of every info key
    /// (the game stopped sending).
    pub fn reset(&mut self) -> Output {
        let mut out = Output::default();
        let keys: Vec<_> = self.info.iter().map(|(f, c, k, _)| (f, c, k)).collect();
        for (feature, category, key) in keys {
            out.set_info(&mut self.info, feature, category, key, Value::Null);
        }
        *self = Self {
            info: std::mem::take(&mut self.info),
            matches: self.matches,
            ..Self::default()
        };
        out
    }

    /// The info the engine holds now (feature, category, key, value).
    pub fn info(&self) -> impl Iterator<Item = (&'static str, &'static str, &'static str, &Value)> {
        self.info.iter().filter(|(_, _, _, v)| !v.is_null())
    }

    fn set(&mut self, out: &mut Output, category: &'static str, key: &'static str, value: Value) {
        out.set_info(&mut self.info, MATCH_INFO, category, key, value);
    }

    fn event(out: &mut Output, name: &'static str, data: Value) {
        out.events.push(Event {
            feature: MATCH_INFO,
            name,
            data,
        });
    }

    /// `live_data.provider`: the body as a JSON string, without `auth`.
    fn live_data(&mut self, out: &mut Output, body: &[u8]) {
        let Ok(Value::Object(mut raw)) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        raw.remove("auth");
        let text = Value::Object(raw).to_string();
        out.set_info(
            &mut self.info,
            LIVE_DATA,
            "live_data",
            "provider",
            text.into(),
        );
    }

    fn match_events(&mut self, out: &mut Output, prev: Option<&Map>, next: Option<&Map>) {
        let phase = |m: Option<&Map>| m.and_then(|m| m.phase.clone());
        let (was, now) = (phase(prev), phase(next));
        let round = next.and_then(|m| m.round).unwrap_or(0);
        let restarted = now.as_deref() == Some("live")
            && was.as_deref() == Some("live")
            && prev.is_some_and(|p| went_down(p.round, next.and_then(|m| m.round)));
        let began = now.as_deref() == Some("live")
            && was.as_deref() != Some("live")
            && was.as_deref() != Some("intermission")
            && round == 0;
        let left = next.is_none() || now.as_deref() == Some("gameover");
        if self.in_match && (left || restarted) {
            Self::event(out, "match_end", "".into());
            self.in_match = false;
            self.life.match_ended = true;
        }
        if (began || restarted) && !self.in_match {
            Self::event(out, "match_start", "".into());
            self.life.match_started = true;
            self.in_match = true;
            self.matches += 1;
            self.match_id = None;
            self.round_live = false;
            self.round_ended = false;
        }
    }

    fn round_events(
        &mut self,
        out: &mut Output,
        prev: Option<&GameState>,
        next: &GameState,
        same_match: bool,
    ) {
        let phase = |s: Option<&GameState>| s.and_then(|s| s.round.as_ref()?.phase.clone());
        let (was, now) = (phase(prev), phase(Some(next)));
        let round_of = |s: Option<&GameState>| s.and_then(|s| s.map.as_ref()?.round);
        let round_rose = same_match
            && matches!((round_of(prev), round_of(Some(next))), (Some(a), Some(b)) if b > a);
        let ended = now.as_deref() == Some("over")
            || round_rose
            || (was.as_deref() == Some("live") && now.as_deref() == Some("freezetime"));
        if self.round_live && !self.round_ended && ended {
            Self::event(out, "round_end", "".into());
            self.life.round_ended = true;
            self.round_ended = true;
            self.round_live = false;
        }
        if now.as_deref() == Some("live") && (was.as_deref() != Some("live") || !self.round_live) {
            if !self.round_live {
                Self::event(out, "round_start", "".into());
                self.life.round_started = true;
            }
            self.round_live = true;
            self.round_ended = false;
        }
        if now.is_none() {
            self.round_live = false;
        }
    }

    /// `kill`, `death`, `assist`: the local player's totals rising since
    /// they were last seen in this match (a first sighting is a baseline).
    fn player_events(&mut self, out: &mut Output, me: Option<&Player>) {
        let Some((id, b)) = me.and_then(|p| Some((p.steamid.clone()?, p.match_stats.clone()?)))
        else {
            return;
        };
        let last = self.my_stats.replace((id.clone(), b.clone()));
        let Some(a) = last.filter(|(who, _)| *who == id).map(|(_, stats)| stats) else {
            return;
        };
        for (name, before, after) in [
            ("kill", a.kills, b.kills),
            ("death", a.deaths, b.deaths),
            ("assist", a.assists, b.assists),
        ] {
            if let (Some(before), Some(after)) = (before, after) {
                if after > before {
                    Self::event(out, name, after.into());
                }
            }
        }
    }

    fn match_info(&mut self, out: &mut Output, next: &GameState) {
        let provider = next.provider.as_ref();
        let steam_id = provider.and_then(|p| p.steamid.clone());
        self.set(out, "live_data", "steam_id", steam_id.into());
        let map = next.map.as_ref();
        let round = next.round.as_ref();
        let text = |v: Option<&String>| v.cloned().map_or(Value::Null, Value::from);
        self.set(
            out,
            "live_data",
            "game_phase",
            text(map.and_then(|m| m.phase.as_ref())),
        );
        self.set(
            out,
            "live_data",
            "round_phase",
            text(round.and_then(|r| r.phase.as_ref())),
        );
        self.set(
            out,
            "live_data",
            "mode_name",
            text(map.and_then(|m| m.mode.as_ref())),
        );
        self.set(
            out,
            "live_data",
            "map_name",
            text(map.and_then(|m| m.name.as_ref())),
        );
        let score = map.map(|m| {
            let of = |t: &Option<crate::model::Team>| t.as_ref().and_then(|t| t.score).unwrap_or(0);
            Value::from(json!({"team_t": of(&m.team_t), "team_ct": of(&m.team_ct)}).to_string())
        });
        self.set(out, "live_data", "score", score.unwrap_or(Value::Null));
        let round_number = map.and_then(|m| m.round).map(|r| r.saturating_add(1));
        self.set(out, "live_data", "round_number", round_number.into());
        let me = next.me();
        if let Some(me) = me {
            if let Some(stats) = &me.match_stats {
                for (key, value) in [
                    ("kills", stats.kills),
                    ("deaths", stats.deaths),
                    ("assists", stats.assists),
                ] {
                    if let Some(value) = value {
                        self.set(out, "live_data", key, value.into());
                    }
                }
            }
            if me.team.is_some() && map.is_some() {
                self.my_team = me.team.clone();
            }
        }
        let ranked = map
            .and_then(|m| m.mode.as_deref())
            .map(|mode| Value::from(matches!(mode, "competitive" | "scrimcomp2v2")));
        self.set(
            out,
            "match_info",
            "is_ranked",
            ranked.unwrap_or(Value::Null),
        );
        let game_mode = map.and_then(game_mode);
        self.set(
            out,
            "match_info",
            "game_mode",
            game_mode.map_or(Value::Null, Value::from),
        );
        if !self.in_match {
            self.match_id = None;
        } else if self.match_id.is_none() {
            self.match_id = Some(pseudo_match_id(next, self.matches));
        }
        let match_id = self.match_id.clone();
        self.set(out, "match_info", "pseudo_match_id", match_id.into());
        if map.and_then(|m| m.phase.as_deref()) == Some("gameover") {
            if let Some(outcome) = map.and_then(|m| outcome(m, self.my_team.as_deref())) {
                self.set(out, "match_info", "match_outcome", outcome.into());
            }
        }
        self.roster(out, next);
    }

    /// `roster_XX`: the local player in player mode (`roster_0`), every
    /// player from `allplayers` when spectating, as Overwolf's JSON strings
    /// (ping, color and rank are not in GSI).
    fn roster(&mut self, out: &mut Output, next: &GameState) {
        let local = next.provider.as_ref().and_then(|p| p.steamid.as_deref());
        let entries: Vec<(String, &Player)> = match (&next.allplayers, next.me()) {
            (Some(all), _) => all.iter().map(|(id, p)| (id.clone(), p)).collect(),
            _ if next.map.is_none() => Vec::new(),
            (None, Some(me)) => me.steamid.clone().map(|id| (id, me)).into_iter().collect(),
            // Dead (the block is gone or is the watched player's): as last seen.
            (None, None) => return,
        };
        for (i, key) in ROSTER_KEYS.iter().enumerate() {
            let value = entries.get(i).map(|(id, p)| {
                let stats = p.match_stats.clone().unwrap_or_default();
                let state = p.state.clone().unwrap_or_default();
                let mut entry = json!({
                    "nickname": p.name, "steamid": id, "team": p.team,
                    "money": state.money, "kills": stats.kills, "assists": stats.assists,
                    "deaths": stats.deaths, "mvps": stats.mvps, "score": stats.score,
                });
                if Some(id.as_str()) == local {
                    entry["is_local"] = "true".into();
                }
                Value::from(entry.to_string())
            });
            self.set(out, "match_info", key, value.unwrap_or(Value::Null));
        }
    }
}

/// Whether a round count went down (a restart).
fn went_down(before: Option<i64>, after: Option<i64>) -> bool {
    matches!((before, after), (Some(a), Some(b)) if b < a)
}

/// `win`, `lose` or `tie` for the side `team` plays now.
fn outcome(map: &Map, team: Option<&str>) -> Option<&'static str> {
    let score = |t: &Option<crate::model::Team>| t.as_ref().and_then(|t| t.score);
    let (ct, t) = (score(&map.team_ct)?, score(&map.team_t)?);
    let (mine, theirs) = match team? {
        "CT" => (ct, t),
        "T" => (t, ct),
        _ => return None,
    };
    Some(match mine.cmp(&theirs) {
        std::cmp::Ordering::Greater => "win",
        std::cmp::Ordering::Less => "lose",
        std::cmp::Ordering::Equal => "tie",
    })
}

/// `"Competitive Dust II"`: the mode and the map's display name (GSI does
/// not say whether a match is offline or on a community server).
fn game_mode(map: &Map) -> Option<String> {
    let mode = match map.mode.as_deref()? {
        "competitive" => "Competitive",
        "scrimcomp2v2" => "Wingman",
        "casual" => "Casual",
        "deathmatch" => "Deathmatch",
        "gungameprogressive" => "Arms Race",
        "gungametrbomb" => "Demolition",
        "training" => "Training",
        "custom" => "Custom",
        "cooperative" | "coopmission" => "Co-op",
        "survival" => "Danger Zone",
        other => other,
    };
    let name = map.name.as_deref()?;
    let base = name.rsplit('/').next().unwrap_or(name);
    let display = match base {
        "de_dust2" => "Dust II",
        "de_inferno" => "Inferno",
        "de_mirage" => "Mirage",
        "de_nuke" => "Nuke",
        "de_overpass" => "Overpass",
        "de_vertigo" => "Vertigo",
        "de_ancient" => "Ancient",
        "de_anubis" => "Anubis",
        "de_train" => "Train",
        "cs_office" => "Office",
        "cs_italy" => "Italy",
        other => other,
    };
    Some(format!("{mode} {display}"))
}

/// A match's stable id (Overwolf generates a UUID "unrelated to the game"):
/// derived from the local SteamID, the map and the match's ordinal, so the
/// same bodies give the same id. Formatted as a UUID.
fn pseudo_match_id(state: &GameState, ordinal: u64) -> String {
    let who = state
        .provider
        .as_ref()
        .and_then(|p| p.steamid.as_deref())
        .unwrap_or("");
    let map = state
        .map
        .as_ref()
        .and_then(|m| m.name.as_deref())
        .unwrap_or("");
    let seed = format!(
        "{who}/{map}/{ordinal}/{}",
        state
            .provider
            .as_ref()
            .and_then(|p| p.timestamp)
            .unwrap_or(0)
    );
    // FNV-1a, twice with different offsets, for 128 bits.
    let fnv = |offset: u64| {
        seed.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x8422_2325_cbf2_9ce4));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}
