//! The legacy CS:GO features (Overwolf game id 7764) derived from CS2 GSI,
//! offered beside Overwolf's CS2 features, plus Wardcast's spectator
//! additions (`bomb`, `phase_countdowns`).
//!
//! Names, event data and info keys are Overwolf's CS:GO ones. Where a
//! CS:GO feature name is also a CS2 feature name (`gep_internal`,
//! `match_info`), the CS2 feature is kept as it is and the CS:GO one is not
//! offered (its data is in the CS2 feature already, or is not in GSI).
//!
//! Player mode: every event is about the local player only (the `player`
//! block counts while its `steamid` is `provider.steamid`). Spectator mode
//! (the body has `allplayers`): the per-player events (`kill`, `death`,
//! `assist`, `headshot`, `mvp`) fire for every player, their data gaining
//! `steamid`, `name` and `team`; `roster` and `scoreboard` list every
//! player; `kill_feed` pairs a death with a kill seen in the same body.

use serde_json::{json, Map as JsonMap, Value};
use wardcast_engine::{Event, InfoDb, Output};

use crate::engine::MATCH_INFO;
use crate::model::{GameState, Player, Team, Weapon};

/// Most events one counter gives for one body: a bigger jump (a hostile
/// or a resynchronising peer) gives this many, the last with the new total.
pub const MAX_EVENTS_PER_COUNTER: i64 = 10;

/// The `scoreboard_XX` keys (category `game_info`), one per player.
const SCOREBOARD_KEYS: [&str; 10] = [
    "scoreboard_0",
    "scoreboard_1",
    "scoreboard_2",
    "scoreboard_3",
    "scoreboard_4",
    "scoreboard_5",
    "scoreboard_6",
    "scoreboard_7",
    "scoreboard_8",
    "scoreboard_9",
];

/// What the core engine decided for this body: the lifecycle events it
/// fired, which the legacy features mirror.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Lifecycle {
    /// `match_end` fired.
    pub match_ended: bool,
    /// `match_start` fired.
    pub match_started: bool,
    /// `round_end` fired.
    pub round_ended: bool,
    /// `round_start` fired.
    pub round_started: bool,
}

/// The legacy features' state between bodies.
#[derive(Debug, Default)]
pub(crate) struct Legacy {
    /// The local player's block when last seen in this match (it vanishes
    /// after death and comes back at the next freeze time).
    me_last: Option<Player>,
    /// The local player's side on this map, last seen (`team_set`,
    /// `player_team`).
    team: Option<String>,
    /// The local player's `activity`, last seen.
    activity: Option<String>,
    /// The bomb this round: `planted`, `defused` or `exploded`.
    bomb: Option<String>,
}

/// One player compared with itself in the body before (same match).
struct Pair<'a> {
    /// Spectator mode: the SteamID (the `allplayers` key); player mode: none.
    id: Option<&'a str>,
    before: Option<&'a Player>,
    after: &'a Player,
}

fn event(out: &mut Output, feature: &'static str, name: &'static str, data: Value) {
    out.events.push(Event {
        feature,
        name,
        data,
    });
}

