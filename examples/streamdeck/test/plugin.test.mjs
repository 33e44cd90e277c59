// The Stream Deck buyback plugin: its pure logic (buyback.js) on a fake clock, its small
// WebSocket client (websocket.js) against the `ws` server, and the whole plugin started the
// way Stream Deck starts it, between a fake Stream Deck socket and a real broker.
//
//   npm ci --prefix examples/streamdeck        # the `ws` package (the fake Stream Deck)
//   node --experimental-websocket --test examples/streamdeck/test/
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { startBroker, stopAll, Match, inGame, within, T, REPO, WARDCAST_JS } from "../../../web/test-support/broker.mjs";

const require = createRequire(import.meta.url);
let WebSocketServer;
try {
  ({ WebSocketServer } = require("ws"));
} catch {
  throw new Error("the `ws` package is missing: run `npm ci --prefix examples/streamdeck` first");
}

const HERE = dirname(fileURLToPath(import.meta.url));
const PLUGIN_DIR = join(HERE, "../com.wardcast.buyback.sdPlugin");
const Buyback = require(join(PLUGIN_DIR, "buyback.js"));
const MiniWebSocket = require(join(PLUGIN_DIR, "websocket.js"));
const ACTION = "com.wardcast.buyback.cooldown";
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

const children = new Set();
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await stopAll();
});

// ------------------------------------------------------------------ manifest

test("manifest.json: SDK v2, a Node.js plugin, the buyback action", () => {
  const m = readJson(join(PLUGIN_DIR, "manifest.json"));
  assert.equal(m.SDKVersion, 2);
  assert.equal(m.CodePath, "plugin.js");
  assert.deepEqual(m.Nodejs, { Version: "20" });
  assert.equal(m.Software.MinimumVersion, "6.4");
  assert.ok(m.OS.some((o) => o.Platform === "windows") && m.OS.some((o) => o.Platform === "mac"));
  for (const k of ["Name", "Version", "Author", "Description", "Category", "Icon"]) assert.ok(m[k], k);
  assert.equal(m.Actions.length, 1);
  const a = m.Actions[0];
  assert.equal(a.UUID, ACTION);
  for (const k of ["Name", "Icon", "States", "Tooltip"]) assert.ok(a[k], k);
  assert.equal(a.States[0].Title, Buyback.NO_GAME);
  // Every referenced file exists (images without extension: .png or .svg).
  const exists = (p) => ["", ".png", ".svg"].some((ext) => { try { readFileSync(join(PLUGIN_DIR, p + ext)); return true; } catch { return false; } });
  for (const p of [m.CodePath, m.Icon, m.CategoryIcon, a.Icon, a.States[0].Image, a.PropertyInspectorPath]) assert.ok(exists(p), p);
});

// ------------------------------------------------------------------ buyback.js, pure

function playing(now = 0) {
  const s = Buyback.create();
  Buyback.setConnection(s, "open");
  Buyback.applyInfo(s, { game: { game_state: "playing", match_state: "DOTA_GAMERULES_STATE_GAME_IN_PROGRESS" } }, now);
  return s;
}

test("title: no connection, no game or no data is a dash; 0 is ready; else m:ss", () => {
  const s = Buyback.create();
  assert.equal(Buyback.title(s, 0), "BB\n\u2014");
  Buyback.setConnection(s, "open");
  assert.equal(Buyback.title(s, 0), "BB\n\u2014", "connected, no game");
  Buyback.applyInfo(s, { game: { game_state: "playing" } }, 0);
  assert.equal(Buyback.title(s, 0), "BB\n\u2014", "in a game, no buyback data yet");
  // A real event: crates/wardcast-engine/tests/cases/hero_buyback_info_every_4s.
  const every4s = readJson(join(REPO, "crates/wardcast-engine/tests/cases/hero_buyback_info_every_4s/expected.json")).events.find((e) => e.name === "hero_buyback_info_changed");
  assert.equal(every4s.data.buyback_cooldown, 0);
  Buyback.applyEvent(s, every4s.name, every4s.data, 0);
  assert.equal(Buyback.title(s, 0), "BB\nready");
  assert.equal(Buyback.nextChange(s, 0), null, "nothing to count down");
  Buyback.setConnection(s, "reconnecting");
  assert.equal(Buyback.title(s, 0), "BB\n\u2014");
});

