//! The `scoreboard` feature, a Wardcast addition: one info key per player with
//! everything a scoreboard, a net-worth graph or an item bar shows, so a client
//! that opens mid-match has the whole board in its snapshot instead of
//! rebuilding it from events.
//!
//! Keys: `scoreboard.player_<index>` for the ten players in spectator mode,
//! `scoreboard.me` for the local player in player mode. A field GSI does not
//! send in a mode is absent, never zero. A value is sent at most once per
//! second (the game clock or the body's timestamp moving on) and at once when
//! kills, deaths, assists, level, alive or items change.

use crate::model::Mode;
use crate::model::Player;
use serde_json::{Map, Value};

use crate::players::PlayerView;
use crate::{Sink, Step};

/// The info key of each spectator player index.
const KEYS: [&str; 10] = [
    "player_0", "player_1", "player_2", "player_3", "player_4", "player_5", "player_6", "player_7",
    "player_8", "player_9",
];

/// Fields whose change is sent at once; the others wait for the next second.
const URGENT: [&str; 6] = ["kills", "deaths", "assists", "level", "alive", "items"];

/// The second a value was last sent in: the game clock and the body's
/// timestamp (the clock stands still while paused; the timestamp does not).
pub(crate) type Second = (Option<i64>, Option<i64>);

/// Reads one counter of the `player` section.
type Stat = fn(&Player) -> Option<i64>;

/// Counters of the `player` section, in the order they appear in a value.
const STATS: [(&str, Stat); 15] = [
    ("kills", |p| p.kills),
    ("deaths", |p| p.deaths),
    ("assists", |p| p.assists),
    ("last_hits", |p| p.last_hits),
    ("denies", |p| p.denies),
    ("gold", |p| p.gold),
    ("net_worth", |p| p.net_worth),
    ("gpm", |p| p.gpm),
    ("xpm", |p| p.xpm),
    ("hero_damage", |p| p.hero_damage),
    ("tower_damage", |p| p.tower_damage),
    ("hero_healing", |p| p.hero_healing),
    ("wards_placed", |p| p.wards_placed),
    ("wards_purchased", |p| p.wards_purchased),
    ("wards_destroyed", |p| p.wards_destroyed),
];

pub(crate) fn run(
    step: &Step<'_>,
    who: &PlayerView<'_>,
    sent: &mut Option<Second>,
    sink: &mut Sink<'_>,
) {
    let key = match (step.mode, who.index) {
        (Mode::Spectating, Some(i)) => KEYS.get(usize::from(i)),
        (Mode::Playing, None) => Some(&"me"),
        _ => None,
    };
    let (Some(key), Some(row)) = (key, row(who)) else {
        return;
    };
    let second = (
        step.clock,
        step.next.provider.as_ref().and_then(|p| p.timestamp),
    );
    if let Some(last) = sink.current("scoreboard", "scoreboard", key) {
        if *last == row {
            return;
        }
        let urgent = URGENT.iter().any(|k| last.get(k) != row.get(k));
        if !urgent && *sent == Some(second) {
            return;
        }
    }
    *sent = Some(second);
    sink.info("scoreboard", "scoreboard", key, row);
}

/// One player's value, or `None` while the match loads and nobody is known.
fn row(who: &PlayerView<'_>) -> Option<Value> {
    let (player, hero) = (who.player, who.hero);
    let hero_id = hero.and_then(|h| h.id).filter(|id| *id > 0);
    let named = player.is_some_and(|p| p.steamid.is_some() || p.name.is_some());
    if !named && hero_id.is_none() {
        return None;
    }
    let mut map = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            map.insert(key.into(), value);
        }
    };
    put("player_index", who.player_index().map(Value::from));
    put("team", who.side().map(Value::from));
    put(
        "name",
        player.and_then(|p| p.name.as_deref()).map(Value::from),
    );
    put(
        "steamid",
        player.and_then(|p| p.steamid.as_deref()).map(Value::from),
    );
    put("hero", who.hero_name().map(Value::from));
    put("hero_id", hero_id.map(Value::from));
    put("level", hero.and_then(|h| h.level).map(Value::from));
    put("alive", hero.and_then(|h| h.alive).map(Value::from));
    put(
        "respawn_seconds",
        hero.and_then(|h| h.respawn_seconds).map(Value::from),
    );
    put(
        "buyback_cooldown",
        hero.and_then(|h| h.buyback_cooldown).map(Value::from),
    );
    put(
        "buyback_cost",
        hero.and_then(|h| h.buyback_cost).map(Value::from),
    );
    for (name, stat) in STATS {
        put(name, player.and_then(stat).map(Value::from));
    }
    if let Some(items) = who.items {
        let name = |slot: &str| items.get(slot).and_then(|i| i.name.as_deref());
        let inventory: Vec<Value> = (0..6)
            .map(|n| name(&format!("slot{n}")).unwrap_or("empty").into())
            .collect();
        put("items", Some(Value::Array(inventory)));
        put("neutral_item", name("neutral0").map(Value::from));
        put("neutral_enhancement", name("neutral1").map(Value::from));
        put("teleport_item", name("teleport0").map(Value::from));
    }
    Some(Value::Object(map))
}