impl Legacy {
    /// Derives the legacy events and info for one body.
    pub(crate) fn step(
        &mut self,
        out: &mut Output,
        info: &mut InfoDb,
        prev: Option<&GameState>,
        next: &GameState,
        same_match: bool,
        life: Lifecycle,
    ) {
        let map_name = |s: Option<&GameState>| s.and_then(|s| s.map.as_ref()?.name.clone());
        let same_map = map_name(prev).is_some() && map_name(prev) == map_name(Some(next));
        if !same_map {
            self.team = None;
        }
        if !same_match {
            self.me_last = None;
        }
        let spectating = next.allplayers.is_some();
        let me = next.me();
        let new_team = me
            .and_then(|p| p.team.clone())
            .filter(|_| next.map.is_some())
            .filter(|t| self.team.as_ref() != Some(t));
        if let Some(team) = &new_team {
            self.team = Some(team.clone());
        }
        let player_team = if spectating {
            Value::Null
        } else {
            self.team.clone().map_or(Value::Null, Value::from)
        };

        if life.match_ended {
            event(out, "match_end", "match_end", json!({}));
        }
        if life.match_started {
            event(
                out,
                "match_start",
                "match_start",
                json!({ "player_team": player_team }),
            );
        }

        if let Some(team) = new_team {
            event(out, "team_set", "team_set", json!({ "team": team }));
        }

        let pairs = pairs(self.me_last.as_ref(), prev, next, same_match);
        for pair in &pairs {
            counters(out, pair);
        }
        if spectating && same_match {
            kill_feed(out, &pairs);
        }

        // The bomb: planted, defused, exploded.
        let bomb = bomb_of(next);
        let last_bomb = std::mem::replace(&mut self.bomb, bomb.clone());
        if same_match {
            if let Some(state) = bomb.as_ref().filter(|b| last_bomb.as_ref() != Some(*b)) {
                if state == "planted" {
                    event(out, "bomb_planted", "bomb_planted", json!({}));
                }
                event(out, "bomb_change", "bomb_change", json!({ "state": state }));
            }
        }

        if life.round_ended {
            if let Some(winner) = winner(prev, next, same_match) {
                let bomb = bomb.or(last_bomb);
                event(
                    out,
                    "team_round_win",
                    "team_round_win",
                    json!({ "winningTeam": winner, "bomb": bomb }),
                );
            }
        }
        if same_match {
            if let (Some((ct0, t0)), Some((ct1, t1))) = (scores(prev), scores(Some(next))) {
                // A drop is the halftime swap or a restart, not a round won.
                if ct1 >= ct0 && t1 >= t0 && (ct1, t1) != (ct0, t0) {
                    event(
                        out,
                        "match_score",
                        "score",
                        json!({ "team_ct": ct1, "team_t": t1 }),
                    );
                }
            }
        }
        for pair in &pairs {
            let stat = |p: Option<&Player>| p.and_then(|p| p.match_stats.as_ref()?.mvps);
            rises(
                out,
                pair,
                "mvp",
                "totalMvps",
                stat(pair.before),
                stat(Some(pair.after)),
            );
        }

        if life.round_started {
            let round = next
                .map
                .as_ref()
                .and_then(|m| m.round)
                .unwrap_or(0)
                .saturating_add(1);
            event(
                out,
                "round_start",
                "round_start",
                json!({ "num_of_rounds": round, "player_team": player_team }),
            );
        }

        // The local player's activity and weapons.
        if let Some(activity) = me.and_then(|p| p.activity.clone()) {
            if self.activity.as_ref().is_some_and(|a| *a != activity) {
                event(
                    out,
                    "player_activity_change",
                    "player_activity_change",
                    json!({ "activity": activity }),
                );
            }
            self.activity = Some(activity);
        }
        let prev_me = prev.and_then(GameState::me);
        if let (Some(a), Some(b), true) = (prev_me, me, same_match) {
            // A side switch replaces the loadout: not a pickup nor a switch.
            if a.steamid == b.steamid && a.team == b.team && alive(a) && alive(b) {
                weapons(out, a, b);
            }
        }
        if let Some(me) = me.filter(|p| p.match_stats.is_some() || p.state.is_some()) {
            self.me_last = Some(me.clone());
        }

        self.info(out, info, next);
    }

    fn info(&mut self, out: &mut Output, info: &mut InfoDb, next: &GameState) {
        let mut set = |feature: &'static str, category, key, value: Value| {
            out.set_info(info, feature, category, key, value);
        };
        let map = next.map.as_ref();
        let spectating = next.allplayers.is_some();
        let text = |v: Option<String>| v.map_or(Value::Null, Value::from);
        let number = |v: Option<i64>| v.map_or(Value::Null, |n| Value::from(n.to_string()));

        // info.player: the local player, or the watched one when spectating.
        let subject = if spectating {
            next.player.as_ref()
        } else {
            next.me()
        };
        let steamid = if spectating {
            subject.and_then(|p| p.steamid.clone())
        } else {
            next.provider.as_ref().and_then(|p| p.steamid.clone())
        };
        if steamid.is_some() || map.is_none() {
            set("info", "player", "steamid", text(steamid));
        }
        if map.is_none() {
            for key in ["totalKills", "totalDeaths", "totalMvps", "score", "team"] {
                set("info", "player", key, Value::Null);
            }
        } else if let Some(p) = subject.filter(|p| p.match_stats.is_some()) {
            let stats = p.match_stats.clone().unwrap_or_default();
            set("info", "player", "totalKills", number(stats.kills));
            set("info", "player", "totalDeaths", number(stats.deaths));
            set("info", "player", "totalMvps", number(stats.mvps));
            set("info", "player", "score", number(stats.score));
            set("info", "player", "team", text(p.team.clone()));
        }

