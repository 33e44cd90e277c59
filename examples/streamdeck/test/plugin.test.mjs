// The Stream Deck buyback plugin: its pure logic (src/buyback.js) on a fake clock, the built
// plugin folder checked by Elgato's CLI (`streamdeck validate`), and the bundle
// (bin/plugin.js, built here with `npm run build`'s rollup) started the way Stream Deck starts
// it, between a stand-in Stream Deck socket and a real broker. The property inspector's bundle
// runs in a stand-in page and saves the settings the plugin then uses.
//
//   npm ci --prefix examples/streamdeck        # the SDK, rollup, @elgato/cli, ws
//   node --experimental-websocket --test examples/streamdeck/test/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

import { startBroker, stopAll, Match, inGame, within, REPO } from "../../../web/test-support/broker.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLE = join(HERE, "..");
const PLUGIN_DIR = join(EXAMPLE, "com.wardcast.buyback.sdPlugin");
const BUNDLE = join(PLUGIN_DIR, "bin/plugin.js");
const PI_BUNDLE = join(PLUGIN_DIR, "bin/property-inspector.js");
const ACTION = "com.wardcast.buyback.cooldown";
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

const bin = (pkg, file) => {
  const path = join(EXAMPLE, "node_modules", pkg, file);
  if (!existsSync(path)) throw new Error(`${pkg} is missing: run \`npm ci --prefix examples/streamdeck\` first`);
  return path;
};
const ROLLUP = bin("rollup", "dist/bin/rollup");
const STREAMDECK_CLI = bin("@elgato/cli", "bin/streamdeck.mjs");
const { WebSocketServer, WebSocket } = await import(bin("ws", "wrapper.mjs"));
const Buyback = await import("../src/buyback.js");

// Runs `node args...` in cwd; resolves with {code, output}.
async function run(what, args, cwd, ms = 60_000) {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const [code] = await within(what, once(child, "exit"), ms);
  return { code, output };
}

// `npm run build`: the bundle the tests run (a fresh clone has no bin/).
before(async () => {
  const { code, output } = await run("npm run build (rollup -c)", [ROLLUP, "-c"], EXAMPLE);
  assert.equal(code, 0, output);
});

const children = new Set();
const dirs = [];
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await stopAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ the plugin folder

test("manifest.json: SDK v2, Node.js 20, CodePath the rollup bundle, the buyback action", () => {
  const m = readJson(join(PLUGIN_DIR, "manifest.json"));
  assert.equal(m.SDKVersion, 2);
  assert.equal(m.UUID, "com.wardcast.buyback");
  assert.equal(m.CodePath, "bin/plugin.js");
  assert.deepEqual(m.Nodejs, { Version: "20" });
  assert.equal(m.Software.MinimumVersion, "6.4");
  assert.ok(m.OS.some((o) => o.Platform === "windows") && m.OS.some((o) => o.Platform === "mac"));
  assert.equal(m.Actions.length, 1);
  const a = m.Actions[0];
  assert.equal(a.UUID, ACTION);
  assert.equal(a.States[0].Title, Buyback.NO_GAME);
  assert.equal(a.PropertyInspectorPath, "ui/buyback.html");
  assert.match(readFileSync(join(PLUGIN_DIR, a.PropertyInspectorPath), "utf8"), /<script src="\.\.\/bin\/property-inspector\.js"><\/script>/);
  // The bundle is an ES module (bin/package.json, as Elgato's scaffold emits it) and imports
  // nothing but Node's built-in modules: the folder needs no node_modules.
  assert.deepEqual(readJson(join(PLUGIN_DIR, "bin/package.json")), { type: "module" });
  const imports = [...readFileSync(BUNDLE, "utf8").matchAll(/^import .* from '([^']+)';$/gm)].map((x) => x[1]);
  assert.ok(imports.length > 0);
  for (const name of imports) assert.ok(builtinModules.includes(name.replace(/^node:/, "")), `bin/plugin.js imports ${name}`);
});

