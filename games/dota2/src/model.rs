//! Serde types for a Dota 2 GSI body.
//!
//! Valve publishes no schema, so every field is optional and unknown fields are
//! ignored. Player mode sends one flat object per section about the local player;
//! spectator mode nests the same objects as `team2.player0..4` / `team3.player5..9`.
//! Sections that can take either shape ([`Player`], [`Hero`]) carry
//! both the flat fields and the `team2`/`team3` maps, so one derive parses either
//! without buffering. Slot maps ([`Slots`]) hold `abilityN`/`slotN` entries and
//! the per-team nesting side by side.

use std::collections::BTreeMap;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
pub use wardcast_gsi::{Auth, Mode, ParseError};

/// A whole GSI POST body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct GameState {
    /// Who sent the body and when.
    pub provider: Option<Provider>,
    /// Match-wide state: clock, game state, scores.
    pub map: Option<Map>,
    /// Player statistics (flat in player mode, per team in spectator mode).
    pub player: Option<Player>,
    /// Hero state (flat in player mode, per team in spectator mode).
    pub hero: Option<Hero>,
    /// Abilities by slot.
    pub abilities: Option<Slots<Ability>>,
    /// Items by slot.
    pub items: Option<Slots<Item>>,
    /// Building health by side.
    pub buildings: Option<BTreeMap<String, BTreeMap<String, Building>>>,
    /// Captains-mode and spectator draft.
    pub draft: Option<Draft>,
    /// The sliding window of recent game events.
    pub events: Option<Vec<GsiEvent>>,
    /// Echo of the cfg `auth` block.
    pub auth: Option<Auth>,
    /// Roshan (spectator).
    pub roshan: Option<serde_json::Value>,
    /// Couriers (spectator).
    pub couriers: Option<serde_json::Value>,
    /// Neutral items (spectator).
    pub neutralitems: Option<serde_json::Value>,
    /// Minimap markers.
    pub minimap: Option<serde_json::Value>,
    /// League information.
    pub league: Option<serde_json::Value>,
    /// Cosmetics by slot.
    pub wearables: Option<serde_json::Value>,
    /// Old values of the leaves that changed since the previous body (a hint only).
    pub previously: Option<serde_json::Value>,
    /// Paths that appeared since the previous body (a hint only).
    pub added: Option<serde_json::Value>,
}

/// The `provider` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Provider {
    /// `"Dota 2"`.
    pub name: Option<String>,
    /// Steam app id, 570.
    pub appid: Option<i64>,
    /// GSI provider version.
    pub version: Option<i64>,
    /// Unix seconds on the game's clock; not unique per body.
    pub timestamp: Option<i64>,
}

/// The `map` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Map {
    /// `"start"`, `"hero_demo_main"`, ...
    pub name: Option<String>,
    /// Match id; `"0"` in bot and local games. Some old bodies sent a number.
    #[serde(deserialize_with = "wardcast_gsi::integer_or_string")]
    pub matchid: Option<String>,
    /// Engine time since load.
    pub game_time: Option<i64>,
    /// HUD clock in seconds; negative before the horn, frozen while paused.
    pub clock_time: Option<i64>,
    /// Whether it is day.
    pub daytime: Option<bool>,
    /// Whether Night Stalker's ultimate night is active.
    pub nightstalker_night: Option<bool>,
    /// Radiant team kills.
    pub radiant_score: Option<i64>,
    /// Dire team kills.
    pub dire_score: Option<i64>,
    /// `DOTA_GAMERULES_STATE_*`.
    pub game_state: Option<String>,
    /// Whether the game is paused.
    pub paused: Option<bool>,
    /// `"none"`, `"radiant"` or `"dire"`.
    pub win_team: Option<String>,
    /// Custom game name, empty for normal games.
    pub customgamename: Option<String>,
    /// Local team's observer-ward shop cooldown (player mode).
    pub ward_purchase_cooldown: Option<i64>,
    /// Radiant's ward shop cooldown (spectator mode).
    pub radiant_ward_purchase_cooldown: Option<i64>,
    /// Dire's ward shop cooldown (spectator mode).
    pub dire_ward_purchase_cooldown: Option<i64>,
    /// `"alive"`, `"respawn_base"`, `"respawn_variable"` (spectator mode).
    pub roshan_state: Option<String>,
    /// Seconds until the Roshan state ends (spectator mode).
    pub roshan_state_end_seconds: Option<i64>,
    /// Radiant's win chance, 0 to 100 (spectator mode).
    pub radiant_win_chance: Option<i64>,
}