test("countdown: each second from the last cooldown value, down to ready", () => {
  const t0 = 1_000_000;
  const s = playing(t0);
  // crates/wardcast-engine/tests/cases/hero_buyback_cooldown_ticking: cooldown 299.
  const ticking = readJson(join(REPO, "crates/wardcast-engine/tests/cases/hero_buyback_cooldown_ticking/expected.json")).events.find((e) => e.name === "hero_buyback_info_changed");
  Buyback.applyEvent(s, ticking.name, ticking.data, t0);
  assert.equal(Buyback.title(s, t0), "BB\n4:59");
  assert.equal(Buyback.title(s, t0 + 999), "BB\n4:59");
  assert.equal(Buyback.title(s, t0 + 1000), "BB\n4:58");
  assert.equal(Buyback.nextChange(s, t0 + 250), 750);
  assert.equal(Buyback.title(s, t0 + 299_000), "BB\nready");
  assert.equal(Buyback.title(s, t0 + 500_000), "BB\nready", "never negative");

  // hero_boughtback starts a new cooldown; later events re-base the countdown.
  Buyback.applyEvent(s, "hero_boughtback", { buyback_cooldown: 42 }, t0 + 10_000);
  assert.equal(Buyback.title(s, t0 + 10_000), "BB\n0:42");
  assert.equal(Buyback.title(s, t0 + 12_500), "BB\n0:40");
  Buyback.applyEvent(s, "hero_buyback_info_changed", { buyback_cost: 712, buyback_cooldown: 41 }, t0 + 12_600);
  assert.equal(Buyback.title(s, t0 + 12_600), "BB\n0:41");
  assert.equal(Buyback.title(s, t0 + 12_600 + 41_000), "BB\nready");
});

test("pause freezes the countdown; unpause resumes it", () => {
  const s = playing(0);
  Buyback.applyEvent(s, "hero_buyback_info_changed", { buyback_cost: 500, buyback_cooldown: 60 }, 0);
  Buyback.applyInfo(s, { pause: { paused: true } }, 10_400); // 49.6 s left: shows 0:50
  assert.equal(Buyback.title(s, 10_400), "BB\n0:50");
  assert.equal(Buyback.title(s, 70_000), "BB\n0:50");
  assert.equal(Buyback.nextChange(s, 70_000), null);
  Buyback.applyInfo(s, { pause: { paused: false } }, 100_000);
  assert.equal(Buyback.title(s, 100_000), "BB\n0:50");
  assert.equal(Buyback.title(s, 101_000), "BB\n0:49");
});

test("leaving the match forgets the cooldown", () => {
  const s = playing(0);
  Buyback.applyEvent(s, "hero_buyback_info_changed", { buyback_cost: 500, buyback_cooldown: 60 }, 0);
  Buyback.applyInfo(s, { game: { game_state: "idle", match_state: null } }, 1000);
  assert.equal(Buyback.title(s, 1000), "BB\n\u2014");
  Buyback.applyInfo(s, { game: { game_state: "playing" } }, 2000);
  assert.equal(Buyback.title(s, 2000), "BB\n\u2014", "a new match starts without data");
});

test("spectating (40 real bodies): the followed hero's buyback, not the last player's", () => {
  const s = Buyback.create();
  Buyback.setConnection(s, "open");
  const outputs = readJson(join(REPO, "crates/wardcast-engine/tests/sequences/spectator_10players_40.expected.json"));
  outputs.forEach((out, i) => {
    for (const x of out.info) Buyback.applyInfo(s, { [x.category]: { [x.key]: x.value } }, i * 1000);
    for (const e of out.events) Buyback.applyEvent(s, e.name, e.data, i * 1000);
  });
  const now = (outputs.length - 1) * 1000;
  assert.equal(Buyback.meKey(s), "0"); // N0tail's Chen, selected_unit
  assert.equal(Buyback.title(s, now), "BB\nready");
  // The observer selects player 5 (dire), whose buyback is on cooldown.
  const p5 = s.roster.find((p) => p.player_index === 5);
  Buyback.applyInfo(s, { me: { steam_id: p5.steamId, team: "dire" } }, now);
  assert.equal(Buyback.meKey(s), "5");
  assert.match(Buyback.title(s, now), /^BB\n\d+:\d\d$/);
  assert.notEqual(Buyback.title(s, now), "BB\nready");
});

