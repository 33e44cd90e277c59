// The dashboard (web/dashboard.html, served at GET /) in a real Chromium, against
// `wardcast serve --demo --speed 8`: live GSI status, match clock, health, clients, event log
// with filter and pause, setup help with Copy, phone width, and the access-token message.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import Wardcast from "../../web/wardcast.js";
import { REPO, BIN, T, within, launchBrowser, newPage, startBroker, startDemo, stopAll, waitFor, screenshot, inGame } from "./helpers.mjs";

let browser, demo, page;

before(async () => {
  browser = await launchBrowser();
  demo = await startDemo({ speed: 8 });
  page = await newPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
  await page.goto(demo.httpUrl + "/");
});
after(async () => {
  await browser?.close();
  await stopAll();
});

async function api(path, broker = demo) {
  const res = await fetch(`http://${broker.addr}${path}`);
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}

// "-0:45" -> -45, "12:34" -> 754
function seconds(clock) {
  const m = /^(-?)(\d+):(\d\d)$/.exec(clock);
  assert.ok(m, `a clock: ${JSON.stringify(clock)}`);
  return (m[1] ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

test("GET / serves web/dashboard.html", async () => {
  const res = await fetch(demo.httpUrl + "/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/html/);
  const served = await res.text();
  const file = readFileSync(join(REPO, "web/dashboard.html"), "utf8");
  assert.ok(served === file, "the binary serves an older web/dashboard.html: run `cargo build`");
});

test("shows the demo arriving, the mode and a running clock", async () => {
  await waitFor(page, "GSI arriving", () => document.querySelector("#gsi-status").dataset.state === "arriving");
  assert.equal(await page.textContent("#gsi-status-text"), "Arriving");
  assert.equal(await page.getAttribute("#source", "data-source"), "demo");
  assert.match(await page.textContent("#source"), /demo/i);
  // The demo starts in the main menu (idle), then joins a match.
  await waitFor(page, "a match mode", () => /^(playing|spectating)$/.test(document.querySelector("#mode").dataset.mode));
  assert.match(await page.textContent("#mode"), /^(Playing|Spectating)$/);
  assert.match(await page.textContent("#gsi-age"), /^\d+(\.\d)? s ago$/);
  assert.ok(Number((await page.textContent("#gsi-snapshots")).replace(/,/g, "")) > 0);
  assert.equal(await page.getAttribute("#ws-status", "data-state"), "open");

  const t0 = seconds((await page.textContent("#clock")).trim());
  await waitFor(
    page,
    `the clock to pass ${t0} s`,
    (t0) => {
      const m = /^(-?)(\d+):(\d\d)$/.exec(document.querySelector("#clock").textContent.trim());
      return m && (m[1] ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) > t0;
    },
    t0
  );
  assert.match(await page.textContent("#match-state"), /^[A-Z][a-z ]+$/, "a readable match state");
  assert.match(await page.getAttribute("#match-state", "title"), /^DOTA_GAMERULES_STATE_/);
  assert.match(await page.getAttribute("#daytime", "data-daytime"), /^(day|night)$/);
  assert.match(await page.textContent("#score-radiant"), /^\d+$/);
  assert.match(await page.textContent("#score-dire"), /^\d+$/);
});

test("the health table has a row per feature, coloured by state, with reasons", async () => {
  const overview = await api("/api/overview");
  const names = overview.health.features.map((f) => f.name);
  await waitFor(page, "a health row per feature", (n) => document.querySelectorAll("#health-table tbody tr").length === n, names.length);
  const rows = await page.$$eval("#health-table tbody tr", (trs) =>
    trs.map((tr) => ({ name: tr.dataset.feature, state: Number(tr.dataset.state), text: tr.textContent }))
  );
  assert.deepEqual(rows.map((r) => r.name), names, "one row per feature, in catalogue order");
  assert.ok(rows.filter((r) => r.state === 1).length >= 20, "mostly green while the demo plays");
  for (const u of overview.unsupported.filter((u) => u.key === null)) {
    const row = rows.find((r) => r.name === u.name);
    assert.equal(row.state, 0, `${u.name} is grey`);
    assert.ok(row.text.includes(u.reason), `${u.name} shows its reason: ${row.text}`);
    assert.ok(row.text.includes("Unsupported"));
  }
  const me = rows.find((r) => r.name === "me");
  assert.match(me.text, /me\.mmr unsupported: GSI has no MMR/, "an unsupported key is named");
  const green = await page.$eval('#health-table tr[data-state="1"] .state', (el) => [
    el.dataset.tone,
    getComputedStyle(el.querySelector(".dot")).backgroundColor,
  ]);
  assert.deepEqual(green, ["green", "rgb(63, 185, 80)"]);
  assert.match(await page.textContent("#health-summary"), /^\d+ green · \d+ yellow · \d+ red · \d+ unsupported$/);
  assert.match(await page.getAttribute("#overall-health", "data-state"), /^[123]$/);

  // "problems only" hides the green rows.
  await page.check("#health-problems");
  const shown = await page.$$eval("#health-table tbody tr:not([hidden])", (trs) => trs.map((tr) => tr.dataset.state));
  assert.ok(shown.length > 0 && shown.every((s) => s !== "1"), `only non-green rows: ${shown}`);
  await page.uncheck("#health-problems");
});

test("the clients table lists the dashboard itself and what it subscribed to", async () => {
  const client = new Wardcast.Client({ url: demo.wsUrl, reconnect: false });
  const { features } = await client.getFeatures({ timeout: T });
  client.close();
  const supported = features.filter((f) => f.supported).length;
  await waitFor(
    page,
    `the dashboard's row with ${supported} features`,
    (n) => [...document.querySelectorAll("#clients-table tbody tr")].some((tr) => tr.dataset.name === "dashboard" && Number(tr.dataset.features) === n),
    supported
  );
  const row = await page.$eval('#clients-table tr[data-name="dashboard"]', (tr) => tr.textContent);
  assert.ok(row.includes(`${supported} features`), row);
  assert.match(row, /127\.0\.0\.1:\d+/);
  const overview = await api("/api/overview");
  const mine = overview.clients.filter((c) => c.name === "dashboard");
  assert.equal(mine.length, 1);
  assert.equal(mine[0].features.length, supported);
});

test("the event log fills, newest first, and keeps at most 500 rows", async () => {
  await waitFor(page, "30 rows", () => document.querySelectorAll("#event-log .log-row").length >= 30);
  const seqs = await page.$$eval("#event-log .log-row", (rows) => rows.map((r) => Number(r.dataset.seq)));
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i - 1] >= seqs[i], `newest first at row ${i}`);
  const kinds = await page.$$eval("#event-log .log-row", (rows) => [...new Set(rows.map((r) => r.dataset.kind))]);
  assert.ok(kinds.includes("event"), `kinds: ${kinds}`);
  await waitFor(page, "500 rows", () => document.querySelectorAll("#event-log .log-row").length >= 500, undefined, { timeout: 30_000 });
  assert.equal(await page.$$eval("#event-log .log-row", (rows) => rows.length), 500);
  assert.match(await page.textContent("#log-count"), /^500 rows \(newest 500\)$/);
});

test("the filter hides rows that do not match", async () => {
  await page.fill("#log-filter", "gold");
  const gold = await page.$$eval("#event-log .log-row", (rows) => ({
    total: rows.length,
    shown: rows.filter((r) => !r.hidden).map((r) => r.textContent.toLowerCase()),
  }));
  assert.ok(gold.shown.length > 0, "some rows mention gold");
  assert.ok(gold.shown.length < gold.total, "others are hidden");
  assert.ok(gold.shown.every((t) => t.includes("gold")), "every shown row mentions gold");
  assert.match(await page.textContent("#log-count"), /^\d+ of \d+ rows/);

  // New rows obey the filter too; "-word" excludes.
  await page.fill("#log-filter", "-clock_time_changed");
  await waitFor(page, "rows without clock_time_changed", () => {
    const rows = [...document.querySelectorAll("#event-log .log-row")];
    return rows.some((r) => !r.hidden) && rows.every((r) => r.hidden === (r.dataset.name === "clock_time_changed"));
  });
  await page.fill("#log-filter", "no-such-thing-anywhere");
  await waitFor(page, "the no-match note", () => !document.querySelector("#event-log-empty").hidden);
  assert.match(await page.textContent("#event-log-empty"), /No row matches/);
  await page.fill("#log-filter", "");
  assert.equal(await page.$$eval("#event-log .log-row[hidden]", (rows) => rows.length), 0);
});

test("pause holds new rows; resume shows them", async () => {
  await page.click("#log-pause");
  assert.equal(await page.getAttribute("#log-pause", "aria-pressed"), "true");
  const first = await page.$eval("#event-log .log-row", (r) => r.dataset.seq);
  await waitFor(page, "rows held while paused", () => /^Resume \(\d+ new\)$/.test(document.querySelector("#log-pause").textContent));
  assert.equal(await page.$eval("#event-log .log-row", (r) => r.dataset.seq), first, "the log did not move");
  await page.click("#log-pause");
  assert.equal(await page.getAttribute("#log-pause", "aria-pressed"), "false");
  assert.equal(await page.textContent("#log-pause"), "Pause");
  const now = Number(await page.$eval("#event-log .log-row", (r) => r.dataset.seq));
  assert.ok(now > Number(first), `newer rows on top after resume (${now} > ${first})`);
});

test("setup help: the exact cfg, its folder and the launch option; Copy copies it", async () => {
  const { setup } = await api("/api/overview");
  assert.equal(await page.textContent("#cfg"), setup.cfg);
  assert.match(setup.cfg, new RegExp(`"uri"\\s+"http://${demo.addr.replace(/\./g, "\\.")}/gsi"`));
  assert.equal(await page.textContent("#cfg-dir"), setup.cfg_dir);
  assert.equal(await page.textContent("#cfg-file"), setup.cfg_file);
  assert.equal((await page.textContent("#cfg-path")).replace(/\u200b/g, ""), setup.cfg_dir + setup.cfg_file);
  assert.equal(await page.textContent("#launch-option"), "-gamestateintegration");
  assert.equal(await page.textContent("#setup-command"), "wardcast setup");
  assert.equal(await page.textContent("#ws-url"), `ws://${demo.addr}/ws`);

  await page.click("#copy-cfg");
  await waitFor(page, "Copied", () => document.querySelector("#copy-status").textContent === "Copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), setup.cfg);

  // http://LAN-IP is not a secure context: no navigator.clipboard. The text gets selected.
  await page.evaluate(() => {
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    window.getSelection().removeAllRanges();
  });
  await page.click("#copy-cfg");
  await waitFor(page, "the fallback's status", () => /^(Copied|Selected)/.test(document.querySelector("#copy-status").textContent));
  assert.equal((await page.evaluate(() => String(window.getSelection()))).trim(), setup.cfg.trim());
});

test("screenshots: 1280x800 and phone width, no horizontal scroll, no page errors", async () => {
  await page.evaluate(() => window.getSelection().removeAllRanges());
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "dashboard", { fullPage: false });
  await screenshot(page, "dashboard-full");

  const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(demo.httpUrl + "/");
  await waitFor(phone, "rows on the phone", () => document.querySelectorAll("#event-log .log-row").length >= 20);
  await waitFor(phone, "GSI arriving on the phone", () => document.querySelector("#gsi-status").dataset.state === "arriving");
  const [scrollWidth, width] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scrollWidth <= width, `no horizontal scroll (${scrollWidth} > ${width})`);
  await screenshot(phone, "dashboard-phone");
  assert.deepEqual(phone.problems, []);
  await phone.context().close();
  assert.deepEqual(page.problems, []);
});

