// Type definitions for wardcast.js, the JavaScript client of Wardcast (protocol v1).
// Contract: protocol/README.md (envelope, methods, notifications) and protocol/features.md
// (payloads). Payload types are the "object" dataFormat forms; in "string" format the wire
// carries their JSON text (the Client decodes it for its listeners; the Overwolf shim passes
// the strings through, as Overwolf does).
//
// Usage:
//   import Wardcast, { Client } from "./wardcast.js";      // ES module / TypeScript
//   const Wardcast = require("./wardcast.js");             // CommonJS
//   <script src="http://127.0.0.1:7314/wardcast.js">       // global `Wardcast`

export as namespace Wardcast;

// ====================================================================== common

export type Team = "radiant" | "dire";
/** GSI team numbers as Overwolf's roster uses them: 2 Radiant, 3 Dire. */
export type TeamNumber = 2 | 3;
/** `map.game_state` as GSI sends it, e.g. "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS". */
export type MatchState =
  | "DOTA_GAMERULES_STATE_INIT"
  | "DOTA_GAMERULES_STATE_WAIT_FOR_PLAYERS_TO_LOAD"
  | "DOTA_GAMERULES_STATE_HERO_SELECTION"
  | "DOTA_GAMERULES_STATE_STRATEGY_TIME"
  | "DOTA_GAMERULES_STATE_TEAM_SHOWCASE"
  | "DOTA_GAMERULES_STATE_WAIT_FOR_MAP_TO_LOAD"
  | "DOTA_GAMERULES_STATE_PRE_GAME"
  | "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"
  | "DOTA_GAMERULES_STATE_POST_GAME"
  | "DOTA_GAMERULES_STATE_DISCONNECT"
  | "DOTA_GAMERULES_STATE_CUSTOM_GAME_SETUP"
  | (string & {});
/** The client's mode. */
export type GameState = "playing" | "spectating" | "idle";
export type DataFormat = "string" | "object";

/**
 * Spectator additions (features.md, Conventions): in spectator mode every per-player event
 * (kill, assist, death, cs, xpm, gpm, gold, hero_*) fires for all ten players and its data
 * gains these two members, together or not at all. In player mode they are absent.
 */
export interface SpectatorFields {
  /** N of GSI `playerN`: 0-4 Radiant, 5-9 Dire. */
  player_index?: number;
  /** The player's side. */
  team?: Team;
}

// ====================================================================== event data

