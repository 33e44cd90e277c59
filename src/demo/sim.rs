//! A simulated Dota 2 match, as the GSI POST bodies a player-mode client sends.
//!
//! `wardcast demo` feeds these bodies through the normal ingest path, so a
//! newcomer can watch a match turn into events (kills, a double and a triple
//! kill, deaths, a buyback, item and ability use, bounty runes, a tip, a pause,
//! a tower falling, Roshan twice, nightfall, the win) with no game running.
//!
//! # What is simulated
//!
//! One Radiant Invoker in the mid lane, seen from the player's own client
//! (player mode, not spectator): three menu heartbeats; the lobby states
//! `INIT`, `HERO_SELECTION`, `STRATEGY_TIME`, `WAIT_FOR_MAP_TO_LOAD` and
//! `PRE_GAME` (compressed to a few posts each); `GAME_IN_PROGRESS` from clock
//! 0:00 to 5:30 at one post per clock second, and six posts more while the
//! game is paused (the clock standing still); the Ancient falling for the
//! Radiant; three `POST_GAME` posts; and three menu heartbeats again. That is
//! [`POSTS`] bodies, one per second of recording.
//!
//! Every body has the sections and field names of real player-mode captures
//! at the same state (the `dotabod` lifecycle fixture and the
//! `tomasfarias/dota-gsi` samples): menu bodies are `provider`, an empty
//! `player`, `events` and `auth`; `hero` is `{"id":-1}` until the pick;
//! `wearables` appear after the pick; `buildings` fill at the first
//! `PRE_GAME` post; the runtime `hero`, `abilities` and `items` appear from
//! the second one. `buildings` holds the Radiant's side only, and a destroyed
//! building's key disappears. `events` is the game's sliding window
//! (`common::EventLog`): bounty runes, Roshan and the Aegis, the tip, and a
//! `generic_event` kill-feed line for every hero kill of the match and for the
//! buyback. No `previously`/`added` deltas are sent.
//!
//! # Why it is deterministic
//!
//! The only source of variety is a small splitmix64 generator seeded by the
//! caller. There is no wall clock, no IO and no global state, so
//! [`player_match`] is a pure function of its seed and a demo, a test or a bug
//! report can be replayed exactly. The scripted beats happen for every seed;
//! the seed only moves them by a few seconds and varies last hits, damage,
//! movement, spell choices and the other nine players' kills. Roshan and the
//! beats of `WorldBeats` have generators of their own, so adding them moved
//! none of the others.

use serde_json::{json, Map, Value};

use super::common::{
    distance, kill_feed, menu_body, obj, percent, provider, spell_level, DemoPost, EventLog,
    GameState, Recorder, Rng, AUTH_TOKEN, COLD_SNAP, FIGHT_SPELLS, INVOKE_COOLDOWN, SPELLS,
    XP_TABLE,
};

/// How many posts [`player_match`] returns (one per second of recording).
pub const POSTS: usize = 3 + 2 + 3 + 2 + 1 + 10 + GAME_POSTS + 3 + 3;

/// Generates the whole match. The same seed always gives the same posts.
///
/// The posts are one second apart (`at_ms` = 1000 × index). The match:
///
/// * 0–2 s: menu heartbeats; then `INIT` ×2, `HERO_SELECTION` ×3 (clock -74),
///   `STRATEGY_TIME` ×2 (Invoker picked), `WAIT_FOR_MAP_TO_LOAD` ×1 and
///   `PRE_GAME` ×10 (clock -10 to -1; Tango and Iron Branch bought);
/// * `GAME_IN_PROGRESS`, clock 0:00 to 5:30: two teammates take bounty runes
///   at 0:00 (and one more at 3:00), observer ward bought at 0:10, first kill
///   about 0:40, a pause about 0:58 (six posts with `map.paused` and the clock
///   standing still), Magic Wand about 1:30, a double kill about 2:20 and, in
///   the same fight a few seconds later, a death about 2:30 with a 20-odd
///   second respawn and a Town Portal back to lane,
///   a triple kill about 3:40 and a teammate's tip for it a few seconds later,
///   the Dire's top push taking the Radiant tier-1 top tower about 3:54 (its
///   key leaves `buildings`), Hand of Midas about 4:00, a second death about
///   4:20 and a buyback about 4:25, one more kill after it, night at 5:00,
///   about six assists, level 9–10 by the end;
/// * Roshan twice, with the respawn timer compressed (at least 180 s): about
///   1:27 the Dire kill him and a teammate denies the Aegis; about 4:37 the
///   Radiant kill him and a teammate takes the Aegis two or three seconds
///   later. Player mode gets no `map.roshan_state`, so the match shows them
///   only as `roshan_killed`, `aegis_denied` and `aegis_picked_up` entries in
///   the `events` window, each re-sent for 30 s of game time like real bodies;
/// * every hero kill (the player's, the teammates' he assists, his deaths and
///   the other players' kills) is a `generic_event` kill-feed entry
///   (`CHAT_MESSAGE_HERO_KILL`, `playerid1` the victim, `playerid2` the
///   killer), and the buyback a `CHAT_MESSAGE_BUYBACK` one;
/// * clock 5:31: the Ancient falls (`win_team` `"radiant"`), then `POST_GAME` ×3
///   and menu heartbeats ×3.
pub fn player_match(seed: u64) -> Vec<DemoPost> {
    let mut posts = Vec::with_capacity(POSTS);
    generate(seed, |post| posts.push(post));
    posts
}

/// Makes the posts of [`player_match`] one by one, handing each to `sink`, and
/// returns the index of the post the demo's in-game loop starts at: the
/// fight, four seconds before the double kill, whose end is the player's
/// first death (see [`super::in_game_first`]).
pub(super) fn generate(seed: u64, sink: impl FnMut(DemoPost)) -> usize {
    let mut sim = Sim::new(seed);
    let mut rec = Recorder::new(sink);
    let loop_clock = sim.script.double_kill[0] - 4;
    let mut loop_start = 0;

    for _ in 0..3 {
        let ts = rec.timestamp();
        rec.push(menu_body(ts));
    }

    let lobby = [
        (GameState::Init, 5, 5, Stage::Lobby),
        (GameState::Init, 6, 6, Stage::Lobby),
        (GameState::HeroSelection, -74, 7, Stage::Lobby),
        (GameState::HeroSelection, -73, 8, Stage::Lobby),
        (GameState::HeroSelection, -72, 9, Stage::Lobby),
        (GameState::StrategyTime, -29, 10, Stage::Picked),
        (GameState::StrategyTime, -28, 11, Stage::Picked),
        (GameState::WaitForMapToLoad, -27, 12, Stage::Picked),
    ];
    for (state, clock, game_time, stage) in lobby {
        let frame = Frame {
            state,
            clock,
            game_time,
            paused: false,
            win: false,
        };
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, stage, ts));
    }

    for step in 0..PREGAME_POSTS {
        let clock = step - PREGAME_POSTS;
        sim.pregame_second(step);
        let frame = Frame {
            state: GameState::PreGame,
            clock,
            game_time: clock + GAME_TIME_OFFSET,
            paused: false,
            win: false,
        };
        let stage = if step == 0 {
            Stage::MapLoaded
        } else {
            Stage::Runtime
        };
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, stage, ts));
    }

    for clock in 0..=LAST_CLOCK + 1 {
        sim.game_second(clock);
        let mut frame = Frame {
            state: GameState::InProgress,
            clock,
            game_time: clock + GAME_TIME_OFFSET,
            paused: false,
            // The Ancient falls on the post after the last scripted second.
            win: clock > LAST_CLOCK,
        };
        if clock == loop_clock {
            loop_start = rec.sent();
        }
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, Stage::Runtime, ts));
        if clock == sim.world.pause {
            // Paused: the clock and game_time stand still, nothing moves.
            frame.paused = true;
            for _ in 0..PAUSE_POSTS {
                let ts = rec.timestamp();
                rec.push(sim.body(&frame, Stage::Runtime, ts));
            }
        }
    }

    for k in 0..3 {
        let frame = Frame {
            state: GameState::PostGame,
            clock: LAST_CLOCK + 1,
            game_time: LAST_CLOCK + 2 + k + GAME_TIME_OFFSET,
            paused: false,
            win: true,
        };
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, Stage::Runtime, ts));
    }

    for _ in 0..3 {
        let ts = rec.timestamp();
        rec.push(menu_body(ts));
    }
    loop_start
}

// ---------------------------------------------------------------------------
// Constants

const MATCH_ID: &str = "7300000001";
const STEAM_ID: &str = "76561198000000000";
const ACCOUNT_ID: &str = "39734272";
const PLAYER_NAME: &str = "WardcastDemo";
const HERO_ID: i64 = 74;
const HERO_NAME: &str = "npc_dota_hero_invoker";

/// Number of `PRE_GAME` posts (clock -10 to -1).
const PREGAME_POSTS: i64 = 10;
/// The last clock second of normal play; the Ancient falls one second later.
const LAST_CLOCK: i64 = 330;
/// `GAME_IN_PROGRESS` posts: clock 0..=LAST_CLOCK plus the one with the win,
/// and the paused posts.
const GAME_POSTS: usize = 332 + PAUSE_POSTS;
/// In game, `game_time - clock_time` is constant.
const GAME_TIME_OFFSET: i64 = 90;
/// Night falls at 5:00.
const NIGHT_FROM: i64 = 300;
/// Mixed into the seed for Roshan's own generator.
const ROSHAN_SALT: u64 = 0x524F_5348_414E_0001;
/// Mixed into the seed for the generator of [`WorldBeats`].
const WORLD_SALT: u64 = 0x574F_524C_4442_0002;
/// Posts the pause lasts (the clock stands still).
const PAUSE_POSTS: usize = 6;
/// Bounty runes spawn at 0:00 and every three minutes.
const RUNE_RESPAWN: i64 = 180;

const FOUNTAIN: (i64, i64) = (-6700, -6700);
/// Where the mid lane creeps meet, on the Radiant side of the river.
const LANE: (i64, i64) = (-900, -700);
/// Radiant tier-1 mid tower, where a Town Portal lands.
const TOWER_MID: (i64, i64) = (-1600, -1400);
/// Invoker's base movement speed (units per second).
const MOVE_SPEED: i64 = 280;

/// Wearables after the pick (from the real capture).
const WEARABLES_PICKED: [(&str, i64); 17] = [
    ("wearable0", 5867),
    ("wearable1", 23683),
    ("wearable2", 98),
    ("wearable3", 48),
    ("wearable4", 4289),
    ("wearable5", 8626),
    ("wearable6", 6079),
    ("wearable7", 8632),
    ("wearable8", 13043),
    ("wearable9", 13044),
    ("wearable10", 13045),
    ("wearable11", 13046),
    ("wearable12", 13047),
    ("wearable13", 13049),
    ("wearable14", 13078),
    ("wearable15", 766),
    ("wearable25", 683),
];

