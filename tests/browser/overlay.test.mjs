// The example OBS overlay (examples/overlay/) in a real Chromium, served over http://127.0.0.1
// like a browser source pointed at a URL, against a real broker: the KDA, gold and clock on
// screen follow the game, a page opened mid-match shows the real K/D/A at once (the scoreboard
// feature), and the spectator demo shows the Roshan panel.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  REPO,
  within,
  launchBrowser,
  newPage,
  startBroker,
  startDemo,
  stopAll,
  serveStatic,
  waitFor,
  screenshot,
  inGame,
} from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

const field = (name) => `[data-field="${name}"]`;

/** Resolves once the broker lists a client with features (GET /api/overview), polling it. */
async function subscribed(broker) {
  await within(
    "the overlay subscribes",
    (async () => {
      for (;;) {
        const overview = await (await fetch(`http://${broker.addr}/api/overview`)).json();
        if (overview.clients.some((c) => c.features.length > 0)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    })(),
  );
}
const textOf = (page, name) => page.textContent(field(name));

/** Resolves once the page's K / D / A reads `kda` ("2/1/3"). */
const kdaReads = (page, kda) =>
  waitFor(
    page,
    `the K/D/A to read ${kda}`,
    (want) =>
      ["kills", "deaths", "assists"]
        .map((f) => document.querySelector(`[data-field="${f}"]`)?.textContent.trim())
        .join("/") === want,
    kda,
  );

/**
 * A broker that has had `bodies` (a match under way), and only then the overlay opened on it:
 * nothing is posted after the page loads, so whatever it shows came with its subscription.
 */
async function openedMidMatch(t, bodies) {
  const broker = await startBroker();
  t.after(() => broker.stop());
  for (const body of bodies) await broker.post(body);
  const site = await serveStatic(join(REPO, "examples/overlay"));
  t.after(() => site.close());
  const page = await newPage(browser, { viewport: { width: 800, height: 600 } });
  await page.goto(site.url(`/index.html?broker=http://${broker.addr}`));
  return page;
}

test("the overlay's KDA, gold and clock follow the game", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const site = await serveStatic(join(REPO, "examples/overlay"));
  t.after(() => site.close());
  const page = await newPage(browser, { viewport: { width: 800, height: 600 } });
  await page.goto(site.url(`/index.html?broker=http://${broker.addr}`));
  await subscribed(broker);

  const player = { kills: 0, deaths: 0, assists: 0, kill_streak: 0, gold: 600, gpm: 380, xpm: 455 };
  // The first snapshot of a match is the baseline; the clock fires from the second on.
  await broker.post(inGame(99, player));
  await broker.post(inGame(100, player));
  await waitFor(page, "the clock shows 1:40", () =>
    document.querySelector('[data-field="clock"]')?.textContent.includes("1:40"),
  );
  Object.assign(player, { kills: 1, kill_streak: 1, gold: 900 });
  await broker.post(inGame(110, player));
  await waitFor(page, "one kill on screen", () =>
    document.querySelector('[data-field="kills"]')?.textContent.trim() === "1",
  );
  Object.assign(player, { kills: 2, kill_streak: 2, deaths: 1, assists: 3, gold: 1234, gpm: 412, xpm: 530 });
  await broker.post(inGame(125, player));
  await kdaReads(page, "2/1/3");
  assert.match(await textOf(page, "gold"), /1[,.\s]?234/);
  assert.match(await textOf(page, "clock"), /2:05/);
  await waitFor(page, "GPM and XPM on screen", () =>
    document.querySelector('[data-field="gpm"]')?.textContent.trim() === "412" &&
    document.querySelector('[data-field="xpm"]')?.textContent.trim() === "530",
  );
  await screenshot(page, "overlay-player");
  assert.deepEqual(page.problems, []);
});

test("a mid-match join shows the real K/D/A at once: spectating", async (t) => {
  // The first body of a spectated pro match, 21 minutes in: the observer follows N0tail's Chen
  // (player 0, selected_unit), at 1/2/7. A first body is a baseline: no kill, death or assist
  // event, so only scoreboard.player_0 can tell the page.
  const [body] = JSON.parse(readFileSync(join(REPO, "games/dota2/tests/sequences/spectator_10players_40.json"), "utf8"));
  const chen = body.player.team2.player0;
  assert.deepEqual([chen.kills, chen.deaths, chen.assists], [1, 2, 7]);
  const page = await openedMidMatch(t, [body]);
  await kdaReads(page, "1/2/7");
  assert.equal(await textOf(page, "hero"), "Chen");
  assert.equal(await textOf(page, "mode"), "spectating");
  assert.equal(await textOf(page, "gold"), String(chen.gold));
  assert.equal(await textOf(page, "gpm"), String(chen.gpm));
  assert.equal(await textOf(page, "xpm"), String(chen.xpm));
  assert.equal(await textOf(page, "buyback_cost"), String(body.hero.team2.player0.buyback_cost));
  await screenshot(page, "overlay-mid-match-spectator");
  assert.deepEqual(page.problems, []);
});

test("a mid-match join shows the real K/D/A at once: playing", async (t) => {
  // Two bodies: the first (a baseline) at 4/3/9, the second with a kill the page never saw.
  const player = { kills: 4, deaths: 3, assists: 9, kill_streak: 1, gold: 1480, gpm: 433, xpm: 512 };
  const page = await openedMidMatch(t, [inGame(600, player), inGame(630, { ...player, kills: 5, kill_streak: 2 })]);
  await kdaReads(page, "5/3/9");
  assert.equal(await textOf(page, "gold"), "1480");
  assert.equal(await textOf(page, "gpm"), "433");
  assert.equal(await textOf(page, "xpm"), "512");
  assert.equal(await textOf(page, "mode"), "playing");
  await screenshot(page, "overlay-mid-match-player");
  assert.deepEqual(page.problems, []);
});

test("in the spectator demo the overlay shows Roshan", async (t) => {
  const demo = await startDemo({ speed: 20, args: ["--demo-mode", "spectator"] });
  t.after(() => demo.stop());
  const site = await serveStatic(join(REPO, "examples/overlay"));
  t.after(() => site.close());
  const page = await newPage(browser, { viewport: { width: 800, height: 600 } });
  await page.goto(site.url(`/index.html?broker=${demo.httpUrl}`));
  await waitFor(
    page,
    "the Roshan panel appears with a state",
    () => {
      const panel = document.querySelector('[data-section="roshan"]');
      const state = document.querySelector('[data-field="roshan_state"]')?.textContent.trim();
      return panel && !panel.hidden && state && state !== "—";
    },
    undefined,
    { timeout: 60_000 },
  );
  // The screenshot shows the match under way, a hero followed, not the draft.
  await waitFor(
    page,
    "the game in progress with a hero followed",
    () => {
      const m = /^(\d+):(\d\d)$/.exec(document.querySelector('[data-field="clock"]')?.textContent.trim() || "");
      const hero = document.querySelector('[data-field="hero"]')?.textContent.trim();
      return m && Number(m[1]) * 60 + Number(m[2]) > 60 && hero && hero !== "—";
    },
    undefined,
    { timeout: 60_000 },
  );
  await screenshot(page, "overlay-spectator");
  assert.deepEqual(page.problems, []);
});