/** `game_state_changed`: the client's mode changed. Not per-player. */
export interface GameStateChangedData {
  game_state: GameState;
  match_state?: MatchState;
  /** Decimal match id; "0" for bot and lobby games. */
  match_id?: string;
  /** Player mode only. */
  player_steam_id?: string;
  /** Player mode only. */
  player_team?: Team;
}
/** `match_state_changed`. */
export interface MatchStateChangedData {
  match_state: MatchState;
}
/** `daytime_changed` and `clock_time_changed`. */
export interface DaytimeData {
  daytime: boolean;
  /** The game clock in seconds; negative before the horn. */
  clock_time: number;
  nightstalker_night: boolean;
}
export type DaytimeChangedData = DaytimeData;
export type ClockTimeChangedData = DaytimeData;
/** `ward_purchase_cooldown_changed`. */
export interface WardPurchaseCooldownData {
  /** Seconds until the next Observer Ward can be bought; 0 when one is available. */
  ward_purchase_cooldown: number;
  /** Spectator mode only: the side whose cooldown changed. */
  team?: Team;
}
/** `match_ended`. */
export interface MatchEndedData {
  winner: Team;
}
export type KillLabel = "kill" | "double_kill" | "triple_kill" | "ultra_kill" | "rampage";
/** `kill`: once per kill. */
export interface KillData extends SpectatorFields {
  /** The kill total after this kill. */
  kills: number;
  /** Kills since the last death, as GSI sends it. */
  kill_streak: number;
  /** The multi-kill chain this kill completes. */
  label: KillLabel;
}
/** `assist`. */
export interface AssistData extends SpectatorFields {
  assists: number;
}
/** `death`. */
export interface DeathData extends SpectatorFields {
  deaths: number;
}
/** `cs`. */
export interface CsData extends SpectatorFields {
  last_hits: number;
  denies: number;
  type: "last_hit" | "deny";
}
/** `xpm`. */
export interface XpmData extends SpectatorFields {
  xpm: number;
}
/** `gpm`. */
export interface GpmData extends SpectatorFields {
  gpm: number;
}
/** `gold`. */
export interface GoldData extends SpectatorFields {
  gold: number;
  gold_reliable: number;
  gold_unreliable: number;
}
/** `hero_leveled_up`: once per level gained. */
export interface HeroLeveledUpData extends SpectatorFields {
  hero_level: number;
}
/** `hero_respawned`: null in player mode ("" in string format), {player_index, team} when spectating. */
export type HeroRespawnedData = null | Required<SpectatorFields>;
/** `hero_buyback_info_changed`. */
export interface HeroBuybackInfoData extends SpectatorFields {
  buyback_cost: number;
  buyback_cooldown: number;
}
/** `hero_boughtback`. */
export interface HeroBoughtbackData extends SpectatorFields {
  /** The buyback cooldown that just started, in seconds. */
  buyback_cooldown: number;
}
/** `hero_health_mana_info`. */
export interface HeroHealthManaData extends SpectatorFields {
  health: number;
  max_health: number;
  mana: number;
  max_mana: number;
}
/** `hero_status_effect_changed`: always all nine flags. `smoked` is a Wardcast addition. */
export interface HeroStatusEffectData extends SpectatorFields {
  silenced: boolean;
  stunned: boolean;
  disarmed: boolean;
  magicimmune: boolean;
  hexed: boolean;
  muted: boolean;
  break: boolean;
  has_debuff: boolean;
  smoked: boolean;
}
/** `hero_attributes_skilled`. */
export interface HeroAttributesSkilledData extends SpectatorFields {
  attributes_level: number;
}
/** `hero_ability_skilled`, `hero_ability_used`, `hero_ability_cooldown_changed`, `hero_ability_changed`. */
export interface AbilityData extends SpectatorFields {
  /** N of GSI `abilityN`. */
  slot: number;
  /** e.g. "invoker_sun_strike". */
  name: string;
  level: number;
  can_cast: boolean;
  passive: boolean;
  ability_active: boolean;
  cooldown: number;
  ultimate: boolean;
  /** Only for abilities with charges. */
  charges?: number;
}
export type ItemLocation = "hero" | "backpack" | "stash" | "teleport" | "neutral";
/** `hero_item_cooldown_changed`, `hero_item_changed`, `hero_item_used`, `hero_item_consumed`, `hero_item_charged`. */
export interface ItemData extends SpectatorFields {
  /** The number in the GSI key (slot0-8, stash0-5, teleport0, neutral0-1). */
  slot: number;
  location: ItemLocation;
  /** e.g. "item_blink"; "empty" for an empty slot. */
  name: string;
  /** null only for an empty slot. */
  can_cast: boolean | null;
  /** null only for an empty slot. */
  passive: boolean | null;
  /** null only for an empty slot. */
  cooldown: number | null;
  /** null when the item has no charges. */
  charges: number | null;
}

// Wardcast additions (from the GSI `events` window; they carry their own player ids).

/** `roshan_killed`. */
export interface RoshanKilledData {
  killed_by_team: Team;
  killer_player_id: number;
  game_time: number;
}
/** `aegis_picked_up`. */
export interface AegisPickedUpData {
  player_id: number;
  snatched: boolean;
  game_time: number;
}
/** `aegis_denied`. */
export interface AegisDeniedData {
  player_id: number;
  game_time: number;
}
/** `bounty_rune_pickup`. */
export interface BountyRunePickupData {
  player_id: number;
  team: Team;
  bounty_value: number;
  team_gold: number;
  game_time: number;
}
/** `tip`. */
export interface TipData {
  sender_player_id: number;
  receiver_player_id: number;
  tip_amount: number;
  game_time: number;
}
/** `courier_killed`. */
export interface CourierKilledData {
  courier_team: Team;
  killer_player_id: number;
  owning_player_id: number;
  game_time: number;
}
/** `building_destroyed`. */
export interface BuildingDestroyedData {
  team: Team;
  /** The building's GSI key, e.g. "dota_goodguys_tower1_top". */
  building: string;
}
/** `kill_feed`: a combat-log message. */
export interface KillFeedData {
  /** CHAT_MESSAGE_* without the prefix, lower case: "hero_kill", "tower_kill", "buyback", ... */
  type: string;
  value: number;
  playerid1?: number;
  playerid2?: number;
  playerid3?: number;
  playerid4?: number;
  playerid5?: number;
  playerid6?: number;
  value2?: number;
  value3?: number;
  /** The game time inside the message, in seconds (may be fractional). */
  time: number;
  game_time: number;
}
/** `chat_message` (only with `wardcast serve --allow-chat`). */
export interface ChatMessageData {
  player_id: number;
  channel_type: number;
  message: string;
  game_time: number;
}