test("streamdeck validate (@elgato/cli, offline) passes on the built plugin folder", async () => {
  const { code, output } = await run("streamdeck validate", [STREAMDECK_CLI, "validate", "--no-update-check", PLUGIN_DIR], EXAMPLE);
  assert.equal(code, 0, output);
  assert.match(output, /Validation successful/);
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
  // A real event: games/dota2/tests/cases/hero_buyback_info_every_4s.
  const every4s = readJson(join(REPO, "games/dota2/tests/cases/hero_buyback_info_every_4s/expected.json")).events.find((e) => e.name === "hero_buyback_info_changed");
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
  // games/dota2/tests/cases/hero_buyback_cooldown_ticking: cooldown 299.
  const ticking = readJson(join(REPO, "games/dota2/tests/cases/hero_buyback_cooldown_ticking/expected.json")).events.find((e) => e.name === "hero_buyback_info_changed");
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
  const outputs = readJson(join(REPO, "games/dota2/tests/sequences/spectator_10players_40.expected.json"));
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

// ------------------------------------------------------------------ the stand-in Stream Deck

const DEVICE = "DEV1";
// What Stream Deck passes as -info (registration info), with one Stream Deck MK.2.
const INFO = {
  application: { font: ".AppleSystemUIFont", language: "en", platform: "windows", platformVersion: "10.0.19045", version: "6.8.1.21263" },
  colors: { buttonPressedBackgroundColor: "#303030FF", buttonPressedBorderColor: "#646464FF", buttonPressedTextColor: "#969696FF", disabledColor: "#F7821B59", highlightColor: "#F7821BFF", mouseDownColor: "#CF6304FF" },
  devicePixelRatio: 2,
  devices: [{ id: DEVICE, name: "Stream Deck", size: { columns: 5, rows: 3 }, type: 7 }],
  plugin: { uuid: "com.wardcast.buyback", version: "0.1.0.0" },
};
const keyEvent = (event, context, column = 0) => ({
  action: ACTION,
  event,
  context,
  device: DEVICE,
  payload: { controller: "Keypad", coordinates: { column, row: 0 }, isInMultiAction: false, settings: {}, state: 0 },
});

// The Stream Deck app, as far as a plugin sees it: a WebSocket server on 127.0.0.1. Each
// socket that connects (the plugin, a property inspector) is a "peer" that records every
// message; peer.waitFor(pred) resolves with the first message matching pred that no earlier
// waitFor took (so two waits for the same title need two such messages).
async function standInStreamDeck(t) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await within("the stand-in Stream Deck listening", once(wss, "listening"));
  const pending = [];
  const queued = [];
  wss.on("connection", (sock) => {
    const peer = { socket: sock, messages: [], taken: new Set(), waiters: [] };
    sock.on("message", (data) => {
      peer.messages.push(JSON.parse(data.toString()));
      peer.waiters = peer.waiters.filter((w) => !w.check());
    });
    peer.send = (msg) => sock.send(JSON.stringify(msg));
    peer.waitFor = (what, pred) => within(`Stream Deck gets: ${what}`, new Promise((resolve) => {
      const w = {
        check() {
          for (let i = 0; i < peer.messages.length; i++) {
            if (!peer.taken.has(i) && pred(peer.messages[i])) {
              peer.taken.add(i);
              resolve(peer.messages[i]);
              return true;
            }
          }
          return false;
        },
      };
      if (!w.check()) peer.waiters.push(w);
    }));
    peer.title = (context, title) => peer.waitFor(`setTitle ${context} ${JSON.stringify(title)}`, (m) =>
      m.event === "setTitle" && m.context === context && (typeof title === "function" ? title(m.payload.title) : m.payload.title === title));
    if (pending.length) pending.shift()(peer);
    else queued.push(peer);
  });
  t.after(() => new Promise((resolve) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => resolve());
  }));
  return {
    port: wss.address().port,
    /** The next socket to connect. */
    peer: (what) => within(`${what} to connect to Stream Deck`, new Promise((resolve) => (queued.length ? resolve(queued.shift()) : pending.push(resolve)))),
  };
}

