// An unchanged Overwolf app (pages/overwolf-sample.html, laid out like Overwolf's Dota 2 events
// sample) in a real Chromium, with one <script src=".../wardcast.js?shim=1"> tag added: it must
// get exactly what a plain WebSocket client of the same features gets, each payload once, in
// Overwolf's shapes. Once from an http://127.0.0.1 page, once from a file:// page (OBS local
// file: Origin null).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import Wardcast from "../../web/wardcast.js";
import {
  T,
  launchBrowser,
  newPage,
  startBroker,
  stopAll,
  serveStatic,
  writePage,
  replay,
  waitFor,
  screenshot,
  lifecycle,
  inGame,
} from "./helpers.mjs";

const PAGE = "tests/browser/pages/overwolf-sample.html";
const SEQUENCE = "games/dota2/tests/sequences/player_lifecycle_12.json";
const DEFAULT_BROKER = "127.0.0.1:7314"; // what the page's script tag names

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

// After the recorded lifecycle: a short fight in the same match. 110 and 115 are within the
// 18 s multi-kill window, so the second kill is a double kill.
const FIGHT = [
  { clock: 100, player: { kills: 0, kill_streak: 0, deaths: 0, assists: 0 } },
  { clock: 110, player: { kills: 1, kill_streak: 1 } },
  { clock: 115, player: { kills: 2, kill_streak: 2 } },
  { clock: 125, player: { assists: 1 } },
  { clock: 140, player: { deaths: 1, kill_streak: 0 } },
  { clock: 150, player: { gold: 1234, gold_reliable: 234, gold_unreliable: 1000 } },
];

async function postFight(broker) {
  const player = {};
  for (const step of FIGHT) {
    Object.assign(player, step.player);
    await broker.post(inGame(step.clock, player));
  }
}

/** A plain client of the same features, in Overwolf's "string" format: the reference. */
async function referenceClient(broker, features) {
  const client = new Wardcast.Client({ url: broker.wsUrl, dataFormat: "string", features, reconnect: false });
  const got = { events: [], infoUpdates: [] };
  client.on("notification", (method, params) => {
    if (method === "onNewEvents") got.events.push({ events: params.events });
    if (method === "onInfoUpdates2") got.infoUpdates.push({ info: params.info, feature: params.feature });
  });
  await client.ready({ timeout: T });
  return { client, got };
}

const eventsNamed = (payloads, name) =>
  payloads.flatMap((p) => p.events).filter((e) => e.name === name);

/**
 * Loads the sample app with load(page, replace) and checks everything it receives.
 * gameFirst: Dota 2 already posts when the app starts (getRunningGameInfo finds it running);
 * otherwise the app starts first and waits for onGameInfoUpdated (gameLaunched).
 */
