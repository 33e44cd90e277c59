//! A simulated Dota 2 match as a spectator (observer) client sees it.
//!
//! `wardcast demo --demo-mode spectator` feeds these bodies through the same
//! pipeline as the player demo, so the events of all ten players (each with
//! `player_index` and `team`), the draft, Roshan's timer, the win chance and
//! both sides' buildings can be watched with no game running.
//!
//! # What is simulated
//!
//! A Captains Mode match seen by an observer: three menu heartbeats; the draft
//! (`HERO_SELECTION`, one pick or ban per post, 7 bans and 5 picks a side, the
//! `draft` section filling like real spectator bodies); `STRATEGY_TIME`;
//! `PRE_GAME` (clock -0:30 to 0:00, starting items, the first skill point,
//! the first observer wards); `GAME_IN_PROGRESS` from 0:00 to 9:30; the Dire
//! Ancient falling; three `POST_GAME` posts; three menu heartbeats. The game
//! clock runs two seconds per post (the posts are one second apart, like the
//! player demo's), so the 347 posts play in under six minutes.
//!
//! Bodies have the sections and field names of real spectator captures (the
//! `lexogrine` 2021 body, the 2025 Captains Mode draft body, the 2026 field
//! composite): `player`, `hero`, `abilities` and `items` nested as
//! `team2.player0..4` and `team3.player5..9`; the spectator-only player stats
//! (`net_worth`, `hero_damage`, ...); `hero.selected_unit` for the hero the
//! observer follows; `map.radiant_/dire_ward_purchase_cooldown`,
//! `roshan_state`, `roshan_state_end_seconds` and `radiant_win_chance`;
//! `buildings` for both sides, a destroyed building's key disappearing; the
//! `roshan` section; and `events`, the game's sliding window (newest first, at
//! most 16 entries, each re-sent for 30 s of game time).
//!
//! The Dire mid is always Invoker (the seed picks the other nine heroes): his
//! Invoke puts a spell into `ability3` and moves the one there to `ability4`,
//! in lane every 18-35 s and in his fights, so the slots change their names
//! as in real bodies.
//!
//! The beats, each moved a few seconds by the seed: bounty runes at 0:00, 3:00
//! and 6:00 (one pickup per side); first blood about 1:15 and a tip from the
//! killer to the victim; a lane pickoff about 2:00; the Radiant mid killing a
//! Dire courier about 2:30; a smoked Dire gank about 3:10 (a double kill); the
//! Radiant killing Roshan about 3:50 and the carry taking the Aegis four
//! seconds later, Roshan's state going `respawn_base` → `respawn_variable` →
//! `alive` (timers compressed to 180 s and 90 s so the cycle fits the match);
//! a pause of five posts about 4:10; fights about 4:45, 5:35 (the Radiant
//! tier-1 bottom tower falls), 6:50 (a Radiant double kill, a Dire buyback)
//! and 8:20 (a team wipe), and a second pickoff about 6:20; night at 5:00;
//! about 7:54, Roshan back, the Dire killing him and the Radiant mid or
//! position 4, arriving at the pit, denying the Aegis two seconds later
//! (Roshan's state `respawn_base` again to the end); the Radiant push from
//! 8:25 that ends the match at 9:30.
//!
//! Every kill is one player's kill, one enemy's death (with `kill_list`), an
//! assist for each teammate in the fight and a point of team score, so
//! `map.radiant_score` / `dire_score` always equal the sums of the players'
//! kills. Every kill also logs a `generic_event` kill-feed entry
//! (`CHAT_MESSAGE_HERO_KILL`, `playerid1` the victim, `playerid2` the killer),
//! and the buyback a `CHAT_MESSAGE_BUYBACK` one.
//!
//! # Why it is deterministic
//!
//! As in the player demo, the only source of variety is the splitmix64
//! generator seeded by the caller: [`spectator_match`] is a pure function of
//! its seed. The seed picks the heroes (all but the Dire mid) and the bans,
//! moves the beats and varies last hits, damage, movement, casts, item use,
//! Invoker's spells and the lane pickoffs.

use serde_json::{json, Map, Value};

use super::common::{
    distance, kill_feed, menu_body, obj, percent, provider, spell_level, DemoPost, EventLog,
    GameState, Recorder, Rng, AUTH_TOKEN, COLD_SNAP, FIGHT_SPELLS, INVOKE_COOLDOWN, SPELLS,
    XP_TABLE,
};

/// Generates the whole spectated match. The same seed always gives the same posts.
///
/// The posts are one second apart (`at_ms` = 1000 × index); the game clock
/// runs two seconds per post in `PRE_GAME` and `GAME_IN_PROGRESS`, and stands
/// still while the game is paused and after the Ancient falls.
pub fn spectator_match(seed: u64) -> Vec<DemoPost> {
    let mut posts = Vec::with_capacity(360);
    generate(seed, |post| posts.push(post));
    posts
}

/// Makes the posts of [`spectator_match`] one by one, handing each to `sink`,
/// and returns the index of the post the demo's in-game loop starts at: five
/// posts (ten clock seconds) before first blood (see [`super::in_game_first`]).
///
/// Ten players make big bodies (about 30 KB of JSON each, several times that
/// as a `serde_json::Value`): the demo player encodes each one as it comes
/// rather than keeping the whole match as JSON trees.
pub(super) fn generate(seed: u64, sink: impl FnMut(DemoPost)) -> usize {
    let mut sim = Sim::new(seed);
    let mut rec = Recorder::new(sink);
    let mut loop_start = 0;

    for _ in 0..3 {
        let ts = rec.timestamp();
        rec.push(menu_body(ts));
    }

    // The draft: three posts before the first ban, then one action a post.
    for post in 0..DRAFT_POSTS {
        let done = post.saturating_sub(3).min(DRAFT_ORDER.len());
        let game_time = DRAFT_GAME_TIME + 2 * post as i64;
        let frame = Frame {
            state: GameState::HeroSelection,
            // Spectators see the draft's own clock: equal to game_time.
            clock: game_time,
            game_time,
            paused: false,
            win: false,
        };
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, Stage::Draft(done), ts));
    }

    for clock in (STRATEGY_FROM..PREGAME_FROM).step_by(2) {
        let frame = Frame::at(GameState::StrategyTime, clock);
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, Stage::Strategy, ts));
    }

    for clock in PREGAME_FROM..0 {
        sim.pregame_second(clock);
        if clock % 2 == 0 {
            let frame = Frame::at(GameState::PreGame, clock);
            let ts = rec.timestamp();
            rec.push(sim.body(&frame, Stage::Live, ts));
        }
    }

    for clock in 0..=END {
        sim.game_second(clock);
        if clock % 2 != 0 {
            continue;
        }
        let mut frame = Frame::at(GameState::InProgress, clock);
        frame.win = clock >= END;
        if clock == sim.plan.loop_start {
            loop_start = rec.sent();
        }
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, Stage::Live, ts));
        if clock == sim.plan.pause {
            frame.paused = true;
            for _ in 0..PAUSE_POSTS {
                let ts = rec.timestamp();
                rec.push(sim.body(&frame, Stage::Live, ts));
            }
        }
    }

    for k in 1..=3 {
        let frame = Frame {
            state: GameState::PostGame,
            clock: END,
            game_time: END + GAME_TIME_OFFSET + 2 * k,
            paused: false,
            win: true,
        };
        let ts = rec.timestamp();
        rec.push(sim.body(&frame, Stage::Live, ts));
    }

    for _ in 0..3 {
        let ts = rec.timestamp();
        rec.push(menu_body(ts));
    }
    loop_start
}

// ---------------------------------------------------------------------------
// Constants

const MATCH_ID: &str = "7310000001";
/// From `STRATEGY_TIME` on, `game_time - clock_time` is constant.
const GAME_TIME_OFFSET: i64 = 128;
/// `game_time` (and clock) of the first draft post.
const DRAFT_GAME_TIME: i64 = 8;
/// Draft posts: three before the first action, one per action, and one done.
const DRAFT_POSTS: usize = 4 + DRAFT_ORDER.len();
/// The clock of the first `STRATEGY_TIME` post.
const STRATEGY_FROM: i64 = -38;
/// The clock of the first `PRE_GAME` second.
const PREGAME_FROM: i64 = -30;
/// The clock second the Ancient falls.
const END: i64 = 570;
/// Posts the pause lasts.
const PAUSE_POSTS: usize = 5;
/// Mixed into the seed for Invoker's own generator.
const INVOKER_SALT: u64 = 0x494E_564F_4B45_0003;
/// Day and night each last five minutes.
const DAY_LENGTH: i64 = 300;
/// Roshan's base and variable respawn windows, compressed from 480 and 180.
const ROSHAN_BASE: i64 = 180;
const ROSHAN_VARIABLE: i64 = 90;
/// How long the Aegis lasts.
const AEGIS_SECS: i64 = 300;
const BUYBACK_COOLDOWN: i64 = 480;
/// The observer-ward shop restock time.
const WARD_RESTOCK: i64 = 135;
const STARTING_GOLD: i64 = 600;
const MOVE_SPEED: i64 = 300;

const RADIANT_FOUNTAIN: (i64, i64) = (-7100, -6600);
const DIRE_FOUNTAIN: (i64, i64) = (7000, 6400);
const TOP: (i64, i64) = (-6100, 3900);
const MID: (i64, i64) = (-500, -400);
const BOT: (i64, i64) = (4200, -6100);
const ROSHAN_PIT: (i64, i64) = (-2300, 1700);

/// Steam names of the ten simulated players.
const NAMES: [&str; 10] = [
    "Lantern", "Quill", "Moraine", "Tessel", "Ashgrove", "Vireo", "Halcyon", "Brackish", "Nimbus",
    "Osier",
];
/// Lobby slots: they do not follow 0-4 Radiant, 5-9 Dire.
const LOBBY_SLOTS: [i64; 10] = [3, 0, 4, 1, 2, 8, 5, 9, 7, 6];

// ---------------------------------------------------------------------------
// Heroes

struct AbilityDef {
    name: &'static str,
    mana: i64,
    cooldown: i64,
    passive: bool,
    ultimate: bool,
}

const fn active(name: &'static str, mana: i64, cooldown: i64) -> AbilityDef {
    AbilityDef {
        name,
        mana,
        cooldown,
        passive: false,
        ultimate: false,
    }
}

const fn passive(name: &'static str) -> AbilityDef {
    AbilityDef {
        name,
        mana: 0,
        cooldown: 0,
        passive: true,
        ultimate: false,
    }
}

const fn ult(name: &'static str, mana: i64, cooldown: i64) -> AbilityDef {
    AbilityDef {
        name,
        mana,
        cooldown,
        passive: false,
        ultimate: true,
    }
}

struct HeroDef {
    id: i64,
    /// The name without `npc_dota_hero_` (the draft's `pickN_class`).
    class: &'static str,
    health: i64,
    mana: i64,
    /// Three basic abilities and the ultimate; for Invoker the three orbs and
    /// Invoke, with the two invoked spells' slots between them.
    abilities: [AbilityDef; 4],
    /// Invoker: his Invoke puts spells into `ability3` and `ability4`.
    invoker: bool,
}

const fn hero(
    id: i64,
    class: &'static str,
    health: i64,
    mana: i64,
    abilities: [AbilityDef; 4],
) -> HeroDef {
    HeroDef {
        id,
        class,
        health,
        mana,
        abilities,
        invoker: false,
    }
}

/// The Dire mid of every spectated match, so the observer always sees an
/// ability slot change its name: Invoke puts a spell into `ability3` and moves
/// the one there to `ability4` (`hero_ability_changed`).
const INVOKER: HeroDef = HeroDef {
    id: 74,
    class: "invoker",
    health: 560,
    mana: 303,
    abilities: [
        active("invoker_quas", 0, 0),
        active("invoker_wex", 0, 0),
        active("invoker_exort", 0, 0),
        ult("invoker_invoke", 0, INVOKE_COOLDOWN),
    ],
    invoker: true,
};