test("with --require-token: a clear message without the token, everything with ?token=", async (t) => {
  const guarded = await startDemo({ speed: 8, args: ["--require-token"] });
  t.after(() => guarded.stop());
  const token = spawnSync(BIN, ["token"], { encoding: "utf8" });
  assert.equal(token.status, 0, token.stderr);
  const secret = token.stdout.trim();
  assert.match(secret, /^\S{16,}$/);

  const p = await newPage(browser);
  t.after(() => p.context().close());
  await p.goto(`${guarded.httpUrl}/`);
  await waitFor(p, "the access banner", () => !document.querySelector("#banner").hidden);
  assert.match(await p.textContent("#banner"), /Access refused.*\?token=/);
  assert.equal(await p.textContent("#gsi-status-text"), "Access refused");
  await screenshot(p, "dashboard-token-refused", { fullPage: false });

  await p.goto(`${guarded.httpUrl}/?token=${encodeURIComponent(secret)}`);
  await waitFor(p, "GSI arriving with the token", () => document.querySelector("#gsi-status").dataset.state === "arriving");
  await waitFor(p, "the WebSocket open with the token", () => document.querySelector("#ws-status").dataset.state === "open");
  await waitFor(p, "the dashboard in the clients table", () => !!document.querySelector('#clients-table tr[data-name="dashboard"]'));
  await waitFor(p, "events with the token", () => document.querySelectorAll("#event-log .log-row").length > 0);
  assert.equal(await p.isHidden("#banner"), true);
});

