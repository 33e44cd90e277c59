#!/usr/bin/env node
// The Node peer of Wardcast's fan-out benchmark (issue 6): what a user would
// build today from the popular Node GSI libraries.
//
// - An HTTP server takes the game's GSI POSTs (`POST /gsi` or `POST /`),
//   answers 200 at once and parses the JSON body.
// - A diff in the style of dota2-gsi / node-gsi keeps the previous state and
//   emits one EventEmitter event per changed leaf field, named like
//   dota2-gsi's (`player:kills`, `hero:health`, `abilities:ability3:cooldown`),
//   with the new and the old value.
// - Listeners turn those events into Overwolf-style notifications grouped by
//   feature (`onNewEvents`, `onInfoUpdates2`; data as JSON strings, like
//   Overwolf and Wardcast's default format), each serialized once.
// - A `ws` server (`GET /ws`) speaks the same JSON-RPC subscription as
//   Wardcast (`setRequiredFeatures`), and every subscribed client gets every
//   frame of its features with `ws.send`, one call per frame, as relays built on
//   these libraries do. `--cork` instead corks each client's socket around its
//   frames of a snapshot, so they leave in one write.
//
// The diff maps player-mode fields (the bench posts a player-mode match); it
// does not model spectator bodies.
//
// Usage: node relay.js [--port 7315] [--host 127.0.0.1] [--cork]
// Prints `listening HOST:PORT`; exits when stdin closes (the bench's signal).
'use strict';

const http = require('node:http');
const { EventEmitter } = require('node:events');
const { WebSocketServer } = require('ws');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const PORT = Number(option('--port', '7315'));
const HOST = option('--host', '127.0.0.1');
const CORK = process.argv.includes('--cork');

// ---- The GSI state and its diff, dota2-gsi style --------------------------

class GsiClient extends EventEmitter {
  constructor() {
    super();
    this.gamestate = null;
  }

  /** Takes a new body: emits `section:key` for every changed leaf, then `newdata`. */
  update(body) {
    const previous = this.gamestate;
    this.gamestate = body;
    if (previous) diff('', previous, body, this);
    this.emit('newdata', body);
  }
}

function diff(prefix, prev, next, emitter) {
  for (const key of Object.keys(next)) {
    if (key === 'previously' || key === 'added' || key === 'auth') continue;
    const a = prev == null ? undefined : prev[key];
    const b = next[key];
    if (b !== null && typeof b === 'object' && !Array.isArray(b)) {
      diff(prefix + key + ':', a !== null && typeof a === 'object' ? a : undefined, b, emitter);
    } else if (Array.isArray(b)) {
      if (JSON.stringify(a) !== JSON.stringify(b)) emitter.emit(prefix + key, b, a);
    } else if (a !== b) {
      emitter.emit(prefix + key, b, a);
    }
  }
}

// ---- From changes to Overwolf-style notifications ------------------------

let seq = 0;
/** What one snapshot produced, by feature, in first-seen order. */
let pending = new Map();

