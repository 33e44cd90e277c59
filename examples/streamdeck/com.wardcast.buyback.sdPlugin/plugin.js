/*!
 * Wardcast buyback key: a Stream Deck plugin (SDK v2, Node.js) that shows the buyback
 * cooldown of your hero (or, when spectating, of the hero the observer follows):
 *
 *   "BB\n0:42"   on cooldown, counting down every second from the last value the game sent
 *   "BB\nready"  buyback available
 *   "BB\n—"      no game, no data yet, or no connection to Wardcast
 *
 * Stream Deck starts it as `node plugin.js -port P -pluginUUID U -registerEvent E -info JSON`.
 * It registers on ws://127.0.0.1:P, reads the global setting `wardcastUrl` (and `token`)
 * that the property inspector (pi.html) writes, and subscribes to Wardcast with wardcast.js.
 * The logic is in buyback.js; this file only moves messages.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const Buyback = require("./buyback.js");

const ACTION = "com.wardcast.buyback.cooldown";
const SETTINGS_WAIT_MS = 1500; // connect with the default URL if Stream Deck sends no settings

// ---------------------------------------------------------------- dependencies

// wardcast.js: a copy next to this file (what you install), else the repository's.
function loadWardcast() {
  const candidates = [process.env.WARDCAST_JS, path.join(__dirname, "wardcast.js"), path.join(__dirname, "../../../web/wardcast.js")];
  for (const file of candidates) {
    if (file && fs.existsSync(file)) return require(file);
  }
  throw new Error("wardcast.js not found: copy web/wardcast.js into the .sdPlugin folder (see README.md)");
}

// Node 22+ (or --experimental-websocket) has a global WebSocket; Stream Deck's Node 20 does not.
const WebSocketImpl = typeof globalThis.WebSocket === "function" ? globalThis.WebSocket : require("./websocket.js");

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length - 1; i++) {
    if (/^-(port|pluginUUID|registerEvent|info)$/.test(argv[i])) out[argv[i].slice(1)] = argv[++i];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (!args.port || !args.pluginUUID || !args.registerEvent) {
  process.stderr.write("usage: plugin.js -port PORT -pluginUUID UUID -registerEvent EVENT -info JSON (Stream Deck starts it)\n");
  process.exit(2);
}

// ---------------------------------------------------------------- state

const Wardcast = loadWardcast();
const state = Buyback.create();
const contexts = new Map(); // key context -> last title sent
let wardcast = null; // the Wardcast client
let wardcastKey = null; // "url token" it was made for
let tick = null; // the countdown timer
let settingsTimer = null;

// ---------------------------------------------------------------- Stream Deck

const sd = new WebSocketImpl(`ws://127.0.0.1:${args.port}`);

function sdSend(message) {
  if (sd.readyState === 1) sd.send(JSON.stringify(message));
}

function log(message) {
  sdSend({ event: "logMessage", payload: { message: `wardcast-buyback: ${message}` } });
}

sd.addEventListener("open", () => {
  sdSend({ event: args.registerEvent, uuid: args.pluginUUID });
  sdSend({ event: "getGlobalSettings", context: args.pluginUUID });
  settingsTimer = setTimeout(() => connectWardcast({}), SETTINGS_WAIT_MS);
});

sd.addEventListener("message", (m) => {
  let msg;
  try {
    msg = JSON.parse(m.data);
  } catch {
    return;
  }
  switch (msg.event) {
    case "didReceiveGlobalSettings":
      connectWardcast((msg.payload && msg.payload.settings) || {});
      break;
    case "willAppear":
      if (msg.action === ACTION && msg.context) {
        contexts.set(msg.context, null);
        refresh();
      }
      break;
    case "willDisappear":
      contexts.delete(msg.context);
      break;
    case "keyUp":
      // A press dials Wardcast at once when it is waiting to reconnect.
      if (wardcast && wardcast.state !== "open") wardcast.connect();
      break;
    default:
      break;
  }
});

// Stream Deck closes the socket when it quits or unloads the plugin: so do we.
sd.addEventListener("close", () => shutdown(0));
sd.addEventListener("error", () => {});

function shutdown(code) {
  if (tick) clearTimeout(tick);
  if (settingsTimer) clearTimeout(settingsTimer);
  if (wardcast) wardcast.close();
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));

// ---------------------------------------------------------------- Wardcast

function connectWardcast(settings) {
  if (settingsTimer) clearTimeout(settingsTimer);
  settingsTimer = null;
  const url = new URL(Buyback.wardcastUrl(settings.wardcastUrl));
  url.searchParams.set("client", "Stream Deck buyback"); // the name in the broker's logs
  const token = typeof settings.token === "string" && settings.token.trim() ? settings.token.trim() : undefined;
  const key = `${url.href} ${token || ""}`;
  if (key === wardcastKey) return;
  wardcastKey = key;
  if (wardcast) wardcast.close();
  Object.assign(state, Buyback.create());
  log(`connecting to ${url.origin}${url.pathname}`);
  const client = new Wardcast.Client({ url: url.href, token, features: Buyback.FEATURES, WebSocket: WebSocketImpl });
  wardcast = client;
  client.on("state", (s) => {
    if (wardcast !== client) return;
    Buyback.setConnection(state, s);
    refresh();
  });
  client.on("event", (e) => {
    if (wardcast !== client) return;
    Buyback.applyEvent(state, e.name, e.data, Date.now());
    refresh();
  });
  client.on("info", (info) => {
    if (wardcast !== client) return;
    Buyback.applyInfo(state, info, Date.now());
    refresh();
  });
  client.on("subscribed", (r) => log(`subscribed to ${r.supportedFeatures.join(", ")}`));
  Buyback.setConnection(state, client.state);
  refresh();
}

// Sends each visible key its title when it changed, and wakes up when the countdown ticks.
function refresh() {
  const now = Date.now();
  const title = Buyback.title(state, now);
  for (const [context, last] of contexts) {
    if (last === title) continue;
    contexts.set(context, title);
    sdSend({ event: "setTitle", context, payload: { title, target: 0 } });
  }
  if (tick) clearTimeout(tick);
  tick = null;
  const wait = Buyback.nextChange(state, now);
  if (wait !== null) tick = setTimeout(refresh, wait + 1);
}