/// Wearables once the hero is in the map (from the real capture).
const WEARABLES_LOADED: [(&str, i64); 19] = [
    ("wearable0", 5867),
    ("wearable1", 23683),
    ("wearable2", 98),
    ("wearable3", 48),
    ("wearable4", 4289),
    ("wearable5", 8626),
    ("wearable6", 6079),
    ("wearable7", 8632),
    ("wearable8", 790),
    ("wearable9", 791),
    ("wearable10", 792),
    ("wearable11", 793),
    ("wearable12", 794),
    ("wearable13", 795),
    ("wearable14", 796),
    ("wearable15", 797),
    ("wearable16", 798),
    ("wearable17", 683),
    ("wearable18", 14912),
];

/// The 18 Radiant buildings a player-mode body lists, with their max health.
const BUILDINGS: [(&str, i64); 18] = [
    ("dota_goodguys_tower1_top", 1800),
    ("dota_goodguys_tower2_top", 2500),
    ("dota_goodguys_tower3_top", 2500),
    ("dota_goodguys_tower1_mid", 1800),
    ("dota_goodguys_tower2_mid", 2500),
    ("dota_goodguys_tower3_mid", 2500),
    ("dota_goodguys_tower1_bot", 1800),
    ("dota_goodguys_tower2_bot", 2500),
    ("dota_goodguys_tower3_bot", 2500),
    ("dota_goodguys_tower4_top", 2600),
    ("dota_goodguys_tower4_bot", 2600),
    ("good_rax_melee_top", 2200),
    ("good_rax_range_top", 1300),
    ("good_rax_melee_mid", 2200),
    ("good_rax_range_mid", 1300),
    ("good_rax_melee_bot", 2200),
    ("good_rax_range_bot", 1300),
    ("dota_goodguys_fort", 4500),
];
const TOWER1_TOP: usize = 0;
const TOWER1_MID: usize = 3;
const TOWER1_BOT: usize = 6;

/// Where a skill point goes at each hero level (index = level - 1).
#[derive(Clone, Copy)]
enum Skill {
    Quas,
    Wex,
    Exort,
    Attributes,
}
const BUILD: [Skill; 14] = [
    Skill::Quas,
    Skill::Exort,
    Skill::Exort,
    Skill::Quas,
    Skill::Exort,
    Skill::Wex,
    Skill::Exort,
    Skill::Attributes,
    Skill::Exort,
    Skill::Quas,
    Skill::Exort,
    Skill::Wex,
    Skill::Quas,
    Skill::Wex,
];

// ---------------------------------------------------------------------------
// Body framing

/// The `map` clock of one post.
struct Frame {
    state: GameState,
    clock: i64,
    game_time: i64,
    paused: bool,
    win: bool,
}

/// Which sections are filled, following the real lifecycle capture.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    /// Before the pick: `hero` is `{"id":-1}`, everything else empty.
    Lobby,
    /// Picked: `hero` has `id` and `name`, `wearables` are filled.
    Picked,
    /// First `PRE_GAME` post: `buildings` are filled too.
    MapLoaded,
    /// Full runtime `hero`, `abilities` and `items`.
    Runtime,
}

// ---------------------------------------------------------------------------
// Items

#[derive(Clone, Copy, PartialEq, Debug)]
enum ItemKind {
    Tango,
    Branches,
    WardObserver,
    MagicWand,
    HandOfMidas,
    TpScroll,
}

impl ItemKind {
    fn name(self) -> &'static str {
        match self {
            Self::Tango => "item_tango",
            Self::Branches => "item_branches",
            Self::WardObserver => "item_ward_observer",
            Self::MagicWand => "item_magic_wand",
            Self::HandOfMidas => "item_hand_of_midas",
            Self::TpScroll => "item_tpscroll",
        }
    }

    fn cost(self) -> i64 {
        match self {
            Self::Tango => 90,
            Self::Branches => 50,
            Self::WardObserver => 0,
            Self::MagicWand => 450,
            Self::HandOfMidas => 2200,
            Self::TpScroll => 100,
        }
    }

    fn has_charges(self) -> bool {
        matches!(
            self,
            Self::Tango | Self::WardObserver | Self::MagicWand | Self::TpScroll
        )
    }
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: ItemKind,
    cooldown: i64,
    charges: i64,
}

impl Item {
    fn new(kind: ItemKind, charges: i64) -> Self {
        Self {
            kind,
            cooldown: 0,
            charges,
        }
    }

    fn json(self, usable: bool) -> Value {
        let can_cast =
            usable && self.cooldown == 0 && !(self.kind.has_charges() && self.charges == 0);
        let mut map = Map::new();
        map.insert("name".into(), json!(self.kind.name()));
        map.insert("purchaser".into(), json!(0));
        map.insert("item_level".into(), json!(1));
        map.insert("can_cast".into(), json!(can_cast));
        map.insert("cooldown".into(), json!(self.cooldown));
        map.insert("passive".into(), json!(false));
        if self.kind.has_charges() {
            map.insert("charges".into(), json!(self.charges));
        }
        Value::Object(map)
    }
}

fn empty_slot() -> Value {
    json!({"name": "empty"})
}

// ---------------------------------------------------------------------------
// The script: when the beats happen, jittered by the seed

#[derive(Clone, Copy, PartialEq)]
enum FightKind {
    Kill,
    Death,
}

struct Fight {
    start: i64,
    end: i64,
    kind: FightKind,
}

struct Script {
    ward_buy: i64,
    ward_place: i64,
    tango_uses: [i64; 3],
    wand_buy: i64,
    wand_use: i64,
    first_kill: i64,
    double_kill: [i64; 2],
    death1: i64,
    triple_kill: [i64; 3],
    midas_buy: i64,
    midas_use: i64,
    death2: i64,
    buyback: i64,
    late_kill: i64,
    assists: [i64; 6],
    /// Dire player ids 5..=9 in the order they are killed.
    victims: [i64; 5],
    fights: Vec<Fight>,
}

impl Script {
    fn new(rng: &mut Rng) -> Self {
        let first_kill = 38 + rng.range(0, 4);
        // The double kill and the first death are one fight: two kills, then
        // the Dire's answer, 4 to 9 seconds after the first of them.
        let d0_gap = 1 + rng.range(0, 3);
        let d1_gap = 3 + rng.range(0, 2);
        let death1 = 148 + rng.range(0, 4);
        let d1 = death1 - d1_gap;
        let d0 = d1 - d0_gap;
        let t0 = 218 + rng.range(0, 4);
        let t1 = t0 + 1 + rng.range(0, 4);
        let t2 = t1 + 1 + rng.range(0, 4);
        let midas_buy = 238 + rng.range(0, 4);
        let death2 = 258 + rng.range(0, 4);
        let buyback = death2 + 4 + rng.range(0, 2);
        let late_kill = buyback + 30 + rng.range(0, 10);

        let mut victims = [5, 6, 7, 8, 9];
        for i in (1..victims.len()).rev() {
            let j = rng.range(0, i as i64) as usize;
            victims.swap(i, j);
        }

        let fights = vec![
            Fight {
                start: first_kill - 4,
                end: first_kill,
                kind: FightKind::Kill,
            },
            Fight {
                start: d0 - 4,
                end: d1,
                kind: FightKind::Kill,
            },
            Fight {
                start: death1 - 5,
                end: death1,
                kind: FightKind::Death,
            },
            Fight {
                start: t0 - 4,
                end: t2,
                kind: FightKind::Kill,
            },
            Fight {
                start: death2 - 4,
                end: death2,
                kind: FightKind::Death,
            },
            Fight {
                start: late_kill - 4,
                end: late_kill,
                kind: FightKind::Kill,
            },
        ];

        Self {
            ward_buy: 10,
            ward_place: 22 + rng.range(0, 6),
            tango_uses: [
                46 + rng.range(0, 6),
                96 + rng.range(0, 8),
                134 + rng.range(0, 6),
            ],
            wand_buy: 88 + rng.range(0, 4),
            wand_use: death1 - 3,
            first_kill,
            double_kill: [d0, d1],
            death1,
            triple_kill: [t0, t1, t2],
            midas_buy,
            midas_use: midas_buy + 2 + rng.range(0, 3),
            death2,
            buyback,
            late_kill,
            assists: [
                68 + rng.range(0, 6),
                126 + rng.range(0, 6),
                186 + rng.range(0, 8),
                202 + rng.range(0, 6),
                284 + rng.range(0, 8),
                314 + rng.range(0, 8),
            ],
            victims,
            fights,
        }
    }

    fn kills_at(&self, clock: i64) -> usize {
        let mut times = vec![self.first_kill, self.late_kill];
        times.extend(self.double_kill);
        times.extend(self.triple_kill);
        times.iter().filter(|&&t| t == clock).count()
    }

    fn fight_at(&self, clock: i64) -> Option<&Fight> {
        self.fights
            .iter()
            .find(|f| f.start <= clock && clock <= f.end)
    }

    /// A fight starts within the next `window` seconds.
    fn fight_soon(&self, clock: i64, window: i64) -> bool {
        self.fights
            .iter()
            .any(|f| f.start > clock && f.start <= clock + window)
    }
}

/// Roshan twice: the Dire's kill with the Aegis denied, then the Radiant's
/// kill and the Aegis pickup.
struct RoshanBeat {
    kill: i64,
    aegis: i64,
    /// The teammate (player id 1-4) who lands the last hit.
    killer: i64,
    /// The teammate who takes the Aegis.
    picker: i64,
    /// The Dire's earlier kill, and when a Radiant hero denies its Aegis.
    dire_kill: i64,
    deny: i64,
    /// The Dire player (id 5-9) who lands the last hit.
    dire_killer: i64,
    /// The teammate (id 1-4) who denies the Aegis.
    denier: i64,
}

impl RoshanBeat {
    /// The Dire take Roshan between 1:24 and 1:30 and a Radiant hero denies
    /// the Aegis two or three seconds later. Roshan is back at least 180 s
    /// later (the respawn timer compressed from 480 s, as in the spectator
    /// match), and the Radiant kill him between 4:34 and 4:40, after the
    /// buyback fight and before the late kill; the Aegis is taken two or three
    /// seconds later.
    fn new(seed: u64) -> Self {
        // A generator of its own: every other beat of a seed stays as it was
        // before Roshan joined the match.
        let mut rng = Rng(seed ^ ROSHAN_SALT);
        let kill = 274 + rng.range(0, 6);
        let aegis = kill + 2 + rng.range(0, 1);
        let killer = rng.range(1, 4);
        let picker = if rng.chance(1, 2) {
            killer
        } else {
            rng.range(1, 4)
        };
        // Drawn after the Radiant's kill, which stays as it was.
        let dire_kill = 84 + rng.range(0, 6);
        let deny = dire_kill + 2 + rng.range(0, 1);
        let dire_killer = rng.range(5, 9);
        let denier = rng.range(1, 4);
        Self {
            kill,
            aegis,
            killer,
            picker,
            dire_kill,
            deny,
            dire_killer,
            denier,
        }
    }
}

