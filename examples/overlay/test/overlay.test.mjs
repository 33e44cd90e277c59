// The OBS overlay: its pure state logic fed with real engine output, the same logic driven by
// a real broker, and the page itself (index.html + overlay.js) on a small fake DOM.
//
//   node --experimental-websocket --test examples/overlay/test/
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

import { Client } from "../../../web/wardcast.js";
import { startBroker, stopAll, Match, inGame, within, plain, T, REPO, WARDCAST_JS } from "../../../web/test-support/broker.mjs";
import OverlayState from "../overlay-state.js";

after(stopAll);

const HERE = dirname(fileURLToPath(import.meta.url));
const OVERLAY = join(HERE, "..");
const CASES = join(REPO, "games/dota2/tests/cases");
const SEQUENCES = join(REPO, "games/dota2/tests/sequences");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const NONE = OverlayState.NONE;

// The engine's expected output for one GSI body: {events: [{feature, name, data}],
// info: [{feature, category, key, value}]}: exactly what the broker sends, in object form.
// rows: false leaves out the scoreboard rows (a client that does not get scoreboard).
function feed(state, output, { rows = true } = {}) {
  for (const i of output.info) {
    if (rows || i.category !== "scoreboard") OverlayState.applyInfo(state, { [i.category]: { [i.key]: i.value } });
  }
  for (const e of output.events) OverlayState.applyEvent(state, e.name, e.data);
  return state;
}
const expected = (name) => readJson(join(CASES, name, "expected.json"));

// A player-mode state in a match, with the events (and info, but no scoreboard rows) of
// engine cases applied: the cases are separate bodies, their rows would disagree.
function playing(...cases) {
  const state = OverlayState.create();
  OverlayState.setConnection(state, "open");
  OverlayState.applyInfo(state, { game: { game_state: "playing" }, me: { team: "radiant", hero: "invoker" } });
  for (const name of cases) feed(state, expected(name), { rows: false });
  return state;
}

// The counters the view shows, to compare with a scoreboard row.
const shown = (state) => {
  const v = OverlayState.view(state);
  return { kda: v.kda, gold: v.gold, gpm: v.gpm, xpm: v.xpm, buyback_cost: v.buyback_cost, buyback_cooldown: v.buyback_cooldown };
};
const fromRow = (row) => ({
  kda: `${row.kills} / ${row.deaths} / ${row.assists}`,
  gold: String(row.gold),
  gpm: String(row.gpm),
  xpm: String(row.xpm),
  buyback_cost: String(row.buyback_cost),
  buyback_cooldown: OverlayState.formatCooldown(row.buyback_cooldown),
});
const rowOf = (output, key) => output.info.find((i) => i.category === "scoreboard" && i.key === key).value;

// ------------------------------------------------------------------ pure logic, real payloads