test("wardcastUrl: the global setting, normalised", () => {
  assert.equal(Buyback.wardcastUrl(undefined), "ws://127.0.0.1:7314/ws");
  assert.equal(Buyback.wardcastUrl(""), "ws://127.0.0.1:7314/ws");
  assert.equal(Buyback.wardcastUrl("192.168.1.20:7314"), "ws://192.168.1.20:7314/ws");
  assert.equal(Buyback.wardcastUrl("http://192.168.1.20:7314"), "ws://192.168.1.20:7314/ws");
  assert.equal(Buyback.wardcastUrl("https://deck.lan/"), "wss://deck.lan/ws");
  assert.equal(Buyback.wardcastUrl("ws://10.0.0.2:9000/ws"), "ws://10.0.0.2:9000/ws");
  assert.equal(Buyback.wardcastUrl("ftp://x"), "ws://127.0.0.1:7314/ws");
  assert.equal(Buyback.wardcastUrl("::nonsense::"), "ws://127.0.0.1:7314/ws");
});

// ------------------------------------------------------------------ websocket.js

async function wsServer(t, onConnection) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await within("ws server listening", once(wss, "listening"));
  wss.on("connection", onConnection);
  t.after(() => new Promise((resolve) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => resolve());
  }));
  return `ws://127.0.0.1:${wss.address().port}`;
}

// Resolves with the next event `type` of a websocket.js socket.
const nextEvent = (ws, type) => within(`websocket.js "${type}"`, new Promise((resolve) => {
  const fn = (e) => {
    ws.removeEventListener(type, fn);
    resolve(e);
  };
  ws.addEventListener(type, fn);
}));

test("websocket.js: text both ways, 16- and 64-bit lengths, fragments, ping, close codes", async (t) => {
  let onConnection;
  const connected = new Promise((resolve) => (onConnection = resolve));
  const url = await wsServer(t, (sock) => onConnection(sock));
  const ws = new MiniWebSocket(`${url}/path?q=1`);
  const opened = nextEvent(ws, "open");
  const sock = await within("the server's connection", connected);
  await opened;
  assert.equal(ws.readyState, MiniWebSocket.OPEN);

  for (const size of [5, 200, 70_000]) {
    const text = "\u00e9".repeat(size); // multi-byte UTF-8: 2 bytes each
    const serverGot = within(`the server gets ${size} characters`, once(sock, "message"));
    ws.send(text);
    const [data, isBinary] = await serverGot;
    assert.equal(isBinary, false);
    assert.equal(data.toString(), text);
    const msg = nextEvent(ws, "message");
    sock.send(text);
    assert.equal((await msg).data, text);
  }
  // A fragmented message from the server.
  const frag = nextEvent(ws, "message");
  sock.send("hello ", { fin: false });
  sock.send("fragmented ", { fin: false });
  sock.send("world", { fin: true });
  assert.equal((await frag).data, "hello fragmented world");
  // Ping: answered with a pong carrying the same payload.
  const pong = within("pong", once(sock, "pong"));
  sock.ping("p1");
  assert.equal((await pong)[0].toString(), "p1");
  // The server closes with a code and reason.
  const closed = nextEvent(ws, "close");
  sock.close(4008, "slow consumer");
  const c = await closed;
  assert.deepEqual({ code: c.code, reason: c.reason, wasClean: c.wasClean }, { code: 4008, reason: "slow consumer", wasClean: true });
  assert.equal(ws.readyState, MiniWebSocket.CLOSED);
});

test("websocket.js: client close is clean; refused and non-WebSocket answers fail with 1006", async (t) => {
  let onConnection;
  const connected = new Promise((resolve) => (onConnection = resolve));
  const url = await wsServer(t, (sock) => onConnection(sock));
  const ws = new MiniWebSocket(url);
  await nextEvent(ws, "open");
  const serverSide = await within("the server's connection", connected);
  const serverClosed = within("the server sees the close", once(serverSide, "close"));
  const closed = nextEvent(ws, "close");
  ws.close(1000, "bye");
  const [code, reason] = await serverClosed;
  assert.deepEqual([code, reason.toString()], [1000, "bye"]);
  const c = await closed;
  assert.equal(c.code, 1000);
  assert.equal(c.wasClean, true);

  // Nothing listening (a port just freed): error, then close 1006.
  const free = createServer().listen(0, "127.0.0.1");
  await within("a free port", once(free, "listening"));
  const port = free.address().port;
  await new Promise((resolve) => free.close(resolve));
  const refused = new MiniWebSocket(`ws://127.0.0.1:${port}/`);
  const [err, close] = await Promise.all([nextEvent(refused, "error"), nextEvent(refused, "close")]);
  assert.ok(err.message);
  assert.equal(close.code, 1006);

  // An HTTP server that does not upgrade (the broker's /healthz).
  const broker = await startBroker();
  t.after(() => broker.stop());
  const plain = new MiniWebSocket(`ws://${broker.addr}/healthz`);
  const [e2, c2] = await Promise.all([nextEvent(plain, "error"), nextEvent(plain, "close")]);
  assert.match(e2.message, /HTTP \d+/);
  assert.equal(c2.code, 1006);
});

