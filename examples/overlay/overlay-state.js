/*!
 * overlay-state.js: the pure logic of the Wardcast OBS overlay.
 *
 * No DOM, no network, no timers: it turns Wardcast events and info updates (object form,
 * exactly as `Wardcast.Client` hands them to its listeners) into a state object, and the
 * state into the strings the page shows. The page (overlay.js) and the Node tests
 * (test/overlay.test.mjs) both use it.
 *
 * Loads as a classic browser script (sets globalThis.OverlayState) and as a CommonJS
 * module (`require("./overlay-state.js")`, or `import OverlayState from` in Node).
 *
 *   var state = OverlayState.create();
 *   client.on("event", function (e) { OverlayState.applyEvent(state, e.name, e.data); });
 *   client.on("info", function (info) { OverlayState.applyInfo(state, info); });
 *   var fields = OverlayState.view(state);   // {kills: "3", clock: "12:05", ...}
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module && typeof module.exports === "object") module.exports = api;
  if (root) root.OverlayState = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  /** The features the overlay subscribes to (names from protocol/features.md). */
  var FEATURES = [
    "game", // info game.game_state, game.match_state
    "me", // info me.team, me.steam_id, me.hero
    "roster", // info roster.players: maps "me" to a player_index when spectating
    "match_info", // info match_info.pseudo_match_id (a new match resets the counters), team_score.team_score
    // info scoreboard.me (playing), scoreboard.player_0..9 (spectating): every counter below at
    // once, in the subscription's snapshot too, so a page opened mid-match shows them straight away
    "scoreboard",
    "kill",
    "death",
    "assist",
    "gold",
    "gpm",
    "xpm",
    "clock_time_changed",
    "daytime_changed",
    "hero_buyback_info_changed",
    "ward_purchase_cooldown_changed",
    "roshan", // events roshan_killed, aegis_picked_up, aegis_denied; info roshan.state, roshan.state_end_seconds
  ];

  /** What the page shows for a value it does not know yet. */
  var NONE = "\u2014"; // em dash

  var hasOwn = Object.prototype.hasOwnProperty;

  /** A fresh state: nothing known. */
  function create() {
    return {
      // The page's link to the broker: "loading" (fetching /wardcast.js), "unreachable" (that
      // failed; retrying), or the client's state: "connecting", "open", "reconnecting", "closed".
      connection: "loading",
      game_state: null, // "playing" | "spectating" | "idle" | null
      match_state: null, // DOTA_GAMERULES_STATE_*
      me: { team: null, steam_id: null, hero: null },
      roster: [], // roster.players
      match_id: null, // match_info.pseudo_match_id
      score: null, // {radiant, dire}
      // Per-player counters, from events and from scoreboard rows. Player mode: the key "me"
      // (events carry no player_index). Spectator mode: "0".."9", the events' player_index.
      players: {},
      // The scoreboard rows as received (object form), under the same keys as players.
      scoreboard: {},
      clock: null, // {clock_time, daytime, nightstalker_night}
      ward: {}, // ward purchase cooldown: "me" (player mode), "radiant", "dire" (spectator mode)
      roshan: { state: null, state_end_seconds: null, last: null },
    };
  }

  // The counters a scoreboard row carries that the overlay also takes from events.
  var ROW_COUNTERS = ["kills", "deaths", "assists", "gold", "gpm", "xpm", "buyback_cost", "buyback_cooldown"];

  // Counters that belong to one match: cleared when the match changes or ends. The scoreboard
  // rows are kept: they are the broker's current info, which it replaces or resets (null) itself
  // when the match changes, and a subscription's snapshot comes in the order the info last
  // changed, so the rows of this match may arrive before its match_info.pseudo_match_id.
  function resetMatch(state) {
    state.players = {};
    for (var k in state.scoreboard) {
      if (hasOwn.call(state.scoreboard, k)) copyNums(state.players[k] = {}, state.scoreboard[k], ROW_COUNTERS);
    }
    state.clock = null;
    state.ward = {};
    state.score = null;
    state.roshan.last = null;
  }

  function isNum(v) {
    return typeof v === "number" && isFinite(v);
  }

  function playerKey(data) {
    return data && isNum(data.player_index) ? String(data.player_index) : "me";
  }

  function player(state, data) {
    var key = playerKey(data);
    return state.players[key] || (state.players[key] = {});
  }

  // Copies the listed numeric members of data into target.
  function copyNums(target, data, names) {
    for (var i = 0; i < names.length; i++) {
      if (isNum(data[names[i]])) target[names[i]] = data[names[i]];
    }
  }

  /**
   * Applies one game event (its name and its data in object form, as the client's "event"
   * listener gets them). Unknown events are ignored. Returns the state.
   */
  function applyEvent(state, name, data) {
    var d = data && typeof data === "object" ? data : {};
    switch (name) {
      case "kill":
        copyNums(player(state, d), d, ["kills", "kill_streak"]);
        break;
      case "death":
        copyNums(player(state, d), d, ["deaths"]);
        break;
      case "assist":
        copyNums(player(state, d), d, ["assists"]);
        break;
      case "gold":
        copyNums(player(state, d), d, ["gold", "gold_reliable", "gold_unreliable"]);
        break;
      case "gpm":
        copyNums(player(state, d), d, ["gpm"]);
        break;
      case "xpm":
        copyNums(player(state, d), d, ["xpm"]);
        break;
      case "hero_buyback_info_changed":
        copyNums(player(state, d), d, ["buyback_cost", "buyback_cooldown"]);
        break;
      case "clock_time_changed":
      case "daytime_changed":
        if (isNum(d.clock_time)) {
          state.clock = { clock_time: d.clock_time, daytime: d.daytime === true, nightstalker_night: d.nightstalker_night === true };
        }
        break;
      case "ward_purchase_cooldown_changed":
        if (isNum(d.ward_purchase_cooldown)) {
          state.ward[d.team === "radiant" || d.team === "dire" ? d.team : "me"] = d.ward_purchase_cooldown;
        }
        break;
      case "roshan_killed":
      case "aegis_picked_up":
      case "aegis_denied":
        state.roshan.last = { name: name, data: d };
        break;
      default:
        break;
    }
    return state;
  }

  /**
   * Applies one info update: {category: {key: value}} in object form, a null value meaning
   * the key was reset (the client's "info" listener gets exactly this). Returns the state.
   */
  function applyInfo(state, info) {
    if (!info || typeof info !== "object") return state;
    // match_info first: a new match clears the counters before the other keys land.
    var mi = info.match_info;
    if (mi && typeof mi === "object" && hasOwn.call(mi, "pseudo_match_id")) {
      var id = mi.pseudo_match_id === undefined ? null : mi.pseudo_match_id;
      if (id !== state.match_id) {
        resetMatch(state);
        state.match_id = id;
      }
    }
    for (var category in info) {
      if (!hasOwn.call(info, category)) continue;
      var keys = info[category];
      if (!keys || typeof keys !== "object") continue;
      for (var key in keys) {
        if (hasOwn.call(keys, key)) applyKey(state, category, key, keys[key]);
      }
    }
    return state;
  }

  function applyKey(state, category, key, value) {
    var v = value === undefined ? null : value;
    if (category === "game") {
      if (key === "game_state") {
        state.game_state = v;
        if (v === "idle" || v === null) resetMatch(state);
      } else if (key === "match_state") {
        state.match_state = v;
      }
    } else if (category === "me") {
      if (key === "team" || key === "steam_id" || key === "hero") state.me[key] = v;
    } else if (category === "roster") {
      if (key === "players") state.roster = Array.isArray(v) ? v : [];
    } else if (category === "team_score") {
      if (key === "team_score") state.score = v && typeof v === "object" ? v : null;
    } else if (category === "scoreboard") {
      applyRow(state, key, v);
    } else if (category === "roshan") {
      if (key === "state") state.roshan.state = v;
      else if (key === "state_end_seconds") state.roshan.state_end_seconds = isNum(v) ? v : null;
    }
  }

  // scoreboard.me -> "me", scoreboard.player_3 -> "3": the keys of state.players. (Not the
  // row's player_index: in player mode events carry none, so their counters are under "me".)
  function rowKey(key) {
    if (key === "me") return "me";
    var m = /^player_([0-9])$/.exec(key);
    return m ? m[1] : null;
  }

  // A row is the whole truth at the time it was sent: its counters replace what events said,
  // and the events that follow update them until the next row. Rows are never older than the
  // events before them (kills, deaths and assists are sent at once; other values only skip
  // seconds, never arrive late), so nothing on screen goes backwards. A reset (null) clears the
  // player, like a new match does.
  function applyRow(state, key, row) {
    var k = rowKey(key);
    if (k === null) return;
    if (!row || typeof row !== "object") {
      delete state.scoreboard[k];
      delete state.players[k];
      return;
    }
    state.scoreboard[k] = row;
    copyNums(state.players[k] || (state.players[k] = {}), row, ROW_COUNTERS);
  }

  /** Records the page's link to the broker (see create()). Returns the state. */
  function setConnection(state, connection) {
    state.connection = connection;
    return state;
  }

  var CONNECTION_TEXT = {
    loading: "Loading wardcast.js\u2026",
    unreachable: "Wardcast not reachable: is the broker running? Retrying\u2026",
    connecting: "Connecting to Wardcast\u2026",
    reconnecting: "Reconnecting to Wardcast\u2026",
    closed: "Disconnected from Wardcast",
  };

  /**
   * Whose counters the overlay shows: "me" while playing; while spectating, the
   * player_index (as a string) of the hero the observer follows, found by matching
   * me.steam_id in roster.players (or, without a roster, in the scoreboard rows). null when
   * it cannot be told.
   */
  function meKey(state) {
    if (state.game_state !== "spectating") return "me";
    var id = state.me.steam_id;
    if (!id) return null;
    for (var i = 0; i < state.roster.length; i++) {
      var p = state.roster[i];
      if (p && p.steamId === id && isNum(p.player_index)) return String(p.player_index);
    }
    for (var k in state.scoreboard) {
      if (hasOwn.call(state.scoreboard, k) && k !== "me" && state.scoreboard[k].steamid === id) return k;
    }
    return null;
  }

  /** The counters of "me" ({} when unknown). */
  function mine(state) {
    var key = meKey(state);
    return (key !== null && state.players[key]) || {};
  }

  /** Seconds as m:ss ("-0:29" before the horn). */
  function clock(seconds) {
    if (!isNum(seconds)) return NONE;
    var s = Math.trunc(seconds);
    var sign = s < 0 ? "-" : "";
    s = Math.abs(s);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var ss = s % 60;
    var mm = h > 0 ? h + ":" + (m < 10 ? "0" : "") + m : String(m);
    return sign + mm + ":" + (ss < 10 ? "0" : "") + ss;
  }

  /** A cooldown in seconds: "ready" at 0, else m:ss. */
  function cooldown(seconds) {
    if (!isNum(seconds)) return NONE;
    return seconds <= 0 ? "ready" : clock(seconds);
  }

  function count(n) {
    return isNum(n) ? String(n) : NONE;
  }

  // map.roshan_state as GSI sends it (spectator mode).
  var ROSHAN_STATES = {
    alive: "Alive",
    respawn_base: "Dead",
    respawn_variable: "May respawn",
  };

  // The last Roshan event (player and spectator mode). Its game_time is GSI's map.game_time,
  // which is not the clock shown in game, so it is not displayed.
  function roshanLast(last) {
    if (!last) return "";
    var d = last.data || {};
    if (last.name === "roshan_killed") {
      return d.killed_by_team === "radiant" ? "Radiant killed Roshan" : d.killed_by_team === "dire" ? "Dire killed Roshan" : "Roshan killed";
    }
    if (last.name === "aegis_picked_up") return d.snatched ? "Aegis snatched" : "Aegis picked up";
    if (last.name === "aegis_denied") return "Aegis denied";
    return "";
  }

  function heroName(hero) {
    if (typeof hero !== "string" || !hero) return NONE;
    return hero.replace(/_/g, " ").replace(/\b[a-z]/g, function (c) {
      return c.toUpperCase();
    });
  }

  /**
   * The display strings, one per data-field of the page, plus `sections` (which blocks to
   * show). Pure: the same state always gives the same view.
   */
  function view(state) {
    var me = mine(state);
    var inMatch = state.game_state === "playing" || state.game_state === "spectating";
    var ward = hasOwn.call(state.ward, "me") ? state.ward.me : state.me.team ? state.ward[state.me.team] : undefined;
    var c = state.clock;
    var rosh = state.roshan;
    var roshState = rosh.state === null ? NONE : hasOwn.call(ROSHAN_STATES, rosh.state) ? ROSHAN_STATES[rosh.state] : String(rosh.state).replace(/_/g, " ");
    var roshTimer = rosh.state !== null && rosh.state !== "alive" && isNum(rosh.state_end_seconds) && rosh.state_end_seconds > 0 ? clock(rosh.state_end_seconds) : "";
    var status = state.connection !== "open"
      ? (hasOwn.call(CONNECTION_TEXT, state.connection) ? CONNECTION_TEXT[state.connection] : String(state.connection))
      : inMatch ? "" : "Waiting for a Dota 2 match\u2026";
    return {
      status: status,
      mode: state.game_state === null ? NONE : state.game_state,
      hero: heroName(state.me.hero),
      team: state.me.team === "radiant" ? "Radiant" : state.me.team === "dire" ? "Dire" : NONE,
      kills: count(me.kills),
      deaths: count(me.deaths),
      assists: count(me.assists),
      kda: count(me.kills) + " / " + count(me.deaths) + " / " + count(me.assists),
      gold: count(me.gold),
      gpm: count(me.gpm),
      xpm: count(me.xpm),
      clock: c ? clock(c.clock_time) : NONE,
      daytime: c ? (c.nightstalker_night ? "Night (Night Stalker)" : c.daytime ? "Day" : "Night") : NONE,
      buyback_cost: count(me.buyback_cost),
      buyback_cooldown: cooldown(me.buyback_cooldown),
      ward_cooldown: cooldown(ward),
      score_radiant: state.score ? count(state.score.radiant) : NONE,
      score_dire: state.score ? count(state.score.dire) : NONE,
      roshan_state: roshState,
      roshan_timer: roshTimer,
      roshan_last: roshanLast(rosh.last),
      sections: {
        status: status !== "",
        match: inMatch,
        roshan: inMatch && (rosh.state !== null || rosh.last !== null),
      },
    };
  }

  return {
    FEATURES: FEATURES,
    NONE: NONE,
    create: create,
    setConnection: setConnection,
    applyEvent: applyEvent,
    applyInfo: applyInfo,
    meKey: meKey,
    view: view,
    formatClock: clock,
    formatCooldown: cooldown,
  };
});
