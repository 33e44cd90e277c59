//! What both simulated matches share: the post type, the seeded generator,
//! JSON helpers, the menu heartbeat, the post recorder, the GSI `events`
//! sliding window, the `generic_event` kill-feed text and Invoker's spells
//! (each match has an Invoker).

use serde_json::{json, Map, Value};

/// One simulated GSI POST: when it is sent (ms from the start of the recording) and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPost {
    /// When the post is sent, in milliseconds from the start of the recording.
    pub at_ms: u64,
    /// The JSON body, shaped like a real Dota 2 GSI POST.
    pub body: Value,
}

/// `provider.timestamp` of the first post.
pub(super) const FIRST_TIMESTAMP: u64 = 1_700_000_000;
/// The `auth.token` every simulated body carries.
pub(super) const AUTH_TOKEN: &str = "demo";

/// Total XP needed to reach level N+1 (index N-1 for level N).
pub(super) const XP_TABLE: [i64; 30] = [
    0, 240, 640, 1160, 1760, 2440, 3200, 4000, 4900, 5900, 7000, 8200, 9500, 10900, 12400, 14000,
    15700, 17500, 19400, 21400, 23600, 26000, 28600, 31400, 34400, 38400, 43400, 49400, 56400,
    63900,
];

/// splitmix64: a tiny, well-mixed, seedable generator.
#[derive(Debug, Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An integer in `lo..=hi` (small ranges; `hi < lo` gives `lo`).
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.saturating_sub(lo).saturating_add(1).max(1) as u64;
        lo.saturating_add((self.next_u64() % span) as i64)
    }

    /// True with probability `num / den`.
    pub(super) fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den.max(1) < num
    }

    /// An index in `0..len` (0 when `len` is 0).
    pub(super) fn index(&mut self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        (self.next_u64() % len as u64) as usize
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

/// Builds a JSON object from pairs, in order.
/// One `abilities.abilityN` entry, as real bodies have it.
pub(super) fn ability_json(
    name: &str,
    level: i64,
    can_cast: bool,
    passive: bool,
    cooldown: i64,
    ultimate: bool,
) -> Value {
    obj([
        ("name", json!(name)),
        ("level", json!(level)),
        ("can_cast", json!(can_cast)),
        ("passive", json!(passive)),
        ("ability_active", json!(true)),
        ("cooldown", json!(cooldown)),
        ("ultimate", json!(ultimate)),
    ])
}

pub(super) fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

/// The `provider` section.
pub(super) fn provider(ts: u64) -> Value {
    json!({"name": "Dota 2", "appid": 570, "version": 47, "timestamp": ts})
}

/// A main-menu heartbeat: no match sections at all.
pub(super) fn menu_body(ts: u64) -> Value {
    obj([
        ("events", json!([])),
        ("player", json!({})),
        ("provider", provider(ts)),
        ("auth", json!({"token": AUTH_TOKEN})),
    ])
}

/// The straight-line distance between two map points.
pub(super) fn distance(a: (i64, i64), b: (i64, i64)) -> i64 {
    let dx = (a.0 - b.0) as f64;
    let dy = (a.1 - b.1) as f64;
    (dx * dx + dy * dy).sqrt() as i64
}

/// Integer percentage, at least 1 while `value` is above zero.
pub(super) fn percent(value: i64, max: i64) -> i64 {
    if max <= 0 || value <= 0 {
        return 0;
    }
    (value * 100 / max).clamp(1, 100)
}

/// Hands posts, one second apart, to a sink as they are made (so a caller
/// can encode each body at once rather than hold every JSON tree).
pub(super) struct Recorder<F: FnMut(DemoPost)> {
    sent: u64,
    sink: F,
}

impl<F: FnMut(DemoPost)> Recorder<F> {
    pub(super) fn new(sink: F) -> Self {
        Self { sent: 0, sink }
    }

    /// How many posts have been made: the index of the next one.
    pub(super) fn sent(&self) -> usize {
        usize::try_from(self.sent).unwrap_or(usize::MAX)
    }

    /// The `provider.timestamp` of the next post.
    pub(super) fn timestamp(&self) -> u64 {
        FIRST_TIMESTAMP + self.sent
    }

    pub(super) fn push(&mut self, body: Value) {
        let at_ms = 1000 * self.sent;
        (self.sink)(DemoPost { at_ms, body });
        self.sent += 1;
    }
}

/// `map.game_state`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum GameState {
    Init,
    HeroSelection,
    StrategyTime,
    WaitForMapToLoad,
    PreGame,
    InProgress,
    PostGame,
}