        // info.round and info.scene.
        set(
            "info",
            "round",
            "map",
            text(map.and_then(|m| m.name.clone())),
        );
        set(
            "info",
            "round",
            "mode",
            text(map.and_then(|m| m.mode.clone())),
        );
        set(
            "info",
            "round",
            "numOfRound",
            number(map.and_then(|m| m.round)),
        );
        let phase = map.map(|m| {
            if m.phase.as_deref() == Some("warmup") {
                Some("warmup".to_owned())
            } else {
                next.round.as_ref().and_then(|r| r.phase.clone())
            }
        });
        set("info", "round", "phase", text(phase.flatten()));
        let scene = if map.is_some() { "Game" } else { "MainMenu" };
        set("info", "scene", "scene", scene.into());

        // roster.match and scoreboard: every player when spectating, the
        // local player when playing (as last seen while dead).
        let local = next.provider.as_ref().and_then(|p| p.steamid.as_deref());
        let players: Option<Vec<(String, &Player)>> = match (&next.allplayers, next.me()) {
            _ if map.is_none() => Some(Vec::new()),
            (Some(all), _) => Some(all.iter().map(|(id, p)| (id.clone(), p)).collect()),
            (None, Some(me)) if me.match_stats.is_some() || me.team.is_some() => {
                Some(me.steamid.clone().map(|id| (id, me)).into_iter().collect())
            }
            _ => None,
        };
        let Some(players) = players else {
            self.spectator_info(out, info, next);
            return;
        };
        let roster = (!players.is_empty()).then(|| {
            let list: Vec<Value> = players
                .iter()
                .map(|(id, p)| json!({ "steamId": id, "team": side_name(p.team.as_deref()) }))
                .collect();
            Value::from(json!({ "players": list }).to_string())
        });
        out.set_info(
            info,
            "roster",
            "roster",
            "match",
            roster.unwrap_or(Value::Null),
        );
        for (i, key) in SCOREBOARD_KEYS.iter().enumerate() {
            let value = players.get(i).map(|(id, p)| {
                let stats = p.match_stats.clone().unwrap_or_default();
                let state = p.state.clone().unwrap_or_default();
                let entry = json!({
                    "nickname": p.name, "steamid": id, "team": p.team,
                    "money": state.money, "kills": stats.kills, "assists": stats.assists,
                    "deaths": stats.deaths, "mvps": stats.mvps, "score": stats.score,
                    "local_player": i64::from(Some(id.as_str()) == local),
                });
                Value::from(entry.to_string())
            });
            out.set_info(
                info,
                "scoreboard",
                "game_info",
                key,
                value.unwrap_or(Value::Null),
            );
        }
        self.spectator_info(out, info, next);
    }

    /// `bomb` and `phase_countdowns` (spectator and GOTV bodies only).
    fn spectator_info(&self, out: &mut Output, info: &mut InfoDb, next: &GameState) {
        let bomb = next.bomb.as_ref().filter(|_| next.map.is_some());
        let text = |v: Option<String>| v.map_or(Value::Null, Value::from);
        let seconds = |v: Option<f64>| v.map_or(Value::Null, Value::from);
        out.set_info(
            info,
            "bomb",
            "bomb",
            "state",
            text(bomb.and_then(|b| b.state.clone())),
        );
        out.set_info(
            info,
            "bomb",
            "bomb",
            "countdown",
            seconds(bomb.and_then(|b| b.countdown)),
        );
        out.set_info(
            info,
            "bomb",
            "bomb",
            "player",
            text(bomb.and_then(|b| b.player.clone())),
        );
        let phase = next
            .phase_countdowns
            .as_ref()
            .filter(|_| next.map.is_some());
        out.set_info(
            info,
            "phase_countdowns",
            "phase_countdowns",
            "phase",
            text(phase.and_then(|p| p.phase.clone())),
        );
        out.set_info(
            info,
            "phase_countdowns",
            "phase_countdowns",
            "phase_ends_in",
            seconds(phase.and_then(|p| p.phase_ends_in)),
        );
    }
}

/// Every player of the body with its view in the body before.
fn pairs<'a>(
    me_last: Option<&'a Player>,
    prev: Option<&'a GameState>,
    next: &'a GameState,
    same_match: bool,
) -> Vec<Pair<'a>> {
    if let Some(all) = &next.allplayers {
        let before = prev
            .filter(|_| same_match)
            .and_then(|p| p.allplayers.as_ref());
        return all
            .iter()
            .map(|(id, p)| Pair {
                id: Some(id),
                before: before.and_then(|b| b.get(id)),
                after: p,
            })
            .collect();
    }
    next.me()
        .map(|me| Pair {
            id: None,
            before: me_last.filter(|p| p.steamid == me.steamid),
            after: me,
        })
        .into_iter()
        .collect()
}