const CARRIES: [HeroDef; 6] = [
    hero(
        1,
        "antimage",
        640,
        291,
        [
            passive("antimage_mana_break"),
            active("antimage_blink", 45, 12),
            active("antimage_counterspell", 45, 15),
            ult("antimage_mana_void", 100, 70),
        ],
    ),
    hero(
        8,
        "juggernaut",
        620,
        267,
        [
            active("juggernaut_blade_fury", 120, 34),
            active("juggernaut_healing_ward", 140, 60),
            passive("juggernaut_blade_dance"),
            ult("juggernaut_omni_slash", 200, 130),
        ],
    ),
    hero(
        18,
        "sven",
        680,
        255,
        [
            active("sven_storm_bolt", 110, 15),
            passive("sven_great_cleave"),
            active("sven_warcry", 30, 28),
            ult("sven_gods_strength", 100, 100),
        ],
    ),
    hero(
        41,
        "faceless_void",
        640,
        267,
        [
            active("faceless_void_time_walk", 40, 18),
            active("faceless_void_time_dilation", 75, 30),
            passive("faceless_void_time_lock"),
            ult("faceless_void_chronosphere", 150, 140),
        ],
    ),
    hero(
        44,
        "phantom_assassin",
        620,
        267,
        [
            active("phantom_assassin_stifling_dagger", 30, 6),
            active("phantom_assassin_phantom_strike", 35, 11),
            active("phantom_assassin_blur", 50, 60),
            AbilityDef {
                name: "phantom_assassin_coup_de_grace",
                mana: 0,
                cooldown: 0,
                passive: true,
                ultimate: true,
            },
        ],
    ),
    hero(
        70,
        "ursa",
        640,
        267,
        [
            active("ursa_earthshock", 75, 6),
            active("ursa_overpower", 45, 10),
            passive("ursa_fury_swipes"),
            ult("ursa_enrage", 0, 50),
        ],
    ),
];

const MIDS: [HeroDef; 4] = [
    hero(
        11,
        "nevermore",
        580,
        291,
        [
            active("nevermore_shadowraze1", 75, 10),
            passive("nevermore_necromastery"),
            passive("nevermore_dark_lord"),
            ult("nevermore_requiem", 150, 120),
        ],
    ),
    hero(
        22,
        "zuus",
        580,
        387,
        [
            active("zuus_arc_lightning", 65, 2),
            active("zuus_lightning_bolt", 110, 6),
            active("zuus_heavenly_jump", 75, 14),
            ult("zuus_thundergods_wrath", 250, 120),
        ],
    ),
    hero(
        25,
        "lina",
        560,
        363,
        [
            active("lina_dragon_slave", 90, 9),
            active("lina_light_strike_array", 100, 7),
            passive("lina_fiery_soul"),
            ult("lina_laguna_blade", 150, 70),
        ],
    ),
    hero(
        35,
        "sniper",
        560,
        291,
        [
            active("sniper_shrapnel", 50, 35),
            passive("sniper_headshot"),
            active("sniper_take_aim", 50, 20),
            ult("sniper_assassinate", 175, 20),
        ],
    ),
];

const OFFLANERS: [HeroDef; 4] = [
    hero(
        2,
        "axe",
        700,
        231,
        [
            active("axe_berserkers_call", 80, 17),
            active("axe_battle_hunger", 50, 20),
            passive("axe_counter_helix"),
            ult("axe_culling_blade", 60, 75),
        ],
    ),
    hero(
        7,
        "earthshaker",
        620,
        291,
        [
            active("earthshaker_fissure", 110, 18),
            active("earthshaker_enchant_totem", 35, 5),
            passive("earthshaker_aftershock"),
            ult("earthshaker_echo_slam", 145, 110),
        ],
    ),
    hero(
        97,
        "magnataur",
        640,
        291,
        [
            active("magnataur_shockwave", 90, 13),
            active("magnataur_empower", 40, 8),
            active("magnataur_skewer", 80, 19),
            ult("magnataur_reverse_polarity", 200, 120),
        ],
    ),
    hero(
        129,
        "mars",
        680,
        255,
        [
            active("mars_spear", 100, 12),
            active("mars_gods_rebuke", 80, 10),
            passive("mars_bulwark"),
            ult("mars_arena_of_blood", 150, 90),
        ],
    ),
];

const SUPPORTS: [HeroDef; 5] = [
    hero(
        5,
        "crystal_maiden",
        560,
        363,
        [
            active("crystal_maiden_crystal_nova", 130, 11),
            active("crystal_maiden_frostbite", 140, 9),
            passive("crystal_maiden_brilliance_aura"),
            ult("crystal_maiden_freezing_field", 200, 110),
        ],
    ),
    hero(
        20,
        "vengefulspirit",
        600,
        315,
        [
            active("vengefulspirit_magic_missile", 100, 14),
            active("vengefulspirit_wave_of_terror", 35, 20),
            passive("vengefulspirit_command_aura"),
            ult("vengefulspirit_nether_swap", 100, 65),
        ],
    ),
    hero(
        26,
        "lion",
        560,
        363,
        [
            active("lion_impale", 80, 12),
            active("lion_voodoo", 110, 24),
            active("lion_mana_drain", 10, 16),
            ult("lion_finger_of_death", 200, 100),
        ],
    ),
    hero(
        27,
        "shadow_shaman",
        580,
        363,
        [
            active("shadow_shaman_ether_shock", 95, 8),
            active("shadow_shaman_voodoo", 110, 13),
            active("shadow_shaman_shackles", 140, 16),
            ult("shadow_shaman_mass_serpent_ward", 200, 120),
        ],
    ),
    hero(
        31,
        "lich",
        560,
        387,
        [
            active("lich_frost_nova", 105, 8),
            active("lich_frost_shield", 100, 14),
            active("lich_sinister_gaze", 100, 26),
            ult("lich_chain_frost", 200, 100),
        ],
    ),
];

/// Heroes that are only ever banned: `(class, id)`.
const BAN_ONLY: [(&str, i64); 15] = [
    ("pudge", 14),
    ("storm_spirit", 17),
    ("tidehunter", 29),
    ("enigma", 33),
    ("tinker", 34),
    ("rubick", 86),
    ("shredder", 98),
    ("dark_willow", 119),
    ("pangolier", 120),
    ("hoodwink", 123),
    ("void_spirit", 126),
    ("snapfire", 128),
    ("marci", 136),
    ("primal_beast", 137),
    ("muerta", 138),
];

/// Captains Mode: `(Radiant's turn, a pick)`; 7 bans and 5 picks a side.
const DRAFT_ORDER: [(bool, bool); 24] = [
    (true, false),
    (false, false),
    (true, false),
    (false, false),
    (true, true),
    (false, true),
    (true, false),
    (false, false),
    (true, false),
    (false, false),
    (true, false),
    (false, false),
    (false, true),
    (true, true),
    (true, true),
    (false, true),
    (false, true),
    (true, true),
    (true, false),
    (false, false),
    (true, false),
    (false, false),
    (false, true),
    (true, true),
];
/// The role each of a team's five picks fills, in pick order (supports first).
const PICK_ROLES: [usize; 5] = [3, 4, 2, 0, 1];

// ---------------------------------------------------------------------------
// Teams and roles

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Team {
    Radiant,
    Dire,
}

impl Team {
    fn of(index: usize) -> Self {
        if index < 5 {
            Team::Radiant
        } else {
            Team::Dire
        }
    }

    fn name(self) -> &'static str {
        match self {
            Team::Radiant => "radiant",
            Team::Dire => "dire",
        }
    }

    /// The GSI key of the side: `team2` or `team3`.
    fn key(self) -> &'static str {
        match self {
            Team::Radiant => "team2",
            Team::Dire => "team3",
        }
    }

    fn other(self) -> Self {
        match self {
            Team::Radiant => Team::Dire,
            Team::Dire => Team::Radiant,
        }
    }

    fn players(self) -> std::ops::Range<usize> {
        match self {
            Team::Radiant => 0..5,
            Team::Dire => 5..10,
        }
    }

    fn slot(self) -> usize {
        match self {
            Team::Radiant => 0,
            Team::Dire => 1,
        }
    }

    fn fountain(self) -> (i64, i64) {
        match self {
            Team::Radiant => RADIANT_FOUNTAIN,
            Team::Dire => DIRE_FOUNTAIN,
        }
    }
}

/// Where a player laned: position 1 and 5 in the safe lane, 3 and 4 off, 2 mid.
fn lane(index: usize) -> (i64, i64) {
    let radiant = index < 5;
    match (index % 5, radiant) {
        (1, _) => MID,
        (0 | 4, true) | (2 | 3, false) => BOT,
        _ => TOP,
    }
}

// ---------------------------------------------------------------------------
// Items

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ItemKind {
    Tango,
    Branches,
    QuellingBlade,
    MagicStick,
    Clarity,
    WardObserver,
    WardSentry,
    SmokeOfDeceit,
    TpScroll,
    Boots,
    PhaseBoots,
    ArcaneBoots,
    Blink,
    BlackKingBar,
    Maelstrom,
    BladeMail,
    ForceStaff,
    GlimmerCape,
    Aegis,
}

impl ItemKind {
    fn name(self) -> &'static str {
        match self {
            Self::Tango => "item_tango",
            Self::Branches => "item_branches",
            Self::QuellingBlade => "item_quelling_blade",
            Self::MagicStick => "item_magic_stick",
            Self::Clarity => "item_clarity",
            Self::WardObserver => "item_ward_observer",
            Self::WardSentry => "item_ward_sentry",
            Self::SmokeOfDeceit => "item_smoke_of_deceit",
            Self::TpScroll => "item_tpscroll",
            Self::Boots => "item_boots",
            Self::PhaseBoots => "item_phase_boots",
            Self::ArcaneBoots => "item_arcane_boots",
            Self::Blink => "item_blink",
            Self::BlackKingBar => "item_black_king_bar",
            Self::Maelstrom => "item_maelstrom",
            Self::BladeMail => "item_blade_mail",
            Self::ForceStaff => "item_force_staff",
            Self::GlimmerCape => "item_glimmer_cape",
            Self::Aegis => "item_aegis",
        }
    }

    /// The shop price (for an upgrade, what it costs on top of its component).
    fn cost(self) -> i64 {
        match self {
            Self::Tango => 90,
            Self::Branches => 50,
            Self::QuellingBlade => 100,
            Self::MagicStick => 200,
            Self::Clarity | Self::WardSentry | Self::SmokeOfDeceit => 50,
            Self::WardObserver | Self::Aegis => 0,
            Self::TpScroll => 100,
            Self::Boots => 500,
            Self::PhaseBoots => 1000,
            Self::ArcaneBoots => 900,
            Self::Blink => 2250,
            Self::BlackKingBar => 4050,
            Self::Maelstrom => 2950,
            Self::BladeMail => 2100,
            Self::ForceStaff => 2200,
            Self::GlimmerCape => 1950,
        }
    }

    /// What the item is worth in net worth.
    fn worth(self) -> i64 {
        match self {
            Self::PhaseBoots => 1500,
            Self::ArcaneBoots => 1400,
            other => other.cost(),
        }
    }

    /// Starting charges, for items that have charges.
    fn charges(self) -> Option<i64> {
        match self {
            Self::Tango => Some(3),
            Self::MagicStick => Some(0),
            Self::Clarity
            | Self::WardObserver
            | Self::WardSentry
            | Self::SmokeOfDeceit
            | Self::TpScroll => Some(1),
            _ => None,
        }
    }

    fn passive(self) -> bool {
        matches!(
            self,
            Self::QuellingBlade | Self::Boots | Self::Maelstrom | Self::Aegis
        )
    }

    /// The component this item is built from and replaces.
    fn upgrades(self) -> Option<ItemKind> {
        match self {
            Self::PhaseBoots | Self::ArcaneBoots => Some(Self::Boots),
            _ => None,
        }
    }

    fn consumable(self) -> bool {
        matches!(
            self,
            Self::Tango
                | Self::Clarity
                | Self::WardObserver
                | Self::WardSentry
                | Self::SmokeOfDeceit
        )
    }
}