/** Every event name and its data (object form). */
export interface EventDataMap {
  new_game: null;
  game_over: null;
  game_state_changed: GameStateChangedData;
  match_state_changed: MatchStateChangedData;
  daytime_changed: DaytimeChangedData;
  clock_time_changed: ClockTimeChangedData;
  ward_purchase_cooldown_changed: WardPurchaseCooldownData;
  match_ended: MatchEndedData;
  kill: KillData;
  assist: AssistData;
  death: DeathData;
  cs: CsData;
  xpm: XpmData;
  gpm: GpmData;
  gold: GoldData;
  hero_leveled_up: HeroLeveledUpData;
  hero_respawned: HeroRespawnedData;
  hero_buyback_info_changed: HeroBuybackInfoData;
  hero_boughtback: HeroBoughtbackData;
  hero_health_mana_info: HeroHealthManaData;
  hero_status_effect_changed: HeroStatusEffectData;
  hero_attributes_skilled: HeroAttributesSkilledData;
  hero_ability_skilled: AbilityData;
  hero_ability_used: AbilityData;
  hero_ability_cooldown_changed: AbilityData;
  hero_ability_changed: AbilityData;
  hero_item_cooldown_changed: ItemData;
  hero_item_changed: ItemData;
  hero_item_used: ItemData;
  hero_item_consumed: ItemData;
  hero_item_charged: ItemData;
  roshan_killed: RoshanKilledData;
  aegis_picked_up: AegisPickedUpData;
  aegis_denied: AegisDeniedData;
  bounty_rune_pickup: BountyRunePickupData;
  tip: TipData;
  courier_killed: CourierKilledData;
  building_destroyed: BuildingDestroyedData;
  game_paused: null;
  game_unpaused: null;
  kill_feed: KillFeedData;
  chat_message: ChatMessageData;
}
export type EventName = keyof EventDataMap;

// ====================================================================== info values

export interface VersionInfo {
  local_version: string;
  public_version: string;
  is_updated: boolean;
}
/** 0 unsupported, 1 green, 2 yellow, 3 red. */
export type HealthState = 0 | 1 | 2 | 3;
/** The health report: `GET /status`, and info `gep_internal.health`. */
export interface StatusReport {
  /** Overwolf's class id of the source's game: 7314 Dota 2, 22730 Counter-Strike 2. */
  game_id: 7314 | 22730;
  state: HealthState;
  features: Array<{
    name: string;
    state: HealthState;
    keys: Array<{ name: string; type: 0 | 1; category?: string; state: HealthState; reason?: string }>;
  }>;
}
export interface TeamScore {
  radiant: number;
  dire: number;
}
export interface RosterPlayer {
  steamId: string;
  name: string;
  pickConfirmed: boolean;
  /** Without the npc_dota_hero_ prefix; "" before the pick. */
  hero: string;
  heroId: number;
  team: TeamNumber;
  team_slot?: number;
  player_index?: number;
}
export interface RosterPick {
  heroId: number;
  hero: string;
  team: TeamNumber;
}
export interface DamageInfo {
  total_damage: number;
  current_damage: number;
}
/**
 * A `scoreboard` row: one player's board, sent at most once a second and at once when kills,
 * deaths, assists, level, alive or items change. A field the game does not send in the mode is
 * absent, never 0.
 */