/// `kill`, `headshot`, `death`, `assist` for one player.
fn counters(out: &mut Output, pair: &Pair<'_>) {
    let stats = |p: Option<&Player>| p.and_then(|p| p.match_stats.clone()).unwrap_or_default();
    let (a, b) = (stats(pair.before), stats(Some(pair.after)));
    let killed = rises(out, pair, "kill", "totalKills", a.kills, b.kills);
    let hs = |p: Option<&Player>| p.and_then(|p| p.state.as_ref()?.round_killhs);
    if killed {
        rises(
            out,
            pair,
            "headshot",
            "headshotsInRound",
            hs(pair.before),
            hs(Some(pair.after)),
        );
    }
    rises(out, pair, "death", "totalDeaths", a.deaths, b.deaths);
    rises(out, pair, "assist", "totalAssists", a.assists, b.assists);
}

/// Fires `name` (feature and event of the same name) once per unit a
/// counter rose, at most [`MAX_EVENTS_PER_COUNTER`], the last with the new
/// total. Whether it rose.
fn rises(
    out: &mut Output,
    pair: &Pair<'_>,
    name: &'static str,
    field: &'static str,
    before: Option<i64>,
    after: Option<i64>,
) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return false;
    };
    if after <= before {
        return false;
    }
    let n = after.saturating_sub(before).min(MAX_EVENTS_PER_COUNTER);
    for i in 1..=n {
        let total = if i == n {
            after
        } else {
            before.saturating_add(i)
        };
        let mut data = JsonMap::new();
        data.insert(field.into(), total.into());
        tag(&mut data, pair);
        event(out, name, name, Value::Object(data));
    }
    true
}

/// Spectator mode: who the event is about.
fn tag(data: &mut JsonMap<String, Value>, pair: &Pair<'_>) {
    if let Some(id) = pair.id {
        data.insert("steamid".into(), id.into());
        data.insert("name".into(), pair.after.name.clone().into());
        data.insert("team".into(), pair.after.team.clone().into());
    }
}

/// `kill_feed` (spectator): one event per player whose health fell to 0.
/// The attacker is named only when exactly one player's kills rose, by one,
/// for exactly one victim; GSI has no kill feed, so the rest is unknown.
fn kill_feed(out: &mut Output, pairs: &[Pair<'_>]) {
    let health = |p: Option<&Player>| p.and_then(|p| p.state.as_ref()?.health);
    let victims: Vec<&Pair<'_>> = pairs
        .iter()
        .filter(|p| health(p.before).is_some_and(|h| h > 0) && health(Some(p.after)) == Some(0))
        .collect();
    if victims.is_empty() {
        return;
    }
    let stat = |p: Option<&Player>, f: fn(&crate::model::MatchStats) -> Option<i64>| {
        p.and_then(|p| p.match_stats.as_ref().and_then(f))
    };
    let rose_by = |p: &Pair<'_>, f: fn(&crate::model::MatchStats) -> Option<i64>| match (
        stat(p.before, f),
        stat(Some(p.after), f),
    ) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => 0,
    };
    let killers: Vec<&Pair<'_>> = pairs
        .iter()
        .filter(|p| rose_by(p, |s| s.kills) > 0)
        .collect();
    let killer = match (victims.len(), killers.as_slice()) {
        (1, [one]) if rose_by(one, |s| s.kills) == 1 => Some(*one),
        _ => None,
    };
    let assisters: Vec<&Pair<'_>> = pairs
        .iter()
        .filter(|p| rose_by(p, |s| s.assists) > 0)
        .collect();
    let assister = match assisters.as_slice() {
        [one] if killer.is_some() => one.after.name.clone(),
        _ => None,
    };
    for victim in victims {
        let hs = |p: Option<&Player>| p.and_then(|p| p.state.as_ref()?.round_killhs);
        let headshot = killer.is_some_and(
            |k| matches!((hs(k.before), hs(Some(k.after))), (Some(a), Some(b)) if b > a),
        );
        let weapon = killer
            .and_then(|k| active(k.after).or_else(|| k.before.and_then(active)))
            .and_then(|w| w.name.clone())
            .map(|n| n.strip_prefix("weapon_").map(str::to_owned).unwrap_or(n));
        let data = json!({
            "attacker": killer.and_then(|k| k.after.name.clone()).unwrap_or_default(),
            "assister": assister.clone().unwrap_or_default(),
            "weapon": weapon.unwrap_or_default(),
            "headshot": headshot,
            "suicide": false,
            "wallbang": false,
            "revenge": false,
            "domination": false,
            "noscope": false,
            "throughsmoke": false,
            "flashed": false,
            "victim": victim.after.name.clone().unwrap_or_default(),
        });
        event(out, MATCH_INFO, "kill_feed", data.clone());
        event(out, "kill_feed", "kill_feed", data);
    }
}