function slot(feature) {
  let s = pending.get(feature);
  if (!s) {
    s = { events: [], info: null };
    pending.set(feature, s);
  }
  return s;
}
function event(feature, name, data) {
  slot(feature).events.push({ name, data: data == null ? '' : JSON.stringify(data) });
}
function info(feature, category, key, value) {
  const s = slot(feature);
  s.info = s.info || {};
  s.info[category] = s.info[category] || {};
  s.info[category][key] =
    value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const gsi = new GsiClient();
const state = () => gsi.gamestate || {};
const increased = (now, was) => typeof was === 'number' && now > was;

gsi.on('map:clock_time', (now) => {
  const map = state().map || {};
  event('clock_time_changed', 'clock_time_changed', {
    daytime: map.daytime,
    clock_time: now,
    nightstalker_night: map.nightstalker_night,
  });
});
gsi.on('map:daytime', (now) => {
  const map = state().map || {};
  event('daytime_changed', 'daytime_changed', {
    daytime: now,
    clock_time: map.clock_time,
    nightstalker_night: map.nightstalker_night,
  });
});
gsi.on('map:game_state', (now) => {
  event('game_state_changed', 'game_state_changed', { game_state: now });
  info('game', 'game', 'game_state', now);
});
gsi.on('map:ward_purchase_cooldown', (now) =>
  event('ward_purchase_cooldown_changed', 'ward_purchase_cooldown_changed', { ward_purchase_cooldown: now }));
for (const side of ['radiant_score', 'dire_score']) {
  gsi.on('map:' + side, () => {
    const map = state().map || {};
    info('match_info', 'team_score', 'team_score', { radiant: map.radiant_score, dire: map.dire_score });
  });
}
gsi.on('player:kills', (now, was) => {
  if (increased(now, was)) event('kill', 'kill', { kills: now, kill_streak: (state().player || {}).kill_streak });
});
gsi.on('player:deaths', (now, was) => {
  if (increased(now, was)) event('death', 'death', { deaths: now });
});
gsi.on('player:assists', (now, was) => {
  if (increased(now, was)) event('assist', 'assist', { assists: now });
});
gsi.on('player:last_hits', (now) => event('cs', 'cs', { last_hits: now, denies: (state().player || {}).denies }));
gsi.on('player:denies', (now) => event('cs', 'cs', { last_hits: (state().player || {}).last_hits, denies: now }));
gsi.on('player:gold', (now) => event('gold', 'gold', { gold: now }));
gsi.on('player:gpm', (now) => event('gpm', 'gpm', { gpm: now }));
gsi.on('player:xpm', (now) => event('xpm', 'xpm', { xpm: now }));
gsi.on('player:steamid', (now) => info('me', 'me', 'steam_id', now));
gsi.on('player:team_name', (now) => info('me', 'me', 'team', now));
gsi.on('hero:name', (now) => info('me', 'me', 'hero', now));
gsi.on('hero:level', (now, was) => {
  if (increased(now, was)) event('hero_leveled_up', 'hero_leveled_up', { level: now });
});
gsi.on('hero:alive', (now) => {
  if (now) event('hero_respawned', 'hero_respawned', null);
});
let healthSent = false;
for (const field of ['health', 'max_health', 'mana', 'max_mana']) {
  gsi.on('hero:' + field, () => {
    if (healthSent) return;
    healthSent = true;
    const h = state().hero || {};
    event('hero_health_mana_info', 'hero_health_mana_info', {
      health: h.health, max_health: h.max_health, mana: h.mana, max_mana: h.max_mana,
    });
  });
}
// Per-ability and per-item fields: match the key pattern on every change.
gsi.on('newdata', () => {
  healthSent = false;
});
const originalEmit = gsi.emit.bind(gsi);
gsi.emit = (name, now, was) => {
  const handled = originalEmit(name, now, was);
  let m;
  if ((m = /^abilities:(ability\d+):cooldown$/.exec(name))) {
    const a = state().abilities[m[1]];
    event('hero_ability_cooldown_changed', 'hero_ability_cooldown_changed', { name: a.name, cooldown: now });
  } else if ((m = /^abilities:(ability\d+):level$/.exec(name)) && increased(now, was)) {
    event('hero_ability_skilled', 'hero_ability_skilled', { name: state().abilities[m[1]].name, level: now });
  } else if ((m = /^items:(\w+):cooldown$/.exec(name))) {
    const item = state().items[m[1]];
    event('hero_item_cooldown_changed', 'hero_item_cooldown_changed', { name: item.name, slot: m[1], cooldown: now });
  } else if ((m = /^items:(\w+):name$/.exec(name))) {
    event('hero_item_changed', 'hero_item_changed', { slot: m[1], name: now, previous: was });
  } else if ((m = /^buildings:(radiant|dire):(\w+):health$/.exec(name))) {
    info('buildings', 'buildings', m[1], state().buildings[m[1]]);
  }
  return handled;
};

/** Renders what the snapshot produced: one frame per feature for events, one for info. */
function render() {
  const frames = [];
  for (const [feature, s] of pending) {
    if (s.events.length) {
      seq += 1;
      frames.push({
        feature,
        text: JSON.stringify({
          jsonrpc: '2.0', method: 'onNewEvents', params: { seq, feature, events: s.events },
        }),
      });
    }
    if (s.info) {
      seq += 1;
      frames.push({
        feature,
        text: JSON.stringify({
          jsonrpc: '2.0', method: 'onInfoUpdates2', params: { seq, feature, info: s.info },
        }),
      });
    }
  }
  pending = new Map();
  return frames;
}

// ---- The WebSocket side --------------------------------------------------

/** Subscribed clients: ws → Set of feature names. */
const clients = new Map();

function fanOut(frames) {
  if (!frames.length) return;
  for (const [ws, features] of clients) {
    if (ws.readyState !== 1) continue;
    const socket = ws._socket;
    if (CORK && socket) socket.cork();
    for (const f of frames) {
      if (features.has(f.feature)) ws.send(f.text);
    }
    if (CORK && socket) socket.uncork();
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      res.writeHead(400, { 'content-length': 0 });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    gsi.update(body);
    fanOut(render());
  });
});
server.keepAliveTimeout = 60_000;

const wss = new WebSocketServer({ server, path: '/ws', clientTracking: false, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      return;
    }
    if (msg.method === 'setRequiredFeatures' && msg.params && Array.isArray(msg.params.features)) {
      clients.set(ws, new Set(msg.params.features));
      ws.send(JSON.stringify({
        jsonrpc: '2.0', id: msg.id,
        result: {
          success: true, status: 'success',
          supportedFeatures: msg.params.features, unsupportedFeatures: [],
        },
      }));
    } else if (msg.id !== undefined) {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'method not found' } }));
    }
  });
  ws.on('close', () => clients.delete(ws));
  ws.on('error', () => clients.delete(ws));
});

server.listen(PORT, HOST, () => {
  const a = server.address();
  process.stdout.write(`listening ${a.address}:${a.port}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