export interface ScoreboardRow {
  player_index?: number;
  team?: Team;
  name?: string;
  steamid?: string;
  /** Without the npc_dota_hero_ prefix. */
  hero?: string;
  hero_id?: number;
  level?: number;
  alive?: boolean;
  respawn_seconds?: number;
  buyback_cooldown?: number;
  buyback_cost?: number;
  kills?: number;
  deaths?: number;
  assists?: number;
  last_hits?: number;
  denies?: number;
  gold?: number;
  /** Spectator mode only. */
  net_worth?: number;
  gpm?: number;
  xpm?: number;
  /** Spectator mode only. */
  hero_damage?: number;
  /** Spectator mode only. */
  tower_damage?: number;
  /** Spectator mode, on builds that send it. */
  hero_healing?: number;
  wards_placed?: number;
  wards_purchased?: number;
  wards_destroyed?: number;
  /** slot0..slot5 item names ("item_blink"), "empty" for an empty slot. */
  items?: [string, string, string, string, string, string];
  neutral_item?: string;
  neutral_enhancement?: string;
  teleport_item?: string;
}
export interface BuildingHealth {
  health: number;
  max_health: number;
}

/**
 * Info by category and key (object form). A `null` value means the key was reset: forget it.
 * Live updates carry only the changed keys, snapshots all of a feature's keys.
 */
export interface InfoCategories {
  gep_internal?: { version_info?: VersionInfo | null; health?: StatusReport | null };
  me?: { team?: Team | null; steam_id?: string | null; hero?: string | null };
  game?: { game_state?: GameState | null; match_state?: MatchState | null };
  match_info?: { pseudo_match_id?: string | null };
  team_score?: { team_score?: TeamScore | null };
  roster?: { players?: RosterPlayer[] | null; bans?: RosterPick[] | null; draft?: RosterPick[] | null };
  damage?: { damage_dealt_hero?: DamageInfo | null; damage_dealt_tower?: DamageInfo | null };
  error?: { plugin_error?: "gsi_timeout" | (string & {}) | null };
  roshan?: { state?: string | null; state_end_seconds?: number | null };
  buildings?: { radiant?: Record<string, BuildingHealth> | null; dire?: Record<string, BuildingHealth> | null };
  pause?: { paused?: boolean | null };
  win_chance?: { radiant_win_chance?: number | null };
  /** `me` in player mode, `player_0`..`player_9` in spectator mode. */
  scoreboard?: {
    me?: ScoreboardRow | null;
    player_0?: ScoreboardRow | null;
    player_1?: ScoreboardRow | null;
    player_2?: ScoreboardRow | null;
    player_3?: ScoreboardRow | null;
    player_4?: ScoreboardRow | null;
    player_5?: ScoreboardRow | null;
    player_6?: ScoreboardRow | null;
    player_7?: ScoreboardRow | null;
    player_8?: ScoreboardRow | null;
    player_9?: ScoreboardRow | null;
  };
}
/** The categories each info feature writes (a category may differ from the feature name). */
export interface FeatureInfoMap {
  gep_internal: Pick<InfoCategories, "gep_internal">;
  match_state_changed: { game?: { match_state?: MatchState | null } };
  match_info: Pick<InfoCategories, "match_info" | "team_score">;
  roster: Pick<InfoCategories, "roster">;
  me: Pick<InfoCategories, "me">;
  game: Pick<InfoCategories, "game">;
  damage: Pick<InfoCategories, "damage">;
  error: Pick<InfoCategories, "error">;
  roshan: Pick<InfoCategories, "roshan">;
  buildings: Pick<InfoCategories, "buildings">;
  pause: Pick<InfoCategories, "pause">;
  win_chance: Pick<InfoCategories, "win_chance">;
  scoreboard: Pick<InfoCategories, "scoreboard">;
}
export type InfoFeature = keyof FeatureInfoMap;

/** Every feature in the catalogue (getFeatures order). Unknown names are allowed too. */
export type FeatureName =
  | "gep_internal" | "game_state" | "game_state_changed" | "match_state_changed" | "match_detected"
  | "daytime_changed" | "clock_time_changed" | "ward_purchase_cooldown_changed" | "match_ended"
  | "kill" | "assist" | "death" | "cs" | "xpm" | "gpm" | "gold" | "hero_leveled_up" | "hero_respawned"
  | "hero_buyback_info_changed" | "hero_boughtback" | "hero_health_mana_info" | "hero_status_effect_changed"
  | "hero_attributes_skilled" | "hero_ability_skilled" | "hero_ability_used" | "hero_ability_cooldown_changed"
  | "hero_ability_changed" | "hero_item_cooldown_changed" | "hero_item_changed" | "hero_item_used"
  | "hero_item_consumed" | "hero_item_charged" | "match_info" | "roster" | "party" | "hero_pool" | "me"
  | "game" | "damage" | "error" | "roshan" | "bounty_rune" | "tip" | "courier" | "buildings" | "pause"
  | "win_chance" | "kill_feed" | "scoreboard" | "chat";