test("health rows change colour live: damage yellow in player mode, green once spectating", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const p = await newPage(browser);
  t.after(() => p.context().close());
  await p.goto(`http://${broker.addr}/`);
  const rowState = (name) =>
    p.$eval(`#health-table tr[data-feature="${name}"]`, (tr) => {
      const st = tr.querySelector(".state");
      return {
        state: tr.dataset.state,
        tone: st.dataset.tone,
        colour: getComputedStyle(st.querySelector(".dot")).backgroundColor,
        text: tr.textContent,
      };
    });

  // A player-mode body in a match: GSI sends damage only when spectating.
  await broker.post(inGame(100, {}));
  // Yellow for the mode, not the yellow of "no game data yet" before the post.
  await waitFor(p, "damage yellow for player mode", () => {
    const row = document.querySelector('#health-table tr[data-feature="damage"]');
    return row?.dataset.state === "2" && /only when spectating/.test(row.textContent);
  });
  const yellow = await rowState("damage");
  assert.equal(yellow.tone, "yellow");
  assert.equal(yellow.colour, "rgb(217, 165, 33)");
  assert.match(yellow.text, /player mode: GSI sends damage only when spectating/);

  // The same broker now sees an observer's body (all ten players): damage turns green.
  const spectator = JSON.parse(
    readFileSync(join(REPO, "games/dota2/tests/cases/spectator_damage_selected/next.json"), "utf8"),
  );
  await broker.post(spectator);
  await waitFor(p, "damage green", () => document.querySelector('#health-table tr[data-feature="damage"]')?.dataset.state === "1");
  const green = await rowState("damage");
  assert.deepEqual([green.tone, green.colour], ["green", "rgb(63, 185, 80)"]);
  assert.ok(!/only when spectating/.test(green.text), green.text);
  await waitFor(p, "the mode reads Spectating", () => document.querySelector("#mode").dataset.mode === "spectating");
  assert.deepEqual(p.problems, []);
});