impl GameState {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Init => "DOTA_GAMERULES_STATE_INIT",
            Self::HeroSelection => "DOTA_GAMERULES_STATE_HERO_SELECTION",
            Self::StrategyTime => "DOTA_GAMERULES_STATE_STRATEGY_TIME",
            Self::WaitForMapToLoad => "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD",
            Self::PreGame => "DOTA_GAMERULES_STATE_PRE_GAME",
            Self::InProgress => "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS",
            Self::PostGame => "DOTA_GAMERULES_STATE_POST_GAME",
        }
    }
}

/// How long an entry stays in the `events` window, in game seconds (the RU
/// study saw 28-31 s).
pub(super) const EVENT_WINDOW_SECS: i64 = 30;
/// The most entries the `events` window holds.
pub(super) const EVENT_WINDOW_MAX: usize = 16;

/// Every entry the game has logged, from which each body's `events` window is cut.
///
/// GSI re-sends its `events` array on every tick as a sliding window: newest
/// first, at most 16 entries, each for about 30 s of game time. An entry
/// therefore appears in several consecutive bodies, unchanged. Spectator and
/// replay bodies also repeat an entry inside one array, with more copies from
/// post to post (one, then two, then three): [`EventLog::repeating`] does that.
#[derive(Debug, Default)]
pub(super) struct EventLog {
    /// `(game_time, entry)`, oldest first.
    entries: Vec<(i64, Value)>,
    /// Whether an entry comes in growing runs of copies, as spectators see it.
    repeat: bool,
}

/// The most copies of one entry a repeating window holds.
const MAX_COPIES: i64 = 3;

impl EventLog {
    /// A log whose windows repeat each entry as real spectator bodies do: one
    /// copy in the entry's first second, two in the next, then three.
    pub(super) fn repeating() -> Self {
        Self {
            repeat: true,
            ..Self::default()
        }
    }

    /// Logs an entry: `{"game_time", "event_type", ...fields}` in that order,
    /// as real bodies have them.
    pub(super) fn push(&mut self, game_time: i64, event_type: &str, fields: Vec<(&str, Value)>) {
        let mut map = Map::new();
        map.insert("game_time".into(), game_time.into());
        map.insert("event_type".into(), event_type.into());
        for (k, v) in fields {
            map.insert(k.to_owned(), v);
        }
        self.entries.push((game_time, Value::Object(map)));
    }

    /// The window a body at `game_time` carries: newest first.
    pub(super) fn window(&self, game_time: i64) -> Value {
        let entries: Vec<Value> = self
            .entries
            .iter()
            .rev()
            .filter(|(t, _)| *t <= game_time && game_time - *t <= EVENT_WINDOW_SECS)
            .flat_map(|(t, e)| {
                let copies = if self.repeat {
                    (game_time - t + 1).min(MAX_COPIES)
                } else {
                    1
                };
                std::iter::repeat_n(e, usize::try_from(copies).unwrap_or(1))
            })
            .take(EVENT_WINDOW_MAX)
            .cloned()
            .collect();
        Value::Array(entries)
    }
}

/// An Invoker spell that Invoke can put into ability slot 3 or 4.
pub(super) struct Spell {
    pub(super) name: &'static str,
    /// Quas, Wex, Exort orbs in the combination.
    pub(super) orbs: [u8; 3],
    pub(super) mana: i64,
    pub(super) cooldown: i64,
}