// ====================================================================== wire: results and params

export interface SubscribeSuccess {
  success: true;
  status: "success";
  supportedFeatures: string[];
  unsupportedFeatures: string[];
  /** Names this broker run. */
  epoch: string;
  /** The last seq the snapshot covers: every later notification has a greater one. */
  seq: number;
  /** resume only. */
  recovered?: boolean;
  /** resume only, when recovered: how many notifications are replayed. */
  replayed?: number;
}
export interface SubscribeFailure {
  success: false;
  status: "error";
  error: string;
  reason: string;
  supportedFeatures: string[];
  unsupportedFeatures?: string[];
  recovered?: boolean;
}
/** The result of setRequiredFeatures and resume. Test `success`, never the text. */
export type SubscribeResult = SubscribeSuccess | SubscribeFailure;

export interface GetInfoResult<Res = InfoCategories> {
  success: true;
  status: "success";
  /** category -> key -> value in the connection's dataFormat, plus features: {name: "True"}. */
  res: Res & { features: Record<string, "True"> };
}
export interface FeatureInfoKey {
  category: string;
  key: string;
  supported: boolean;
  reason?: string;
  state: HealthState;
}
export interface FeatureEntry {
  name: string;
  events: string[];
  info: FeatureInfoKey[];
  supported: boolean;
  reason?: string;
  state: HealthState;
}
export interface GetFeaturesResult {
  features: FeatureEntry[];
}
/** The game a source carries: Dota 2 or Counter-Strike 2. */
export type RunningGame =
  | { classId: 7314; id: 73141; title: "Dota 2" }
  | { classId: 22730; id: 227301; title: "Counter-Strike 2" };
export type RunningGameInfo = { isRunning: boolean } & RunningGame;
export type GetRunningGameInfoResult = RunningGameInfo & {
  success: true;
  status: "success";
  /** Milliseconds since the last GSI body; null if none arrived in this broker run. */
  lastUpdateAgeMs: number | null;
};

/** A wire event: data is JSON text ("" for none) in "string" format, the value in "object". */
export interface WireEvent {
  name: string;
  data: unknown;
}
export interface NewEventsParams {
  seq: number;
  feature: string;
  events: WireEvent[];
}
export interface InfoUpdateParams<F extends string = string> {
  seq: number;
  feature: F;
  info: Record<string, Record<string, unknown>>;
  /** true on the snapshot after a subscription. */
  snapshot?: true;
}
export interface OnErrorParams {
  seq: number;
  /** v1: "slow_consumer". Ignore unknown reasons. */
  reason: "slow_consumer" | (string & {});
}
/** onGameInfoUpdated params without seq. */
export interface GameInfoUpdate {
  gameInfo: RunningGameInfo;
  runningChanged: boolean;
  gameChanged: boolean;
  reason: Array<"gameLaunched" | "gameTerminated">;
}

// ====================================================================== emitter and client

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The second argument of an event listener. */
export interface WardcastEvent<N extends string = string, D = N extends EventName ? EventDataMap[N] : unknown> {
  name: N;
  /** The decoded data (an object, or null for events without data). */
  data: D;
  /** The data exactly as on the wire (JSON text in "string" format). */
  raw: unknown;
  /** The feature that yielded the event. */
  feature: string;
  seq: number;
  /** true when the event was replayed after a reconnect (it happened while the client was away). */
  replayed?: true;
}

export interface OpenInfo {
  url: string;
  /** false on the first open, true after a reconnect. */
  reconnected: boolean;
}
export interface CloseInfo {
  /** 1000 normal, 1001 broker shutting down, 1007, 1009, 4008 slow consumer, 1006 dropped. */
  code: number;
  reason: string;
  wasClean: boolean;
  /** Whether the client will reconnect (false after close() or with reconnect: false). */
  willReconnect: boolean;
  /** The backoff before the next attempt, in ms; null when not reconnecting. */
  delay: number | null;
}