async function runSample(t, load, { gameFirst, timeout = T } = {}) {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const replace = [[DEFAULT_BROKER, broker.addr]];
  if (gameFirst) await broker.post(lifecycle[0]);
  const page = await newPage(browser);
  t.after(() => page.context().close());
  await load(page, replace);

  // The app asks whether Dota 2 runs.
  await waitFor(page, "getRunningGameInfo's answer", () => window.received.runningGameInfo.length === 1);
  const running = await page.evaluate(() => window.received.runningGameInfo[0]);
  assert.equal(running.success, true);
  assert.equal(running.isRunning, !!gameFirst);
  assert.equal(running.classId, 7314);
  assert.equal(Math.floor(running.id / 10), 7314);

  if (!gameFirst) {
    // The game starts posting: the app sees it launch, registers (again) and subscribes 1 s later.
    await broker.post(lifecycle[0]);
    await waitFor(page, "onGameInfoUpdated (gameLaunched)", () => window.received.gameInfoUpdated.length >= 1, undefined, { timeout });
    const launched = await page.evaluate(() => window.received.gameInfoUpdated[0]);
    assert.deepEqual(launched, {
      gameInfo: { isRunning: true, classId: 7314, id: 73141, title: "Dota 2" },
      runningChanged: true,
      gameChanged: false,
      reason: ["gameLaunched"],
      focusChanged: false,
      resolutionChanged: false,
      gameOverlayChanged: false,
    });
  }
  // Registered at start-up and again once the game was found: the same listeners twice.
  await waitFor(page, "the app's setRequiredFeatures result", () => window.received.setRequiredFeatures.length >= 1);
  const features = await page.evaluate(() => g_interestedInFeatures);
  const subscribed = await page.evaluate(() => window.received.setRequiredFeatures);
  assert.equal(subscribed.length, 1, "succeeded at once: no retry");
  assert.equal(subscribed[0].success, true);
  assert.equal(subscribed[0].status, "success");
  assert.deepEqual(subscribed[0].unsupportedFeatures, ["match_detected", "party", "hero_pool"]);
  assert.deepEqual(
    subscribed[0].supportedFeatures,
    features.filter((f) => !["match_detected", "party", "hero_pool"].includes(f))
  );
  await waitFor(page, "the app's getInfo result", () => window.received.getInfo.length >= 1);
  const info = await page.evaluate(() => window.received.getInfo[0]);
  assert.equal(info.success, true);
  assert.equal(info.status, "success");
  assert.equal(info.res.features.kill, "True");

  // A reference client subscribes to the same features at the same point of the stream.
  const ref = await referenceClient(broker, features);
  t.after(() => ref.client.close());

  // The recorded lifecycle (draft to post-game), then a fight.
  const lastGold = ref.client.waitEvent("gold", { timeout: 30_000, filter: (d) => d && d.gold === 1234 });
  await replay(SEQUENCE, broker, { intervalMs: 50 });
  await postFight(broker);
  await lastGold;
  // The gold event is the last of the fight; info updates of its body follow it on the wire.
  await waitFor(page, "the last gold event", () =>
    window.received.events.some((p) => p.events.some((e) => e.name === "gold" && JSON.parse(e.data).gold === 1234))
  );
  const n = { events: ref.got.events.length, info: ref.got.infoUpdates.length };
  await waitFor(
    page,
    `${n.events} onNewEvents and ${n.info} onInfoUpdates2 payloads`,
    (want) => window.received.events.length >= want.events && window.received.infoUpdates.length >= want.info,
    n
  );
  const got = await page.evaluate(() => window.received);

  // Exactly what the plain client got, each payload once: the listeners were added twice
  // (at start-up and again when the game was found) and still deliver once. Both lists are
  // compared over their common length (at least n): updates that arrive after the last body
  // (time-driven health changes) may have reached one of the two only.
  const common = (a, b) => [a.slice(0, Math.min(a.length, b.length)), b.slice(0, Math.min(a.length, b.length))];
  assert.deepEqual(...common(got.events, ref.got.events));
  assert.deepEqual(...common(got.infoUpdates, ref.got.infoUpdates));
  assert.deepEqual(got.errors, []);
  if (gameFirst) assert.deepEqual(got.gameInfoUpdated, [], "the game was running before the app subscribed");

  // Overwolf's shapes: {events: [{name, data: JSON text}]} and {info, feature}, no seq.
  for (const p of got.events) {
    assert.deepEqual(Object.keys(p), ["events"]);
    for (const e of p.events) {
      assert.deepEqual(Object.keys(e).sort(), ["data", "name"]);
      assert.equal(typeof e.data, "string");
    }
  }
  for (const p of got.infoUpdates) assert.deepEqual(Object.keys(p), ["info", "feature"]);

  const kills = eventsNamed(got.events, "kill").map((e) => JSON.parse(e.data));
  assert.deepEqual(kills, [
    { kills: 1, kill_streak: 1, label: "kill" },
    { kills: 2, kill_streak: 2, label: "double_kill" },
  ]);
  assert.deepEqual(eventsNamed(got.events, "assist").map((e) => JSON.parse(e.data)), [{ assists: 1 }]);
  assert.deepEqual(eventsNamed(got.events, "death").map((e) => JSON.parse(e.data)), [{ deaths: 1 }]);
  assert.deepEqual(JSON.parse(eventsNamed(got.events, "gold").at(-1).data), {
    gold: 1234,
    gold_reliable: 234,
    gold_unreliable: 1000,
  });
  const states = eventsNamed(got.events, "match_state_changed").map((e) => JSON.parse(e.data).match_state);
  assert.ok(states.includes("DOTA_GAMERULES_STATE_HERO_SELECTION"), `match states: ${states}`);
  assert.ok(states.includes("DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"), `match states: ${states}`);
  assert.ok(eventsNamed(got.events, "game_state_changed").length >= 1);

  // Info: me (string values, as Overwolf sends them) and game.
  const me = Object.assign({}, ...got.infoUpdates.filter((p) => p.feature === "me").map((p) => p.info.me));
  assert.equal(me.hero, "invoker");
  assert.equal(me.team, "radiant");
  assert.match(me.steam_id, /^\d{17}$/);
  const game = Object.assign({}, ...got.infoUpdates.filter((p) => p.feature === "game").map((p) => p.info.game));
  assert.equal(game.game_state, "playing");
  assert.match(game.match_state, /^DOTA_GAMERULES_STATE_/);

  assert.deepEqual(page.problems, []);
  return page;
}

async function fromHttp(t, page, replace) {
  const server = await serveStatic("tests/browser/pages", { replace });
  t.after(() => server.close());
  await page.goto(server.url("/overwolf-sample.html"));
}

test("an Overwolf app on an http://127.0.0.1 page gets Overwolf's payloads, once each", async (t) => {
  const page = await runSample(t, (page, replace) => fromHttp(t, page, replace), { gameFirst: true });
  await screenshot(page, "overwolf-sample", { fullPage: false });
});

test("the same app as a file:// page (an OBS local file, Origin null)", async (t) => {
  await runSample(t, (page, replace) => page.goto(writePage(PAGE, replace)), { gameFirst: true });
});

// Overwolf sends onGameInfoUpdated to every app, and so does Wardcast (protocol §4.4): this app
// subscribes only once it hears the game launched.
test("an app started before the game hears it launch (onGameInfoUpdated before any subscription)", async (t) => {
  await runSample(t, (page, replace) => fromHttp(t, page, replace), { gameFirst: false });
});