/// What the rest of the match shows of itself in the `events` window and on
/// the map: bounty runes, a tip, a pause and the Radiant tier-1 top tower.
/// Also the generator behind the kill feed's player ids, so that none of
/// these moves any other beat of a seed.
struct WorldBeats {
    rng: Rng,
    /// Bounty rune pickups by teammates: `(clock, player id)`.
    runes: [(i64, i64); 3],
    /// The clock second the game is paused at, for [`PAUSE_POSTS`] posts.
    pause: i64,
    /// When a teammate tips the player for the triple kill, and who.
    tip: i64,
    tipper: i64,
    /// When the Dire's top push takes the tier-1 top tower.
    tower_fall: i64,
}

impl WorldBeats {
    fn new(seed: u64, script: &Script) -> Self {
        let mut rng = Rng(seed ^ WORLD_SALT);
        // Two supports take the first two bounty runes at 0:00, one more is
        // taken at 3:00.
        let first = rng.range(1, 4);
        let second = 1 + (first + rng.range(0, 2)) % 4;
        let second_at = rng.range(0, 2);
        let third = rng.range(1, 4);
        let runes = [(0, first), (second_at, second), (RUNE_RESPAWN, third)];
        let pause = 56 + rng.range(0, 4);
        let tip = script.triple_kill[2] + 2 + rng.range(0, 3);
        let tipper = rng.range(1, 4);
        let tower_fall = 232 + rng.range(0, 4);
        Self {
            rng,
            runes,
            pause,
            tip,
            tipper,
            tower_fall,
        }
    }
}

// ---------------------------------------------------------------------------
// The simulation state

struct Sim {
    rng: Rng,
    script: Script,
    roshan: RoshanBeat,
    world: WorldBeats,
    /// The GSI `events` entries logged so far.
    events: EventLog,

    // map
    radiant_score: i64,
    dire_score: i64,
    ward_purchase_cooldown: i64,
    buildings: [i64; 18],

    // player
    kills: i64,
    deaths: i64,
    assists: i64,
    last_hits: i64,
    denies: i64,
    kill_streak: i64,
    commands: i64,
    /// Kills per victim player id 0..=9.
    kill_list: [i64; 10],
    reliable: i64,
    unreliable: i64,
    from_hero_kills: i64,
    from_creep_kills: i64,
    from_income: i64,
    from_shared: i64,
    income_tenths: i64,

    // hero
    pos: (i64, i64),
    target: (i64, i64),
    retarget_at: i64,
    level: i64,
    xp: i64,
    alive: bool,
    respawn_seconds: i64,
    buyback_cooldown: i64,
    health: i64,
    mana: i64,
    stun_left: i64,
    silence_left: i64,
    debuff_left: i64,
    tango_heal_left: i64,
    attributes_level: i64,
    /// Quas, Wex, Exort levels.
    orbs: [i64; 3],

    // abilities
    invoke_cooldown: i64,
    slot3: Option<usize>,
    slot4: Option<usize>,
    spell_cooldowns: [i64; 10],
    next_lane_invoke: i64,