/** Listener arguments by emitted name. */
export interface LifecycleEvents {
  /** The socket opened (the subscription, if any, is already sent). */
  open: [info: OpenInfo];
  /** The socket closed. */
  close: [info: CloseInfo];
  /** The state changed. */
  state: [state: ConnectionState, previous: ConnectionState];
  /** An onError notification (e.g. "slow_consumer", just before close 4008). */
  error: [reason: string, params: OnErrorParams];
  /** An onGameInfoUpdated notification (gameLaunched / gameTerminated). */
  gameinfo: [info: GameInfoUpdate];
  /** A setRequiredFeatures or resume succeeded (every connect, and every subscribe()). */
  subscribed: [result: SubscribeSuccess];
  /** A resume could not recover (broker restarted, or away too long): events in the gap are lost; the info is whole again from the snapshot that follows. */
  reset: [result: SubscribeSuccess];
  /** Every notification, raw, after duplicate filtering. */
  notification: [method: string, params: any];
  /** Every game event. */
  event: [event: WardcastEvent];
  /** Every info update (decoded). */
  info: [info: InfoCategories, params: InfoUpdateParams];
}
export type GameEventArgs = { [K in EventName]: [data: EventDataMap[K], event: WardcastEvent<K>] };
export type InfoEventArgs = { [F in InfoFeature as `info:${F}`]: [info: FeatureInfoMap[F], params: InfoUpdateParams<F>] };
export type ClientEvents = LifecycleEvents & GameEventArgs & InfoEventArgs;

export interface WaitOptions<Args extends unknown[] = unknown[]> {
  /** ms; 0 or absent waits forever. On expiry the promise rejects with a TimeoutError. */
  timeout?: number;
  /** Only emissions it accepts resolve the promise. */
  filter?: (...args: Args) => boolean;
  signal?: AbortSignal;
}

/** The listener arguments of name in an event map. */
export type ListenerArgs<Events, K extends keyof Events> = Events[K] extends unknown[] ? Events[K] : any[];

/** An event emitter whose listeners are deduplicated by function identity. */
export class Emitter<Events extends object = { [name: string]: any[] }> {
  constructor();
  /** Adds a listener; adding the same function again is a no-op. */
  on<K extends keyof Events & string>(name: K, listener: (...args: ListenerArgs<Events, K>) => void): this;
  on(name: string, listener: (...args: any[]) => void): this;
  /** Adds a listener called at most once. */
  once<K extends keyof Events & string>(name: K, listener: (...args: ListenerArgs<Events, K>) => void): this;
  once(name: string, listener: (...args: any[]) => void): this;
  /** off(name, fn) removes one listener; off(name) all of name; off() all. */
  off(name?: string, listener?: (...args: any[]) => void): this;
  listenerCount(name: string): number;
  emit(name: string, ...args: unknown[]): boolean;
  /** The next emission of name, as the array of its arguments. */
  waitEvent<K extends keyof Events & string>(name: K, options?: WaitOptions<ListenerArgs<Events, K>>): Promise<ListenerArgs<Events, K>>;
  waitEvent(name: string, options?: WaitOptions<any[]>): Promise<any[]>;
}

export interface ReconnectOptions {
  /** First delay, ms. Default 500. */
  minDelay?: number;
  /** Largest delay, ms. Default 15000. */
  maxDelay?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** 0..1: each delay is spread by ±jitter×delay. Default 0.3. */
  jitter?: number;
}

/** One source (match) of a broker, as listSources and GET /api/sources report it. */
export interface SourceSummary {
  source: string;
  /** Resume within this epoch. */
  epoch: string;
  /** Whether its game is sending data. */
  running: boolean;
  /** Milliseconds since its last game data; absent before any. */
  lastUpdateAgeMs?: number;
  /** Connected clients watching it. */
  clients: number;
  /** Whether clients that name no source get this one. */
  default: boolean;
  /** "playing", "spectating" or "idle", once data arrived. */
  mode?: GameState;
  matchId?: string;
  matchState?: MatchState;
}
export interface ListSourcesResult {
  sources: SourceSummary[];
}