/// Invoker's ten spells, shared by both matches (each has an Invoker).
pub(super) const SPELLS: [Spell; 10] = [
    Spell {
        name: "invoker_cold_snap",
        orbs: [3, 0, 0],
        mana: 100,
        cooldown: 18,
    },
    Spell {
        name: "invoker_ghost_walk",
        orbs: [2, 1, 0],
        mana: 200,
        cooldown: 35,
    },
    Spell {
        name: "invoker_ice_wall",
        orbs: [2, 0, 1],
        mana: 125,
        cooldown: 25,
    },
    Spell {
        name: "invoker_emp",
        orbs: [0, 3, 0],
        mana: 125,
        cooldown: 30,
    },
    Spell {
        name: "invoker_tornado",
        orbs: [1, 2, 0],
        mana: 150,
        cooldown: 27,
    },
    Spell {
        name: "invoker_alacrity",
        orbs: [0, 2, 1],
        mana: 60,
        cooldown: 17,
    },
    Spell {
        name: "invoker_sun_strike",
        orbs: [0, 0, 3],
        mana: 175,
        cooldown: 25,
    },
    Spell {
        name: "invoker_forge_spirit",
        orbs: [1, 0, 2],
        mana: 75,
        cooldown: 30,
    },
    Spell {
        name: "invoker_chaos_meteor",
        orbs: [0, 1, 2],
        mana: 200,
        cooldown: 55,
    },
    Spell {
        name: "invoker_deafening_blast",
        orbs: [1, 1, 1],
        mana: 300,
        cooldown: 40,
    },
];
pub(super) const COLD_SNAP: usize = 0;
/// Spells preferred in a fight, best first.
pub(super) const FIGHT_SPELLS: [usize; 5] = [6, 7, 8, 4, 9];
pub(super) const INVOKE_COOLDOWN: i64 = 6;

/// The ability level GSI shows for an invoked spell: its highest orb's level.
pub(super) fn spell_level(spell: &Spell, orb_levels: &[i64]) -> i64 {
    spell
        .orbs
        .iter()
        .zip(orb_levels)
        .filter(|(&need, _)| need > 0)
        .map(|(_, &lvl)| lvl)
        .max()
        .unwrap_or(1)
        .max(1)
}

/// A `generic_event`'s `data`: the kill-feed message as JSON text, with the
/// ids it names (`playerid1` = victim, `playerid2` = killer for a hero kill,
/// `playerid1` = the buyer for a buyback) and -1 for the unused ones.
pub(super) fn kill_feed(kind: &str, value: i64, players: &[i64], clock: i64) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), json!(kind));
    map.insert("value".into(), json!(value));
    for n in 0..6 {
        let id = players.get(n).copied().unwrap_or(-1);
        map.insert(format!("playerid{}", n + 1), json!(id));
    }
    // The message's own clock has a fraction: a tenth past the second.
    let tenths = (clock.unsigned_abs() % 7 + 1) as f64 / 10.0;
    map.insert("time".into(), json!(clock as f64 + tenths));
    Value::String(Value::Object(map).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeating_window_grows_runs_of_copies() {
        let mut log = EventLog::repeating();
        log.push(100, "tip", vec![("tip_amount", json!(50))]);
        let copies = |t| log.window(t).as_array().map_or(0, Vec::len);
        assert_eq!(
            [copies(100), copies(101), copies(102), copies(120)],
            [1, 2, 3, 3]
        );
        assert_eq!(copies(131), 0);
        assert_eq!(EventLog::default().window(0), json!([]));
    }

    #[test]
    fn the_window_slides_newest_first_and_is_capped() {
        let mut log = EventLog::default();
        log.push(100, "tip", vec![("tip_amount", json!(50))]);
        log.push(110, "roshan_killed", vec![("killer_player_id", json!(1))]);
        assert_eq!(log.window(99), json!([]));
        let w = log.window(112);
        assert_eq!(w[0]["event_type"], "roshan_killed");
        assert_eq!(w[1]["event_type"], "tip");
        assert_eq!(
            w[1],
            json!({"game_time": 100, "event_type": "tip", "tip_amount": 50})
        );
        assert_eq!(log.window(130).as_array().map(Vec::len), Some(2));
        assert_eq!(log.window(131).as_array().map(Vec::len), Some(1));
        assert_eq!(log.window(141), json!([]));
        for t in 0..40 {
            log.push(200, "bounty_rune_pickup", vec![("player_id", json!(t))]);
        }
        assert_eq!(
            log.window(200).as_array().map(Vec::len),
            Some(EVENT_WINDOW_MAX)
        );
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = Rng(3);
        let mut v: Vec<i64> = (0..20).collect();
        rng.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