/// Starting items and what each role buys next, in order.
fn build(role: usize) -> (&'static [ItemKind], &'static [ItemKind]) {
    use ItemKind::*;
    match role {
        0 => (
            &[Tango, QuellingBlade, Branches, MagicStick],
            &[Boots, PhaseBoots, Maelstrom, BlackKingBar],
        ),
        1 => (
            &[Tango, Branches, Branches, MagicStick],
            &[Boots, Blink, BlackKingBar],
        ),
        2 => (
            &[Tango, QuellingBlade, Branches, MagicStick],
            &[Boots, BladeMail, Blink],
        ),
        3 => (
            &[Tango, Branches, WardObserver, Clarity, MagicStick],
            &[Boots, ForceStaff],
        ),
        _ => (
            &[Tango, WardObserver, WardSentry, Clarity, Branches],
            &[Boots, ArcaneBoots, GlimmerCape],
        ),
    }
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: ItemKind,
    cooldown: i64,
    charges: Option<i64>,
}

impl Item {
    fn new(kind: ItemKind) -> Self {
        Self {
            kind,
            cooldown: 0,
            charges: kind.charges(),
        }
    }

    fn json(self, purchaser: usize, usable: bool) -> Value {
        let spent = self.charges == Some(0) && self.kind != ItemKind::MagicStick;
        let empty_stick = self.kind == ItemKind::MagicStick && self.charges == Some(0);
        let passive = self.kind.passive();
        let can_cast = usable && !passive && self.cooldown == 0 && !spent && !empty_stick;
        let mut map = Map::new();
        map.insert("name".into(), json!(self.kind.name()));
        map.insert("purchaser".into(), json!(purchaser));
        map.insert("item_level".into(), json!(1));
        map.insert("can_cast".into(), json!(can_cast));
        map.insert("cooldown".into(), json!(self.cooldown));
        map.insert("passive".into(), json!(passive));
        if let Some(c) = self.charges {
            map.insert("charges".into(), json!(c));
        }
        Value::Object(map)
    }
}

fn empty_slot() -> Value {
    json!({"name": "empty"})
}

// ---------------------------------------------------------------------------
// Buildings

/// A side's buildings without the side's prefix, and their max health.
const BUILDINGS: [(&str, i64); 18] = [
    ("tower1_top", 1800),
    ("tower2_top", 2500),
    ("tower3_top", 2500),
    ("tower1_mid", 1800),
    ("tower2_mid", 2500),
    ("tower3_mid", 2500),
    ("tower1_bot", 1800),
    ("tower2_bot", 2500),
    ("tower3_bot", 2500),
    ("tower4_top", 2600),
    ("tower4_bot", 2600),
    ("rax_melee_top", 2200),
    ("rax_range_top", 1300),
    ("rax_melee_mid", 2200),
    ("rax_range_mid", 1300),
    ("rax_melee_bot", 2200),
    ("rax_range_bot", 1300),
    ("fort", 4500),
];

/// The GSI key of a building: `dota_goodguys_tower1_top`, `bad_rax_melee_mid`, ...
fn building_key(team: Team, short: &str) -> String {
    let (towers, rax) = match team {
        Team::Radiant => ("dota_goodguys", "good"),
        Team::Dire => ("dota_badguys", "bad"),
    };
    match short.strip_prefix("rax_") {
        Some(rest) => format!("{rax}_rax_{rest}"),
        None => format!("{towers}_{short}"),
    }
}

#[derive(Clone, Debug)]
struct Building {
    key: String,
    health: i64,
    max_health: i64,
}

/// Scripted damage to one building over a stretch of clock.
struct Siege {
    team: Team,
    short: &'static str,
    from: i64,
    to: i64,
    /// Destroyed at `to`; otherwise chipped down to `floor_pct` at most.
    destroy: bool,
    floor_pct: i64,
}

// ---------------------------------------------------------------------------
// The script

/// One scripted kill: the preferred killer and victim (substitutes are found
/// when one is dead or holds the Aegis).
#[derive(Clone, Copy, Debug)]
struct KillPlan {
    at: i64,
    killer: usize,
    victim: usize,
}

struct Fight {
    start: i64,
    place: (i64, i64),
    members: Vec<usize>,
    kills: Vec<KillPlan>,
}

impl Fight {
    fn end(&self) -> i64 {
        self.kills.iter().map(|k| k.at).max().unwrap_or(self.start) + 2
    }

    fn new(
        start: i64,
        place: (i64, i64),
        members: &[usize],
        kills: &[(i64, usize, usize)],
    ) -> Self {
        Self {
            start,
            place,
            members: members.to_vec(),
            kills: kills
                .iter()
                .map(|&(dt, killer, victim)| KillPlan {
                    at: start + dt,
                    killer,
                    victim,
                })
                .collect(),
        }
    }
}

struct Plan {
    /// The clock the demo's in-game loop starts at: ten seconds before first blood.
    loop_start: i64,
    tip: i64,
    courier: i64,
    smoke_buy: i64,
    smoke_use: i64,
    roshan_kill: i64,
    aegis: i64,
    roshan_spawn: i64,
    /// The Dire's kill of the respawned Roshan, and the Radiant's deny of its Aegis.
    dire_roshan: i64,
    aegis_deny: i64,
    pause: i64,
    /// The Dire buyback: who may buy back, at which second.
    buyback: (usize, i64),
    fights: Vec<Fight>,
    sieges: Vec<Siege>,
    /// Bounty rune spawns (clock seconds).
    runes: [i64; 3],
}

impl Plan {
    fn new(rng: &mut Rng) -> Self {
        let mut even = |lo: i64, steps: i64| lo + 2 * rng.range(0, steps);
        let first_blood = even(72, 4);
        let pickoff1 = even(116, 4);
        let courier = even(146, 4);
        let gank = even(188, 3);
        let roshan_kill = even(228, 3);
        let pause = even(250, 3);
        let f3 = even(282, 4);
        let f4 = even(334, 3);
        let pickoff2 = even(376, 4);
        let f5 = even(412, 3);
        let f6 = even(496, 2);
        // Back within 46 s of the variable window, so that the Dire can take
        // him again before the team wipe.
        let roshan_spawn = roshan_kill + ROSHAN_BASE + even(10, 18);
        let dire_roshan = f6 - 24;

        // The lane pickoffs go either way.
        let (k1, v1) = if rng.chance(1, 2) { (2, 5) } else { (5, 2) };
        let (k2, v2) = match rng.range(0, 2) {
            0 => (1, 6),
            1 => (6, 1),
            _ => (7, 4),
        };

        let fights = vec![
            // First blood in the mid lane.
            Fight::new(first_blood, MID, &[1, 6], &[(0, 1, 6)]),
            Fight::new(pickoff1, TOP, &[2, 3, 5, 9], &[(1, k1, v1)]),
            // The smoked Dire gank on the Radiant safe lane: a double kill for the Dire mid.
            Fight::new(
                gank,
                BOT,
                &[0, 4, 6, 7, 8, 9],
                &[(2, 6, 4), (3, 0, 8), (4, 6, 0)],
            ),
            Fight::new(
                f3,
                (-3600, 2400),
                &[1, 2, 3, 5, 7, 9],
                &[(1, 2, 9), (2, 5, 3), (3, 1, 7), (5, 1, 5)],
            ),
            // The Dire take the Radiant tier-1 bottom tower.
            Fight::new(
                f4,
                (5200, -5600),
                &[0, 3, 4, 5, 6, 7, 8],
                &[(1, 6, 4), (2, 0, 8), (4, 5, 3)],
            ),
            Fight::new(pickoff2, MID, &[1, 4, 6, 7], &[(1, k2, v2)]),
            // The Radiant carry's double kill; the Dire carry buys back.
            Fight::new(
                f5,
                (400, 300),
                &[0, 1, 2, 3, 4, 5, 6, 7, 9],
                &[(1, 0, 5), (3, 0, 7), (5, 1, 9)],
            ),
            // The team wipe before the push.
            Fight::new(
                f6,
                (1800, 1500),
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                &[
                    (1, 1, 6),
                    (2, 5, 2),
                    (3, 0, 5),
                    (4, 3, 8),
                    (6, 0, 9),
                    (7, 4, 7),
                ],
            ),
        ];

        let siege = |team, short, from, to, destroy, floor_pct| Siege {
            team,
            short,
            from,
            to,
            destroy,
            floor_pct,
        };
        let sieges = vec![
            siege(Team::Radiant, "tower1_top", 100, 270, false, 45),
            siege(Team::Dire, "tower1_bot", 120, 300, false, 50),
            siege(Team::Dire, "tower1_top", 200, 290, false, 60),
            siege(Team::Radiant, "tower1_bot", f4 - 4, f4 + 20, true, 0),
            siege(Team::Dire, "tower1_mid", f5 + 8, f5 + 30, true, 0),
            siege(Team::Dire, "tower2_mid", f6 + 10, f6 + 22, true, 0),
            siege(Team::Dire, "tower3_mid", f6 + 22, f6 + 32, true, 0),
            siege(Team::Dire, "rax_range_mid", f6 + 32, f6 + 38, true, 0),
            siege(Team::Dire, "rax_melee_mid", f6 + 32, f6 + 40, true, 0),
            siege(Team::Dire, "tower4_top", f6 + 40, f6 + 50, true, 0),
            siege(Team::Dire, "tower4_bot", f6 + 42, f6 + 52, true, 0),
            siege(Team::Dire, "fort", f6 + 52, END, true, 0),
        ];

        Self {
            loop_start: first_blood - 10,
            tip: first_blood + 4,
            courier,
            smoke_buy: gank - 40,
            smoke_use: gank - 10,
            roshan_kill,
            aegis: roshan_kill + 4,
            roshan_spawn,
            dire_roshan,
            aegis_deny: dire_roshan + 2,
            pause,
            buyback: (5, f5 + 5),
            fights,
            sieges,
            runes: [0, 180, 360],
        }
    }

    fn fight_at(&self, clock: i64) -> Option<&Fight> {
        self.fights
            .iter()
            .find(|f| f.start - 8 <= clock && clock <= f.end())
    }

    /// Roshan's deaths, each with when he is back (the second one after the
    /// match ends): `(killed at, alive again at)`.
    fn roshans(&self) -> [(i64, i64); 2] {
        [
            (self.roshan_kill, self.roshan_spawn),
            (
                self.dire_roshan,
                self.dire_roshan + ROSHAN_BASE + ROSHAN_VARIABLE,
            ),
        ]
    }

    /// Whether hero `i` is on the way to (or in) Roshan's pit: the Radiant
    /// for their kill; the Dire for theirs, with the Radiant mid and
    /// position 4 arriving as he falls to deny the Aegis.
    fn roshan_trip(&self, i: usize, clock: i64) -> bool {
        let near = |at: i64, before: i64, after: i64| (at - before..=at + after).contains(&clock);
        match Team::of(i) {
            Team::Radiant => {
                near(self.roshan_kill, 14, 4)
                    || ([1, 3].contains(&i) && near(self.dire_roshan, 6, 4))
            }
            Team::Dire => near(self.dire_roshan, 14, 2),
        }
    }
}

// ---------------------------------------------------------------------------
// Players

struct Hero {
    index: usize,
    def: &'static HeroDef,
    team: Team,
    role: usize,

