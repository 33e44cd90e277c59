/*!
 * buyback.js: the pure logic of the Wardcast buyback key. No I/O and no clock of its own:
 * every function that needs the time takes `now` (ms, as Date.now() gives it), so the tests
 * can drive it with any clock. An ES module: plugin.js imports it (rollup bundles it), and the
 * tests import it as it is.
 *
 *   const s = create();
 *   setConnection(s, "open");
 *   applyInfo(s, {game: {game_state: "playing"}}, now);
 *   applyEvent(s, "hero_buyback_info_changed", {buyback_cost: 712, buyback_cooldown: 42}, now);
 *   title(s, now)            // "BB\n0:42"
 *   title(s, now + 1000)     // "BB\n0:41": counts down between events
 *   nextChange(s, now + 250) // 750: ms until the title can change again (null: it cannot)
 */

/** The features the key needs (names from protocol/features.md). */
export const FEATURES = [
  "hero_buyback_info_changed", // {buyback_cost, buyback_cooldown}: every 4 s, each level-up, each cooldown change
  "hero_boughtback", // {buyback_cooldown}: the cooldown that just started
  "game", // info game.game_state: "playing" | "spectating" | "idle"
  "me", // info me.steam_id: whose buyback while spectating ...
  "roster", // ... matched against roster.players[].steamId -> player_index
  "pause", // info pause.paused: the countdown stops while the game is paused
];

export const DEFAULT_URL = "ws://127.0.0.1:7314/ws";
export const NO_GAME = "BB\n\u2014"; // "BB", newline, em dash
export const READY = "BB\nready";

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

export function create() {
  return {
    connection: "connecting", // the Wardcast client's state
    game_state: null, // "playing" | "spectating" | "idle" | null
    steam_id: null, // me.steam_id
    roster: [], // roster.players
    paused: false,
    // "me" (player mode: events carry no player_index) or "0".."9" (spectator mode) ->
    // {cooldown, cost, at}: the last cooldown value and when it arrived.
    players: {},
  };
}

export function setConnection(state, connection) {
  state.connection = connection;
  return state;
}

// The seconds left of a player's cooldown at `now`.
function left(state, p, now) {
  if (!p || !isNum(p.cooldown)) return null;
  if (state.paused) return p.cooldown;
  return Math.max(0, p.cooldown - Math.floor(Math.max(0, now - p.at) / 1000));
}

/** An event (name, data in object form). Returns the state. */
export function applyEvent(state, name, data, now) {
  if ((name === "hero_buyback_info_changed" || name === "hero_boughtback") && data && isNum(data.buyback_cooldown)) {
    const key = isNum(data.player_index) ? String(data.player_index) : "me";
    const p = state.players[key] || (state.players[key] = {});
    p.cooldown = data.buyback_cooldown;
    p.at = now;
    if (isNum(data.buyback_cost)) p.cost = data.buyback_cost;
  }
  return state;
}

/** An info update ({category: {key: value}}, null = reset). Returns the state. */
export function applyInfo(state, info, now) {
  if (!info || typeof info !== "object") return state;
  const game = info.game;
  if (game && Object.prototype.hasOwnProperty.call(game, "game_state")) {
    state.game_state = game.game_state ?? null;
    // Idle, or null (the broker clears its info between two matches): forget the old match.
    if (state.game_state !== "playing" && state.game_state !== "spectating") state.players = {};
  }
  if (info.me && Object.prototype.hasOwnProperty.call(info.me, "steam_id")) state.steam_id = info.me.steam_id ?? null;
  if (info.roster && Object.prototype.hasOwnProperty.call(info.roster, "players")) {
    state.roster = Array.isArray(info.roster.players) ? info.roster.players : [];
  }
  if (info.pause && Object.prototype.hasOwnProperty.call(info.pause, "paused")) {
    const paused = info.pause.paused === true;
    if (paused !== state.paused) {
      // Re-base every countdown at the moment of the change, so the pause freezes it.
      for (const p of Object.values(state.players)) {
        if (isNum(p.cooldown)) {
          p.cooldown = left(state, p, now);
          p.at = now;
        }
      }
      state.paused = paused;
    }
  }
  return state;
}

/** Whose buyback the key shows: "me" while playing, the followed hero's player_index while spectating. */
export function meKey(state) {
  if (state.game_state !== "spectating") return "me";
  const p = state.roster.find((r) => r && r.steamId === state.steam_id && isNum(r.player_index));
  return p ? String(p.player_index) : null;
}

function mmss(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${s < 10 ? "0" : ""}${s}`;
}

/** The key's title at `now`: "BB\n0:42", "BB\nready", or "BB\n—" (no game, no data, no broker). */
export function title(state, now) {
  if (state.connection !== "open") return NO_GAME;
  if (state.game_state !== "playing" && state.game_state !== "spectating") return NO_GAME;
  const key = meKey(state);
  const s = key === null ? null : left(state, state.players[key], now);
  if (s === null) return NO_GAME;
  return s === 0 ? READY : `BB\n${mmss(s)}`;
}

/** Milliseconds from `now` until the title can next change by itself, or null when it cannot. */
export function nextChange(state, now) {
  if (state.paused || title(state, now) === NO_GAME) return null;
  const key = meKey(state);
  const p = key === null ? null : state.players[key];
  if (!p || left(state, p, now) === 0) return null;
  return 1000 - (Math.max(0, now - p.at) % 1000);
}

/**
 * The broker's WebSocket URL from the plugin's global settings {wardcastUrl}: accepts
 * ws(s)://host:port/ws, http(s)://host:port (the broker's page address) or a bare
 * host:port; no path means /ws. Anything unparsable gives the default.
 */
export function wardcastUrl(setting) {
  const raw = typeof setting === "string" ? setting.trim() : "";
  if (!raw) return DEFAULT_URL;
  let u;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `ws://${raw}`);
  } catch {
    return DEFAULT_URL;
  }
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  if (u.protocol !== "ws:" && u.protocol !== "wss:") return DEFAULT_URL;
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/ws";
  u.hash = "";
  return u.href;
}