/// `weapon_acquired`, `weapon_change`, `reloading`, `fired` for the local
/// player, alive and on the same side in two consecutive bodies.
fn weapons(out: &mut Output, a: &Player, b: &Player) {
    let (Some(before), Some(after)) = (&a.weapons, &b.weapons) else {
        return;
    };
    let owned: Vec<&str> = before.values().filter_map(|w| w.name.as_deref()).collect();
    for w in after.values() {
        let Some(name) = w.name.as_deref() else {
            continue;
        };
        let melee = matches!(w.kind.as_deref(), Some("Knife" | "Fists"));
        if !owned.contains(&name) && !melee {
            event(out, "weapon_acquired", "weapon_acquired", short(w));
        }
    }
    let (was, now) = (active(a), active(b));
    if let (Some(was), Some(now)) = (was, now) {
        if was.name != now.name {
            event(out, "weapon_change", "weapon_change", short(now));
        } else if now.state.as_deref() == Some("reloading")
            && was.state.as_deref() != Some("reloading")
        {
            event(out, "reloading", "reloading", long(now));
        } else if matches!((was.ammo_clip, now.ammo_clip), (Some(x), Some(y)) if y < x) {
            event(out, "fired", "fired", long(now));
        }
    }
}

/// The weapon held (`active`, or `reloading`).
fn active(p: &Player) -> Option<&Weapon> {
    p.weapons
        .as_ref()?
        .values()
        .find(|w| matches!(w.state.as_deref(), Some("active" | "reloading")))
}

fn short(w: &Weapon) -> Value {
    json!({ "weapon_name": w.name, "weapon_type": w.kind })
}

fn long(w: &Weapon) -> Value {
    json!({
        "weapon_name": w.name,
        "weapon_current_ammo": w.ammo_clip,
        "weapon_max_ammo": w.ammo_clip_max,
        "weapon_type": w.kind,
    })
}

fn alive(p: &Player) -> bool {
    p.state
        .as_ref()
        .and_then(|s| s.health)
        .is_some_and(|h| h > 0)
}

/// The bomb as Overwolf names it (`planted`, `defused`, `exploded`): the
/// spectator `bomb` section when it says so, else `round.bomb`.
fn bomb_of(state: &GameState) -> Option<String> {
    let spectator = state.bomb.as_ref().and_then(|b| match b.state.as_deref()? {
        "planted" | "defusing" => Some("planted"),
        "defused" => Some("defused"),
        "exploded" => Some("exploded"),
        _ => None,
    });
    spectator
        .map(str::to_owned)
        .or_else(|| state.round.as_ref()?.bomb.clone())
        .filter(|b| matches!(b.as_str(), "planted" | "defused" | "exploded"))
}

/// The round's winner: `round.win_team`, else the side whose score rose,
/// else `map.round_wins` for the round just completed.
fn winner(prev: Option<&GameState>, next: &GameState, same_match: bool) -> Option<String> {
    if let Some(team) = next.round.as_ref().and_then(|r| r.win_team.clone()) {
        return Some(team);
    }
    if same_match {
        if let (Some((ct0, t0)), Some((ct1, t1))) = (scores(prev), scores(Some(next))) {
            match (ct1 > ct0, t1 > t0) {
                (true, false) => return Some("CT".into()),
                (false, true) => return Some("T".into()),
                _ => {}
            }
        }
    }
    let map = next.map.as_ref()?;
    let reason = map.round_wins.as_ref()?.get(&map.round?.to_string())?;
    if reason.starts_with("ct_") {
        Some("CT".into())
    } else if reason.starts_with("t_") {
        Some("T".into())
    } else {
        None
    }
}

/// `(team_ct.score, team_t.score)`.
fn scores(state: Option<&GameState>) -> Option<(i64, i64)> {
    let map = state?.map.as_ref()?;
    let score = |t: &Option<Team>| t.as_ref().and_then(|t| t.score);
    Some((score(&map.team_ct)?, score(&map.team_t)?))
}

/// CS:GO's roster team names.
fn side_name(team: Option<&str>) -> Value {
    match team {
        Some("CT") => "Counter-Terrorists".into(),
        Some("T") => "Terrorists".into(),
        Some(other) => other.into(),
        None => Value::Null,
    }
}