// ------------------------------------------------------------------ the plugin, end to end

// The Stream Deck app, faked: a WebSocket server the plugin connects to. It records every
// message, and waitFor(pred) resolves with the first message matching pred that no earlier
// waitFor took (so two waits for the same title need two such messages).
async function fakeStreamDeck(t) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await within("fake Stream Deck listening", once(wss, "listening"));
  const deck = { port: wss.address().port, messages: [], socket: null, taken: new Set(), waiters: [] };
  const connected = new Promise((resolve) => wss.once("connection", resolve));
  deck.connected = within("the plugin to connect to Stream Deck", connected).then((sock) => {
    deck.socket = sock;
    sock.on("message", (data) => {
      deck.messages.push(JSON.parse(data.toString()));
      deck.waiters = deck.waiters.filter((w) => !w.check());
    });
    return sock;
  });
  deck.send = (msg) => deck.socket.send(JSON.stringify(msg));
  deck.waitFor = (what, pred) => within(`Stream Deck message: ${what}`, new Promise((resolve) => {
    const w = {
      check() {
        for (let i = 0; i < deck.messages.length; i++) {
          if (!deck.taken.has(i) && pred(deck.messages[i])) {
            deck.taken.add(i);
            resolve(deck.messages[i]);
            return true;
          }
        }
        return false;
      },
    };
    if (!w.check()) deck.waiters.push(w);
  }));
  deck.title = (context, title) => deck.waitFor(`setTitle ${context} ${JSON.stringify(title)}`, (m) =>
    m.event === "setTitle" && m.context === context && (typeof title === "function" ? title(m.payload.title) : m.payload.title === title));
  t.after(() => new Promise((resolve) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => resolve());
  }));
  return deck;
}

function startPlugin(deck, flags = []) {
  const info = { application: { language: "en", platform: "windows", version: "6.6.0" }, plugin: { uuid: "com.wardcast.buyback", version: "0.1.0.0" } };
  // Plain `node`, no --experimental-websocket: as on Stream Deck's Node 20, the plugin falls
  // back to websocket.js for both sockets.
  const child = spawn(process.execPath, [...flags, join(PLUGIN_DIR, "plugin.js"), "-port", String(deck.port), "-pluginUUID", "PLUGIN-UUID",
    "-registerEvent", "registerPlugin", "-info", JSON.stringify(info)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WARDCAST_JS, NODE_OPTIONS: "" },
  });
  children.add(child);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  child.output = () => output;
  child.exited = once(child, "exit");
  return child;
}

// A real in-game body (lifecycle post 10) with the hero's buyback cooldown set.
function buybackBody(match, cooldown) {
  match.clock += 30; // also past the "every 4 s" rule, so buyback info fires
  const body = inGame(match.clock, match.player);
  body.hero.buyback_cooldown = cooldown;
  return body;
}