    // player
    kills: i64,
    deaths: i64,
    assists: i64,
    last_hits: i64,
    denies: i64,
    kill_streak: i64,
    commands: i64,
    kill_list: [i64; 10],
    reliable: i64,
    unreliable: i64,
    from_hero_kills: i64,
    from_creep_kills: i64,
    from_income: i64,
    from_shared: i64,
    income_tenths: i64,
    hero_damage: i64,
    tower_damage: i64,
    wards_purchased: i64,
    wards_placed: i64,
    runes: i64,
    support_gold_spent: i64,
    consumable_gold_spent: i64,
    item_gold_spent: i64,
    gold_lost_to_death: i64,
    gold_spent_on_buybacks: i64,

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
    immune_left: i64,
    debuff_left: i64,
    smoked: bool,
    heal_left: i64,
    attributes_level: i64,
    ability_levels: [i64; 4],
    cooldowns: [i64; 4],
    /// Invoker only: the spells in `ability3` and `ability4` (indexes into
    /// `SPELLS`), their cooldowns, and when he next invokes in lane.
    invoked: [Option<usize>; 2],
    spell_cooldowns: [i64; SPELLS.len()],
    next_invoke: i64,

    // items
    inventory: [Option<Item>; 9],
    stash: [Option<Item>; 6],
    teleport: Option<Item>,
    next_buy: usize,
    delivery_at: Option<i64>,
    tp_at: Option<i64>,
    ward_place_at: Option<i64>,
}

impl Hero {
    fn new(index: usize, def: &'static HeroDef) -> Self {
        let team = Team::of(index);
        Self {
            index,
            def,
            team,
            role: index % 5,
            kills: 0,
            deaths: 0,
            assists: 0,
            last_hits: 0,
            denies: 0,
            kill_streak: 0,
            commands: 0,
            kill_list: [0; 10],
            reliable: 0,
            unreliable: STARTING_GOLD,
            from_hero_kills: 0,
            from_creep_kills: 0,
            from_income: 0,
            from_shared: 0,
            income_tenths: 0,
            hero_damage: 0,
            tower_damage: 0,
            wards_purchased: 0,
            wards_placed: 0,
            runes: 0,
            support_gold_spent: 0,
            consumable_gold_spent: 0,
            item_gold_spent: 0,
            gold_lost_to_death: 0,
            gold_spent_on_buybacks: 0,
            pos: team.fountain(),
            target: lane(index),
            retarget_at: 0,
            level: 1,
            xp: 0,
            alive: true,
            respawn_seconds: 0,
            buyback_cooldown: 0,
            health: def.health,
            mana: def.mana,
            stun_left: 0,
            silence_left: 0,
            immune_left: 0,
            debuff_left: 0,
            smoked: false,
            heal_left: 0,
            attributes_level: 0,
            // Invoke is level 1 from the start and takes no points.
            ability_levels: [0, 0, 0, i64::from(def.invoker)],
            cooldowns: [0; 4],
            invoked: [None; 2],
            spell_cooldowns: [0; SPELLS.len()],
            next_invoke: 8,
            inventory: [None; 9],
            stash: [None; 6],
            teleport: None,
            next_buy: 0,
            delivery_at: None,
            tp_at: None,
            ward_place_at: None,
        }
    }

    fn gold(&self) -> i64 {
        self.reliable + self.unreliable
    }

    fn max_health(&self) -> i64 {
        self.def.health + 70 * (self.level - 1) + 40 * self.attributes_level
    }

    fn max_mana(&self) -> i64 {
        self.def.mana + 30 * (self.level - 1) + 20 * self.attributes_level
    }

    fn items(&self) -> impl Iterator<Item = &Item> {
        self.inventory
            .iter()
            .chain(self.stash.iter())
            .flatten()
            .chain(self.teleport.iter())
    }

    fn net_worth(&self) -> i64 {
        self.gold() + self.items().map(|i| i.kind.worth()).sum::<i64>()
    }

    fn buyback_cost(&self) -> i64 {
        200 + self.net_worth() / 13
    }

    fn stunned(&self) -> bool {
        self.stun_left > 0
    }

    fn can_act(&self) -> bool {
        self.alive && !self.stunned()
    }

    fn has(&self, kind: ItemKind) -> bool {
        self.inventory.iter().flatten().any(|i| i.kind == kind)
    }

    fn item_mut(&mut self, kind: ItemKind) -> Option<&mut Item> {
        self.inventory.iter_mut().flatten().find(|i| i.kind == kind)
    }

    fn remove(&mut self, kind: ItemKind) {
        if let Some(slot) = self
            .inventory
            .iter_mut()
            .find(|s| s.is_some_and(|i| i.kind == kind))
        {
            *slot = None;
        }
    }

    /// Puts an item in the first free inventory slot (backpack last).
    fn give(&mut self, item: Item) -> bool {
        if let Some(component) = item.kind.upgrades() {
            if let Some(slot) = self
                .inventory
                .iter_mut()
                .find(|s| s.is_some_and(|i| i.kind == component))
            {
                *slot = Some(item);
                return true;
            }
        }
        match self.inventory.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(item);
                true
            }
            None => false,
        }
    }

    /// Pays for something: unreliable gold first.
    fn spend(&mut self, cost: i64) -> bool {
        if self.gold() < cost {
            return false;
        }
        let from_unreliable = cost.min(self.unreliable);
        self.unreliable -= from_unreliable;
        self.reliable -= cost - from_unreliable;
        true
    }

    /// Buys an item into the inventory (at the fountain) or the stash.
    fn buy(&mut self, kind: ItemKind, clock: i64) -> bool {
        let at_fountain = distance(self.pos, self.team.fountain()) < 1500;
        let free_stash = self.stash.iter().position(Option::is_none);
        let free_slot = self.inventory.iter().any(Option::is_none);
        if free_stash.is_none() && !(at_fountain && free_slot) {
            return false;
        }
        if !self.spend(kind.cost()) {
            return false;
        }
        match kind {
            ItemKind::WardObserver | ItemKind::WardSentry => {
                self.support_gold_spent += kind.cost();
            }
            k if k.consumable() => self.consumable_gold_spent += k.cost(),
            k => self.item_gold_spent += k.cost(),
        }
        let item = Item::new(kind);
        if at_fountain && self.give(item) {
            return true;
        }
        if let Some(slot) = free_stash.and_then(|i| self.stash.get_mut(i)) {
            *slot = Some(item);
            self.delivery_at.get_or_insert(clock + 18);
        }
        true
    }

    /// The courier brings the stash.
    fn deliver(&mut self) {
        for i in 0..self.stash.len() {
            if let Some(item) = self.stash[i] {
                if self.give(item) {
                    self.stash[i] = None;
                }
            }
        }
    }

    fn clamp_pools(&mut self) {
        self.health = self.health.clamp(0, self.max_health());
        self.mana = self.mana.clamp(0, self.max_mana());
        if self.alive && self.health == 0 {
            self.health = 1;
        }
    }

    /// Takes damage without dropping below `floor_pct` of max health.
    fn take_damage(&mut self, amount: i64, floor_pct: i64) {
        let floor = (self.max_health() * floor_pct / 100).min(self.health);
        self.health = (self.health - amount).max(floor);
    }

    fn skill(&mut self) {
        let level = self.level;
        if self.def.invoker {
            // Every point goes to an orb, evenly, up to level 7 each.
            self.point_to_lowest(((level + 1) / 2).min(7));
            return;
        }
        let ult_due = self.ability_levels[3] < level / 6;
        // Supports take an early point in attributes.
        if self.role >= 3 && level == 4 {
            self.attributes_level += 1;
            return;
        }
        if ult_due {
            self.ability_levels[3] += 1;
            return;
        }
        self.point_to_lowest(((level + 1) / 2).min(4));
    }

    /// A skill point to the lowest of the three basic abilities below `cap`,
    /// or to attributes when all are at it.
    fn point_to_lowest(&mut self, cap: i64) {
        let pick = (0..3)
            .filter(|&a| self.ability_levels[a] < cap)
            .min_by_key(|&a| (self.ability_levels[a], a));
        match pick {
            Some(a) => self.ability_levels[a] += 1,
            None => self.attributes_level += 1,
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
                    self.skill();
                    if self.alive {
                        self.health += self.max_health() - before.0;
                        self.mana += self.max_mana() - before.1;
                    }
                }
                _ => break,
            }
        }
        self.clamp_pools();
    }

    fn ability_ready(&self, a: usize) -> bool {
        let def = &self.def.abilities[a];
        self.can_act()
            && self.silence_left == 0
            && !def.passive
            && self.ability_levels[a] > 0
            && self.cooldowns[a] == 0
            && self.mana >= def.mana
    }

    /// Casts ability `a`; true when it went off.
    fn cast(&mut self, a: usize) -> bool {
        if !self.ability_ready(a) {
            return false;
        }
        let def = &self.def.abilities[a];
        self.mana -= def.mana;
        self.cooldowns[a] = def.cooldown;
        self.commands += 1;
        true
    }

    /// Invoker: whether his orbs make `spell` (each orb it needs has a level).
    fn spell_known(&self, spell: usize) -> bool {
        SPELLS.get(spell).is_some_and(|s| {
            s.orbs
                .iter()
                .zip(&self.ability_levels)
                .all(|(&need, &level)| need == 0 || level > 0)
        })
    }

    fn spell_ready(&self, spell: usize) -> bool {
        let mana = SPELLS.get(spell).map_or(i64::MAX, |s| s.mana);
        self.can_act()
            && self.silence_left == 0
            && self.spell_cooldowns.get(spell) == Some(&0)
            && self.mana >= mana
    }

    /// Invoke puts `spell` into `ability3`; the old one moves to `ability4`
    /// (a spell already in `ability4` swaps with it).
    fn invoke(&mut self, spell: usize) -> bool {
        if !self.def.invoker
            || !self.ability_ready(3)
            || self.invoked[0] == Some(spell)
            || !self.spell_known(spell)
        {
            return false;
        }
        self.invoked = [Some(spell), self.invoked[0]];
        self.cooldowns[3] = INVOKE_COOLDOWN;
        self.commands += 1;
        true
    }

    /// Casts an invoked spell; true when it went off.
    fn cast_spell(&mut self, spell: usize) -> bool {
        if !self.invoked.contains(&Some(spell)) || !self.spell_ready(spell) {
            return false;
        }
        let Some(s) = SPELLS.get(spell) else {
            return false;
        };
        self.mana -= s.mana;
        if let Some(cd) = self.spell_cooldowns.get_mut(spell) {
            *cd = s.cooldown;
        }
        self.commands += 1;
        true
    }

    /// Invoker's second in a fight: Cold Snap first, then what sits in his
    /// slots, invoking a fight spell when neither is ready.
    fn invoker_fight(&mut self, step: i64, rng: &mut Rng) {
        if step == 0 && !self.invoked.contains(&Some(COLD_SNAP)) && self.invoke(COLD_SNAP) {
            return;
        }
        for spell in self.invoked.into_iter().flatten() {
            if self.cast_spell(spell) {
                self.hero_damage += rng.range(80, 200) + 10 * self.level;
                return;
            }
        }
        let pick = FIGHT_SPELLS.into_iter().find(|&s| {
            !self.invoked.contains(&Some(s)) && self.spell_known(s) && self.spell_ready(s)
        });
        if let Some(spell) = pick {
            self.invoke(spell);
        }
    }

    /// Invoker in lane: a new spell every 18-35 s, now and then a harass.
    fn invoker_lane(&mut self, clock: i64, rng: &mut Rng) {
        if clock >= self.next_invoke {
            let candidates: Vec<usize> = (0..SPELLS.len())
                .filter(|&s| self.spell_known(s) && self.invoked[0] != Some(s))
                .collect();
            let pick = candidates.get(rng.index(candidates.len())).copied();
            if pick.is_some_and(|spell| self.invoke(spell)) {
                self.next_invoke = clock + rng.range(18, 35);
            }
        } else if rng.chance(1, 10) {
            let harass = self
                .invoked
                .into_iter()
                .flatten()
                .find(|&s| s != COLD_SNAP && self.spell_ready(s));
            if harass.is_some_and(|spell| self.cast_spell(spell)) {
                self.hero_damage += rng.range(40, 120);
            }
        }
    }

    fn add_stick_charge(&mut self) {
        if let Some(stick) = self.item_mut(ItemKind::MagicStick) {
            stick.charges = Some(stick.charges.unwrap_or(0).saturating_add(1).min(10));
        }
    }

    fn tick_timers(&mut self) {
        let dec = |x: &mut i64| *x = (*x - 1).max(0);
        self.cooldowns.iter_mut().for_each(dec);
        self.spell_cooldowns.iter_mut().for_each(dec);
        for item in self.inventory.iter_mut().flatten() {
            dec(&mut item.cooldown);
        }
        if let Some(tp) = self.teleport.as_mut() {
            dec(&mut tp.cooldown);
        }
        dec(&mut self.buyback_cooldown);
        dec(&mut self.stun_left);
        dec(&mut self.silence_left);
        dec(&mut self.immune_left);
        dec(&mut self.debuff_left);
    }

    fn revive(&mut self, clock: i64) {
        self.alive = true;
        self.respawn_seconds = 0;
        self.health = self.max_health();
        self.mana = self.max_mana();
        self.pos = self.team.fountain();
        self.retarget_at = clock;
        self.tp_at = Some(clock + 2);
    }

    fn move_toward(&mut self, target: (i64, i64), rng: &mut Rng) {
        if !self.can_act() {
            return;
        }
        let dist = distance(self.pos, target);
        let step = MOVE_SPEED + rng.range(-20, 20);
        if dist <= step {
            self.pos = target;
        } else {
            let f = step as f64 / dist as f64;
            self.pos.0 += ((target.0 - self.pos.0) as f64 * f) as i64;
            self.pos.1 += ((target.1 - self.pos.1) as f64 * f) as i64;
        }
    }

    fn regen(&mut self) {
        if !self.alive {
            return;
        }
        if distance(self.pos, self.team.fountain()) < 1500 {
            self.health += 80;
            self.mana += 40;
        } else {
            self.health += 2 + self.level / 3;
            self.mana += 1 + self.level / 3;
        }
        if self.heal_left > 0 {
            self.heal_left -= 1;
            self.health += 7;
        }
        self.clamp_pools();
    }

    fn gpm_xpm(&self, clock: i64) -> (i64, i64) {
        if clock < 0 {
            return (0, 0);
        }
        let earned =
            self.from_hero_kills + self.from_creep_kills + self.from_income + self.from_shared;
        let secs = clock.max(60);
        (earned * 60 / secs, self.xp * 60 / secs)
    }
}