/// One player's statistics: the `player` section.
///
/// In player mode the flat fields describe the local player; in spectator mode only
/// `team2`/`team3` are set, each holding one `Player` per `playerN` key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Player {
    /// 64-bit Steam id as a string.
    pub steamid: Option<String>,
    /// 32-bit account id as a string.
    pub accountid: Option<String>,
    /// Persona name.
    pub name: Option<String>,
    /// `"playing"` or `"menu"`.
    pub activity: Option<String>,
    /// Cumulative kills.
    pub kills: Option<i64>,
    /// Cumulative deaths.
    pub deaths: Option<i64>,
    /// Cumulative assists.
    pub assists: Option<i64>,
    /// Cumulative last hits.
    pub last_hits: Option<i64>,
    /// Cumulative denies.
    pub denies: Option<i64>,
    /// Kills since the last death.
    pub kill_streak: Option<i64>,
    /// `"radiant"`, `"dire"` or `"spectator"`.
    pub team_name: Option<String>,
    /// Slot 0-4 within the team.
    pub team_slot: Option<i64>,
    /// Lobby slot.
    pub player_slot: Option<i64>,
    /// Total gold.
    pub gold: Option<i64>,
    /// Reliable gold.
    pub gold_reliable: Option<i64>,
    /// Unreliable gold.
    pub gold_unreliable: Option<i64>,
    /// Gold per minute.
    pub gpm: Option<i64>,
    /// Experience per minute.
    pub xpm: Option<i64>,
    /// Net worth (spectator mode).
    pub net_worth: Option<i64>,
    /// Damage dealt to heroes (spectator mode).
    pub hero_damage: Option<i64>,
    /// Damage dealt to towers (spectator mode).
    pub tower_damage: Option<i64>,
    /// Healing done to heroes (spectator mode).
    pub hero_healing: Option<i64>,
    /// Wards placed (spectator mode).
    pub wards_placed: Option<i64>,
    /// Wards bought (spectator mode).
    pub wards_purchased: Option<i64>,
    /// Enemy wards destroyed (spectator mode).
    pub wards_destroyed: Option<i64>,
    /// Gold spent on buybacks so far (spectator mode).
    pub gold_spent_on_buybacks: Option<i64>,
    /// Radiant players by `playerN` key (spectator mode only).
    pub team2: Option<BTreeMap<String, Player>>,
    /// Dire players by `playerN` key (spectator mode only).
    pub team3: Option<BTreeMap<String, Player>>,
}

/// One hero's state: the `hero` section, flat in player mode and nested by
/// `team2`/`team3` in spectator mode, like [`Player`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Hero {
    /// Hero id; -1 (player) or 0 (spectator) before the pick.
    pub id: Option<i64>,
    /// `npc_dota_hero_*`, absent until the pick locks.
    pub name: Option<String>,
    /// Hero level.
    pub level: Option<i64>,
    /// Experience.
    pub xp: Option<i64>,
    /// Whether the hero is alive.
    pub alive: Option<bool>,
    /// Seconds to respawn.
    pub respawn_seconds: Option<i64>,
    /// Gold cost to buy back.
    pub buyback_cost: Option<i64>,
    /// Buyback cooldown remaining.
    pub buyback_cooldown: Option<i64>,
    /// Current health.
    pub health: Option<i64>,
    /// Maximum health.
    pub max_health: Option<i64>,
    /// Current mana.
    pub mana: Option<i64>,
    /// Maximum mana.
    pub max_mana: Option<i64>,
    /// Silenced.
    pub silenced: Option<bool>,
    /// Stunned.
    pub stunned: Option<bool>,
    /// Disarmed.
    pub disarmed: Option<bool>,
    /// Magic immune.
    pub magicimmune: Option<bool>,
    /// Hexed.
    pub hexed: Option<bool>,
    /// Muted.
    pub muted: Option<bool>,
    /// Broken (passives disabled).
    #[serde(rename = "break")]
    pub break_: Option<bool>,
    /// Smoked.
    pub smoked: Option<bool>,
    /// Has any debuff.
    pub has_debuff: Option<bool>,
    /// Attribute-bonus level.
    pub attributes_level: Option<i64>,
    /// Whether the observer has this hero selected (spectator mode).
    pub selected_unit: Option<bool>,
    /// Radiant heroes by `playerN` key (spectator mode only).
    pub team2: Option<BTreeMap<String, Hero>>,
    /// Dire heroes by `playerN` key (spectator mode only).
    pub team3: Option<BTreeMap<String, Hero>>,
}