test("every subscribed feature and every handled event is in the catalogue (protocol/features.md)", () => {
  const catalogue = readFileSync(join(REPO, "protocol/features.md"), "utf8");
  const features = new Set([...catalogue.matchAll(/^### `([a-z_]+)`$/gm)].map((m) => m[1]));
  for (const f of OverlayState.FEATURES) assert.ok(features.has(f), `feature ${f}`);
  const events = new Set(readdirSync(join(REPO, "protocol/schemas/data")).map((f) => f.replace(".schema.json", "")));
  for (const e of ["kill", "death", "assist", "gold", "gpm", "xpm", "clock_time_changed", "daytime_changed",
    "hero_buyback_info_changed", "ward_purchase_cooldown_changed", "roshan_killed", "aegis_picked_up", "aegis_denied"]) {
    assert.ok(events.has(e), `event ${e}`);
  }
  const info = new Set(readdirSync(join(REPO, "protocol/schemas/info")).map((f) => f.replace(".schema.json", "")));
  for (const k of ["game.game_state", "game.match_state", "me.team", "me.steam_id", "me.hero", "roster.players",
    "match_info.pseudo_match_id", "team_score.team_score", "roshan.state", "roshan.state_end_seconds",
    "scoreboard.me", "scoreboard.player_0", "scoreboard.player_9"]) {
    assert.ok(info.has(k), `info ${k}`);
  }
});

test("nothing known: dashes everywhere, a status line, no match panel", () => {
  const v = OverlayState.view(OverlayState.create());
  assert.equal(v.status, "Loading wardcast.js\u2026");
  assert.deepEqual(v.sections, { status: true, match: false, roshan: false });
  for (const k of ["kills", "deaths", "assists", "gold", "gpm", "xpm", "clock", "daytime", "buyback_cost", "buyback_cooldown", "ward_cooldown"]) {
    assert.equal(v[k], NONE, k);
  }
  const open = OverlayState.setConnection(OverlayState.create(), "open");
  assert.equal(OverlayState.view(open).status, "Waiting for a Dota 2 match\u2026");
});

test("player mode: kill, death, assist, gold, GPM/XPM from events alone (engine cases, no scoreboard)", () => {
  const v = OverlayState.view(playing("kill_single", "death", "assist_two", "gold_change", "gpm_xpm_change"));
  const kill = readJson(join(CASES, "kill_single/expected.json")).events.find((e) => e.name === "kill").data;
  const death = readJson(join(CASES, "death/expected.json")).events.find((e) => e.name === "death").data;
  const assists = readJson(join(CASES, "assist_two/expected.json")).events.filter((e) => e.name === "assist");
  const gold = readJson(join(CASES, "gold_change/expected.json")).events.find((e) => e.name === "gold").data;
  const gpmXpm = readJson(join(CASES, "gpm_xpm_change/expected.json")).events;
  assert.equal(v.kills, String(kill.kills));
  assert.equal(v.deaths, String(death.deaths));
  assert.equal(v.assists, String(assists.at(-1).data.assists));
  assert.equal(v.kda, `${kill.kills} / ${death.deaths} / ${assists.at(-1).data.assists}`);
  assert.equal(v.gold, String(gold.gold));
  assert.equal(v.gpm, String(gpmXpm.find((e) => e.name === "gpm").data.gpm));
  assert.equal(v.xpm, String(gpmXpm.find((e) => e.name === "xpm").data.xpm));
  assert.equal(v.mode, "playing");
  assert.equal(v.hero, "Invoker");
  assert.equal(v.status, "");
  assert.equal(v.sections.match, true);
});

test("player mode: buyback cost and cooldown, ward cooldown, clock and night", () => {
  const v = OverlayState.view(playing("hero_buyback_cooldown_ticking", "ward_purchase_cooldown_changed", "daytime_changed_to_night"));
  // hero_buyback_cooldown_ticking: {"buyback_cost": 254, "buyback_cooldown": 299}
  assert.equal(v.buyback_cost, "254");
  assert.equal(v.buyback_cooldown, "4:59");
  const ward = readJson(join(CASES, "ward_purchase_cooldown_changed/expected.json")).events[0].data.ward_purchase_cooldown;
  assert.equal(v.ward_cooldown, OverlayState.formatCooldown(ward));
  const night = readJson(join(CASES, "daytime_changed_to_night/expected.json")).events.find((e) => e.name === "daytime_changed").data;
  assert.equal(night.daytime, false);
  assert.equal(v.daytime, "Night");
  assert.equal(v.clock, OverlayState.formatClock(night.clock_time));

  const ready = playing();
  OverlayState.applyEvent(ready, "hero_buyback_info_changed", { buyback_cost: 712, buyback_cooldown: 0 });
  OverlayState.applyEvent(ready, "ward_purchase_cooldown_changed", { ward_purchase_cooldown: 0 });
  OverlayState.applyEvent(ready, "clock_time_changed", { daytime: true, clock_time: -29, nightstalker_night: false });
  assert.equal(OverlayState.view(ready).buyback_cooldown, "ready");
  assert.equal(OverlayState.view(ready).ward_cooldown, "ready");
  assert.equal(OverlayState.view(ready).clock, "-0:29");
  assert.equal(OverlayState.view(ready).daytime, "Day");
  OverlayState.applyEvent(ready, "daytime_changed", { daytime: false, clock_time: 1500, nightstalker_night: true });
  assert.equal(OverlayState.view(ready).daytime, "Night (Night Stalker)");
  assert.equal(OverlayState.view(ready).clock, "25:00");
  assert.equal(OverlayState.formatClock(3725), "1:02:05");
});

test("spectator sequence (40 real bodies): the followed hero's numbers, per-team wards, Roshan", () => {
  const state = OverlayState.create();
  OverlayState.setConnection(state, "open");
  for (const output of readJson(join(SEQUENCES, "spectator_10players_40.expected.json"))) feed(state, output);
  // "me" is N0tail's Chen (selected_unit), player_index 0; other players' events are ignored.
  assert.equal(OverlayState.meKey(state), "0");
  const v = OverlayState.view(state);
  assert.equal(v.mode, "spectating");
  assert.equal(v.hero, "Chen");
  assert.equal(v.team, "Radiant");
  // scoreboard.player_0 from the first body on (1/2/7), then the assist event of body 8 (and
  // the rows after it) make it 8. No kill or death event for player 0 in these 40 bodies.
  assert.equal(v.kda, "1 / 2 / 8");
  assert.equal(v.gold, "539");
  assert.equal(v.buyback_cost, "554");
  assert.equal(v.buyback_cooldown, "ready");
  assert.equal(v.ward_cooldown, "1:50"); // radiant's, not dire's
  assert.equal(v.clock, "20:01");
  assert.equal(v.daytime, "Day");
  assert.equal(v.score_radiant, "14");
  assert.equal(v.score_dire, "18");
  assert.equal(v.roshan_state, "Dead");
  assert.equal(v.roshan_timer, "7:31");
  assert.equal(v.roshan_last, "Aegis picked up");
  assert.deepEqual(v.sections, { status: false, match: true, roshan: true });
});

test("player mode, opened mid-match: scoreboard.me fills K/D/A, gold, GPM/XPM and buyback at once", () => {
  // A first body 30 minutes in: no counter event (it is a baseline), only info.
  const output = expected("first_snapshot_mid_match_is_baseline");
  assert.deepEqual(output.events.map((e) => e.name), ["game_state_changed", "match_state_changed"]);
  const row = rowOf(output, "me");
  assert.deepEqual([row.kills, row.deaths, row.assists], [7, 2, 5]);
  const state = feed(OverlayState.setConnection(OverlayState.create(), "open"), output);
  assert.equal(OverlayState.meKey(state), "me");
  assert.deepEqual(shown(state), fromRow(row));
  assert.equal(OverlayState.view(state).kda, "7 / 2 / 5");
  assert.deepEqual(OverlayState.view(state).sections, { status: false, match: true, roshan: false });
  // Without the row, events alone: the dashes this feature is for.
  const eventsOnly = feed(OverlayState.setConnection(OverlayState.create(), "open"), output, { rows: false });
  assert.equal(OverlayState.view(eventsOnly).kda, `${NONE} / ${NONE} / ${NONE}`);
});

test("spectating, opened mid-match: the row of the player the observer selected, not the others", () => {
  const output = expected("spectator_first_snapshot");
  const state = feed(OverlayState.setConnection(OverlayState.create(), "open"), output);
  // me.steam_id is player 7's (Invoker, Dire) in roster.players.
  assert.equal(state.me.steam_id, rowOf(output, "player_7").steamid);
  assert.equal(OverlayState.meKey(state), "7");
  assert.deepEqual(shown(state), fromRow(rowOf(output, "player_7")));
  assert.equal(OverlayState.view(state).kda, "6 / 3 / 8");
  assert.notDeepEqual(shown(state), fromRow(rowOf(output, "player_0")));
  // Without roster.players the rows' steamid tells the player too.
  OverlayState.applyInfo(state, { roster: { players: null } });
  assert.equal(OverlayState.meKey(state), "7");
  assert.equal(OverlayState.view(state).kda, "6 / 3 / 8");
  // The observer selects another hero: that player's row, already there.
  OverlayState.applyInfo(state, { me: { steam_id: rowOf(output, "player_2").steamid, team: "radiant", hero: "dark_willow" } });
  assert.equal(OverlayState.meKey(state), "2");
  assert.deepEqual(shown(state), fromRow(rowOf(output, "player_2")));
  assert.equal(OverlayState.view(state).buyback_cooldown, "40:42");
});

test("scoreboard: a null row clears that player; the rows survive a snapshot's late match_info", () => {
  const output = expected("spectator_first_snapshot");
  const state = feed(OverlayState.setConnection(OverlayState.create(), "open"), output);
  OverlayState.applyInfo(state, { scoreboard: { player_0: null } });
  assert.equal(OverlayState.view(state).kda, "6 / 3 / 8", "another player's reset leaves player 7 alone");
  OverlayState.applyInfo(state, { scoreboard: { player_7: null } });
  assert.deepEqual(shown(state), {
    kda: `${NONE} / ${NONE} / ${NONE}`, gold: NONE, gpm: NONE, xpm: NONE, buyback_cost: NONE, buyback_cooldown: NONE,
  });

  const mine = rowOf(expected("first_snapshot_mid_match_is_baseline"), "me");
  const player = playing();
  OverlayState.applyInfo(player, { scoreboard: { me: mine } });
  OverlayState.applyEvent(player, "kill", { kills: 8, kill_streak: 1, label: "kill" }); // event counters reset too
  OverlayState.applyInfo(player, { scoreboard: { me: null } });
  assert.equal(OverlayState.view(player).kda, `${NONE} / ${NONE} / ${NONE}`);

  // A subscription's snapshot is in the order the info last changed: the row may come before
  // match_info (say a teammate's kill changed team_score since). The new match id must not
  // wipe the row, which the broker itself would reset (null) if it belonged to another match.
  const late = OverlayState.setConnection(OverlayState.create(), "open");
  OverlayState.applyInfo(late, { game: { game_state: "playing" }, scoreboard: { me: mine } });
  OverlayState.applyInfo(late, { match_info: { pseudo_match_id: "m1", team_score: { radiant: 20, dire: 9 } } });
  assert.deepEqual(shown(late), fromRow(mine));
  OverlayState.applyInfo(late, { match_info: { pseudo_match_id: "m2" } });
  assert.deepEqual(shown(late), fromRow(mine), "kept until the broker resets it");
  OverlayState.applyInfo(late, { scoreboard: { me: null } });
  assert.equal(OverlayState.view(late).kills, NONE);
});

test("scoreboard and events agree: events update between rows, a row replaces what events said", () => {
  const state = playing();
  const row = { player_index: 0, team: "radiant", kills: 3, deaths: 1, assists: 4, gold: 500, gpm: 300, xpm: 350, buyback_cost: 400, buyback_cooldown: 0 };
  // An event first (the client got it before its first row): the row, the truth, replaces it.
  OverlayState.applyEvent(state, "gold", { gold: 450, gold_reliable: 200, gold_unreliable: 250 });
  OverlayState.applyEvent(state, "kill", { kills: 2, kill_streak: 2, label: "kill" });
  OverlayState.applyInfo(state, { scoreboard: { me: row } });
  assert.deepEqual(shown(state), fromRow(row));
  // Events between two rows move the values on, never back.
  OverlayState.applyEvent(state, "kill", { kills: 4, kill_streak: 3, label: "kill" });
  OverlayState.applyEvent(state, "gold", { gold: 750, gold_reliable: 300, gold_unreliable: 450 });
  OverlayState.applyEvent(state, "hero_buyback_info_changed", { buyback_cost: 420, buyback_cooldown: 0 });
  assert.deepEqual(shown(state), fromRow({ ...row, kills: 4, gold: 750, buyback_cost: 420 }));
  // The next row carries the latest values (conflation skips seconds, never delays them).
  const next = { ...row, kills: 4, gold: 780, gpm: 305, buyback_cost: 420, buyback_cooldown: 0 };
  OverlayState.applyInfo(state, { scoreboard: { me: next } });
  assert.deepEqual(shown(state), fromRow(next));
  // A row without a member (absent in the mode) leaves that counter to the events.
  OverlayState.applyEvent(state, "xpm", { xpm: 400 });
  const { xpm, ...noXpm } = next;
  OverlayState.applyInfo(state, { scoreboard: { me: noXpm } });
  assert.equal(OverlayState.view(state).xpm, "400");
  // Spectator rows go by their key, like the events' player_index.
  const spec = OverlayState.create();
  OverlayState.applyInfo(spec, { game: { game_state: "spectating" }, me: { steam_id: "1" }, roster: { players: [{ steamId: "1", player_index: 6 }] } });
  OverlayState.applyEvent(spec, "death", { deaths: 2, player_index: 6, team: "dire" });
  OverlayState.applyInfo(spec, { scoreboard: { player_6: { ...row, player_index: 6, deaths: 3 }, player_1: { ...row, kills: 9 } } });
  assert.equal(OverlayState.view(spec).kda, "3 / 3 / 4");
  OverlayState.applyEvent(spec, "assist", { assists: 5, player_index: 6, team: "dire" });
  assert.equal(OverlayState.view(spec).kda, "3 / 3 / 5");
});

test("a new match, or leaving one, clears the counters; info resets (null) are honoured", () => {
  const state = playing("kill_single");
  OverlayState.applyInfo(state, { match_info: { pseudo_match_id: "a" }, team_score: { team_score: { radiant: 1, dire: 0 } } });
  OverlayState.applyEvent(state, "kill", { kills: 3, kill_streak: 3, label: "triple_kill" });
  assert.equal(OverlayState.view(state).kills, "3");
  assert.equal(OverlayState.view(state).score_radiant, "1");
  OverlayState.applyInfo(state, { match_info: { pseudo_match_id: "a" } }); // same match: kept
  assert.equal(OverlayState.view(state).kills, "3");
  OverlayState.applyInfo(state, { match_info: { pseudo_match_id: null }, team_score: { team_score: null } });
  assert.equal(OverlayState.view(state).kills, NONE);
  assert.equal(OverlayState.view(state).score_radiant, NONE);
  OverlayState.applyEvent(state, "death", { deaths: 1 });
  OverlayState.applyInfo(state, { game: { game_state: "idle" }, me: { team: null, steam_id: null, hero: null } });
  const v = OverlayState.view(state);
  assert.equal(v.deaths, NONE);
  assert.equal(v.hero, NONE);
  assert.equal(v.sections.match, false);
  assert.equal(v.status, "Waiting for a Dota 2 match\u2026");
});

test("index.html has an element for every field of the view, and nothing else", () => {
  const html = readFileSync(join(OVERLAY, "index.html"), "utf8");
  const fields = new Set([...html.matchAll(/data-field="([a-z_]+)"/g)].map((m) => m[1]));
  const sections = new Set([...html.matchAll(/data-section="([a-z_]+)"/g)].map((m) => m[1]));
  const v = OverlayState.view(OverlayState.create());
  const { sections: viewSections, kda, ...strings } = v; // kda: a convenience for custom pages
  assert.deepEqual([...fields].sort(), Object.keys(strings).sort());
  assert.deepEqual([...sections].sort(), Object.keys(viewSections).sort());
  for (const f of fields) assert.match(html, new RegExp(`id="${f}"[^>]*data-field="${f}"|data-field="${f}"[^>]*id="${f}"`), `#${f}`);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, "no CDN or remote URL: only files next to the page");
});

// ------------------------------------------------------------------ against a real broker

test("real broker: the state follows posted GSI bodies (KDA, gold, buyback)", async (t) => {
  const broker = await startBroker();
  const client = new Client({ url: broker.wsUrl, features: OverlayState.FEATURES });
  t.after(async () => {
    client.close();
    await broker.stop();
  });
  const state = OverlayState.create();
  client.on("state", (s) => OverlayState.setConnection(state, s));
  client.on("event", (e) => OverlayState.applyEvent(state, e.name, e.data));
  client.on("info", (info) => OverlayState.applyInfo(state, info));
  const result = await within("subscribed", client.waitEvent("subscribed"));
  assert.deepEqual(result[0].supportedFeatures, OverlayState.FEATURES, "every feature is supported");
  OverlayState.setConnection(state, client.state);

  const match = new Match(broker);
  const me = client.waitEvent("info:me", { timeout: T });
  const row = client.waitEvent("info:scoreboard", { timeout: T });
  await match.baseline();
  await Promise.all([me, row]);
  assert.equal(OverlayState.view(state).hero, "Invoker");
  // The first body is a baseline (no kill, death or assist event); its scoreboard row says 0.
  assert.equal(OverlayState.view(state).kda, "0 / 0 / 0");

  let next = client.waitEvent("kill", { timeout: T });
  await match.kill();
  await next;
  assert.equal(OverlayState.view(state).kills, "1");

  next = client.waitEvent("kill", { timeout: T, filter: (d) => d.kills === 2 });
  await match.kill();
  await next;
  next = client.waitEvent("assist", { timeout: T });
  const death = client.waitEvent("death", { timeout: T });
  await match.post({ deaths: 1, kill_streak: 0, assists: 1 });
  await Promise.all([next, death]);
  assert.equal(OverlayState.view(state).kda, "2 / 1 / 1");

  const gold = client.waitEvent("gold", { timeout: T, filter: (d) => d.gold === 2345 });
  await match.gold(2345);
  await gold;
  assert.equal(OverlayState.view(state).gold, "2345");

  // Buyback: a real body with the hero's buyback on cooldown.
  const bb = client.waitEvent("hero_buyback_info_changed", { timeout: T, filter: (d) => d.buyback_cooldown === 42 });
  const body = inGame((match.clock += 30), match.player);
  body.hero.buyback_cooldown = 42;
  const clock = client.waitEvent("clock_time_changed", { timeout: T, filter: (d) => d.clock_time === body.map.clock_time });
  await broker.post(body);
  await Promise.all([bb, clock]);
  assert.equal(OverlayState.view(state).buyback_cooldown, "0:42");
  assert.equal(OverlayState.view(state).buyback_cost, String(body.hero.buyback_cost));
  assert.equal(OverlayState.view(state).clock, OverlayState.formatClock(match.clock));
  assert.equal(OverlayState.view(state).status, "");
});

// A client that connects after the broker has had the bodies: the subscription's snapshot only.
async function lateState(t, broker) {
  const client = new Client({ url: broker.wsUrl, features: OverlayState.FEATURES });
  t.after(() => client.close());
  const state = OverlayState.setConnection(OverlayState.create(), "open");
  client.on("event", (e) => OverlayState.applyEvent(state, e.name, e.data));
  let seen = 0;
  client.on("info", (info, params) => {
    OverlayState.applyInfo(state, info);
    seen = Math.max(seen, params.seq);
  });
  const [result] = await within("subscribed", client.waitEvent("subscribed"));
  // The snapshot follows the subscribe result (maybe in the same read, so already handled);
  // result.seq is the seq of its last notification.
  if (seen < result.seq) await client.waitEvent("info", { timeout: T, filter: (_, params) => params.seq >= result.seq });
  return state;
}

test("real broker, joined mid-match: the snapshot's scoreboard row gives the K/D/A at once", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  // Spectating: the observer follows N0tail's Chen (player 0), 1/2/7 in the first body.
  await broker.post(readJson(join(SEQUENCES, "spectator_10players_40.json"))[0]);
  await broker.processed(1);
  const spec = await lateState(t, broker);
  assert.equal(OverlayState.meKey(spec), "0");
  assert.deepEqual(shown(spec), { kda: "1 / 2 / 7", gold: "332", gpm: "254", xpm: "356", buyback_cost: "554", buyback_cooldown: "ready" });

  // Player mode, on another broker: two bodies, the second with a kill this client missed.
  const player = await startBroker();
  t.after(() => player.stop());
  const match = new Match(player);
  await match.post({ kills: 4, kill_streak: 1, deaths: 3, assists: 9 });
  await match.kill();
  await player.processed(2); // joined after the kill was processed, not while it is
  const mine = await lateState(t, player);
  assert.equal(OverlayState.view(mine).kda, "5 / 3 / 9");
  assert.equal(OverlayState.view(mine).gold, String(inGame(0).player.gold));
});

// ------------------------------------------------------------------ the page on a fake DOM

// A tiny DOM built from index.html: the elements with an id, a data-field or a data-section
// (what overlay.js touches), document.head/documentElement, and <script> injection.
function fakePage(search, onScript) {
  const html = readFileSync(join(OVERLAY, "index.html"), "utf8");
  const elements = [];
  for (const m of html.matchAll(/<([a-z]+)\b([^>]*)>/g)) {
    const attrs = Object.fromEntries([...m[2].matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map((a) => [a[1], a[2] ?? ""]));
    if (!("id" in attrs || "data-field" in attrs || "data-section" in attrs)) continue;
    elements.push({
      tagName: m[1].toUpperCase(),
      attrs,
      textContent: "",
      hidden: "hidden" in attrs,
      getAttribute(name) {
        return Object.hasOwn(this.attrs, name) ? this.attrs[name] : null;
      },
      setAttribute(name, value) {
        this.attrs[name] = String(value);
      },
    });
  }
  const scripts = [];
  const head = {
    appendChild(el) {
      el.parentNode = head;
      scripts.push(el);
      onScript(el);
      return el;
    },
    removeChild(el) {
      el.parentNode = null;
    },
  };
  const document = {
    currentScript: null,
    head,
    documentElement: head,
    createElement: (tag) => ({ tagName: tag.toUpperCase(), src: "", parentNode: null }),
    querySelectorAll(selector) {
      const name = /^\[([a-z-]+)\]$/.exec(selector)[1];
      return elements.filter((e) => e.getAttribute(name) !== null);
    },
    getElementById: (id) => elements.find((e) => e.attrs.id === id) ?? null,
  };
  const sandbox = {
    document,
    location: { search },
    WebSocket: globalThis.WebSocket,
    URL,
    URLSearchParams,
    TextEncoder,
    setTimeout,
    clearTimeout,
    console,
  };
  vm.createContext(sandbox);
  const byField = (name) => elements.find((e) => e.getAttribute("data-field") === name);
  return { sandbox, document, scripts, elements, byField };
}

function runScript(sandbox, file) {
  vm.runInContext(readFileSync(file, "utf8"), sandbox, { filename: file });
}

// Resolves once a render's view satisfies pred (or the current one already does).
function rendered(overlay, what, pred) {
  return within(what, new Promise((resolve) => {
    const check = (v) => {
      if (pred(v)) {
        overlay.offRender(check);
        resolve(v);
      }
    };
    overlay.onRender(check);
    overlay.render();
  }));
}

test("the page: ?broker= picks the script and socket, ?token= is passed, fields render live", async (t) => {
  const broker = await startBroker();
  let page = null;
  page = fakePage(`?broker=http://${broker.addr}&token=s%2Bcret`, (script) => {
    // The browser would fetch script.src from the broker; run the same file the broker serves.
    assert.equal(script.src, `http://${broker.addr}/wardcast.js`);
    queueMicrotask(() => {
      page.document.currentScript = script;
      runScript(page.sandbox, WARDCAST_JS);
      page.document.currentScript = null;
      script.onload();
    });
  });
  runScript(page.sandbox, join(OVERLAY, "overlay-state.js"));
  runScript(page.sandbox, join(OVERLAY, "overlay.js"));
  const overlay = page.sandbox.wardcastOverlay;
  t.after(async () => {
    overlay.stop();
    await broker.stop();
  });
  assert.equal(page.scripts.length, 1, "one script tag injected");
  assert.equal(page.byField("status").textContent, "Loading wardcast.js\u2026");
  assert.deepEqual(plain(overlay.settings), {
    broker: `http://${broker.addr}`,
    scriptUrl: `http://${broker.addr}/wardcast.js`,
    wsUrl: `ws://${broker.addr}/ws?client=obs-overlay`,
    token: "s+cret",
  });

  await rendered(overlay, "the client to open", (v) => v.status === "Waiting for a Dota 2 match\u2026");
  // Loopback clients need no token, but the page sends the one it was given.
  assert.equal(overlay.client.url, `ws://${broker.addr}/ws?client=obs-overlay&token=s%2Bcret`);
  assert.equal(page.document.getElementById("match").hidden, true);

  const match = new Match(broker);
  await match.baseline();
  await rendered(overlay, "the match panel", (v) => v.sections.match && v.hero === "Invoker");
  assert.equal(page.document.getElementById("match").hidden, false);
  assert.equal(page.document.getElementById("status").hidden, true);

  await match.kill();
  await rendered(overlay, "kills = 1", (v) => v.kills === "1");
  assert.equal(page.byField("kills").textContent, "1");
  assert.equal(page.document.getElementById("kills").textContent, "1");
  await match.post({ deaths: 1, kill_streak: 0, assists: 3 });
  await rendered(overlay, "deaths = 1, assists = 3", (v) => v.deaths === "1" && v.assists === "3");
  assert.equal(page.byField("deaths").textContent, "1");
  assert.equal(page.byField("assists").textContent, "3");
  assert.equal(page.byField("hero").textContent, "Invoker");
  assert.equal(page.byField("clock").textContent, OverlayState.formatClock(match.clock));
  assert.equal(page.document.getElementById("wardcast-overlay").getAttribute("data-connection"), "open");
  assert.equal(page.document.getElementById("roshan").hidden, true, "no Roshan data in player mode");
});

test("the page while spectating: Roshan's state and timer from a real spectator sequence", async (t) => {
  const broker = await startBroker();
  let page = null;
  page = fakePage(`?broker=${broker.addr}`, (script) => {
    queueMicrotask(() => {
      page.document.currentScript = script;
      runScript(page.sandbox, WARDCAST_JS);
      page.document.currentScript = null;
      script.onload();
    });
  });
  runScript(page.sandbox, join(OVERLAY, "overlay-state.js"));
  runScript(page.sandbox, join(OVERLAY, "overlay.js"));
  const overlay = page.sandbox.wardcastOverlay;
  t.after(async () => {
    overlay.stop();
    await broker.stop();
  });
  await rendered(overlay, "the client to open", (v) => v.status === "Waiting for a Dota 2 match\u2026");

  const bodies = readJson(join(SEQUENCES, "spectator_10players_40.json"));
  await broker.post(bodies[0]);
  await rendered(overlay, "Roshan alive", (v) => v.roshan_state === "Alive");
  // The first body has no kill event, but scoreboard.player_0 (the followed hero) has the K/D/A.
  await rendered(overlay, "K/D/A 1/2/7 from scoreboard.player_0", (v) => v.kda === "1 / 2 / 7");
  assert.equal(page.byField("kills").textContent, "1");
  assert.equal(page.document.getElementById("roshan").hidden, false);
  assert.equal(page.byField("roshan_timer").textContent, "");
  for (const body of bodies.slice(1, 11)) await broker.post(body);
  await rendered(overlay, "Roshan killed: dead, 8:00", (v) => v.roshan_timer === "8:00" && v.roshan_last !== "");
  assert.equal(page.byField("roshan_state").textContent, "Dead");
  assert.equal(page.byField("roshan_timer").textContent, "8:00");
  assert.equal(page.byField("roshan_last").textContent, "Radiant killed Roshan");
  for (const body of bodies.slice(11)) await broker.post(body);
  // The last body's clock (20:01) and Roshan timer (7:31); each feature is its own notification.
  await rendered(overlay, "the last body", (v) => v.roshan_timer === "7:31" && v.clock === "20:01" && v.ward_cooldown === "1:50");
  assert.equal(page.byField("mode").textContent, "spectating");
  assert.equal(page.byField("hero").textContent, "Chen");
  assert.equal(page.byField("assists").textContent, "8");
  assert.equal(page.byField("deaths").textContent, "2");
  assert.equal(page.byField("ward_cooldown").textContent, "1:50");
  assert.equal(page.byField("roshan_last").textContent, "Aegis picked up");
});

test("the page: config() accepts host:port, ws:// and https:// brokers", () => {
  const page = fakePage("", () => {});
  runScript(page.sandbox, join(OVERLAY, "overlay-state.js"));
  runScript(page.sandbox, join(OVERLAY, "overlay.js"));
  const overlay = page.sandbox.wardcastOverlay;
  overlay.stop();
  assert.equal(page.scripts[0].src, "http://127.0.0.1:7314/wardcast.js", "the default broker");
  const c = (q) => plain(overlay.config(q));
  assert.deepEqual(c(""), { broker: "http://127.0.0.1:7314", scriptUrl: "http://127.0.0.1:7314/wardcast.js", wsUrl: "ws://127.0.0.1:7314/ws?client=obs-overlay", token: "" });
  assert.equal(c("?broker=192.168.1.20:7314").wsUrl, "ws://192.168.1.20:7314/ws?client=obs-overlay");
  assert.equal(c("?broker=ws://10.0.0.5:9000/ws").scriptUrl, "http://10.0.0.5:9000/wardcast.js");
  assert.equal(c("?broker=https://deck.lan/").wsUrl, "wss://deck.lan/ws?client=obs-overlay");
  assert.equal(c("?broker=http%3A%2F%2F%5B%3A%3A1%5D%3A7314").scriptUrl, "http://[::1]:7314/wardcast.js");
});