// ---------------------------------------------------------------------------
// Body framing

struct Frame {
    state: GameState,
    clock: i64,
    game_time: i64,
    paused: bool,
    win: bool,
}

impl Frame {
    fn at(state: GameState, clock: i64) -> Self {
        Self {
            state,
            clock,
            game_time: clock + GAME_TIME_OFFSET,
            paused: false,
            win: false,
        }
    }
}

/// Which sections are filled.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    /// Hero selection with this many draft actions done.
    Draft(usize),
    /// The draft is over; heroes are picked but not in the map yet.
    Strategy,
    /// Heroes in the map: the full runtime sections.
    Live,
}

/// One action of the draft.
struct DraftAction {
    team: Team,
    pick: bool,
    hero: (&'static str, i64),
    /// For a pick: the player who gets the hero.
    player: Option<usize>,
    /// Seconds the captain took.
    think: i64,
}

// ---------------------------------------------------------------------------
// The simulation

struct Sim {
    rng: Rng,
    /// Invoker's spell choices: a generator of their own.
    invoker_rng: Rng,
    plan: Plan,
    draft: Vec<DraftAction>,
    heroes: Vec<Hero>,
    /// Ward shop cooldowns, Radiant then Dire.
    ward_cooldown: [i64; 2],
    /// Seconds each side's ward shop has been ready.
    ward_ready_for: [i64; 2],
    buildings: [Vec<Building>; 2],
    roshan_health: i64,
    events: EventLog,
    /// The hero the observer follows, and until when.
    camera: usize,
    camera_until: i64,
    /// The Aegis holder and when it expires.
    aegis: Option<(usize, i64)>,
    clock: i64,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let (heroes, draft) = draft(&mut rng);
        let plan = Plan::new(&mut rng);
        let sides = [Team::Radiant, Team::Dire].map(|team| {
            BUILDINGS
                .iter()
                .map(|(short, max)| Building {
                    key: building_key(team, short),
                    health: *max,
                    max_health: *max,
                })
                .collect::<Vec<_>>()
        });
        Self {
            rng,
            invoker_rng: Rng(seed ^ INVOKER_SALT),
            plan,
            draft,
            heroes,
            ward_cooldown: [0; 2],
            ward_ready_for: [0; 2],
            buildings: sides,
            roshan_health: roshan_max_health(0),
            events: EventLog::repeating(),
            camera: 1,
            camera_until: 0,
            aegis: None,
            clock: PREGAME_FROM,
        }
    }

    fn hero(&mut self, index: usize) -> Option<&mut Hero> {
        self.heroes.get_mut(index)
    }

    fn game_time(&self) -> i64 {
        self.clock + GAME_TIME_OFFSET
    }

    fn score(&self, team: Team) -> i64 {
        self.heroes
            .iter()
            .filter(|h| h.team == team)
            .map(|h| h.kills)
            .sum()
    }

    // --- pre-game -------------------------------------------------------------

    fn pregame_second(&mut self, clock: i64) {
        self.clock = clock;
        if clock == PREGAME_FROM {
            for h in &mut self.heroes {
                h.teleport = Some(Item::new(ItemKind::TpScroll));
                let (start, _) = build(h.role);
                for &kind in start {
                    h.buy(kind, clock);
                }
                h.commands += 6;
            }
            // The supports' first observer wards start the shop's restock.
            for team in [Team::Radiant, Team::Dire] {
                self.ward_cooldown[team.slot()] = WARD_RESTOCK;
                for i in team.players() {
                    if self.heroes[i].has(ItemKind::WardObserver) {
                        self.heroes[i].wards_purchased += 1;
                        self.heroes[i].ward_place_at = Some(4 + self.rng.range(0, 20));
                    }
                }
            }
        }
        for h in &mut self.heroes {
            h.tick_timers();
        }
        self.ward_tick();
        if clock == PREGAME_FROM + 6 {
            for h in &mut self.heroes {
                h.skill();
                h.commands += 1;
            }
        }
        if clock >= PREGAME_FROM + 4 {
            for i in 0..self.heroes.len() {
                let target = lane(i);
                let Sim { heroes, rng, .. } = self;
                heroes[i].move_toward(target, rng);
                heroes[i].commands += rng.range(0, 3);
            }
        }
        self.camera_second(clock);
    }

    // --- the game -------------------------------------------------------------

    fn game_second(&mut self, clock: i64) {
        self.clock = clock;
        for h in &mut self.heroes {
            h.tick_timers();
            h.income_tenths += 16;
            let gold = h.income_tenths / 10;
            h.unreliable += gold;
            h.from_income += gold;
            h.income_tenths %= 10;
        }
        self.ward_tick();
        self.dead_second(clock);
        self.runes(clock);
        self.courier_and_tip(clock);
        self.roshan_second(clock);
        self.fight_second(clock);
        self.invoker_second(clock);
        self.sieges(clock);
        for i in 0..self.heroes.len() {
            self.hero_second(i, clock);
        }
        for h in &mut self.heroes {
            h.level_ups();
        }
        self.aegis_expiry(clock);
        self.camera_second(clock);
    }

    fn ward_tick(&mut self) {
        for (cd, ready) in self.ward_cooldown.iter_mut().zip(&mut self.ward_ready_for) {
            *ready = if *cd == 0 { *ready + 1 } else { 0 };
            *cd = (*cd - 1).max(0);
        }
    }

    fn dead_second(&mut self, clock: i64) {
        let (buyer, buy_at) = self.plan.buyback;
        let game_time = self.game_time();
        for h in &mut self.heroes {
            if h.alive {
                continue;
            }
            let cost = h.buyback_cost();
            if h.index == buyer && clock >= buy_at && h.buyback_cooldown == 0 {
                let from_reliable = cost.min(h.reliable);
                if h.gold() >= cost {
                    h.reliable -= from_reliable;
                    h.unreliable -= cost - from_reliable;
                    h.gold_spent_on_buybacks += cost;
                    h.buyback_cooldown = BUYBACK_COOLDOWN;
                    h.revive(clock);
                    self.events.push(
                        game_time,
                        "generic_event",
                        vec![(
                            "data",
                            kill_feed("CHAT_MESSAGE_BUYBACK", cost, &[h.index as i64], clock),
                        )],
                    );
                    continue;
                }
            }
            h.respawn_seconds -= 1;
            if h.respawn_seconds <= 0 {
                h.revive(clock);
            }
        }
    }

    /// Bounty runes: one pickup per side, the team sharing the gold.
    fn runes(&mut self, clock: i64) {
        if !self.plan.runes.contains(&clock) {
            return;
        }
        let value = 40 + 2 * (clock / 60);
        let game_time = self.game_time();
        for team in [Team::Radiant, Team::Dire] {
            let alive: Vec<usize> = team.players().filter(|&i| self.heroes[i].alive).collect();
            let picker = if self.heroes[team.players().start + 4].alive {
                team.players().start + 4
            } else {
                alive
                    .get(self.rng.index(alive.len()))
                    .copied()
                    .unwrap_or(team.players().start)
            };
            for i in team.players() {
                self.heroes[i].unreliable += value;
                self.heroes[i].from_shared += value;
            }
            self.heroes[picker].runes += 1;
            self.events.push(
                game_time,
                "bounty_rune_pickup",
                vec![
                    ("player_id", json!(picker)),
                    ("team", json!(team.name())),
                    ("bounty_value", json!(value)),
                    ("team_gold", json!(value * 5)),
                ],
            );
        }
    }

    fn courier_and_tip(&mut self, clock: i64) {
        let game_time = self.game_time();
        if clock == self.plan.courier {
            let killer = if self.heroes[1].alive {
                1
            } else {
                first_alive(&self.heroes, Team::Radiant).unwrap_or(1)
            };
            let owner = 8 + self.rng.range(0, 1) as usize;
            self.heroes[killer].reliable += 100;
            self.heroes[killer].from_shared += 100;
            self.events.push(
                game_time,
                "courier_killed",
                vec![
                    ("courier_team", json!("dire")),
                    ("killer_player_id", json!(killer)),
                    ("owning_player_id", json!(owner)),
                ],
            );
        }
        if clock == self.plan.tip {
            // The first-blood killer tips the victim.
            let first = self
                .plan
                .fights
                .first()
                .and_then(|f| f.kills.first())
                .copied();
            if let Some(k) = first {
                self.events.push(
                    game_time,
                    "tip",
                    vec![
                        ("sender_player_id", json!(k.killer)),
                        ("receiver_player_id", json!(k.victim)),
                        ("tip_amount", json!(50)),
                    ],
                );
            }
        }
        if clock == self.plan.smoke_buy {
            let at = self.plan.smoke_buy;
            if let Some(h) = self.hero(9) {
                h.buy(ItemKind::SmokeOfDeceit, at);
            }
        }
        if clock == self.plan.smoke_use {
            if let Some(h) = self.hero(9) {
                h.deliver();
                if h.has(ItemKind::SmokeOfDeceit) && h.alive {
                    h.remove(ItemKind::SmokeOfDeceit);
                    for i in [6, 9] {
                        if let Some(g) = self.hero(i) {
                            g.smoked = g.alive;
                        }
                    }
                }
            }
        }
    }