export interface ClientOptions {
  /** Default: ws://<host>/ws of the broker that served the script, else ws://127.0.0.1:7314/ws. */
  url?: string;
  /** Access token, appended as ?token=. */
  token?: string;
  /**
   * The source (match) to watch on a broker that serves several, appended as ?source=.
   * Default: the script tag's data-source or ?source=, else the broker's default source.
   */
  source?: string;
  /** Subscribed on connect, and resumed on every reconnect. */
  features?: string[];
  /** The wire format. Default "object". Listeners get decoded objects either way. */
  dataFormat?: DataFormat;
  /** Backoff settings, or false to never reconnect. */
  reconnect?: ReconnectOptions | false;
  /** Default timeout of request(), ms. Default 10000; 0 = none. */
  requestTimeout?: number;
  /** Give up on a connection attempt after this many ms. Default 10000. */
  connectTimeout?: number;
  /** A WebSocket constructor (e.g. from the `ws` package). Default globalThis.WebSocket. */
  WebSocket?: new (url: string) => any;
  /** Connect in the constructor. Default true. */
  autoConnect?: boolean;
}

export interface RequestOptions {
  /** ms; default the client's requestTimeout; 0 = none. */
  timeout?: number;
}

export class Client extends Emitter<ClientEvents> {
  constructor(options?: ClientOptions);
  readonly url: string;
  readonly dataFormat: DataFormat;
  requestTimeout: number;
  connectTimeout: number;
  /** "connecting" (first attempt) | "open" | "reconnecting" (lost, backing off or dialling) | "closed". */
  readonly state: ConnectionState;
  /** The features of the subscription in force (resumed on reconnect). */
  readonly features: string[];
  /** The broker run's epoch (null before the first subscription). */
  readonly epoch: string | null;
  /** The resume position: max(seq of the last notification, seq of the last result). */
  readonly lastSeq: number;
  /** The last successful setRequiredFeatures/resume result. */
  readonly subscription: SubscribeSuccess | null;
  /** The current info of the subscribed features (decoded; reset keys removed). Read-only. */
  readonly info: InfoCategories;

  /** Opens the connection, or dials at once while waiting to reconnect. */
  connect(): this;
  /** Closes for good: no more reconnects; pending requests reject with a ClosedError. */
  close(reason?: string): this;
  /** Open, and the subscription (if any) in force. Rejects with a ClosedError if the client closes. */
  ready(options?: { timeout?: number }): Promise<this>;

  request(method: "setRequiredFeatures", params: { features: string[]; dataFormat?: DataFormat; source?: string }, options?: RequestOptions): Promise<SubscribeResult>;
  request(method: "listSources", params?: {}, options?: RequestOptions): Promise<ListSourcesResult>;
  request(method: "getInfo", params?: {}, options?: RequestOptions): Promise<GetInfoResult>;
  request(method: "getFeatures", params?: {}, options?: RequestOptions): Promise<GetFeaturesResult>;
  request(method: "getRunningGameInfo", params?: {}, options?: RequestOptions): Promise<GetRunningGameInfoResult>;
  request(method: "resume", params: { features: string[]; dataFormat?: DataFormat; epoch: string; since: number; source?: string }, options?: RequestOptions): Promise<SubscribeResult>;
  request<R = any>(method: string, params?: object, options?: RequestOptions): Promise<R>;

  /** setRequiredFeatures in this client's dataFormat; on success the features are kept for reconnects. */
  subscribe(features: string[], options?: RequestOptions): Promise<SubscribeResult>;
  getInfo(options?: RequestOptions): Promise<GetInfoResult>;
  getFeatures(options?: RequestOptions): Promise<GetFeaturesResult>;
  getRunningGameInfo(options?: RequestOptions): Promise<GetRunningGameInfoResult>;
  /** The sources (matches) the broker serves. */
  listSources(options?: RequestOptions): Promise<ListSourcesResult>;

  /** For tests: drop the raw socket as the network would; the client reconnects and resumes. */
  _drop(code?: number, reason?: string): this;
}

export class WardcastError extends Error {}
/** A request, ready() or waitEvent() ran out of time. */
export class TimeoutError extends WardcastError {
  readonly name: "TimeoutError";
  /** waitEvent: the awaited name. */
  readonly event?: string;
  /** request: the method. */
  readonly method?: string;
  readonly timeout: number;
}
/** A JSON-RPC error response. */
export class RpcError extends WardcastError {
  readonly name: "RpcError";
  /** -32700 parse, -32600 invalid request, -32601 method not found, -32602 invalid params, -32603 internal, -32005 rate limited. */
  readonly code: number;
  readonly data?: unknown;
  readonly method: string;
}
/** The client was closed. */
export class ClosedError extends WardcastError {
  readonly name: "ClosedError";
}
/** Internal: a connection was lost under a request. */
export class ConnectionError extends WardcastError {
  readonly name: "ConnectionError";
}