/// One ability slot.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Ability {
    /// Ability name.
    pub name: Option<String>,
    /// Skill level.
    pub level: Option<i64>,
    /// Whether it can be cast now.
    pub can_cast: Option<bool>,
    /// Whether it is passive.
    pub passive: Option<bool>,
    /// Whether it is active.
    pub ability_active: Option<bool>,
    /// Remaining cooldown in seconds.
    pub cooldown: Option<i64>,
    /// Whether it is the ultimate.
    pub ultimate: Option<bool>,
    /// Charges, for charge-based abilities.
    pub charges: Option<i64>,
}

/// One item slot; an empty slot has the name `"empty"`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Item {
    /// `item_*` or `"empty"`.
    pub name: Option<String>,
    /// Purchaser's player id.
    pub purchaser: Option<i64>,
    /// Whether it can be used now.
    pub can_cast: Option<bool>,
    /// Remaining cooldown in seconds.
    pub cooldown: Option<i64>,
    /// Whether it is passive.
    pub passive: Option<bool>,
    /// Charges.
    pub charges: Option<i64>,
}

/// One building's health.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Building {
    /// Current health.
    pub health: Option<i64>,
    /// Maximum health.
    pub max_health: Option<i64>,
}

/// The `draft` section (spectator and Captains Mode views).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Draft {
    /// Team whose turn it is (2 or 3; 0 when done).
    pub activeteam: Option<i64>,
    /// True while a pick (not a ban) is being made.
    pub pick: Option<bool>,
    /// Per-team picks and bans (`team2`, `team3`), kept raw.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

/// One entry of the `events` sliding window.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct GsiEvent {
    /// Engine time of the event.
    pub game_time: Option<i64>,
    /// `roshan_killed`, `aegis_picked_up`, `bounty_rune_pickup`, `tip`, ...
    pub event_type: Option<String>,
    /// The remaining fields, which depend on the type, in the order sent.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

/// A slot map such as `abilities` or `items`.
///
/// Player mode: `{"ability0": {...}}`. Spectator mode: `{"team2": {"player0": {"ability0": {...}}}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slots<T> {
    /// The local player's slots, by slot key (player mode).
    pub own: BTreeMap<String, T>,
    /// Per team (`team2`/`team3`), per player key, the slots (spectator mode).
    pub teams: BTreeMap<String, BTreeMap<String, BTreeMap<String, T>>>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            own: BTreeMap::new(),
            teams: BTreeMap::new(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slots<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SlotsVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SlotsVisitor<T> {
            type Value = Slots<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of slots, or of teams of players of slots")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slots<T>, A::Error> {
                let mut out = Slots::default();
                while let Some(key) = map.next_key::<String>()? {
                    if is_team_key(&key) {
                        out.teams.insert(key, map.next_value()?);
                    } else {
                        out.own.insert(key, map.next_value()?);
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(SlotsVisitor(std::marker::PhantomData))
    }
}

/// Whether a key names a team in a spectator-mode section (`team2`, `team3`).
fn is_team_key(key: &str) -> bool {
    key.strip_prefix("team")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl GameState {
    /// The client mode: spectating when the map has team ward cooldowns or the
    /// player section is nested by team; playing when a map is loaded and the
    /// local player is seated, or while a match is loading (the map has a game
    /// state but the player section is still empty); idle otherwise.
    pub fn mode(&self) -> Mode {
        let Some(map) = &self.map else {
            return Mode::Idle;
        };
        let nested = self
            .player
            .as_ref()
            .is_some_and(|p| p.team2.is_some() || p.team3.is_some());
        let spectator_team =
            self.player.as_ref().and_then(|p| p.team_name.as_deref()) == Some("spectator");
        if nested || spectator_team || map.radiant_ward_purchase_cooldown.is_some() {
            return Mode::Spectating;
        }
        let seated = self.player.as_ref().is_some_and(|p| p.steamid.is_some());
        if seated || map.ward_purchase_cooldown.is_some() || map.game_state.is_some() {
            Mode::Playing
        } else {
            Mode::Idle
        }
    }

    /// The local player's statistics (player mode), if present.
    pub fn local_player(&self) -> Option<&Player> {
        self.player.as_ref()
    }

    /// The local hero (player mode), if present.
    pub fn local_hero(&self) -> Option<&Hero> {
        self.hero.as_ref()
    }
}

/// Parses a Dota 2 GSI body, reporting the JSON path of the first error.
pub fn parse(body: &[u8]) -> Result<GameState, ParseError> {
    wardcast_gsi::parse_as(body)
}