    fn roshan_second(&mut self, clock: i64) {
        if clock == self.plan.roshan_spawn {
            self.roshan_health = roshan_max_health(clock);
        }
        let game_time = self.game_time();
        for (kill, team) in [
            (self.plan.roshan_kill, Team::Radiant),
            (self.plan.dire_roshan, Team::Dire),
        ] {
            if (kill - 12..kill).contains(&clock) {
                let max = roshan_max_health(clock);
                self.roshan_health = (self.roshan_health - max / 12).max(max / 20);
                // Roshan hits back at whoever of the team is in the pit.
                for i in team.players() {
                    let Sim { heroes, rng, .. } = self;
                    let h = &mut heroes[i];
                    if h.alive && distance(h.pos, ROSHAN_PIT) < 1200 {
                        let dmg = rng.range(15, 45);
                        h.take_damage(dmg, 40);
                    }
                }
            }
            if clock == kill {
                self.roshan_health = 0;
                // The last hit: the offlaner if in the pit, else whoever is.
                let start = team.players().start;
                let order = [2, 0, 1, 3, 4].map(|n| start + n);
                let killer = self.in_pit_first(&order).unwrap_or(start + 2);
                for i in team.players() {
                    let h = &mut self.heroes[i];
                    h.reliable += 135;
                    h.from_shared += 135;
                    h.xp += 200;
                }
                self.events.push(
                    game_time,
                    "roshan_killed",
                    vec![
                        ("killed_by_team", json!(team.name())),
                        ("killer_player_id", json!(killer)),
                    ],
                );
            }
        }
        if clock == self.plan.aegis {
            let picker = [0, 2, 1, 3, 4]
                .into_iter()
                .find(|&i| self.heroes[i].alive)
                .unwrap_or(0);
            let h = &mut self.heroes[picker];
            if h.give(Item::new(ItemKind::Aegis)) {
                self.aegis = Some((picker, clock + AEGIS_SECS));
            }
            self.events.push(
                game_time,
                "aegis_picked_up",
                vec![("player_id", json!(picker)), ("snatched", json!(false))],
            );
        }
        if clock == self.plan.aegis_deny {
            // The Radiant arrive as Roshan falls: one of them denies the Aegis.
            let denier = self.in_pit_first(&[1, 3, 0, 2, 4]).unwrap_or(1);
            self.events.push(
                game_time,
                "aegis_denied",
                vec![("player_id", json!(denier))],
            );
        }
    }

    /// The first of `order` alive in Roshan's pit, else the first alive.
    fn in_pit_first(&self, order: &[usize]) -> Option<usize> {
        let alive = |i: usize| self.heroes.get(i).is_some_and(|h| h.alive);
        let in_pit = |i: usize| alive(i) && distance(self.heroes[i].pos, ROSHAN_PIT) < 1200;
        order
            .iter()
            .copied()
            .find(|&i| in_pit(i))
            .or_else(|| order.iter().copied().find(|&i| alive(i)))
    }

    fn aegis_expiry(&mut self, clock: i64) {
        if let Some((holder, until)) = self.aegis {
            if clock >= until {
                if let Some(h) = self.hero(holder) {
                    h.remove(ItemKind::Aegis);
                }
                self.aegis = None;
            }
        }
    }

    fn aegis_holder(&self) -> Option<usize> {
        self.aegis.map(|(h, _)| h)
    }

    /// Moves, casts, stuns, item use and the scripted kills of a fight.
    fn fight_second(&mut self, clock: i64) {
        let Some(fight) = self.plan.fight_at(clock) else {
            return;
        };
        let (start, place, members) = (fight.start, fight.place, fight.members.clone());
        let kills: Vec<KillPlan> = fight
            .kills
            .iter()
            .filter(|k| k.at == clock)
            .copied()
            .collect();
        let upcoming: Vec<KillPlan> = fight
            .kills
            .iter()
            .filter(|k| k.at == clock + 1)
            .copied()
            .collect();

        for &i in &members {
            let Sim { heroes, rng, .. } = self;
            let h = &mut heroes[i];
            if !h.alive {
                continue;
            }
            h.target = (
                place.0 + rng.range(-300, 300),
                place.1 + rng.range(-300, 300),
            );
            h.retarget_at = clock + 3;
            if clock < start {
                continue;
            }
            // Reveal: a smoked hero is seen once the fight starts.
            h.smoked = false;
            let dmg = rng.range(40, 120) + 8 * h.level;
            h.take_damage(dmg, 15);
            h.hero_damage += rng.range(60, 160) + 10 * h.level;
            h.xp += rng.range(4, 10);
            if clock == start {
                for kind in [
                    ItemKind::Blink,
                    ItemKind::BlackKingBar,
                    ItemKind::BladeMail,
                    ItemKind::GlimmerCape,
                    ItemKind::PhaseBoots,
                ] {
                    let cd = match kind {
                        ItemKind::Blink => 15,
                        ItemKind::BlackKingBar => 70,
                        ItemKind::BladeMail => 25,
                        ItemKind::GlimmerCape => 14,
                        _ => 8,
                    };
                    let can = h.can_act();
                    if let Some(item) = h.item_mut(kind).filter(|it| it.cooldown == 0 && can) {
                        item.cooldown = cd;
                        if kind == ItemKind::BlackKingBar {
                            h.immune_left = 6;
                        }
                    }
                }
            }
            // Invoker's spells are his own routine (`invoker_second`).
            if rng.chance(1, 2) && !h.def.invoker {
                let order = [3, 0, 1, 2];
                if let Some(a) = order.into_iter().find(|&a| h.ability_ready(a)) {
                    h.cast(a);
                }
            }
            if rng.chance(1, 2) {
                h.add_stick_charge();
            }
            if h.health * 100 < h.max_health() * 40 {
                let mut restored = 0;
                if let Some(stick) = h.item_mut(ItemKind::MagicStick) {
                    let charges = stick.charges.unwrap_or(0);
                    if stick.cooldown == 0 && charges > 0 {
                        restored = 15 * charges;
                        stick.charges = Some(0);
                        stick.cooldown = 13;
                    }
                }
                h.health += restored;
                h.mana += restored;
                h.clamp_pools();
            }
            if clock == start + 1 {
                h.debuff_left = 2;
            }
        }
        // Whoever dies next second is stunned first.
        for k in upcoming {
            if let Some(h) = self.hero(k.victim) {
                if h.alive && h.immune_left == 0 {
                    h.stun_left = 2;
                    h.silence_left = 1;
                }
            }
        }
        for k in kills {
            self.scripted_kill(k, &members, clock);
        }
    }

    /// Invoker's spells: cast and invoked in his fights, invoked in lane.
    fn invoker_second(&mut self, clock: i64) {
        for i in 0..self.heroes.len() {
            if !self.heroes[i].def.invoker {
                continue;
            }
            let fighting = self
                .plan
                .fight_at(clock)
                .filter(|f| f.members.contains(&i) && clock >= f.start)
                .map(|f| f.start);
            let Sim {
                heroes,
                invoker_rng,
                ..
            } = self;
            let h = &mut heroes[i];
            match fighting {
                Some(start) => h.invoker_fight(clock - start, invoker_rng),
                None if clock >= 0 => h.invoker_lane(clock, invoker_rng),
                None => {}
            }
        }
    }

