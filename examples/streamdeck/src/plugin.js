/*!
 * Wardcast buyback key: a Stream Deck plugin on Elgato's SDK (@elgato/streamdeck) that shows
 * the buyback cooldown of your hero (or, when spectating, of the hero the observer follows):
 *
 *   "BB\n0:42"   on cooldown, counting down every second from the last value the game sent
 *   "BB\nready"  buyback available
 *   "BB\n—"      no game, no data yet, or no connection to Wardcast
 *
 * The SDK registers with Stream Deck and routes its events to the action below. The plugin
 * reads the global settings `wardcastUrl` and `token` (written by the property inspector,
 * ui/buyback.html) and subscribes to Wardcast with the project's client, web/wardcast.js,
 * over the `ws` package. The logic is in buyback.js; this file only moves data.
 *
 * `npm run build` bundles it into com.wardcast.buyback.sdPlugin/bin/plugin.js (rollup).
 */
import streamDeck, { SingletonAction } from "@elgato/streamdeck";
import WebSocket from "ws";
import Wardcast from "../../../web/wardcast.js";
import * as Buyback from "./buyback.js";

const ACTION = "com.wardcast.buyback.cooldown";
const SETTINGS_WAIT_MS = 1500; // connect with the default URL if Stream Deck sends no settings

const log = streamDeck.logger.createScope("Wardcast"); // logs/com.wardcast.buyback.0.log

const state = Buyback.create();
const titles = new Map(); // key (action id) -> last title sent to it
let wardcast = null; // the Wardcast client
let wardcastKey = null; // "url token" it was made for
let tick = null; // the countdown timer
let settingsTimer = null;

// ---------------------------------------------------------------- the action

/** The key. In TypeScript this is `@action({ UUID: ACTION }) class ... `; the decorator sets manifestId. */
class BuybackCooldown extends SingletonAction {
  manifestId = ACTION;

  onWillAppear(ev) {
    titles.delete(ev.action.id); // a key that (re)appears gets its title at once
    refresh();
  }

  onWillDisappear(ev) {
    titles.delete(ev.action.id);
  }

  // A press dials Wardcast at once when the client is waiting to reconnect.
  onKeyUp() {
    if (wardcast && wardcast.state !== "open") wardcast.connect();
  }
}

const cooldown = new BuybackCooldown();

// Sends each visible key its title when it changed, and wakes up when the countdown ticks.
function refresh() {
  const now = Date.now();
  const title = Buyback.title(state, now);
  for (const key of cooldown.actions) {
    if (titles.get(key.id) === title) continue;
    titles.set(key.id, title);
    key.setTitle(title).catch((err) => log.warn(`setTitle: ${err.message}`));
  }
  if (tick) clearTimeout(tick);
  tick = null;
  const wait = Buyback.nextChange(state, now);
  if (wait !== null) tick = setTimeout(refresh, wait + 1);
}

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
  log.info(`connecting to ${url.origin}${url.pathname}`);
  const client = new Wardcast.Client({ url: url.href, token, features: Buyback.FEATURES, WebSocket });
  wardcast = client;
  const mine = (fn) => (...args) => {
    if (wardcast === client) fn(...args);
  };
  client.on("state", mine((s) => {
    Buyback.setConnection(state, s);
    refresh();
  }));
  client.on("event", mine((e) => {
    Buyback.applyEvent(state, e.name, e.data, Date.now());
    refresh();
  }));
  client.on("info", mine((info) => {
    Buyback.applyInfo(state, info, Date.now());
    refresh();
  }));
  client.on("subscribed", mine((r) => log.info(`subscribed to ${r.supportedFeatures.join(", ")}`)));
  client.on("close", mine((c) => log.info(`connection lost (${c.code}${c.reason ? ` ${c.reason}` : ""})${c.willReconnect ? `, retrying in ${c.delay} ms` : ""}`)));
  Buyback.setConnection(state, client.state);
  refresh();
}

// ---------------------------------------------------------------- start

streamDeck.actions.registerAction(cooldown);
// The property inspector saves the settings: reconnect when the address or token changed.
streamDeck.settings.onDidReceiveGlobalSettings((ev) => connectWardcast(ev.settings || {}));

await streamDeck.connect();
settingsTimer = setTimeout(() => connectWardcast({}), SETTINGS_WAIT_MS);
streamDeck.settings.getGlobalSettings(); // answered with didReceiveGlobalSettings (above)