// Installs the built plugin folder (a copy, as into Stream Deck's Plugins folder: no
// node_modules, no repository around it) and starts it as Stream Deck does: its folder as the
// working directory, `node bin/plugin.js -port P -pluginUUID U -registerEvent E -info JSON`.
function startPlugin(deck) {
  const root = mkdtempSync(join(tmpdir(), "wardcast-streamdeck-"));
  dirs.push(root);
  const dir = join(root, "com.wardcast.buyback.sdPlugin");
  cpSync(PLUGIN_DIR, dir, { recursive: true, filter: (src) => !src.endsWith("/logs") });
  mkdirSync(join(dir, "logs"));
  const child = spawn(process.execPath, ["bin/plugin.js", "-port", String(deck.port), "-pluginUUID", "PLUGIN-UUID",
    "-registerEvent", "registerPlugin", "-info", JSON.stringify(INFO)], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  children.add(child);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  child.output = () => output;
  child.exited = once(child, "exit");
  // The plugin's log, written by the SDK's logger: logs/com.wardcast.buyback.0.log.
  const logFile = join(dir, "logs/com.wardcast.buyback.0.log");
  child.log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  child.waitLog = (what, re) => {
    let watcher;
    return within(`plugin log: ${what}`, new Promise((resolve) => {
      const check = () => {
        const line = child.log().split("\n").find((l) => re.test(l));
        if (line) resolve(line);
      };
      watcher = watch(join(dir, "logs"), check);
      check();
    })).finally(() => watcher.close());
  };
  return child;
}

async function stop(plugin) {
  if (plugin.exitCode !== null || plugin.signalCode !== null) return;
  plugin.kill("SIGTERM"); // Stream Deck stops its plugins' processes
  await within("the plugin to exit", plugin.exited);
}

// A real in-game body (lifecycle post 10) with the hero's buyback cooldown set.
function buybackBody(match, cooldown) {
  match.clock += 30; // also past the "every 4 s" rule, so buyback info fires
  const body = inGame(match.clock, match.player);
  body.hero.buyback_cooldown = cooldown;
  return body;
}

// A free 127.0.0.1 address: a broker started and stopped.
async function freeAddr() {
  const broker = await startBroker();
  await broker.stop();
  return broker.addr;
}

// ------------------------------------------------------------------ the plugin, end to end

test("plugin: registers, reads the URL setting, and titles the key from a real broker", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const deck = await standInStreamDeck(t);
  const plugin = startPlugin(deck);
  t.after(() => stop(plugin));
  const sd = await deck.peer("the plugin");

  // The SDK's registration, then the plugin asks for its global settings.
  await sd.waitFor("registerPlugin", (m) => m.event === "registerPlugin" && m.uuid === "PLUGIN-UUID");
  await sd.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings" && m.context === "PLUGIN-UUID");
  sd.send({ event: "didReceiveGlobalSettings", payload: { settings: { wardcastUrl: `http://${broker.addr}` } } });
  await plugin.waitLog("connecting", new RegExp(`INFO  Wardcast: connecting to ws://${broker.addr}/ws$`));
  await plugin.waitLog("subscribed", /Wardcast: subscribed to hero_buyback_info_changed, hero_boughtback, game, me, roster, pause$/);

  // A key appears: no game yet.
  sd.send(keyEvent("willAppear", "KEY1"));
  await sd.title("KEY1", "BB\n\u2014");

  // Real GSI bodies: a baseline, then buyback available, then on cooldown.
  const match = new Match(broker);
  await match.baseline();
  await broker.post(buybackBody(match, 0));
  await sd.title("KEY1", "BB\nready");
  await broker.post(buybackBody(match, 42));
  await sd.title("KEY1", "BB\n0:42");
  // No more posts: the plugin counts down by itself, one title per second.
  await sd.title("KEY1", "BB\n0:41");

  // The key moves (willDisappear + willAppear with a new context): only the new one is titled.
  sd.send(keyEvent("willDisappear", "KEY1"));
  sd.send(keyEvent("willAppear", "KEY2", 1));
  const first = await sd.title("KEY2", (title) => /^BB\n0:[0-4]\d$/.test(title));
  const firstAt = sd.messages.indexOf(first);
  await broker.post(buybackBody(match, 0));
  await sd.title("KEY2", "BB\nready");
  assert.ok(!sd.messages.slice(firstAt).some((m) => m.event === "setTitle" && m.context === "KEY1"), "KEY1 gets nothing after willDisappear");

  // The game closes: a real "back to the menu" body.
  await broker.post(readJson(join(REPO, "games/dota2/tests/cases/game_state_changed_playing_to_idle/next.json")));
  await sd.title("KEY2", "BB\n\u2014");
  await stop(plugin);
  assert.doesNotMatch(plugin.log(), /ERROR|WARN /, plugin.log());
});

test("plugin: with no broker the key shows a dash; a key press dials at once when the broker is there", async (t) => {
  const deck = await standInStreamDeck(t);
  const addr = await freeAddr();
  const plugin = startPlugin(deck);
  t.after(() => stop(plugin));
  const sd = await deck.peer("the plugin");
  await sd.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings");
  sd.send({ event: "didReceiveGlobalSettings", payload: { settings: { wardcastUrl: `ws://${addr}/ws` } } });
  sd.send(keyEvent("willAppear", "K"));
  await sd.title("K", "BB\n\u2014");
  await plugin.waitLog("the first attempt fails", /Wardcast: connection lost \(1006.*\), retrying in \d+ ms$/);

  const broker = await startBroker({ listen: addr });
  t.after(() => broker.stop());
  // A key press dials at once instead of waiting for the backoff.
  sd.send(keyEvent("keyUp", "K"));
  await plugin.waitLog("subscribed", /Wardcast: subscribed to /);
  const match = new Match(broker);
  await match.baseline();
  await broker.post(buybackBody(match, 5));
  await sd.title("K", "BB\n0:05");
});