test("plugin: registers, reads the URL setting, and titles the key from a real broker", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const deck = await fakeStreamDeck(t);
  const plugin = startPlugin(deck);
  t.after(() => plugin.exitCode === null && plugin.kill("SIGKILL"));
  await deck.connected;

  // The standard registration, then the global settings.
  await deck.waitFor("registerPlugin", (m) => m.event === "registerPlugin" && m.uuid === "PLUGIN-UUID");
  await deck.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings" && m.context === "PLUGIN-UUID");
  deck.send({ event: "didReceiveGlobalSettings", payload: { settings: { wardcastUrl: `http://${broker.addr}` } } });
  await deck.waitFor("log: connecting", (m) => m.event === "logMessage" && m.payload.message.includes(`connecting to ws://${broker.addr}/ws`));
  await deck.waitFor("log: subscribed", (m) => m.event === "logMessage" && /subscribed to hero_buyback_info_changed, hero_boughtback, game, me, roster, pause/.test(m.payload.message));

  // A key appears: no game yet.
  deck.send({ action: ACTION, event: "willAppear", context: "KEY1", device: "DEV1",
    payload: { settings: {}, coordinates: { column: 0, row: 0 }, controller: "Keypad", state: 0, isInMultiAction: false } });
  await deck.title("KEY1", "BB\n\u2014");

  // Real GSI bodies: a baseline, then buyback available, then on cooldown.
  const match = new Match(broker);
  await match.baseline();
  await broker.post(buybackBody(match, 0));
  await deck.title("KEY1", "BB\nready");
  await broker.post(buybackBody(match, 42));
  await deck.title("KEY1", "BB\n0:42");
  // No more posts: the plugin counts down by itself, one title per second.
  await deck.title("KEY1", "BB\n0:41");

  // The key moves (willDisappear + willAppear with a new context): only the new one is titled.
  deck.send({ action: ACTION, event: "willDisappear", context: "KEY1", device: "DEV1", payload: { settings: {}, coordinates: { column: 0, row: 0 } } });
  deck.send({ action: ACTION, event: "willAppear", context: "KEY2", device: "DEV1", payload: { settings: {}, coordinates: { column: 1, row: 0 } } });
  const first = await deck.title("KEY2", (title) => /^BB\n0:[0-4]\d$/.test(title));
  const firstAt = deck.messages.indexOf(first);
  await broker.post(buybackBody(match, 0));
  await deck.title("KEY2", "BB\nready");
  assert.ok(!deck.messages.slice(firstAt).some((m) => m.event === "setTitle" && m.context === "KEY1"), "KEY1 gets nothing after willDisappear");

  // The game closes: a real "back to the menu" body.
  await broker.post(readJson(join(REPO, "crates/wardcast-engine/tests/cases/game_state_changed_playing_to_idle/next.json")));
  await deck.title("KEY2", "BB\n\u2014");

  // Stream Deck quits: the plugin exits by itself.
  deck.socket.close(1000);
  const [code] = await within("the plugin to exit", plugin.exited);
  assert.equal(code, 0, plugin.output());
});

test("plugin: with no broker the key shows a dash, and it connects once the broker is there", async (t) => {
  const deck = await fakeStreamDeck(t);
  // An address where nothing listens yet: a broker started, stopped, then started again on it.
  const first = await startBroker();
  const addr = first.addr;
  await first.stop();
  const plugin = startPlugin(deck);
  t.after(() => plugin.exitCode === null && plugin.kill("SIGKILL"));
  await deck.connected;
  await deck.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings");
  deck.send({ event: "didReceiveGlobalSettings", payload: { settings: { wardcastUrl: `ws://${addr}/ws` } } });
  deck.send({ action: ACTION, event: "willAppear", context: "K", device: "D", payload: { settings: {}, coordinates: { column: 0, row: 0 } } });
  await deck.title("K", "BB\n\u2014");

  const broker = await startBroker({ listen: addr });
  t.after(() => broker.stop());
  // A key press dials at once instead of waiting for the backoff.
  deck.send({ action: ACTION, event: "keyUp", context: "K", device: "D", payload: { settings: {}, coordinates: { column: 0, row: 0 } } });
  await deck.waitFor("log: subscribed", (m) => m.event === "logMessage" && m.payload.message.startsWith("wardcast-buyback: subscribed"));
  const match = new Match(broker);
  await match.baseline();
  await broker.post(buybackBody(match, 5));
  await deck.title("K", "BB\n0:05");
  deck.socket.close(1000);
  const [code] = await within("the plugin to exit", plugin.exited);
  assert.equal(code, 0, plugin.output());
});

test("plugin: on a Node with a global WebSocket (22+, or the flag) it uses that one", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const deck = await fakeStreamDeck(t);
  const plugin = startPlugin(deck, ["--experimental-websocket"]);
  t.after(() => plugin.exitCode === null && plugin.kill("SIGKILL"));
  await deck.connected;
  await deck.waitFor("registerPlugin", (m) => m.event === "registerPlugin" && m.uuid === "PLUGIN-UUID");
  await deck.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings");
  deck.send({ event: "didReceiveGlobalSettings", payload: { settings: { wardcastUrl: broker.addr } } });
  deck.send({ action: ACTION, event: "willAppear", context: "K", device: "D", payload: { settings: {}, coordinates: { column: 0, row: 0 } } });
  await deck.title("K", "BB\n\u2014");
  await deck.waitFor("log: subscribed", (m) => m.event === "logMessage" && m.payload.message.startsWith("wardcast-buyback: subscribed"));
  const match = new Match(broker);
  await match.baseline();
  await broker.post(buybackBody(match, 0));
  await deck.title("K", "BB\nready");
  deck.socket.close(1000);
  const [code] = await within("the plugin to exit", plugin.exited);
  assert.equal(code, 0, plugin.output());
});