    // items
    inventory: [Option<Item>; 9],
    teleport: Option<Item>,
    next_last_hit: i64,
    tp_at: Option<i64>,
    tp_arrive: Option<i64>,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let script = Script::new(&mut rng);
        let world = WorldBeats::new(seed, &script);
        let mut buildings = [0; 18];
        for (hp, (_, max)) in buildings.iter_mut().zip(BUILDINGS) {
            *hp = max;
        }
        Self {
            rng,
            script,
            roshan: RoshanBeat::new(seed),
            world,
            events: EventLog::default(),
            radiant_score: 0,
            dire_score: 0,
            ward_purchase_cooldown: 0,
            buildings,
            kills: 0,
            deaths: 0,
            assists: 0,
            last_hits: 0,
            denies: 0,
            kill_streak: 0,
            commands: 0,
            kill_list: [0; 10],
            reliable: 0,
            unreliable: 600,
            from_hero_kills: 0,
            from_creep_kills: 0,
            from_income: 0,
            from_shared: 0,
            income_tenths: 0,
            pos: FOUNTAIN,
            target: LANE,
            retarget_at: 0,
            level: 1,
            xp: 0,
            alive: true,
            respawn_seconds: 0,
            buyback_cooldown: 0,
            health: 538,
            mana: 303,
            stun_left: 0,
            silence_left: 0,
            debuff_left: 0,
            tango_heal_left: 0,
            attributes_level: 0,
            orbs: [0; 3],
            invoke_cooldown: 0,
            slot3: None,
            slot4: None,
            spell_cooldowns: [0; 10],
            next_lane_invoke: 8,
            inventory: [None; 9],
            teleport: None,
            next_last_hit: 20,
            tp_at: None,
            tp_arrive: None,
        }
    }

    // --- derived values ---------------------------------------------------

    fn gold(&self) -> i64 {
        self.reliable + self.unreliable
    }

    fn has_item(&self, kind: ItemKind) -> bool {
        self.inventory.iter().flatten().any(|i| i.kind == kind)
    }

    fn item_mut(&mut self, kind: ItemKind) -> Option<&mut Item> {
        self.inventory.iter_mut().flatten().find(|i| i.kind == kind)
    }

    fn max_health(&self) -> i64 {
        let branches = i64::from(self.has_item(ItemKind::Branches));
        538 + 52 * (self.level - 1) + 22 * branches + 44 * self.attributes_level
    }

    fn max_mana(&self) -> i64 {
        let branches = i64::from(self.has_item(ItemKind::Branches));
        303 + 55 * (self.level - 1) + 12 * branches + 24 * self.attributes_level
    }

    fn net_worth(&self) -> i64 {
        let items: i64 = self
            .inventory
            .iter()
            .flatten()
            .map(|i| match i.kind {
                ItemKind::Tango => i.kind.cost() * i.charges / 3,
                _ => i.kind.cost(),
            })
            .sum();
        self.gold() + items
    }

    fn buyback_cost(&self) -> i64 {
        200 + self.net_worth() / 12
    }

    fn stunned(&self) -> bool {
        self.stun_left > 0
    }

    fn silenced(&self) -> bool {
        self.silence_left > 0
    }

    fn can_act(&self) -> bool {
        self.alive && !self.stunned()
    }

    fn spell_available(&self, spell: usize) -> bool {
        SPELLS.get(spell).is_some_and(|s| {
            s.orbs
                .iter()
                .zip(self.orbs)
                .all(|(&need, level)| need == 0 || level > 0)
        })
    }

    fn spell_cooldown(&self, spell: usize) -> i64 {
        self.spell_cooldowns.get(spell).copied().unwrap_or(0)
    }

    fn spell_ready(&self, spell: usize) -> bool {
        let mana = SPELLS.get(spell).map_or(i64::MAX, |s| s.mana);
        self.can_act() && !self.silenced() && self.spell_cooldown(spell) == 0 && self.mana >= mana
    }

    fn invoked(&self, spell: usize) -> bool {
        self.slot3 == Some(spell) || self.slot4 == Some(spell)
    }

    // --- gold ----------------------------------------------------------------

    /// Pays for an item: unreliable gold goes first.
    fn spend(&mut self, cost: i64) -> bool {
        if self.gold() < cost {
            return false;
        }
        let from_unreliable = cost.min(self.unreliable);
        self.unreliable -= from_unreliable;
        self.reliable -= cost - from_unreliable;
        true
    }

    /// Pays for a buyback: reliable gold goes first.
    fn spend_reliable_first(&mut self, cost: i64) -> bool {
        if self.gold() < cost {
            return false;
        }
        let from_reliable = cost.min(self.reliable);
        self.reliable -= from_reliable;
        self.unreliable -= cost - from_reliable;
        true
    }

    fn buy(&mut self, kind: ItemKind, charges: i64) -> bool {
        let cost = kind.cost();
        let free = self.inventory.iter().take(6).position(Option::is_none);
        let (Some(index), true) = (free, self.gold() >= cost) else {
            return false;
        };
        let before = (self.max_health(), self.max_mana());
        if let Some(slot) = self.inventory.get_mut(index) {
            *slot = Some(Item::new(kind, charges));
        }
        self.spend(cost);
        self.apply_max_change(before);
        true
    }

    fn remove_item(&mut self, kind: ItemKind) {
        for slot in self.inventory.iter_mut() {
            if slot.is_some_and(|i| i.kind == kind) {
                *slot = None;
            }
        }
    }

    /// Keeps current health and mana in step when the maxima change.
    fn apply_max_change(&mut self, before: (i64, i64)) {
        if self.alive {
            self.health += self.max_health() - before.0;
            self.mana += self.max_mana() - before.1;
        }
        self.clamp_pools();
    }

    fn clamp_pools(&mut self) {
        self.health = self.health.clamp(0, self.max_health());
        self.mana = self.mana.clamp(0, self.max_mana());
        if self.alive && self.health == 0 {
            self.health = 1;
        }
    }

    // --- abilities -----------------------------------------------------------

    fn skill(&mut self, skill: Skill) {
        let before = (self.max_health(), self.max_mana());
        match skill {
            Skill::Quas => self.orbs[0] = (self.orbs[0] + 1).min(7),
            Skill::Wex => self.orbs[1] = (self.orbs[1] + 1).min(7),
            Skill::Exort => self.orbs[2] = (self.orbs[2] + 1).min(7),
            Skill::Attributes => self.attributes_level += 1,
        }
        self.apply_max_change(before);
    }

    fn skill_for_level(&mut self, level: i64) {
        let skill = usize::try_from(level - 1)
            .ok()
            .and_then(|i| BUILD.get(i))
            .copied();
        if let Some(skill) = skill {
            self.skill(skill);
        }
    }

    fn level_ups(&mut self) {
        loop {
            let next = usize::try_from(self.level)
                .ok()
                .and_then(|i| XP_TABLE.get(i))
                .copied();
            match next {
                Some(needed) if self.xp >= needed => {
                    let before = (self.max_health(), self.max_mana());
                    self.level += 1;
                    self.apply_max_change(before);
                    self.skill_for_level(self.level);
                }
                _ => break,
            }
        }
    }

    /// Invoke puts `spell` into slot 3; the old slot 3 moves to slot 4.
    fn invoke(&mut self, spell: usize) -> bool {
        if !self.can_act()
            || self.silenced()
            || self.invoke_cooldown > 0
            || self.slot3 == Some(spell)
            || !self.spell_available(spell)
        {
            return false;
        }
        // If the spell sat in slot 4 the two simply swap; either way the old
        // slot 3 moves down.
        self.slot4 = self.slot3;
        self.slot3 = Some(spell);
        self.invoke_cooldown = INVOKE_COOLDOWN;
        self.commands += 1;
        true
    }

    fn cast(&mut self, spell: usize) -> bool {
        if !self.invoked(spell) || !self.spell_ready(spell) {
            return false;
        }
        let Some(s) = SPELLS.get(spell) else {
            return false;
        };
        self.mana -= s.mana;
        if let Some(cd) = self.spell_cooldowns.get_mut(spell) {
            *cd = s.cooldown;
        }
        true
    }

    /// One second of spell use in a fight: Cold Snap first, then damage spells.
    fn fight_spells(&mut self, step: i64) {
        if step == 0 && !self.invoked(COLD_SNAP) && self.invoke(COLD_SNAP) {
            return;
        }
        if self.cast(COLD_SNAP) {
            return;
        }
        let slots = [self.slot3, self.slot4];
        for spell in slots.into_iter().flatten() {
            if self.cast(spell) {
                return;
            }
        }
        let pick = FIGHT_SPELLS
            .into_iter()
            .find(|&s| !self.invoked(s) && self.spell_available(s) && self.spell_ready(s));
        if let Some(spell) = pick {
            self.invoke(spell);
        }
    }

    fn lane_invoke(&mut self, clock: i64) {
        if clock < self.next_lane_invoke || self.script.fight_soon(clock, 8) {
            return;
        }
        let candidates: Vec<usize> = (0..SPELLS.len())
            .filter(|&s| self.spell_available(s) && self.slot3 != Some(s))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let pick = self.rng.range(0, candidates.len() as i64 - 1) as usize;
        let spell = candidates.get(pick).copied().unwrap_or(COLD_SNAP);
        if self.invoke(spell) {
            self.next_lane_invoke = clock + self.rng.range(18, 35);
        }
    }

    // --- per-second updates --------------------------------------------------

    fn tick_timers(&mut self) {
        let dec = |x: &mut i64| *x = (*x - 1).max(0);
        dec(&mut self.invoke_cooldown);
        self.spell_cooldowns.iter_mut().for_each(dec);
        for item in self.inventory.iter_mut().flatten() {
            dec(&mut item.cooldown);
        }
        if let Some(tp) = self.teleport.as_mut() {
            dec(&mut tp.cooldown);
        }
        dec(&mut self.ward_purchase_cooldown);
        dec(&mut self.buyback_cooldown);
        dec(&mut self.stun_left);
        dec(&mut self.silence_left);
        dec(&mut self.debuff_left);
    }

    fn move_hero(&mut self, clock: i64) {
        if !self.can_act() || self.tp_arrive.is_some() {
            return;
        }
        if clock >= self.retarget_at {
            self.target = (
                LANE.0 + self.rng.range(-450, 450),
                LANE.1 + self.rng.range(-450, 450),
            );
            self.retarget_at = clock + self.rng.range(3, 8);
        }
        let dist = distance(self.pos, self.target);
        let step = MOVE_SPEED + self.rng.range(-20, 20);
        if dist <= step {
            self.pos = self.target;
        } else {
            let f = step as f64 / dist as f64;
            self.pos.0 += ((self.target.0 - self.pos.0) as f64 * f) as i64;
            self.pos.1 += ((self.target.1 - self.pos.1) as f64 * f) as i64;
        }
    }

    fn regen(&mut self) {
        if distance(self.pos, FOUNTAIN) < 1500 {
            self.health += 60;
            self.mana += 30;
        } else {
            self.health += 2 + self.level / 3;
            self.mana += 1 + self.level / 3;
        }
        if self.tango_heal_left > 0 {
            self.tango_heal_left -= 1;
            self.health += 7;
        }
    }

    /// Takes damage without dropping below `floor_pct` of max health.
    fn take_damage(&mut self, amount: i64, floor_pct: i64) {
        let floor = (self.max_health() * floor_pct / 100).min(self.health);
        self.health = (self.health - amount).max(floor);
    }

    fn add_wand_charge(&mut self) {
        if let Some(wand) = self.item_mut(ItemKind::MagicWand) {
            wand.charges = (wand.charges + 1).min(20);
        }
    }

    fn lane_second(&mut self, clock: i64) {
        self.lane_invoke(clock);
        if distance(self.pos, LANE) > 1600 || clock < 18 {
            return;
        }
        self.xp += self.rng.range(9, 16);
        if clock >= self.next_last_hit {
            if self.rng.chance(1, 7) {
                self.denies += 1;
            } else {
                let bounty = self.rng.range(36, 44);
                self.last_hits += 1;
                self.unreliable += bounty;
                self.from_creep_kills += bounty;
            }
            self.next_last_hit = clock + self.rng.range(2, 6);
        }
        if self.rng.chance(1, 4) {
            let dmg = self.rng.range(15, 55);
            self.take_damage(dmg, 35);
        }
        if self.rng.chance(1, 6) {
            self.add_wand_charge();
        }
        if self.rng.chance(1, 10) {
            let harass = [self.slot3, self.slot4]
                .into_iter()
                .flatten()
                .find(|&s| s != COLD_SNAP && self.spell_ready(s));
            if let Some(spell) = harass {
                self.cast(spell);
            }
        }
    }

    fn fight_second(&mut self, clock: i64, start: i64, kind: FightKind) {
        let step = clock - start;
        let dmg = match kind {
            FightKind::Kill => self.rng.range(40, 110),
            FightKind::Death => self.rng.range(90, 160),
        };
        self.take_damage(dmg, 12);
        self.xp += self.rng.range(5, 12);
        if step == 0 || self.rng.chance(1, 2) {
            self.add_wand_charge();
        }
        if step == 1 {
            self.debuff_left = 3;
        }
        self.fight_spells(step);
    }

    fn score_kill(&mut self, clock: i64) {
        let index = usize::try_from(self.kills).unwrap_or(0) % self.script.victims.len();
        let victim = self.script.victims.get(index).copied().unwrap_or(5);
        if let Some(count) = usize::try_from(victim)
            .ok()
            .and_then(|v| self.kill_list.get_mut(v))
        {
            *count += 1;
        }
        self.kills += 1;
        self.kill_streak += 1;
        self.radiant_score += 1;
        let bounty = self.rng.range(200, 300);
        self.reliable += bounty;
        self.from_hero_kills += bounty;
        self.xp += self.rng.range(170, 260);
        self.hero_kill_feed(clock, 0, victim, bounty);
    }

    /// A `generic_event` entry of the kill feed.
    fn feed(&mut self, clock: i64, kind: &str, value: i64, players: &[i64]) {
        let data = kill_feed(kind, value, players, clock);
        self.events.push(
            clock + GAME_TIME_OFFSET,
            "generic_event",
            vec![("data", data)],
        );
    }

    /// Every hero kill of the match is a kill-feed line: `playerid1` the
    /// victim, `playerid2` the killer, `value` the bounty.
    fn hero_kill_feed(&mut self, clock: i64, killer: i64, victim: i64, bounty: i64) {
        self.feed(clock, "CHAT_MESSAGE_HERO_KILL", bounty, &[victim, killer]);
    }

    /// A kill the player only hears of, or helps with: a teammate (id 1-4)
    /// kills a Dire hero (5-9), or the other way round.
    fn other_kill_feed(&mut self, clock: i64, radiant_killer: bool) {
        let (ally, enemy) = (self.world.rng.range(1, 4), self.world.rng.range(5, 9));
        let bounty = self.world.rng.range(150, 300);
        let (killer, victim) = if radiant_killer {
            (ally, enemy)
        } else {
            (enemy, ally)
        };
        self.hero_kill_feed(clock, killer, victim, bounty);
    }

    fn die(&mut self, clock: i64) {
        let loss = (50 + self.net_worth() / 40).min(self.unreliable);
        self.unreliable -= loss;
        self.alive = false;
        self.health = 0;
        self.respawn_seconds = 10 + 2 * self.level;
        self.deaths += 1;
        self.kill_streak = 0;
        self.dire_score += 1;
        self.stun_left = 0;
        self.silence_left = 0;
        self.debuff_left = 0;
        self.tango_heal_left = 0;
        self.tp_at = None;
        self.tp_arrive = None;
        let killer = self.world.rng.range(5, 9);
        let bounty = 110 + 8 * self.level + self.world.rng.range(0, 60);
        self.hero_kill_feed(clock, killer, 0, bounty);
    }

    fn revive(&mut self, clock: i64) {
        self.alive = true;
        self.respawn_seconds = 0;
        self.health = self.max_health();
        self.mana = self.max_mana();
        self.pos = FOUNTAIN;
        self.retarget_at = clock;
        self.tp_at = Some(clock + 1);
    }

    fn dead_second(&mut self, clock: i64) {
        let cost = self.buyback_cost();
        if clock == self.script.buyback
            && self.buyback_cooldown == 0
            && self.spend_reliable_first(cost)
        {
            self.buyback_cooldown = 480;
            self.revive(clock);
            self.feed(clock, "CHAT_MESSAGE_BUYBACK", cost, &[0]);
            return;
        }
        self.respawn_seconds -= 1;
        if self.respawn_seconds <= 0 {
            self.revive(clock);
            self.tp_at = Some(clock + 2);
        }
    }

    fn teleport(&mut self, clock: i64) {
        if self.tp_arrive == Some(clock) {
            self.tp_arrive = None;
            self.pos = (
                TOWER_MID.0 + self.rng.range(-150, 150),
                TOWER_MID.1 + self.rng.range(-150, 150),
            );
        }
        if self.tp_at != Some(clock) {
            return;
        }
        self.tp_at = None;
        let ready = self
            .teleport
            .is_some_and(|tp| tp.cooldown == 0 && tp.charges > 0);
        if !ready || !self.can_act() {
            return;
        }
        // Use the scroll and buy the next one at once.
        if self.spend(ItemKind::TpScroll.cost()) {
            self.teleport = Some(Item {
                kind: ItemKind::TpScroll,
                cooldown: 80,
                charges: 1,
            });
            self.tp_arrive = Some(clock + 3);
            self.commands += 2;
        }
    }

    /// The scripted beats at this clock second.
    fn beats(&mut self, clock: i64) {
        let s = &self.script;
        let ward_buy = clock == s.ward_buy;
        let ward_place = clock == s.ward_place;
        let tango = s.tango_uses.contains(&clock);
        let wand_buy = clock == s.wand_buy;
        let wand_use = clock == s.wand_use;
        let midas_buy = clock == s.midas_buy;
        let midas_use = clock == s.midas_use;
        let kills = s.kills_at(clock);
        let assists = s.assists.iter().filter(|&&t| t == clock).count();
        let death = clock == s.death1 || clock == s.death2;
        let stun2 = clock == s.death1 - 2 || clock == s.death2 - 2;
        let stun1 = clock == s.triple_kill[0] - 2;
        let silence = clock == s.double_kill[0] - 3;

        if ward_buy && self.buy(ItemKind::WardObserver, 1) {
            self.ward_purchase_cooldown = 100;
        }
        if ward_place && self.can_act() {
            // The only charge is placed: the slot empties.
            self.remove_item(ItemKind::WardObserver);
        }
        if tango && self.can_act() {
            if let Some(t) = self.item_mut(ItemKind::Tango) {
                t.charges -= 1;
                if t.charges <= 0 {
                    self.remove_item(ItemKind::Tango);
                }
                self.tango_heal_left = 16;
            }
        }
        if wand_buy {
            self.buy(ItemKind::MagicWand, 0);
        }
        if wand_use && self.can_act() {
            let mut restored = 0;
            if let Some(w) = self.item_mut(ItemKind::MagicWand) {
                if w.cooldown == 0 && w.charges > 0 {
                    restored = 15 * w.charges;
                    w.charges = 0;
                    w.cooldown = 13;
                }
            }
            self.health += restored;
            self.mana += restored;
        }
        if midas_buy {
            self.buy(ItemKind::HandOfMidas, 0);
        }
        if midas_use && self.can_act() {
            let mut used = false;
            if let Some(m) = self.item_mut(ItemKind::HandOfMidas) {
                if m.cooldown == 0 {
                    m.cooldown = 90;
                    used = true;
                }
            }
            if used {
                self.reliable += 160;
                self.from_creep_kills += 160;
                self.xp += self.rng.range(95, 125);
            }
        }
        if stun2 && self.alive {
            self.stun_left = 2;
        }
        if stun1 && self.alive {
            self.stun_left = 1;
        }
        if silence && self.alive {
            self.silence_left = 2;
        }
        for _ in 0..kills {
            self.score_kill(clock);
        }
        for _ in 0..assists {
            self.assists += 1;
            self.radiant_score += 1;
            let gold = self.rng.range(60, 120);
            self.reliable += gold;
            self.from_shared += gold;
            self.xp += self.rng.range(60, 110);
            self.other_kill_feed(clock, true);
        }
        if death && self.alive {
            self.die(clock);
        }
    }

    /// Roshan's deaths and the Aegis, as `events` entries.
    fn roshan_second(&mut self, clock: i64) {
        let game_time = clock + GAME_TIME_OFFSET;
        if clock == self.roshan.dire_kill {
            self.events.push(
                game_time,
                "roshan_killed",
                vec![
                    ("killed_by_team", json!("dire")),
                    ("killer_player_id", json!(self.roshan.dire_killer)),
                ],
            );
        }
        if clock == self.roshan.deny {
            self.events.push(
                game_time,
                "aegis_denied",
                vec![("player_id", json!(self.roshan.denier))],
            );
        }
        if clock == self.roshan.kill {
            self.events.push(
                game_time,
                "roshan_killed",
                vec![
                    ("killed_by_team", json!("radiant")),
                    ("killer_player_id", json!(self.roshan.killer)),
                ],
            );
        }
        if clock == self.roshan.aegis {
            self.events.push(
                game_time,
                "aegis_picked_up",
                vec![
                    ("player_id", json!(self.roshan.picker)),
                    ("snatched", json!(false)),
                ],
            );
        }
    }

    /// Bounty runes (the team shares the gold) and the tip, as `events` entries.
    fn world_events(&mut self, clock: i64) {
        let game_time = clock + GAME_TIME_OFFSET;
        let value = 40 + 2 * (clock / 60);
        for (at, picker) in self.world.runes {
            if at != clock {
                continue;
            }
            self.unreliable += value;
            self.from_shared += value;
            self.events.push(
                game_time,
                "bounty_rune_pickup",
                vec![
                    ("player_id", json!(picker)),
                    ("team", json!("radiant")),
                    ("bounty_value", json!(value)),
                    ("team_gold", json!(value * 5)),
                ],
            );
        }
        if clock == self.world.tip {
            self.events.push(
                game_time,
                "tip",
                vec![
                    ("sender_player_id", json!(self.world.tipper)),
                    ("receiver_player_id", json!(0)),
                    ("tip_amount", json!(50)),
                ],
            );
        }
    }

    /// The other nine players and the buildings.
    fn world(&mut self, clock: i64) {
        if clock >= 45 {
            if self.rng.chance(1, 40) {
                self.radiant_score += 1;
                self.other_kill_feed(clock, true);
            }
            if self.rng.chance(1, 60) {
                self.dire_score += 1;
                self.other_kill_feed(clock, false);
            }
        }
        let hits = [
            (TOWER1_MID, clock >= 60, 1, 5, (5, 35), 55),
            (TOWER1_TOP, (170..=230).contains(&clock), 1, 2, (20, 70), 40),
            (TOWER1_BOT, clock >= 120, 1, 8, (10, 40), 70),
        ];
        for (index, active, num, den, (lo, hi), floor_pct) in hits {
            if !active || !self.rng.chance(num, den) {
                continue;
            }
            let dmg = self.rng.range(lo, hi);
            let max = BUILDINGS.get(index).map_or(0, |b| b.1);
            // A hit never raises health (the tower may be below the floor
            // while it falls), and a destroyed building takes no more.
            if let Some(hp) = self.buildings.get_mut(index).filter(|hp| **hp > 0) {
                *hp = (*hp - dmg).max(max * floor_pct / 100).min(*hp);
            }
        }
        // The Dire finish the tier-1 top tower over its last eight seconds.
        let fall = self.world.tower_fall;
        if (fall - 8..=fall).contains(&clock) {
            if let Some(hp) = self.buildings.get_mut(TOWER1_TOP) {
                *hp -= *hp / (fall - clock + 1);
            }
        }
    }

    fn pregame_second(&mut self, step: i64) {
        match step {
            1 => {
                self.teleport = Some(Item {
                    kind: ItemKind::TpScroll,
                    cooldown: 100,
                    charges: 1,
                });
            }
            2 => {
                self.buy(ItemKind::Tango, 3);
                self.buy(ItemKind::Branches, 0);
                self.commands += 4;
            }
            _ => {}
        }
        if step >= 2 {
            self.tick_timers();
        }
        if step == 5 {
            self.skill_for_level(1);
            self.commands += 1;
        }
        if step >= 3 {
            let clock = step - PREGAME_POSTS;
            self.move_hero(clock);
            self.commands += self.rng.range(0, 3);
        }
    }

    fn game_second(&mut self, clock: i64) {
        self.tick_timers();
        self.income_tenths += 16;
        self.unreliable += self.income_tenths / 10;
        self.from_income += self.income_tenths / 10;
        self.income_tenths %= 10;

        if !self.alive {
            self.dead_second(clock);
        }
        let fight = self.script.fight_at(clock).map(|f| (f.start, f.kind));
        if self.alive {
            self.move_hero(clock);
            self.regen();
            match fight {
                Some((start, kind)) => self.fight_second(clock, start, kind),
                None => self.lane_second(clock),
            }
        }
        self.teleport(clock);
        self.beats(clock);
        self.roshan_second(clock);
        self.world_events(clock);
        self.world(clock);
        self.level_ups();
        self.commands += if self.alive {
            self.rng.range(1, 5)
        } else {
            self.rng.range(0, 1)
        };
        self.clamp_pools();
    }

    // --- JSON ----------------------------------------------------------------

    fn body(&self, frame: &Frame, stage: Stage, ts: u64) -> Value {
        let runtime = stage == Stage::Runtime;
        let buildings = if matches!(stage, Stage::MapLoaded | Stage::Runtime) {
            self.buildings_json()
        } else {
            json!({})
        };
        let hero = match stage {
            Stage::Lobby => json!({"id": -1}),
            Stage::Picked | Stage::MapLoaded => json!({"id": HERO_ID, "name": HERO_NAME}),
            Stage::Runtime => self.hero_json(),
        };
        let wearables: &[(&str, i64)] = match stage {
            Stage::Lobby => &[],
            Stage::Picked | Stage::MapLoaded => &WEARABLES_PICKED,
            Stage::Runtime => &WEARABLES_LOADED,
        };
        let mut wear = Map::new();
        for (k, v) in wearables {
            wear.insert((*k).to_owned(), json!(v));
        }
        obj([
            (
                "abilities",
                if runtime {
                    self.abilities_json()
                } else {
                    json!({})
                },
            ),
            ("buildings", json!({ "radiant": buildings })),
            ("events", self.events.window(frame.game_time)),
            ("hero", hero),
            (
                "items",
                if runtime {
                    self.items_json()
                } else {
                    json!({})
                },
            ),
            ("map", self.map_json(frame)),
            ("player", self.player_json(frame)),
            ("provider", provider(ts)),
            ("wearables", Value::Object(wear)),
            ("auth", json!({"token": AUTH_TOKEN})),
        ])
    }

    fn map_json(&self, f: &Frame) -> Value {
        let in_game = matches!(f.state, GameState::InProgress | GameState::PostGame);
        obj([
            ("name", json!("start")),
            ("matchid", json!(MATCH_ID)),
            ("game_time", json!(f.game_time)),
            ("clock_time", json!(f.clock)),
            ("daytime", json!(in_game && f.clock < NIGHT_FROM)),
            ("nightstalker_night", json!(false)),
            ("radiant_score", json!(self.radiant_score)),
            ("dire_score", json!(self.dire_score)),
            ("game_state", json!(f.state.as_str())),
            ("paused", json!(f.paused)),
            ("win_team", json!(if f.win { "radiant" } else { "none" })),
            ("customgamename", json!("")),
            ("ward_purchase_cooldown", json!(self.ward_purchase_cooldown)),
        ])
    }

    fn player_json(&self, f: &Frame) -> Value {
        let mut kill_list = Map::new();
        for (victim, &count) in self.kill_list.iter().enumerate() {
            if count > 0 {
                kill_list.insert(format!("victimid_{victim}"), json!(count));
            }
        }
        let earned =
            self.from_hero_kills + self.from_creep_kills + self.from_income + self.from_shared;
        // gpm and xpm are unstable in the first minute: divide by at least one minute.
        let (gpm, xpm) =
            if f.clock >= 0 && matches!(f.state, GameState::InProgress | GameState::PostGame) {
                let secs = f.clock.max(60);
                (earned * 60 / secs, self.xp * 60 / secs)
            } else {
                (0, 0)
            };
        obj([
            ("steamid", json!(STEAM_ID)),
            ("accountid", json!(ACCOUNT_ID)),
            ("name", json!(PLAYER_NAME)),
            ("activity", json!("playing")),
            ("kills", json!(self.kills)),
            ("deaths", json!(self.deaths)),
            ("assists", json!(self.assists)),
            ("last_hits", json!(self.last_hits)),
            ("denies", json!(self.denies)),
            ("kill_streak", json!(self.kill_streak)),
            ("commands_issued", json!(self.commands)),
            ("kill_list", Value::Object(kill_list)),
            ("team_name", json!("radiant")),
            ("player_slot", json!(0)),
            ("team_slot", json!(0)),
            ("gold", json!(self.gold())),
            ("gold_reliable", json!(self.reliable)),
            ("gold_unreliable", json!(self.unreliable)),
            ("gold_from_hero_kills", json!(self.from_hero_kills)),
            ("gold_from_creep_kills", json!(self.from_creep_kills)),
            ("gold_from_income", json!(self.from_income)),
            ("gold_from_shared", json!(self.from_shared)),
            ("gpm", json!(gpm)),
            ("xpm", json!(xpm)),
        ])
    }

    fn hero_json(&self) -> Value {
        let max_health = self.max_health();
        let max_mana = self.max_mana();
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_owned(), v);
        };
        put("xpos", json!(self.pos.0));
        put("ypos", json!(self.pos.1));
        put("id", json!(HERO_ID));
        put("name", json!(HERO_NAME));
        put("level", json!(self.level));
        put("xp", json!(self.xp));
        put("alive", json!(self.alive));
        put("respawn_seconds", json!(self.respawn_seconds));
        put("buyback_cost", json!(self.buyback_cost()));
        put("buyback_cooldown", json!(self.buyback_cooldown));
        put("health", json!(self.health));
        put("max_health", json!(max_health));
        put("health_percent", json!(percent(self.health, max_health)));
        put("mana", json!(self.mana));
        put("max_mana", json!(max_mana));
        put("mana_percent", json!(percent(self.mana, max_mana)));
        put("silenced", json!(self.silenced()));
        put("stunned", json!(self.stunned()));
        for flag in [
            "disarmed",
            "magicimmune",
            "hexed",
            "muted",
            "break",
            "aghanims_scepter",
            "aghanims_shard",
            "smoked",
        ] {
            put(flag, json!(false));
        }
        let debuffed = self.stunned() || self.silenced() || self.debuff_left > 0;
        put("has_debuff", json!(self.alive && debuffed));
        for n in 1..=8 {
            put(&format!("talent_{n}"), json!(false));
        }
        put("attributes_level", json!(self.attributes_level));
        Value::Object(map)
    }

    fn abilities_json(&self) -> Value {
        let ability = super::common::ability_json;
        let acts = self.can_act() && !self.silenced();
        let orb_names = ["invoker_quas", "invoker_wex", "invoker_exort"];
        let mut map = Map::new();
        for (i, (name, level)) in orb_names.into_iter().zip(self.orbs).enumerate() {
            map.insert(
                format!("ability{i}"),
                ability(name, level, acts && level > 0, false, 0, false),
            );
        }
        let invoked = |slot: Option<usize>, empty: &str| match slot
            .and_then(|s| SPELLS.get(s).map(|sp| (s, sp)))
        {
            Some((s, spell)) => {
                let level = spell_level(spell, &self.orbs);
                ability(
                    spell.name,
                    level,
                    self.spell_ready(s),
                    false,
                    self.spell_cooldown(s),
                    false,
                )
            }
            None => ability(empty, 0, false, true, 0, false),
        };
        map.insert("ability3".into(), invoked(self.slot3, "invoker_empty1"));
        map.insert("ability4".into(), invoked(self.slot4, "invoker_empty2"));
        map.insert(
            "ability5".into(),
            ability(
                "invoker_invoke",
                1,
                acts && self.invoke_cooldown == 0,
                false,
                self.invoke_cooldown,
                true,
            ),
        );
        Value::Object(map)
    }

    fn items_json(&self) -> Value {
        let usable = self.can_act();
        let mut map = Map::new();
        for (i, slot) in self.inventory.iter().enumerate() {
            // Backpack slots 6..8 cannot be cast from.
            let v = slot.map_or_else(empty_slot, |item| item.json(usable && i < 6));
            map.insert(format!("slot{i}"), v);
        }
        for i in 0..6 {
            map.insert(format!("stash{i}"), empty_slot());
        }
        map.insert(
            "teleport0".into(),
            self.teleport.map_or_else(empty_slot, |tp| tp.json(usable)),
        );
        map.insert("neutral0".into(), empty_slot());
        Value::Object(map)
    }

    /// The Radiant's buildings; a destroyed one's key is gone, as in real bodies.
    fn buildings_json(&self) -> Value {
        let mut map = Map::new();
        for ((name, max), hp) in BUILDINGS.iter().zip(self.buildings) {
            if hp > 0 {
                map.insert((*name).to_owned(), json!({"health": hp, "max_health": max}));
            }
        }
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(body: &Value, pointer: &str) -> i64 {
        match body.pointer(pointer).and_then(Value::as_i64) {
            Some(n) => n,
            None => panic!("missing integer {pointer} in {body}"),
        }
    }

    fn text<'a>(body: &'a Value, pointer: &str) -> &'a str {
        body.pointer(pointer).and_then(Value::as_str).unwrap_or("")
    }

    fn flag(body: &Value, pointer: &str) -> bool {
        match body.pointer(pointer).and_then(Value::as_bool) {
            Some(b) => b,
            None => panic!("missing bool {pointer}"),
        }
    }

    fn state(body: &Value) -> &str {
        text(body, "/map/game_state")
    }

    fn in_game(p: &DemoPost) -> bool {
        state(&p.body) == "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"
    }

    fn has_player(body: &Value) -> bool {
        body.pointer("/player/steamid").is_some()
    }

    /// (clock, kills gained) for every post where kills went up.
    fn kill_increments(posts: &[DemoPost]) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        let mut last = 0;
        for p in posts.iter().filter(|p| has_player(&p.body)) {
            let k = num(&p.body, "/player/kills");
            if k > last {
                out.push((num(&p.body, "/map/clock_time"), k - last));
            }
            last = k;
        }
        out
    }

    /// Multi-kill chain sizes with window `w` (gsi-format.md §7.1).
    fn multi_kills(posts: &[DemoPost], w: i64) -> Vec<i64> {
        let mut chains = Vec::new();
        let mut last_t: Option<i64> = None;
        let mut multi = 0;
        for (t, d) in kill_increments(posts) {
            match last_t {
                Some(lt) if t - lt <= w => multi += d,
                _ => {
                    if multi > 0 {
                        chains.push(multi);
                    }
                    multi = d;
                }
            }
            last_t = Some(t);
        }
        if multi > 0 {
            chains.push(multi);
        }
        chains
    }

    fn ability_named<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
        (0..6)
            .filter_map(|i| body.pointer(&format!("/abilities/ability{i}")))
            .find(|a| a.get("name").and_then(Value::as_str) == Some(name))
    }

    fn item_named<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
        body.get("items").and_then(Value::as_object).and_then(|m| {
            m.values()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
        })
    }

    /// Every scripted beat, checked on one seed's posts.
    fn assert_beats(seed: u64, posts: &[DemoPost]) {
        let game: Vec<&Value> = posts
            .iter()
            .filter(|p| in_game(p))
            .map(|p| &p.body)
            .collect();
        assert_eq!(game.len(), GAME_POSTS, "seed {seed}");

        // Kills: first kill ~0:40, double ~2:20, triple ~3:40, one more late.
        let incs = kill_increments(posts);
        let first = incs.first().map(|x| x.0);
        assert!(
            matches!(first, Some(36..=44)),
            "seed {seed}: first kill {first:?}"
        );
        let chains = multi_kills(posts, 18);
        assert_eq!(chains, vec![1, 2, 3, 1], "seed {seed}: chains {incs:?}");

        // Deaths: two, with a respawn countdown, then a buyback.
        let mut deaths = 0;
        let mut respawned = 0;
        let mut bought_back = 0;
        for pair in game.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (alive_a, alive_b) = (flag(a, "/hero/alive"), flag(b, "/hero/alive"));
            if alive_a && !alive_b {
                deaths += 1;
                assert_eq!(num(b, "/hero/health"), 0, "seed {seed}");
                assert_eq!(num(b, "/player/kill_streak"), 0, "seed {seed}");
                assert!(num(b, "/hero/respawn_seconds") >= 15, "seed {seed}");
            }
            if !alive_a && !alive_b {
                assert_eq!(
                    num(b, "/hero/respawn_seconds"),
                    num(a, "/hero/respawn_seconds") - 1,
                    "seed {seed}: countdown"
                );
            }
            if !alive_a && alive_b {
                assert_eq!(num(b, "/hero/health"), num(b, "/hero/max_health"));
                assert_eq!(num(b, "/hero/respawn_seconds"), 0);
                if num(a, "/hero/respawn_seconds") > 1 {
                    bought_back += 1;
                    let clock = num(b, "/map/clock_time");
                    assert!(
                        (262..=270).contains(&clock),
                        "seed {seed}: buyback at {clock}"
                    );
                    assert_eq!(num(b, "/hero/buyback_cooldown"), 480);
                    let cost = num(a, "/hero/buyback_cost");
                    let drop = num(a, "/player/gold") - num(b, "/player/gold");
                    assert!(
                        drop >= cost - 5,
                        "seed {seed}: gold drop {drop} < cost {cost}"
                    );
                } else {
                    respawned += 1;
                }
            }
            let (cd_a, cd_b) = (
                num(a, "/hero/buyback_cooldown"),
                num(b, "/hero/buyback_cooldown"),
            );
            if cd_a > 0 {
                assert_eq!(cd_b, cd_a - 1, "seed {seed}: buyback cooldown counts down");
            }
        }
        assert_eq!((deaths, respawned, bought_back), (2, 1, 1), "seed {seed}");
        let last = game.last().copied().unwrap_or(&Value::Null);
        assert_eq!(num(last, "/player/deaths"), 2);
        let assists = num(last, "/player/assists");
        assert!((5..=7).contains(&assists), "seed {seed}: assists {assists}");
        let level = num(last, "/hero/level");
        assert!((9..=10).contains(&level), "seed {seed}: level {level}");
        assert!(num(last, "/map/radiant_score") > num(last, "/map/dire_score"));
        let victims = last
            .pointer("/player/kill_list")
            .and_then(Value::as_object)
            .map_or(0, |m| m.len());
        assert!(victims >= 4, "seed {seed}: victims spread");

        // Items: tango runs out, wand charged then used, midas used, TP used.
        let tango_gone = game
            .iter()
            .any(|b| num(b, "/map/clock_time") > 100 && item_named(b, "item_tango").is_none());
        assert!(tango_gone, "seed {seed}: tango consumed");
        let wand_charged = game.iter().any(|b| {
            item_named(b, "item_magic_wand")
                .and_then(|w| w.get("charges"))
                .and_then(Value::as_i64)
                .is_some_and(|c| c >= 3)
        });
        let wand_used = game.iter().any(|b| {
            item_named(b, "item_magic_wand").is_some_and(|w| {
                w.get("cooldown") == Some(&json!(13)) && w.get("charges") == Some(&json!(0))
            })
        });
        assert!(wand_charged && wand_used, "seed {seed}: magic wand");
        let midas_used = game.iter().any(|b| {
            item_named(b, "item_hand_of_midas")
                .is_some_and(|m| m.get("cooldown") == Some(&json!(90)))
        });
        assert!(midas_used, "seed {seed}: midas");
        let tp_uses = game
            .iter()
            .filter(|b| num(b, "/items/teleport0/cooldown") == 80)
            .count();
        assert!(tp_uses >= 1, "seed {seed}: tp");
        let ward = game
            .iter()
            .any(|b| item_named(b, "item_ward_observer").is_some());
        let ward_cd = game
            .iter()
            .any(|b| num(b, "/map/ward_purchase_cooldown") == 100);
        assert!(ward && ward_cd, "seed {seed}: observer ward");

        // Abilities: Invoke and Cold Snap used.
        let invoke_used = game
            .iter()
            .any(|b| num(b, "/abilities/ability5/cooldown") == INVOKE_COOLDOWN);
        let cold_snap_used = game.iter().any(|b| {
            ability_named(b, "invoker_cold_snap")
                .is_some_and(|a| a.get("cooldown") == Some(&json!(18)))
        });
        assert!(invoke_used && cold_snap_used, "seed {seed}: spells");
        let stunned = game.iter().filter(|b| flag(b, "/hero/stunned")).count();
        assert!((2..=8).contains(&stunned), "seed {seed}: stunned {stunned}");

        // Night at 5:00.
        for b in &game {
            let clock = num(b, "/map/clock_time");
            assert_eq!(flag(b, "/map/daytime"), clock < NIGHT_FROM);
            assert_eq!(num(b, "/map/game_time"), clock + GAME_TIME_OFFSET);
        }
    }

    #[test]
    fn same_seed_same_posts() {
        assert_eq!(player_match(7), player_match(7));
        assert_eq!(player_match(0), player_match(0));
        assert_ne!(player_match(1), player_match(2));
    }

    #[test]
    fn scripted_beats_for_seeds_0_to_5() {
        for seed in 0..=5 {
            assert_beats(seed, &player_match(seed));
        }
    }

    #[test]
    fn scripted_beats_for_many_seeds() {
        for seed in (6..60).chain([7314, u64::MAX, u64::MAX / 3, 0xDEAD_BEEF]) {
            assert_beats(seed, &player_match(seed));
        }
    }

    #[test]
    fn post_count_and_timing() {
        let posts = player_match(3);
        assert_eq!(posts.len(), POSTS);
        for (i, p) in posts.iter().enumerate() {
            assert_eq!(p.at_ms, 1000 * i as u64);
            assert_eq!(
                num(&p.body, "/provider/timestamp"),
                1_700_000_000 + i as i64
            );
        }
        assert!(posts.windows(2).all(|w| w[0].at_ms < w[1].at_ms));
    }

    #[test]
    fn counters_and_gold_invariants() {
        for seed in 0..20 {
            let posts = player_match(seed);
            let mut last_kills = 0;
            let mut last_game_time = i64::MIN;
            for p in posts.iter().filter(|p| has_player(&p.body)) {
                let b = &p.body;
                let kills = num(b, "/player/kills");
                assert!(kills >= last_kills, "kills never decrease");
                last_kills = kills;
                let (g, r, u) = (
                    num(b, "/player/gold"),
                    num(b, "/player/gold_reliable"),
                    num(b, "/player/gold_unreliable"),
                );
                assert_eq!(g, r + u, "seed {seed}: gold = reliable + unreliable");
                assert!(r >= 0 && u >= 0);
                let sum: i64 = b
                    .pointer("/player/kill_list")
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.values().filter_map(Value::as_i64).sum());
                assert_eq!(sum, kills, "kill_list sums to kills");
                let game_time = num(b, "/map/game_time");
                if flag(b, "/map/paused") {
                    assert_eq!(
                        game_time, last_game_time,
                        "game_time stands still in a pause"
                    );
                } else {
                    assert!(game_time > last_game_time, "game_time advances");
                }
                last_game_time = game_time;
                if b.pointer("/hero/health").is_some() {
                    let (h, mh) = (num(b, "/hero/health"), num(b, "/hero/max_health"));
                    assert!((0..=mh).contains(&h));
                    let (m, mm) = (num(b, "/hero/mana"), num(b, "/hero/max_mana"));
                    assert!((0..=mm).contains(&m));
                    assert_eq!(
                        flag(b, "/hero/alive"),
                        h > 0,
                        "seed {seed}: alive iff health"
                    );
                }
            }
        }
    }

    #[test]
    fn lifecycle_reaches_post_game_with_radiant_win() {
        let posts = player_match(11);
        let mut states: Vec<&str> = Vec::new();
        for p in &posts {
            let s = state(&p.body);
            let s = if s.is_empty() { "menu" } else { s };
            if states.last() != Some(&s) {
                states.push(s);
            }
        }
        assert_eq!(
            states,
            vec![
                "menu",
                "DOTA_GAMERULES_STATE_INIT",
                "DOTA_GAMERULES_STATE_HERO_SELECTION",
                "DOTA_GAMERULES_STATE_STRATEGY_TIME",
                "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD",
                "DOTA_GAMERULES_STATE_PRE_GAME",
                "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS",
                "DOTA_GAMERULES_STATE_POST_GAME",
                "menu",
            ]
        );
        let post_game: Vec<&DemoPost> = posts
            .iter()
            .filter(|p| state(&p.body) == "DOTA_GAMERULES_STATE_POST_GAME")
            .collect();
        assert_eq!(post_game.len(), 3);
        for p in &post_game {
            assert_eq!(text(&p.body, "/map/win_team"), "radiant");
            assert_eq!(num(&p.body, "/map/clock_time"), LAST_CLOCK + 1);
        }
        // win_team flips on the last GAME_IN_PROGRESS post, not before.
        let game: Vec<&DemoPost> = posts.iter().filter(|p| in_game(p)).collect();
        let wins: Vec<i64> = game
            .iter()
            .filter(|p| text(&p.body, "/map/win_team") == "radiant")
            .map(|p| num(&p.body, "/map/clock_time"))
            .collect();
        assert_eq!(wins, vec![LAST_CLOCK + 1]);
        // One post per clock second, and the clock standing still while paused.
        let mut clocks: Vec<i64> = game
            .iter()
            .map(|p| num(&p.body, "/map/clock_time"))
            .collect();
        let paused: Vec<i64> = game
            .iter()
            .filter(|p| flag(&p.body, "/map/paused"))
            .map(|p| num(&p.body, "/map/clock_time"))
            .collect();
        assert_eq!(paused.len(), PAUSE_POSTS);
        assert!(paused
            .iter()
            .all(|&c| c == paused[0] && (56..=60).contains(&c)));
        clocks.dedup();
        assert_eq!(clocks, (0..=LAST_CLOCK + 1).collect::<Vec<_>>());
    }

    #[test]
    fn double_and_triple_kill_exist() {
        for seed in 0..50 {
            let posts = player_match(seed);
            let chains = multi_kills(&posts, 18);
            assert!(chains.contains(&2), "seed {seed}: double kill");
            assert!(chains.contains(&3), "seed {seed}: triple kill");
            // The script promises tighter windows: 10 s and 15 s.
            let incs = kill_increments(&posts);
            let mut times = Vec::new();
            for (t, d) in incs {
                for _ in 0..d {
                    times.push(t);
                }
            }
            assert!(times.windows(2).any(|w| w[1] - w[0] <= 10));
            assert!(times.windows(3).any(|w| w[2] - w[0] <= 15));
        }
    }

    #[test]
    fn sections_follow_the_real_lifecycle() {
        let keys = |b: &Value| -> Vec<String> {
            let mut k: Vec<String> = b
                .as_object()
                .map_or(Vec::new(), |m| m.keys().cloned().collect());
            k.sort();
            k
        };
        let posts = player_match(5);
        let menu = ["auth", "events", "player", "provider"];
        let full = [
            "abilities",
            "auth",
            "buildings",
            "events",
            "hero",
            "items",
            "map",
            "player",
            "provider",
            "wearables",
        ];
        for p in &posts {
            let b = &p.body;
            let s = state(b);
            if s.is_empty() {
                assert_eq!(keys(b), menu);
                assert_eq!(b.get("player"), Some(&json!({})));
                continue;
            }
            assert_eq!(keys(b), full, "{s}");
            assert_eq!(keys(&b["map"]).len(), 13);
            assert_eq!(keys(&b["player"]).len(), 24);
            let runtime = b.pointer("/hero/level").is_some();
            match s {
                "DOTA_GAMERULES_STATE_INIT" | "DOTA_GAMERULES_STATE_HERO_SELECTION" => {
                    assert_eq!(b["hero"], json!({"id": -1}));
                    assert_eq!(b["wearables"], json!({}));
                    assert_eq!(b["buildings"], json!({"radiant": {}}));
                    assert_eq!(b["items"], json!({}));
                }
                "DOTA_GAMERULES_STATE_STRATEGY_TIME"
                | "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD" => {
                    assert_eq!(
                        b["hero"],
                        json!({"id": 74, "name": "npc_dota_hero_invoker"})
                    );
                    assert_eq!(keys(&b["wearables"]).len(), 17);
                    assert_eq!(b["abilities"], json!({}));
                }
                _ => {
                    // 18 until the tier-1 top tower falls, then its key is gone.
                    let tower = b.pointer("/buildings/radiant/dota_goodguys_tower1_top");
                    let expected = if tower.is_some() { 18 } else { 17 };
                    assert_eq!(keys(&b["buildings"]["radiant"]).len(), expected);
                    if runtime {
                        assert_eq!(keys(&b["hero"]).len(), 36);
                        assert_eq!(keys(&b["abilities"]).len(), 6);
                        assert_eq!(keys(&b["items"]).len(), 17);
                        assert_eq!(keys(&b["wearables"]).len(), 19);
                        assert_eq!(text(b, "/abilities/ability5/name"), "invoker_invoke");
                        assert_eq!(num(b, "/abilities/ability5/level"), 1);
                    }
                }
            }
        }
        let pregame: Vec<&DemoPost> = posts
            .iter()
            .filter(|p| state(&p.body) == "DOTA_GAMERULES_STATE_PRE_GAME")
            .collect();
        assert_eq!(pregame.len(), 10);
        assert_eq!(
            pregame.first().map(|p| p.body["hero"].clone()),
            Some(json!({"id": 74, "name": HERO_NAME}))
        );
        let clocks: Vec<i64> = pregame
            .iter()
            .map(|p| num(&p.body, "/map/clock_time"))
            .collect();
        assert_eq!(clocks, (-10..=-1).collect::<Vec<_>>());
    }

    fn has_entry(body: &Value, kind: &str) -> bool {
        body.get("events")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|e| e["event_type"] == kind))
    }

    /// The entries of `kind` in a body's window matching `pick`.
    fn entries<'a>(body: &'a Value, kind: &str) -> Vec<&'a Value> {
        body.get("events")
            .and_then(Value::as_array)
            .map_or(Vec::new(), |a| {
                a.iter().filter(|e| e["event_type"] == kind).collect()
            })
    }

    #[test]
    fn roshan_and_the_aegis_come_through_the_events_window() {
        for seed in (0..30).chain([7314, u64::MAX]) {
            let posts = player_match(seed);
            // Posts whose window holds an entry of `kind` with `field` == `value`.
            let indexes = |kind: &str, field: &str, value: Value| -> Vec<usize> {
                posts
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| entries(&p.body, kind).iter().any(|e| e[field] == value))
                    .map(|(i, _)| i)
                    .collect()
            };
            let radiant = indexes("roshan_killed", "killed_by_team", json!("radiant"));
            let dire = indexes("roshan_killed", "killed_by_team", json!("dire"));
            let aegis = indexes("aegis_picked_up", "snatched", json!(false));
            let denied: Vec<usize> = posts
                .iter()
                .enumerate()
                .filter(|(_, p)| has_entry(&p.body, "aegis_denied"))
                .map(|(i, _)| i)
                .collect();
            // Each entry stays for 30 s of game time, in consecutive posts.
            for seen in [&radiant, &dire, &aegis, &denied] {
                assert!(seen.len() >= 25, "seed {seed}: {} posts", seen.len());
                assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "seed {seed}");
            }
            assert!(
                denied.first() > dire.first(),
                "seed {seed}: the deny after Roshan"
            );
            assert!(
                aegis.first() > radiant.first(),
                "seed {seed}: the Aegis after Roshan"
            );
            // The Dire's Roshan about 1:27, its Aegis denied by a teammate.
            let first = &posts[dire[0]].body;
            let clock = num(first, "/map/clock_time");
            assert!((84..=90).contains(&clock), "seed {seed}: Roshan at {clock}");
            let entry = entries(first, "roshan_killed")[0];
            assert!(matches!(entry["killer_player_id"].as_i64(), Some(5..=9)));
            let deny = entries(&posts[denied[0]].body, "aegis_denied")[0];
            assert!(matches!(deny["player_id"].as_i64(), Some(1..=4)), "{deny}");
            let deny_clock = num(&posts[denied[0]].body, "/map/clock_time");
            assert!((2..=3).contains(&(deny_clock - clock)), "seed {seed}");
            // Back at least 180 s later: the Radiant's Roshan about 4:37.
            let first = &posts[radiant[0]].body;
            let clock2 = num(first, "/map/clock_time");
            assert!(
                (274..=280).contains(&clock2),
                "seed {seed}: Roshan at {clock2}"
            );
            assert!(clock2 - clock >= 180, "seed {seed}: respawn");
            let entry = entries(first, "roshan_killed")[0];
            assert_eq!(entry["game_time"], json!(clock2 + GAME_TIME_OFFSET));
            assert!(matches!(entry["killer_player_id"].as_i64(), Some(1..=4)));
            // The window re-sends the same entries, newest first.
            let last = &posts[radiant[radiant.len() - 1]].body;
            let window = last["events"].as_array().cloned().unwrap_or_default();
            let at = |kind: &str| window.iter().position(|e| e["event_type"] == kind);
            assert_eq!(
                window.get(at("roshan_killed").unwrap_or(usize::MAX)),
                Some(entry),
                "seed {seed}"
            );
            assert!(at("aegis_picked_up") < at("roshan_killed"), "seed {seed}");
            // Player mode never carries Roshan's state.
            assert!(posts
                .iter()
                .all(|p| p.body.pointer("/map/roshan_state").is_none()));
        }
    }

    /// Bounty runes, the tip, the pause and the falling tower, for many seeds.
    #[test]
    fn runes_tip_pause_and_tower_for_every_seed() {
        for seed in (0..30).chain([7314, u64::MAX]) {
            let posts = player_match(seed);
            let game: Vec<&Value> = posts
                .iter()
                .filter(|p| in_game(p))
                .map(|p| &p.body)
                .collect();
            let mut runes = std::collections::BTreeSet::new();
            let mut tips = std::collections::BTreeSet::new();
            for b in &game {
                for e in entries(b, "bounty_rune_pickup") {
                    assert_eq!(e["team"], "radiant", "seed {seed}: own team's runes");
                    assert!(matches!(e["player_id"].as_i64(), Some(1..=4)));
                    runes.insert(e.to_string());
                }
                for e in entries(b, "tip") {
                    assert_eq!(e["receiver_player_id"], 0);
                    tips.insert(e.to_string());
                }
            }
            assert_eq!(runes.len(), 3, "seed {seed}: runes {runes:?}");
            assert_eq!(tips.len(), 1, "seed {seed}: tips {tips:?}");
            // The pause: one run of posts, everything but the flag unchanged.
            let paused: Vec<usize> = (0..game.len())
                .filter(|&i| flag(game[i], "/map/paused"))
                .collect();
            assert_eq!(paused.len(), PAUSE_POSTS, "seed {seed}");
            assert!(paused.windows(2).all(|w| w[1] == w[0] + 1));
            let before = game[paused[0] - 1];
            for &i in &paused {
                let mut b = game[i].clone();
                b["map"]["paused"] = json!(false);
                b["provider"] = before["provider"].clone();
                assert_eq!(&b, before, "seed {seed}: nothing moves while paused");
            }
            // The tier-1 top tower falls once, about 3:54, and stays gone.
            let gone: Vec<i64> = game
                .iter()
                .filter(|b| {
                    b.pointer("/buildings/radiant/dota_goodguys_tower1_top")
                        .is_none()
                })
                .map(|b| num(b, "/map/clock_time"))
                .collect();
            let fell = gone.first().copied().unwrap_or(0);
            assert!((232..=236).contains(&fell), "seed {seed}: fell at {fell}");
            assert_eq!(gone.len() as i64, LAST_CLOCK + 2 - fell, "seed {seed}");
            // Health only ever goes down.
            for w in game.windows(2) {
                let hp = |b: &Value| {
                    b.pointer("/buildings/radiant/dota_goodguys_tower1_top/health")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                };
                assert!(hp(w[1]) <= hp(w[0]), "seed {seed}: tower health rose");
            }
        }
    }

    #[test]
    fn the_engine_reads_every_entry_of_the_window_once() {
        for seed in [7314, 1, 2] {
            let mut engine = wardcast_dota2::Engine::default();
            let mut counts = std::collections::BTreeMap::<&str, usize>::new();
            let mut last_score = 0;
            for post in player_match(seed) {
                let bytes = serde_json::to_vec(&post.body).unwrap_or_default();
                let Ok(state) = wardcast_dota2::parse(&bytes) else {
                    panic!("post at {} ms does not parse", post.at_ms);
                };
                let out = engine.process(state);
                for e in &out.events {
                    *counts.entry(e.name).or_default() += 1;
                }
                assert!(out.info.iter().all(|i| i.category != "roshan"));
                if let Some(map) = post.body.get("map") {
                    last_score = num(map, "/radiant_score") + num(map, "/dire_score");
                }
            }
            let count = |name: &str| counts.get(name).copied().unwrap_or(0);
            assert_eq!(count("roshan_killed"), 2, "seed {seed}");
            assert_eq!(count("aegis_picked_up"), 1, "seed {seed}");
            assert_eq!(count("aegis_denied"), 1, "seed {seed}");
            assert_eq!(count("bounty_rune_pickup"), 3, "seed {seed}");
            assert_eq!(count("tip"), 1, "seed {seed}");
            assert_eq!(count("game_paused"), 1, "seed {seed}");
            assert_eq!(count("game_unpaused"), 1, "seed {seed}");
            assert_eq!(count("building_destroyed"), 1, "seed {seed}");
            assert_eq!(count("kill"), 7, "seed {seed}");
            assert_eq!(count("match_ended"), 1, "seed {seed}");
            // One kill-feed line per hero kill of the match, plus the buyback.
            assert_eq!(count("kill_feed"), last_score as usize + 1, "seed {seed}");
        }
    }

    /// One line per notable change; run with `--nocapture` to read the match.
    fn summary(posts: &[DemoPost]) -> Vec<String> {
        let n = |b: &Value, ptr: &str| b.pointer(ptr).and_then(Value::as_i64).unwrap_or(0);
        let mut lines = Vec::new();
        let mut prev: Option<&Value> = None;
        for p in posts {
            let b = &p.body;
            let mut notes = Vec::new();
            if let Some(a) = prev {
                if state(a) != state(b) {
                    let s = state(b).trim_start_matches("DOTA_GAMERULES_STATE_");
                    notes.push(format!("-> {}", if s.is_empty() { "menu" } else { s }));
                }
                for key in [
                    "/player/kills",
                    "/player/deaths",
                    "/player/assists",
                    "/hero/level",
                ] {
                    if n(a, key) != n(b, key) && b.pointer(key).is_some() {
                        let short = key.rsplit('/').next().unwrap_or(key);
                        notes.push(format!("{short} {}", n(b, key)));
                    }
                }
                if a.pointer("/hero/alive").is_some()
                    && a.pointer("/hero/alive") != b.pointer("/hero/alive")
                {
                    notes.push(format!(
                        "alive {} respawn {}",
                        flag_opt(b, "/hero/alive"),
                        n(b, "/hero/respawn_seconds")
                    ));
                }
                for slot in ["slot0", "slot1", "slot2", "slot3", "teleport0"] {
                    let ptr = |f: &str| format!("/items/{slot}/{f}");
                    let renamed = a.pointer(&ptr("name")) != b.pointer(&ptr("name"));
                    let used = n(b, &ptr("cooldown")) > n(a, &ptr("cooldown"));
                    if renamed || used {
                        notes.push(format!(
                            "{slot}={} charges {} cd {}",
                            text(b, &ptr("name")),
                            n(b, &ptr("charges")),
                            n(b, &ptr("cooldown"))
                        ));
                    }
                }
                for slot in ["ability3", "ability4", "ability5"] {
                    let ptr = |f: &str| format!("/abilities/{slot}/{f}");
                    let renamed = a.pointer(&ptr("name")) != b.pointer(&ptr("name"));
                    let used = n(b, &ptr("cooldown")) > n(a, &ptr("cooldown"));
                    if b.pointer(&ptr("name")).is_some() && (renamed || used) {
                        notes.push(format!(
                            "{slot}={} cd {}",
                            text(b, &ptr("name")),
                            n(b, &ptr("cooldown"))
                        ));
                    }
                }
                for status in ["stunned", "silenced"] {
                    if flag_opt(b, &format!("/hero/{status}")) {
                        notes.push(status.to_uppercase());
                    }
                }
            }
            if !notes.is_empty() || p.at_ms % 30_000 == 0 {
                lines.push(format!(
                    "{:>3}s clock {:>4} gold {:>4} (r{} u{}) lh {} dn {} xp {} hp {}/{} mana {}/{} gpm {} xpm {} score {}-{} | {}",
                    p.at_ms / 1000,
                    n(b, "/map/clock_time"),
                    n(b, "/player/gold"),
                    n(b, "/player/gold_reliable"),
                    n(b, "/player/gold_unreliable"),
                    n(b, "/player/last_hits"),
                    n(b, "/player/denies"),
                    n(b, "/hero/xp"),
                    n(b, "/hero/health"),
                    n(b, "/hero/max_health"),
                    n(b, "/hero/mana"),
                    n(b, "/hero/max_mana"),
                    n(b, "/player/gpm"),
                    n(b, "/player/xpm"),
                    n(b, "/map/radiant_score"),
                    n(b, "/map/dire_score"),
                    notes.join(", ")
                ));
            }
            prev = Some(b);
        }
        lines
    }

    #[test]
    fn print_summary() {
        let posts = player_match(0);
        let lines = summary(&posts);
        println!("{} posts\n{}", posts.len(), lines.join("\n"));
        assert!(lines.len() > 20);
    }

    fn flag_opt(body: &Value, pointer: &str) -> bool {
        body.pointer(pointer)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}