    /// A scripted kill, with substitutes for a dead killer or an unkillable victim.
    fn scripted_kill(&mut self, plan: KillPlan, members: &[usize], clock: i64) {
        let team = Team::of(plan.killer);
        let holder = self.aegis_holder();
        let alive = |s: &Self, i: usize| s.heroes.get(i).is_some_and(|h| h.alive);
        let killer = if alive(self, plan.killer) {
            Some(plan.killer)
        } else {
            members
                .iter()
                .copied()
                .find(|&i| Team::of(i) == team && alive(self, i))
        };
        let victim_ok = |s: &Self, i: usize| alive(s, i) && Some(i) != holder;
        let victim = if victim_ok(self, plan.victim) {
            Some(plan.victim)
        } else {
            members
                .iter()
                .copied()
                .find(|&i| Team::of(i) == team.other() && victim_ok(self, i))
        };
        if let (Some(killer), Some(victim)) = (killer, victim) {
            let assisters: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| i != killer && Team::of(i) == team && alive(self, i))
                .collect();
            self.kill(killer, victim, &assisters, clock);
        }
    }

    /// One kill: the killer's kill, the victim's death, the helpers' assists.
    fn kill(&mut self, killer: usize, victim: usize, assisters: &[usize], clock: i64) {
        let game_time = self.game_time();
        let (victim_level, victim_streak) = {
            let v = &mut self.heroes[victim];
            let loss = (50 + v.net_worth() / 40).min(v.unreliable);
            v.unreliable -= loss;
            v.gold_lost_to_death += loss;
            v.alive = false;
            v.health = 0;
            v.deaths += 1;
            let streak = v.kill_streak;
            v.kill_streak = 0;
            v.respawn_seconds = 4 + 2 * v.level;
            v.stun_left = 0;
            v.silence_left = 0;
            v.immune_left = 0;
            v.debuff_left = 0;
            v.smoked = false;
            v.heal_left = 0;
            v.tp_at = None;
            (v.level, streak)
        };
        let bounty = 110 + 8 * victim_level + 60 * (victim_streak - 2).max(0);
        {
            let k = &mut self.heroes[killer];
            k.kills += 1;
            k.kill_streak += 1;
            k.kill_list[victim] += 1;
            k.reliable += bounty;
            k.from_hero_kills += bounty;
            k.xp += 100 + 30 * victim_level;
        }
        for &a in assisters {
            let h = &mut self.heroes[a];
            let gold = 40 + 6 * victim_level;
            h.assists += 1;
            h.reliable += gold;
            h.from_shared += gold;
            h.xp += 60 + 15 * victim_level;
        }
        let ids = [victim as i64, killer as i64];
        let data = kill_feed("CHAT_MESSAGE_HERO_KILL", bounty, &ids, clock);
        self.events
            .push(game_time, "generic_event", vec![("data", data)]);
        self.camera = killer;
        self.camera_until = clock + 12;
    }

    fn sieges(&mut self, clock: i64) {
        for s in 0..self.plan.sieges.len() {
            let (team, short, from, to, destroy, floor_pct) = {
                let g = &self.plan.sieges[s];
                (g.team, g.short, g.from, g.to, g.destroy, g.floor_pct)
            };
            if clock < from || clock > to {
                continue;
            }
            let key = building_key(team, short);
            let side = &mut self.buildings[team.slot()];
            let Some(pos) = side.iter().position(|b| b.key == key) else {
                continue;
            };
            let dealt = if destroy && clock == to {
                let hp = side[pos].health;
                side.remove(pos);
                hp
            } else {
                let b = &mut side[pos];
                let hit = if destroy {
                    // Even out the rest over the time left, so it falls at `to`.
                    let left = (to - clock + 1).max(1);
                    (b.health / left + self.rng.range(-15, 15)).clamp(1, (b.health - 1).max(1))
                } else if self.rng.chance(1, 3) {
                    self.rng.range(10, 45)
                } else {
                    0
                };
                let floor = if destroy {
                    1
                } else {
                    b.max_health * floor_pct / 100
                };
                let before = b.health;
                b.health = (b.health - hit).max(floor).min(before);
                before - b.health
            };
            // The attackers share the damage (and the tower's gold when it falls).
            let attackers: Vec<usize> = team
                .other()
                .players()
                .filter(|&i| self.heroes[i].alive)
                .collect();
            if let Some(&first) = attackers.first() {
                let n = attackers.len() as i64;
                for &i in &attackers {
                    self.heroes[i].tower_damage += dealt / n;
                }
                self.heroes[first].tower_damage += dealt % n;
                if destroy && clock == to {
                    for &i in &attackers {
                        self.heroes[i].reliable += 90;
                        self.heroes[i].from_shared += 90;
                    }
                }
            }
        }
    }

    /// One hero's second outside the scripted beats: lane, shopping, items.
    fn hero_second(&mut self, i: usize, clock: i64) {
        let in_fight = self
            .plan
            .fight_at(clock)
            .is_some_and(|f| f.members.contains(&i));
        let roshan_trip = self.plan.roshan_trip(i, clock);
        let reserve = if i == self.plan.buyback.0 && clock >= 200 {
            800
        } else {
            0
        };
        let Sim {
            heroes,
            rng,
            ward_cooldown,
            ward_ready_for,
            ..
        } = self;
        let Some(h) = heroes.get_mut(i) else {
            return;
        };
        h.regen();
        if !h.alive {
            h.commands += rng.range(0, 1);
            return;
        }
        h.commands += rng.range(1, 4);

        // A Town Portal back to the lane after respawning.
        if h.tp_at == Some(clock) {
            h.tp_at = None;
            let ready = h.teleport.is_some_and(|tp| tp.cooldown == 0);
            if ready && h.spend(ItemKind::TpScroll.cost()) {
                h.consumable_gold_spent += ItemKind::TpScroll.cost();
                h.teleport = Some(Item {
                    kind: ItemKind::TpScroll,
                    cooldown: 80,
                    charges: Some(1),
                });
                let l = lane(i);
                h.pos = (l.0 + rng.range(-400, 400), l.1 + rng.range(-400, 400));
            }
        }

        if !in_fight {
            if roshan_trip {
                h.target = ROSHAN_PIT;
            } else if clock >= h.retarget_at {
                let l = lane(i);
                h.target = (l.0 + rng.range(-450, 450), l.1 + rng.range(-450, 450));
                h.retarget_at = clock + rng.range(3, 8);
            }
        }
        let target = h.target;
        h.move_toward(target, rng);

        let laning = !in_fight && !roshan_trip && distance(h.pos, lane(i)) < 1800 && clock >= 15;
        if laning {
            let (xp, lh_den) = match h.role {
                0 => ((7, 11), 7),
                1 => ((9, 13), 7),
                2 => ((7, 11), 10),
                _ => ((4, 8), 18),
            };
            h.xp += rng.range(xp.0, xp.1);
            if rng.chance(1, lh_den) {
                let bounty = rng.range(36, 44);
                h.last_hits += 1;
                h.unreliable += bounty;
                h.from_creep_kills += bounty;
            } else if rng.chance(1, 40) {
                h.denies += 1;
            }
            if rng.chance(1, 4) {
                let dmg = rng.range(10, 50);
                h.take_damage(dmg, 35);
            }
            if rng.chance(1, 8) {
                h.add_stick_charge();
            }
            if matches!(h.role, 1 | 2) && rng.chance(1, 12) && !h.def.invoker && h.cast(0) {
                h.hero_damage += rng.range(40, 120);
            }
        }

        // Consumables.
        if h.health * 100 < h.max_health() * 70 && h.heal_left == 0 {
            if let Some(t) = h.item_mut(ItemKind::Tango) {
                let left = t.charges.unwrap_or(0) - 1;
                t.charges = Some(left.max(0));
                h.heal_left = 16;
                if left <= 0 {
                    h.remove(ItemKind::Tango);
                }
            }
        }
        if h.mana * 100 < h.max_mana() * 40 && h.has(ItemKind::Clarity) {
            h.remove(ItemKind::Clarity);
            h.mana += 100;
        }
        if h.mana * 100 < h.max_mana() * 60 {
            let mut used = false;
            if let Some(boots) = h.item_mut(ItemKind::ArcaneBoots) {
                if boots.cooldown == 0 {
                    boots.cooldown = 55;
                    used = true;
                }
            }
            if used {
                h.mana += 175;
            }
        }
        if h.ward_place_at.is_some_and(|t| clock >= t) {
            for kind in [ItemKind::WardObserver, ItemKind::WardSentry] {
                if h.has(kind) {
                    h.remove(kind);
                    h.wards_placed += 1;
                }
            }
            h.ward_place_at = None;
        }
        h.clamp_pools();

        // Shopping.
        if h.delivery_at.is_some_and(|t| clock >= t) {
            h.delivery_at = None;
            h.deliver();
        }
        let (_, next) = build(h.role);
        if let Some(&kind) = next.get(h.next_buy) {
            if h.gold() >= kind.cost() + reserve && h.buy(kind, clock) {
                h.next_buy += 1;
            }
        }
        let slot = h.team.slot();
        // The support restocks a few seconds after the shop has a ward again.
        let wants_ward = h.role == 4
            && ward_cooldown[slot] == 0
            && ward_ready_for[slot] >= 6
            && !h.has(ItemKind::WardObserver)
            && h.stash
                .iter()
                .flatten()
                .all(|s| s.kind != ItemKind::WardObserver);
        if wants_ward && h.buy(ItemKind::WardObserver, clock) {
            ward_cooldown[slot] = WARD_RESTOCK;
            h.wards_purchased += 1;
            h.ward_place_at = Some(clock + 30);
        }
        h.clamp_pools();
    }

    /// The observer's camera: the latest killer for a while, otherwise a new
    /// hero every 40 s.
    fn camera_second(&mut self, clock: i64) {
        if clock < self.camera_until {
            return;
        }
        let alive: Vec<usize> = (0..self.heroes.len())
            .filter(|&i| self.heroes[i].alive)
            .collect();
        if let Some(&i) = alive.get(self.rng.index(alive.len())) {
            self.camera = i;
        }
        self.camera_until = clock + 40;
    }

    // --- JSON -----------------------------------------------------------------

    fn body(&self, frame: &Frame, stage: Stage, ts: u64) -> Value {
        let live = stage == Stage::Live;
        let mut player = Map::new();
        let mut hero = Map::new();
        let mut abilities = Map::new();
        let mut items = Map::new();
        for team in [Team::Radiant, Team::Dire] {
            let (mut p, mut h, mut a, mut it) = (Map::new(), Map::new(), Map::new(), Map::new());
            for i in team.players() {
                let key = format!("player{i}");
                let Some(x) = self.heroes.get(i) else {
                    continue;
                };
                p.insert(key.clone(), self.player_json(x, frame, live));
                h.insert(key.clone(), self.hero_json(x, stage));
                a.insert(
                    key.clone(),
                    if live { abilities_json(x) } else { json!({}) },
                );
                it.insert(key, if live { items_json(x) } else { json!({}) });
            }
            player.insert(team.key().into(), Value::Object(p));
            hero.insert(team.key().into(), Value::Object(h));
            abilities.insert(team.key().into(), Value::Object(a));
            items.insert(team.key().into(), Value::Object(it));
        }
        let buildings = if matches!(stage, Stage::Draft(_)) {
            json!({"radiant": {}, "dire": {}})
        } else {
            let side = |team: Team| {
                let mut m = Map::new();
                for b in &self.buildings[team.slot()] {
                    m.insert(
                        b.key.clone(),
                        json!({"health": b.health, "max_health": b.max_health}),
                    );
                }
                Value::Object(m)
            };
            json!({"radiant": side(Team::Radiant), "dire": side(Team::Dire)})
        };
        let done = match stage {
            Stage::Draft(n) => n,
            _ => self.draft.len(),
        };
        obj([
            ("provider", provider(ts)),
            ("map", self.map_json(frame, live)),
            ("player", Value::Object(player)),
            ("hero", Value::Object(hero)),
            ("abilities", Value::Object(abilities)),
            ("items", Value::Object(items)),
            ("buildings", buildings),
            ("draft", self.draft_json(done)),
            ("events", self.events.window(frame.game_time)),
            ("roshan", self.roshan_json(frame, live)),
            ("auth", json!({"token": AUTH_TOKEN})),
        ])
    }

    fn roshan_state(&self, clock: i64) -> (&'static str, i64) {
        // The latest death so far decides.
        let last = self
            .plan
            .roshans()
            .into_iter()
            .rev()
            .find(|&(kill, _)| kill <= clock);
        let Some((kill, spawn)) = last else {
            return ("alive", 0);
        };
        let base_end = kill + ROSHAN_BASE;
        if clock >= spawn {
            ("alive", 0)
        } else if clock < base_end {
            ("respawn_base", base_end - clock)
        } else {
            ("respawn_variable", base_end + ROSHAN_VARIABLE - clock)
        }
    }

    fn map_json(&self, f: &Frame, live: bool) -> Value {
        let in_game = matches!(f.state, GameState::InProgress | GameState::PostGame);
        let daytime = in_game && (f.clock / DAY_LENGTH) % 2 == 0;
        let (roshan, roshan_end) = self.roshan_state(f.clock);
        obj([
            ("name", json!("start")),
            ("matchid", json!(MATCH_ID)),
            ("game_time", json!(f.game_time)),
            ("clock_time", json!(f.clock)),
            ("daytime", json!(daytime)),
            ("nightstalker_night", json!(false)),
            ("radiant_score", json!(self.score(Team::Radiant))),
            ("dire_score", json!(self.score(Team::Dire))),
            ("game_state", json!(f.state.as_str())),
            ("paused", json!(f.paused)),
            ("win_team", json!(if f.win { "radiant" } else { "none" })),
            ("customgamename", json!("")),
            (
                "radiant_ward_purchase_cooldown",
                json!(self.ward_cooldown[0]),
            ),
            ("dire_ward_purchase_cooldown", json!(self.ward_cooldown[1])),
            ("roshan_state", json!(roshan)),
            ("roshan_state_end_seconds", json!(roshan_end)),
            (
                "radiant_win_chance",
                json!(if live { self.win_chance(f) } else { 0 }),
            ),
        ])
    }

    /// Radiant's chance from net worth, kills and buildings, 2-98 until the end.
    fn win_chance(&self, f: &Frame) -> i64 {
        if f.win {
            return 100;
        }
        let worth = |t: Team| -> i64 { t.players().map(|i| self.heroes[i].net_worth()).sum() };
        let standing = |t: Team| self.buildings[t.slot()].len() as i64;
        let edge = (worth(Team::Radiant) - worth(Team::Dire)) / 150
            + 2 * (self.score(Team::Radiant) - self.score(Team::Dire))
            + 3 * (standing(Team::Radiant) - standing(Team::Dire));
        (50 + edge).clamp(2, 98)
    }

    fn player_json(&self, h: &Hero, f: &Frame, live: bool) -> Value {
        let mut kill_list = Map::new();
        for (victim, &count) in h.kill_list.iter().enumerate() {
            if count > 0 {
                kill_list.insert(format!("victimid_{victim}"), json!(count));
            }
        }
        let in_game = matches!(f.state, GameState::InProgress | GameState::PostGame);
        let (gpm, xpm) = if in_game { h.gpm_xpm(f.clock) } else { (0, 0) };
        let net_worth = if live { h.net_worth() } else { 0 };
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_owned(), v);
        };
        put(
            "steamid",
            json!(format!("7656119800001{:04}", 1000 + h.index)),
        );
        put("accountid", json!(format!("{}", 39_800_000 + h.index)));
        put("name", json!(NAMES[h.index]));
        put("activity", json!("playing"));
        put("kills", json!(h.kills));
        put("deaths", json!(h.deaths));
        put("assists", json!(h.assists));
        put("last_hits", json!(h.last_hits));
        put("denies", json!(h.denies));
        put("kill_streak", json!(h.kill_streak));
        put("commands_issued", json!(h.commands));
        put("kill_list", Value::Object(kill_list));
        put("team_name", json!(h.team.name()));
        put("player_slot", json!(LOBBY_SLOTS[h.index]));
        put("team_slot", json!(h.index % 5));
        put("gold", json!(h.gold()));
        put("gold_reliable", json!(h.reliable));
        put("gold_unreliable", json!(h.unreliable));
        put("gold_from_hero_kills", json!(h.from_hero_kills));
        put("gold_from_creep_kills", json!(h.from_creep_kills));
        put("gold_from_income", json!(h.from_income));
        put("gold_from_shared", json!(h.from_shared));
        put("gpm", json!(gpm));
        put("xpm", json!(xpm));
        put("net_worth", json!(net_worth));
        put("hero_damage", json!(h.hero_damage));
        put("hero_healing", json!(0));
        put("tower_damage", json!(h.tower_damage));
        put("wards_purchased", json!(h.wards_purchased));
        put("wards_placed", json!(h.wards_placed));
        put("wards_destroyed", json!(0));
        put("runes_activated", json!(h.runes));
        put("water_runes_activated", json!(0));
        put("bounty_runes_activated", json!(h.runes));
        put("camps_stacked", json!(0));
        put("support_gold_spent", json!(h.support_gold_spent));
        put("consumable_gold_spent", json!(h.consumable_gold_spent));
        put("item_gold_spent", json!(h.item_gold_spent));
        put("gold_lost_to_death", json!(h.gold_lost_to_death));
        put("gold_spent_on_buybacks", json!(h.gold_spent_on_buybacks));
        Value::Object(map)
    }

    fn hero_json(&self, h: &Hero, stage: Stage) -> Value {
        let picked = match stage {
            Stage::Draft(done) => self
                .draft
                .iter()
                .take(done)
                .any(|a| a.player == Some(h.index)),
            _ => true,
        };
        let name = format!("npc_dota_hero_{}", h.def.class);
        if !picked {
            return json!({"id": 0});
        }
        if stage != Stage::Live {
            return json!({"id": h.def.id, "name": name});
        }
        let max_health = h.max_health();
        let max_mana = h.max_mana();
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_owned(), v);
        };
        put("facet", json!(1));
        put("xpos", json!(h.pos.0));
        put("ypos", json!(h.pos.1));
        put("id", json!(h.def.id));
        put("name", json!(name));
        put("level", json!(h.level));
        put("xp", json!(h.xp));
        put("alive", json!(h.alive));
        put("respawn_seconds", json!(h.respawn_seconds));
        put("buyback_cost", json!(h.buyback_cost()));
        put("buyback_cooldown", json!(h.buyback_cooldown));
        put("health", json!(h.health));
        put("max_health", json!(max_health));
        put("health_percent", json!(percent(h.health, max_health)));
        put("mana", json!(h.mana));
        put("max_mana", json!(max_mana));
        put("mana_percent", json!(percent(h.mana, max_mana)));
        put("silenced", json!(h.alive && h.silence_left > 0));
        put("stunned", json!(h.alive && h.stunned()));
        put("disarmed", json!(false));
        put("magicimmune", json!(h.alive && h.immune_left > 0));
        put("hexed", json!(false));
        put("muted", json!(false));
        put("break", json!(false));
        put("aghanims_scepter", json!(false));
        put("aghanims_shard", json!(false));
        put("smoked", json!(h.alive && h.smoked));
        let debuffed = h.stunned() || h.silence_left > 0 || h.debuff_left > 0;
        put("has_debuff", json!(h.alive && debuffed));
        put("selected_unit", json!(h.index == self.camera));
        for n in 1..=8 {
            put(&format!("talent_{n}"), json!(false));
        }
        put("attributes_level", json!(h.attributes_level));
        Value::Object(map)
    }

    fn draft_json(&self, done: usize) -> Value {
        let mut sides = [Map::new(), Map::new()];
        for team in [Team::Radiant, Team::Dire] {
            let side = &mut sides[team.slot()];
            side.insert("home_team".into(), json!(team == Team::Radiant));
            let mine = |pick: bool| {
                self.draft
                    .iter()
                    .take(done)
                    .filter(move |a| a.team == team && a.pick == pick)
                    .map(|a| a.hero)
                    .collect::<Vec<_>>()
            };
            let (picks, bans) = (mine(true), mine(false));
            for n in 0..5 {
                let (class, id) = picks.get(n).copied().unwrap_or(("", 0));
                side.insert(format!("pick{n}_id"), json!(id));
                side.insert(format!("pick{n}_class"), json!(class));
            }
            for n in 0..7 {
                let (class, id) = bans.get(n).copied().unwrap_or(("", 0));
                side.insert(format!("ban{n}_id"), json!(id));
                side.insert(format!("ban{n}_class"), json!(class));
            }
        }
        let pending = self.draft.get(done);
        let [radiant, dire] = sides;
        obj([
            (
                "activeteam",
                json!(pending.map_or(0, |a| if a.team == Team::Radiant { 2 } else { 3 })),
            ),
            ("pick", json!(pending.is_some_and(|a| a.pick))),
            (
                "activeteam_time_remaining",
                json!(pending.map_or(0, |a| 30 - a.think)),
            ),
            ("radiant_bonus_time", json!(130)),
            ("dire_bonus_time", json!(130)),
            ("team2", Value::Object(radiant)),
            ("team3", Value::Object(dire)),
        ])
    }

    fn roshan_json(&self, f: &Frame, live: bool) -> Value {
        if !live {
            return json!({"health": 0, "max_health": 0, "alive": false, "spawn_phase": 0,
                "phase_time_remaining": 0, "xpos": 0, "ypos": 0, "yaw": 0});
        }
        let (state, left) = self.roshan_state(f.clock);
        let alive = state == "alive";
        let phase = match state {
            "respawn_base" => 1,
            "respawn_variable" => 2,
            _ => 0,
        };
        obj([
            ("health", json!(if alive { self.roshan_health } else { 0 })),
            ("max_health", json!(roshan_max_health(f.clock))),
            ("alive", json!(alive)),
            ("spawn_phase", json!(phase)),
            ("phase_time_remaining", json!(left)),
            ("xpos", json!(ROSHAN_PIT.0)),
            ("ypos", json!(ROSHAN_PIT.1)),
            ("yaw", json!(if alive { 225 } else { 0 })),
        ])
    }
}

