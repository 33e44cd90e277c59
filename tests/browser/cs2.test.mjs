// An unchanged Overwolf app for Counter-Strike 2 (pages/cs2-sample.html, laid out like Overwolf's
// events sample app, with the CS2 class id 22730 and the CS2 and legacy CS:GO features) in a real
// Chromium, with one <script src=".../wardcast.js?shim=1"> tag added, against a broker fed the
// real 174-post CS2 capture: it must find CS2 running, subscribe, and get the capture's kill and
// round_end events and its match_info info updates, in Overwolf's shapes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  REPO,
  T,
  launchBrowser,
  newPage,
  startBroker,
  stopAll,
  serveStatic,
  waitFor,
  screenshot,
} from "./helpers.mjs";

const DEFAULT_BROKER = "127.0.0.1:7314"; // what the page's script tag names
const CS2_CLASS_ID = 22730;

/** The bodies of the real capture (`{received_at, content_length, body}` each). */
const CAPTURE = JSON.parse(
  readFileSync(join(REPO, "games/cs2/tests/fixtures/player_competitive_wingman_sequence_174posts_2025.json"), "utf8")
).map((r) => r.body);

/** The reviewed engine output of the capture: `[feature, name, data]` events per post. */
const EXPECTED = readFileSync(join(REPO, "games/cs2/tests/expected/sequence_174posts.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line));

/** Expected events named `name` (of any feature), as Overwolf's string format sends their data. */
function expectedData(name) {
  return EXPECTED.flatMap((line) => line.events)
    .filter(([, n]) => n === name)
    .map(([, , data]) => (data === "" ? "" : JSON.stringify(data)));
}

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

const eventsNamed = (payloads, name) => payloads.flatMap((p) => p.events).filter((e) => e.name === name);

async function loadSample(t, broker) {
  const server = await serveStatic("tests/browser/pages", { replace: [[DEFAULT_BROKER, broker.addr]] });
  t.after(() => server.close());
  const page = await newPage(browser);
  t.after(() => page.context().close());
  await page.goto(server.url("/cs2-sample.html"));
  return page;
}

/** The app subscribed: checks its setRequiredFeatures result. */
async function subscribed(page) {
  await waitFor(page, "the app's setRequiredFeatures result", () => window.received.setRequiredFeatures.length >= 1);
  const features = await page.evaluate(() => g_interestedInFeatures);
  const results = await page.evaluate(() => window.received.setRequiredFeatures);
  assert.equal(results.length, 1, "succeeded at once: no retry");
  assert.equal(results[0].success, true);
  assert.equal(results[0].status, "success");
  // The two CS:GO features that GSI cannot give (protocol/features.md).
  assert.deepEqual(results[0].unsupportedFeatures, ["replay", "counters"]);
  assert.deepEqual(
    results[0].supportedFeatures,
    features.filter((f) => !["replay", "counters"].includes(f))
  );
}

/** Posts the rest of the capture and checks what the app got. */
async function playsTheCapture(page, broker, from) {
  for (const body of CAPTURE.slice(from)) await broker.post(body);
  const rounds = expectedData("round_end").length;
  const kills = expectedData("kill").length;
  await waitFor(
    page,
    `${rounds} round_end and ${kills} kill events`,
    (want) => {
      const all = window.received.events.flatMap((p) => p.events);
      return (
        all.filter((e) => e.name === "round_end").length >= want.rounds &&
        all.filter((e) => e.name === "kill").length >= want.kills
      );
    },
    { rounds, kills },
    { timeout: 30_000 }
  );
  // The last round_end is post 171's; the info of the posts after it follows on the wire.
  const lastRound = CAPTURE.at(-1).map.round + 1;
  await waitFor(
    page,
    `match_info round_number ${lastRound} of the last posts`,
    (n) =>
      window.received.infoUpdates.some(
        (p) => p.feature === "match_info" && p.info.live_data && p.info.live_data.round_number === String(n)
      ),
    lastRound
  );
  const got = await page.evaluate(() => window.received);

  // Overwolf's shapes: {events: [{name, data: JSON text}]} and {info, feature}, no seq.
  for (const p of got.events) {
    assert.deepEqual(Object.keys(p), ["events"]);
    for (const e of p.events) {
      assert.deepEqual(Object.keys(e).sort(), ["data", "name"]);
      assert.equal(typeof e.data, "string");
    }
  }
  for (const p of got.infoUpdates) assert.deepEqual(Object.keys(p), ["info", "feature"]);
  assert.deepEqual(got.errors, []);

  // kill: match_info's (the total, a number) and the CS:GO feature's ({"totalKills"}), in order.
  assert.deepEqual(eventsNamed(got.events, "kill").map((e) => e.data), expectedData("kill"));
  assert.deepEqual(expectedData("kill"), ["1", '{"totalKills":1}', "1", '{"totalKills":1}']);
  // round_end: match_info's, no data.
  assert.deepEqual(eventsNamed(got.events, "round_end").map((e) => e.data), expectedData("round_end"));
  assert.equal(expectedData("round_end").length, 24);
  assert.deepEqual(eventsNamed(got.events, "death").map((e) => e.data), expectedData("death"));
  assert.deepEqual(eventsNamed(got.events, "mvp").map((e) => e.data), expectedData("mvp"));
  assert.deepEqual(eventsNamed(got.events, "bomb_planted").length, expectedData("bomb_planted").length);

  // match_info info: the match now (string values, as Overwolf sends them).
  const last = CAPTURE.at(-1);
  const live = Object.assign(
    {},
    ...got.infoUpdates.filter((p) => p.feature === "match_info" && p.info.live_data).map((p) => p.info.live_data)
  );
  assert.equal(live.map_name, last.map.name);
  assert.equal(live.mode_name, last.map.mode);
  assert.equal(live.game_phase, last.map.phase);
  assert.equal(live.round_phase, last.round.phase);
  assert.equal(live.round_number, String(last.map.round + 1));
  assert.deepEqual(JSON.parse(live.score), { team_t: last.map.team_t.score, team_ct: last.map.team_ct.score });
  assert.equal(live.steam_id, last.provider.steamid);
  const match = Object.assign(
    {},
    ...got.infoUpdates.filter((p) => p.feature === "match_info" && p.info.match_info).map((p) => p.info.match_info)
  );
  assert.equal(match.game_mode, "Competitive Dust II");
  assert.match(match.pseudo_match_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.deepEqual(page.problems, []);
}

test("an Overwolf CS2 app finds CS2 running and gets the real match's events and match_info", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  await broker.post(CAPTURE[0]); // CS2 posts before the app starts: the source is a CS2 source
  const page = await loadSample(t, broker);

  await waitFor(page, "getRunningGameInfo's answer", () => window.received.runningGameInfo.length === 1);
  const running = await page.evaluate(() => window.received.runningGameInfo[0]);
  assert.equal(running.success, true);
  assert.equal(running.isRunning, true);
  assert.equal(running.classId, CS2_CLASS_ID);
  assert.equal(running.id, 227301);
  assert.equal(running.title, "Counter-Strike 2");
  await subscribed(page);
  await playsTheCapture(page, broker, 1);
  assert.deepEqual(await page.evaluate(() => window.received.gameInfoUpdated), []);
  await screenshot(page, "cs2-sample", { fullPage: false });
});

// The app starts before the game: the broker's own source has no data (and is Dota's until a
// game posts). CS2's first post launches the game for the app (onGameInfoUpdated gameLaunched,
// class id 22730), which subscribes then.
// The waiting connection follows the replacing source at once and hears its launch.
test("a CS2 app started before the game hears CS2 launch and subscribes", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const page = await loadSample(t, broker);
  await waitFor(page, "getRunningGameInfo's answer", () => window.received.runningGameInfo.length === 1);
  const running = await page.evaluate(() => window.received.runningGameInfo[0]);
  assert.equal(running.success, true);
  assert.equal(running.isRunning, false);

  await broker.post(CAPTURE[0]);
  await waitFor(page, "onGameInfoUpdated (gameLaunched) for CS2", () =>
    window.received.gameInfoUpdated.some((u) => u.gameInfo && u.gameInfo.classId === 22730)
  );
  const launched = await page.evaluate(() =>
    window.received.gameInfoUpdated.find((u) => u.gameInfo && u.gameInfo.classId === 22730)
  );
  assert.deepEqual(launched, {
    gameInfo: { isRunning: true, classId: CS2_CLASS_ID, id: 227301, title: "Counter-Strike 2" },
    runningChanged: true,
    gameChanged: false,
    reason: ["gameLaunched"],
    focusChanged: false,
    resolutionChanged: false,
    gameOverlayChanged: false,
  });
  await subscribed(page);
  await playsTheCapture(page, broker, 1);
});