// The property inspector page (ui/buyback.html), as far as its script sees it: the two inputs
// and the WebSocket of the page. input.changed(value) resolves when the script sets the value.
function standInPage() {
  const inputs = {};
  for (const id of ["wardcastUrl", "token"]) {
    const listeners = [];
    let value = "";
    let onSet = null;
    inputs[id] = {
      get value() {
        return value;
      },
      set value(v) {
        value = v;
        if (onSet) onSet(v);
      },
      addEventListener: (type, fn) => type === "change" && listeners.push(fn),
      type: (v) => {
        value = v;
        for (const fn of listeners) fn({ type: "change", target: inputs[id] });
      },
      changed: (what) => within(`the page shows ${what}`, new Promise((resolve) => (onSet = resolve))),
    };
  }
  const page = {
    document: { getElementById: (id) => inputs[id] || null },
    navigator: { language: "en-US" },
    location: { href: "file:///C:/Users/me/AppData/Roaming/Elgato/StreamDeck/Plugins/com.wardcast.buyback.sdPlugin/ui/buyback.html" },
    WebSocket,
    console,
    setTimeout,
    clearTimeout,
  };
  page.window = page;
  vm.createContext(page);
  vm.runInContext(readFileSync(PI_BUNDLE, "utf8"), page, { filename: PI_BUNDLE });
  return { page, inputs };
}

test("property inspector: shows the global settings and saves them; the plugin reconnects to the new broker", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const deck = await standInStreamDeck(t);
  const plugin = startPlugin(deck);
  t.after(() => stop(plugin));
  const sd = await deck.peer("the plugin");
  await sd.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings" && m.context === "PLUGIN-UUID");
  let globalSettings = { wardcastUrl: await freeAddr(), token: "" }; // nothing there
  sd.send({ event: "didReceiveGlobalSettings", payload: { settings: globalSettings } });
  sd.send(keyEvent("willAppear", "K"));
  await sd.title("K", "BB\n\u2014");

  // The user selects the key: Stream Deck loads the page and calls connectElgatoStreamDeckSocket.
  const { page, inputs } = standInPage();
  assert.equal(typeof page.connectElgatoStreamDeckSocket, "function");
  const shown = inputs.wardcastUrl.changed(globalSettings.wardcastUrl);
  page.connectElgatoStreamDeckSocket(deck.port, "PI-UUID", "registerPropertyInspector", JSON.stringify(INFO),
    JSON.stringify({ action: ACTION, context: "K", device: DEVICE, payload: { controller: "Keypad", coordinates: { column: 0, row: 0 }, settings: {} } }));
  const pi = await deck.peer("the property inspector");
  await pi.waitFor("registerPropertyInspector", (m) => m.event === "registerPropertyInspector" && m.uuid === "PI-UUID");
  await pi.waitFor("getGlobalSettings", (m) => m.event === "getGlobalSettings" && m.context === "PI-UUID");
  pi.send({ event: "didReceiveGlobalSettings", payload: { settings: globalSettings } });
  assert.equal(await shown, globalSettings.wardcastUrl);

  // The user types the broker's address: the page saves the global settings, and Stream Deck
  // hands them to the plugin, which connects there.
  inputs.wardcastUrl.type(`  ${broker.addr} `);
  const saved = await pi.waitFor("setGlobalSettings", (m) => m.event === "setGlobalSettings" && m.context === "PI-UUID");
  assert.deepEqual(saved.payload, { wardcastUrl: broker.addr, token: "" });
  globalSettings = saved.payload;
  sd.send({ event: "didReceiveGlobalSettings", payload: { settings: globalSettings } });
  await plugin.waitLog("connecting to the new broker", new RegExp(`Wardcast: connecting to ws://${broker.addr}/ws$`));
  await plugin.waitLog("subscribed", /Wardcast: subscribed to /);
  const match = new Match(broker);
  await match.baseline();
  await broker.post(buybackBody(match, 0));
  await sd.title("K", "BB\nready");
  pi.socket.close();
});