fn abilities_json(h: &Hero) -> Value {
    if h.def.invoker {
        return invoker_abilities_json(h);
    }
    let mut map = Map::new();
    for (a, def) in h.def.abilities.iter().enumerate() {
        map.insert(
            format!("ability{a}"),
            obj([
                ("name", json!(def.name)),
                ("level", json!(h.ability_levels[a])),
                ("can_cast", json!(h.ability_ready(a))),
                ("passive", json!(def.passive)),
                ("ability_active", json!(true)),
                ("cooldown", json!(h.cooldowns[a])),
                ("ultimate", json!(def.ultimate)),
            ]),
        );
    }
    Value::Object(map)
}

/// Invoker's six slots, as real bodies have them: the three orbs, the two
/// invoked spells (`invoker_empty1`/`invoker_empty2` before the first Invoke),
/// Invoke.
fn invoker_abilities_json(h: &Hero) -> Value {
    let ability = super::common::ability_json;
    let mut map = Map::new();
    for a in 0..3 {
        let def = &h.def.abilities[a];
        let level = h.ability_levels[a];
        map.insert(
            format!("ability{a}"),
            ability(def.name, level, h.ability_ready(a), false, 0, false),
        );
    }
    for (n, empty) in [(0, "invoker_empty1"), (1, "invoker_empty2")] {
        let slot = h.invoked[n].and_then(|s| SPELLS.get(s).map(|spell| (s, spell)));
        let value = match slot {
            Some((s, spell)) => ability(
                spell.name,
                spell_level(spell, &h.ability_levels[..3]),
                h.spell_ready(s),
                false,
                h.spell_cooldowns[s],
                false,
            ),
            None => ability(empty, 0, false, true, 0, false),
        };
        map.insert(format!("ability{}", n + 3), value);
    }
    let invoke = &h.def.abilities[3];
    map.insert(
        "ability5".into(),
        ability(
            invoke.name,
            h.ability_levels[3],
            h.ability_ready(3),
            false,
            h.cooldowns[3],
            true,
        ),
    );
    Value::Object(map)
}

fn items_json(h: &Hero) -> Value {
    let usable = h.can_act();
    let mut map = Map::new();
    for (i, slot) in h.inventory.iter().enumerate() {
        let v = slot.map_or_else(empty_slot, |item| item.json(h.index, usable && i < 6));
        map.insert(format!("slot{i}"), v);
    }
    for (i, slot) in h.stash.iter().enumerate() {
        let v = slot.map_or_else(empty_slot, |item| item.json(h.index, false));
        map.insert(format!("stash{i}"), v);
    }
    map.insert(
        "teleport0".into(),
        h.teleport
            .map_or_else(empty_slot, |tp| tp.json(h.index, usable)),
    );
    map.insert("neutral0".into(), empty_slot());
    Value::Object(map)
}

fn roshan_max_health(clock: i64) -> i64 {
    5500 + 130 * (clock.max(0) / 60)
}

fn first_alive(heroes: &[Hero], team: Team) -> Option<usize> {
    team.players()
        .find(|&i| heroes.get(i).is_some_and(|h| h.alive))
}

/// The draft: who plays which hero, and the 24 actions in order.
fn draft(rng: &mut Rng) -> (Vec<Hero>, Vec<DraftAction>) {
    let mut carries: Vec<&'static HeroDef> = CARRIES.iter().collect();
    let mut mids: Vec<&'static HeroDef> = MIDS.iter().collect();
    let mut offlaners: Vec<&'static HeroDef> = OFFLANERS.iter().collect();
    let mut supports: Vec<&'static HeroDef> = SUPPORTS.iter().collect();
    rng.shuffle(&mut carries);
    rng.shuffle(&mut mids);
    rng.shuffle(&mut offlaners);
    rng.shuffle(&mut supports);
    // By player index: carry, mid, offlane, two supports; Radiant then Dire.
    let roles: [&'static HeroDef; 10] = [
        carries[0],
        mids[0],
        offlaners[0],
        supports[0],
        supports[1],
        carries[1],
        &INVOKER,
        offlaners[1],
        supports[2],
        supports[3],
    ];
    let heroes: Vec<Hero> = roles
        .iter()
        .enumerate()
        .map(|(i, def)| Hero::new(i, def))
        .collect();

    // The mid Invoker displaced may be banned instead: the pool keeps its size.
    let mut bannable: Vec<(&'static str, i64)> = carries[2..]
        .iter()
        .chain(&mids[1..])
        .chain(&offlaners[2..])
        .chain(&supports[4..])
        .map(|d| (d.class, d.id))
        .chain(BAN_ONLY)
        .collect();
    rng.shuffle(&mut bannable);
    let mut bans = bannable.into_iter();
    let mut picks_made = [0usize; 2];
    let mut actions = Vec::with_capacity(DRAFT_ORDER.len());
    for (radiant, pick) in DRAFT_ORDER {
        let team = if radiant { Team::Radiant } else { Team::Dire };
        let think = rng.range(4, 26);
        if pick {
            let n = picks_made[team.slot()];
            picks_made[team.slot()] += 1;
            let role = PICK_ROLES.get(n).copied().unwrap_or(0);
            let player = team.players().start + role;
            let def = roles[player];
            actions.push(DraftAction {
                team,
                pick,
                hero: (def.class, def.id),
                player: Some(player),
                think,
            });
        } else if let Some(hero) = bans.next() {
            actions.push(DraftAction {
                team,
                pick,
                hero,
                player: None,
                think,
            });
        }
    }
    (heroes, actions)
}

#[cfg(test)]
mod tests;