// ====================================================================== Overwolf shim

/** Overwolf's listener registry; a function added twice is called once. */
export interface OverwolfEvent<T> {
  addListener(callback: (event: T) => void): void;
  removeListener(callback: (event: T) => void): void;
}
/** Overwolf's GameEvent: data is a string (JSON text, or "" for events without data). */
export interface OverwolfGameEvent {
  name: string;
  data: string;
}
export interface OverwolfNewGameEvents {
  events: OverwolfGameEvent[];
}
/** Info values are strings (JSON text for objects, arrays, numbers, booleans), or null when reset. */
export interface OverwolfInfoUpdates2Event {
  info: Record<string, Record<string, string | null>>;
  feature: string;
}
export interface OverwolfErrorEvent {
  reason: string;
}
export interface OverwolfFailure {
  success: false;
  status: "error";
  error: string;
  reason: string;
}
export type OverwolfSetRequiredFeaturesResult = SubscribeResult | (OverwolfFailure & { supportedFeatures: [] });
export type OverwolfGetInfoResult =
  | { success: true; status: "success"; res: Record<string, Record<string, string>> & { features: Record<string, "True"> } }
  | OverwolfFailure;
export type OverwolfGetRunningGameInfoResult = GetRunningGameInfoResult | OverwolfFailure;
export type OverwolfGetRunningGameInfoResult2 =
  | { success: true; gameInfo: RunningGameInfo | null }
  | (OverwolfFailure & { gameInfo: null });
export interface OverwolfGameInfoUpdatedEvent extends GameInfoUpdate {
  focusChanged: false;
  resolutionChanged: false;
  gameOverlayChanged: false;
}

export interface OverwolfGamesEvents {
  setRequiredFeatures(features: string[], callback: (result: OverwolfSetRequiredFeaturesResult) => void): void;
  getInfo(callback: (result: OverwolfGetInfoResult) => void): void;
  onNewEvents: OverwolfEvent<OverwolfNewGameEvents>;
  onInfoUpdates2: OverwolfEvent<OverwolfInfoUpdates2Event>;
  onError: OverwolfEvent<OverwolfErrorEvent>;
}
export interface OverwolfGames {
  events: OverwolfGamesEvents;
  /** {success, status, isRunning, classId, id, title, lastUpdateAgeMs}: 7314/73141/"Dota 2" or 22730/227301/"Counter-Strike 2". */
  getRunningGameInfo(callback: (result: OverwolfGetRunningGameInfoResult) => void): void;
  /** {success: true, gameInfo: {isRunning, classId, id, title} | null}. */
  getRunningGameInfo2(callback: (result: OverwolfGetRunningGameInfoResult2) => void): void;
  onGameInfoUpdated: OverwolfEvent<OverwolfGameInfoUpdatedEvent>;
  /** Fires with the game info when the game is launched. */
  onGameLaunched: OverwolfEvent<RunningGameInfo>;
}
export interface OverwolfLike {
  games: OverwolfGames;
  [other: string]: unknown;
}

export interface ShimOptions extends Omit<ClientOptions, "features" | "dataFormat"> {
  /** The object to install `overwolf` on. Default globalThis. */
  target?: object;
}
export interface ShimHandle {
  /** The client behind the shim (dataFormat "string"). */
  client: Client;
  /** The installed `overwolf` object. */
  overwolf: OverwolfLike;
  /** Closes the client and restores what the install replaced. */
  uninstall(): void;
}

/**
 * Creates (or extends) globalThis.overwolf with overwolf.games.events and overwolf.games,
 * backed by a Wardcast client. Installing again returns the first install.
 * `<script src=".../wardcast.js?shim=1">` or a `data-overwolf-shim` attribute does it on load.
 */
export function installOverwolfShim(options?: ShimOptions): ShimHandle;

export const VERSION: string;

declare const Wardcast: {
  VERSION: string;
  Client: typeof Client;
  Emitter: typeof Emitter;
  WardcastError: typeof WardcastError;
  TimeoutError: typeof TimeoutError;
  RpcError: typeof RpcError;
  ClosedError: typeof ClosedError;
  ConnectionError: typeof ConnectionError;
  installOverwolfShim: typeof installOverwolfShim;
};
export default Wardcast;