test("key events only: frequent events stay out of the log", async () => {
  // Ticked first, then cleared: nothing frequent can arrive in between.
  await page.check("#log-quiet");
  await page.click("#log-clear");
  await waitFor(page, "new rows after the clear", () => document.querySelectorAll("#event-log .log-row").length >= 3);
  const names = await page.$$eval("#event-log .log-row", (rows) => rows.map((r) => [r.dataset.kind, r.dataset.name]));
  const frequent = ["clock_time_changed", "hero_health_mana_info", "gold", "gpm", "xpm", "hero_ability_cooldown_changed"];
  for (const [kind, name] of names) {
    assert.ok(!(kind === "event" && frequent.includes(name)), `${name} was logged`);
  }
  await page.uncheck("#log-quiet");
  await waitFor(page, "a clock row again", () => !!document.querySelector('#event-log .log-row[data-name="clock_time_changed"]'));
});

test("lists every source and shows the one clicked, its clients and its socket included", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const post = async (source, body) => {
    const res = await fetch(`http://${broker.addr}/gsi/${source}`, { method: "POST", body: JSON.stringify(body) });
    assert.equal(res.status, 200, `POST /gsi/${source}`);
  };
  const one = inGame(100, { kills: 1 });
  one.map.matchid = "7300000011";
  const two = inGame(200, { kills: 2 });
  two.map.matchid = "7300000022";
  await post("match-1", one);
  await post("match-2", two);
  const p = await newPage(browser);
  t.after(() => p.context().close());
  await p.goto(`http://${broker.addr}/`);
  await waitFor(p, "three sources listed", () => document.querySelectorAll("#sources-table tr[data-source-id]").length === 3);
  const ids = await p.$$eval("#sources-table tr[data-source-id]", (rows) => rows.map((r) => r.dataset.sourceId));
  assert.deepEqual(ids, ["default", "match-1", "match-2"]);
  await waitFor(p, "match-2 running with its match id", () => {
    const row = document.querySelector('#sources-table tr[data-source-id="match-2"]');
    return !!row && row.dataset.running === "true" && row.textContent.includes("7300000022");
  });
  await p.click('#sources-table tr[data-source-id="match-2"] a');
  await waitFor(p, "the page for match-2", () => new URL(location.href).searchParams.get("source") === "match-2");
  // The click loads the page anew: rows appear with its first poll.
  await waitFor(p, "match-2 marked current", () => document.querySelector('#sources-table tr[data-source-id="match-2"]')?.dataset.current === "true");
  await waitFor(p, "match-2's match id shown", () => document.querySelector("#match-id").textContent === "7300000022");
  await waitFor(p, "GSI arriving for match-2", () => document.querySelector("#gsi-status").dataset.state === "arriving");
  // The page's own socket serves match-2 too.
  await within("the dashboard's socket on match-2", (async () => {
    for (;;) {
      const overview = await (await fetch(`http://${broker.addr}/api/overview?source=match-2`)).json();
      if (overview.clients.some((c) => c.name === "dashboard" && c.source === "match-2")) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })());
  await screenshot(p, "dashboard-sources");
});
