// The Overwolf shim against a real broker: payloads exactly as overwolf.games.events gives them.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

import Wardcast from "../wardcast.js";
import { startBroker, stopAll, Match, T, within, plain, WARDCAST_JS } from "../test-support/broker.mjs";

after(stopAll);

// Callback style -> promise, with a timeout.
const cb = (what, fn) => within(what, new Promise((resolve) => fn(resolve)));

// A listener that records payloads, and lets the test wait for the nth one.
function recorder() {
  const calls = [];
  let waiters = [];
  const fn = (payload) => {
    calls.push(payload);
    waiters = waiters.filter((w) => (w.pred(payload) ? (w.resolve(payload), false) : true));
  };
  fn.calls = calls;
  fn.next = (what, pred = () => true) =>
    within(what, new Promise((resolve) => waiters.push({ pred, resolve })));
  return fn;
}

async function setup(t) {
  const broker = await startBroker();
  assert.equal(globalThis.overwolf, undefined);
  const shim = Wardcast.installOverwolfShim({ url: broker.wsUrl });
  t.after(async () => {
    shim.uninstall();
    await broker.stop();
  });
  return { broker, shim, ow: globalThis.overwolf, match: new Match(broker) };
}

test("installs overwolf.games.events and overwolf.games; uninstall restores", async (t) => {
  const { shim, ow } = await setup(t);
  assert.equal(Wardcast.installOverwolfShim(), shim, "a second install returns the first");
  for (const name of ["setRequiredFeatures", "getInfo"]) assert.equal(typeof ow.games.events[name], "function");
  for (const name of ["onNewEvents", "onInfoUpdates2", "onError"]) {
    assert.equal(typeof ow.games.events[name].addListener, "function");
    assert.equal(typeof ow.games.events[name].removeListener, "function");
  }
  for (const name of ["getRunningGameInfo", "getRunningGameInfo2"]) assert.equal(typeof ow.games[name], "function");
  assert.equal(typeof ow.games.onGameInfoUpdated.addListener, "function");
  assert.equal(shim.client.dataFormat, "string");
  const { uninstall } = shim;
  uninstall();
  assert.equal(globalThis.overwolf, undefined, "the overwolf global the shim created is removed");
  assert.equal(shim.client.state, "closed");
  assert.notEqual(Wardcast.installOverwolfShim({ autoConnect: false }), shim, "a fresh install after uninstall");
  Wardcast.installOverwolfShim().uninstall();
});

test("extends an existing overwolf object and restores it", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const windows = { getCurrentWindow() {} };
  globalThis.overwolf = { windows, games: { getGameInfo() {} } };
  const shim = Wardcast.installOverwolfShim({ url: broker.wsUrl });
  assert.equal(globalThis.overwolf.windows, windows);
  assert.equal(typeof globalThis.overwolf.games.getGameInfo, "function");
  assert.equal(typeof globalThis.overwolf.games.events.setRequiredFeatures, "function");
  shim.uninstall();
  assert.deepEqual(Object.keys(globalThis.overwolf.games), ["getGameInfo"]);
  delete globalThis.overwolf;
});

test("setRequiredFeatures before open, then Overwolf-shaped events, info and game info", async (t) => {
  const { ow, match } = await setup(t);
  const ev = ow.games.events;

  // Listeners first, as Overwolf documents; the same function twice is delivered once.
  const onNew = recorder();
  const onInfo = recorder();
  const onGame = recorder();
  const onErr = recorder();
  ev.onNewEvents.addListener(onNew);
  ev.onNewEvents.addListener(onNew);
  ev.onInfoUpdates2.addListener(onInfo);
  ev.onInfoUpdates2.addListener(onInfo);
  ev.onError.addListener(onErr);
  ow.games.onGameInfoUpdated.addListener(onGame);
  ow.games.onGameInfoUpdated.addListener(onGame);

  // Called before the socket is open: queued.
  const [result, notRunning] = await Promise.all([
    cb("setRequiredFeatures", (done) => ev.setRequiredFeatures(["kill", "me", "gold", "nope"], done)),
    cb("getRunningGameInfo2", (done) => ow.games.getRunningGameInfo2(done)),
  ]);
  assert.equal(result.success, true);
  assert.equal(result.status, "success");
  assert.deepEqual(result.supportedFeatures, ["kill", "me", "gold"]);
  assert.deepEqual(result.unsupportedFeatures, ["nope"]);
  assert.equal(typeof result.epoch, "string");
  assert.deepEqual(notRunning, { success: true, gameInfo: null });

  const gameInfo = onGame.next("onGameInfoUpdated");
  const me = onInfo.next("onInfoUpdates2 me", (p) => p.feature === "me");
  await match.baseline();
  assert.deepEqual(await gameInfo, {
    gameInfo: { isRunning: true, classId: 7314, id: 73141, title: "Dota 2" },
    runningChanged: true,
    gameChanged: false,
    reason: ["gameLaunched"],
    focusChanged: false,
    resolutionChanged: false,
    gameOverlayChanged: false,
  });
  assert.deepEqual(await me, {
    info: { me: { team: "radiant", steam_id: "76561198000000000", hero: "invoker" } },
    feature: "me",
  });

  const kill = onNew.next("onNewEvents kill");
  await match.kill();
  const payload = await kill;
  // Exactly Overwolf's NewGameEvents: {events: [{name, data: string}]}, no seq, no feature.
  assert.deepEqual(Object.keys(payload), ["events"]);
  assert.equal(payload.events.length, 1);
  assert.deepEqual(Object.keys(payload.events[0]).sort(), ["data", "name"]);
  assert.equal(payload.events[0].name, "kill");
  assert.equal(typeof payload.events[0].data, "string");
  assert.deepEqual(JSON.parse(payload.events[0].data), { kills: 1, kill_streak: 1, label: "kill" });

  const gold = onNew.next("onNewEvents gold", (p) => p.events[0].name === "gold");
  await match.gold(900);
  const g = await gold;
  assert.equal(typeof g.events[0].data, "string");
  assert.deepEqual(JSON.parse(g.events[0].data), { gold: 900, gold_reliable: 0, gold_unreliable: 900 });

  assert.deepEqual(
    onNew.calls.map((p) => p.events.map((e) => e.name).join()),
    ["kill", "gold"],
    "each payload once despite the double addListener"
  );
  assert.equal(onGame.calls.length, 1);
  assert.equal(onInfo.calls.filter((p) => p.feature === "me").length, 1);
  for (const p of onInfo.calls) assert.deepEqual(Object.keys(p), ["info", "feature"]);
  assert.deepEqual(onErr.calls, []);

  // getInfo: {success, status, res} with string values and features: "True".
  const info = await cb("getInfo", (done) => ev.getInfo(done));
  assert.deepEqual(info, {
    success: true,
    status: "success",
    res: {
      me: { team: "radiant", steam_id: "76561198000000000", hero: "invoker" },
      features: { kill: "True", me: "True", gold: "True" },
    },
  });

  const running = await cb("getRunningGameInfo", (done) => ow.games.getRunningGameInfo(done));
  assert.equal(running.success, true);
  assert.equal(running.isRunning, true);
  assert.equal(running.classId, 7314);
  assert.equal(running.id, 73141);
  assert.equal(running.title, "Dota 2");
  assert.equal(Math.floor(running.id / 10), 7314);
  const running2 = await cb("getRunningGameInfo2", (done) => ow.games.getRunningGameInfo2(done));
  assert.deepEqual(running2, { success: true, gameInfo: { isRunning: true, classId: 7314, id: 73141, title: "Dota 2" } });

  // removeListener: a removed listener gets nothing more (a second listener is the marker).
  const marker = recorder();
  ev.onNewEvents.addListener(marker);
  ev.onNewEvents.removeListener(onNew);
  const next = marker.next("onNewEvents kill 2", (p) => p.events[0].name === "kill");
  await match.kill();
  assert.deepEqual(JSON.parse((await next).events[0].data), { kills: 2, kill_streak: 2, label: "kill" });
  assert.equal(onNew.calls.length, 2);
});

test("a failed setRequiredFeatures reports both conventions and changes nothing", async (t) => {
  const { ow, match } = await setup(t);
  const ev = ow.games.events;
  const ok = await cb("setRequiredFeatures", (done) => ev.setRequiredFeatures(["kill"], done));
  assert.equal(ok.success, true);

  const failed = await cb("setRequiredFeatures fail", (done) => ev.setRequiredFeatures(["party", "nope"], done));
  assert.equal(failed.success, false);
  assert.equal(failed.status, "error");
  assert.equal(typeof failed.error, "string");
  assert.equal(failed.reason, failed.error);
  assert.deepEqual(failed.supportedFeatures, []);

  const invalid = await cb("setRequiredFeatures invalid", (done) => ev.setRequiredFeatures("kill", done));
  assert.equal(invalid.success, false);
  assert.equal(invalid.status, "error");

  // The kill subscription is still in force.
  const onNew = recorder();
  ev.onNewEvents.addListener(onNew);
  await match.baseline();
  const kill = onNew.next("kill");
  await match.kill();
  assert.equal((await kill).events[0].name, "kill");
});

function loadClassicScript(src, attrs = {}) {
  // A browser-like global: no module/require, a document.currentScript, the Web APIs used.
  const sandbox = {
    WebSocket: globalThis.WebSocket,
    URL,
    TextEncoder,
    setTimeout,
    clearTimeout,
    console,
    document: {
      currentScript: {
        src,
        getAttribute: (name) => (Object.hasOwn(attrs, name) ? attrs[name] : null),
      },
    },
  };
  vm.createContext(sandbox);
  vm.runInContext(readFileSync(WARDCAST_JS, "utf8"), sandbox, { filename: "wardcast.js" });
  return sandbox;
}

test("classic <script src=.../wardcast.js?shim=1> installs the shim, url from the script's origin", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const page = loadClassicScript(`http://${broker.addr}/wardcast.js?shim=1`);
  assert.equal(typeof page.Wardcast.Client, "function");
  assert.equal(typeof page.overwolf.games.events.setRequiredFeatures, "function");
  t.after(() => page.Wardcast.installOverwolfShim().uninstall());
  assert.equal(page.Wardcast.installOverwolfShim().client.url, `ws://${broker.addr}/ws`);

  const infos = [];
  page.overwolf.games.events.onInfoUpdates2.addListener((p) => infos.push(plain(p)));
  const result = await cb("setRequiredFeatures", (done) => page.overwolf.games.events.setRequiredFeatures(["me"], done));
  assert.equal(result.success, true);
  const me = new Promise((resolve) =>
    page.overwolf.games.events.onInfoUpdates2.addListener((p) => p.feature === "me" && resolve(plain(p)))
  );
  await new Match(broker).baseline();
  assert.deepEqual(await within("me info", me), {
    info: { me: { team: "radiant", steam_id: "76561198000000000", hero: "invoker" } },
    feature: "me",
  });
});

test("classic script: data-overwolf-shim attribute also installs; no flag installs nothing", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const withAttr = loadClassicScript(`http://${broker.addr}/wardcast.js`, { "data-overwolf-shim": "" });
  t.after(() => withAttr.Wardcast.installOverwolfShim().uninstall());
  const running = await cb("getRunningGameInfo", (done) => withAttr.overwolf.games.getRunningGameInfo(done));
  assert.equal(running.classId, 7314);

  const without = loadClassicScript(`http://${broker.addr}/wardcast.js?token=abc`);
  assert.equal(without.overwolf, undefined);
  const c = new without.Wardcast.Client({ autoConnect: false });
  assert.equal(c.url, `ws://${broker.addr}/ws?token=abc`, "default url and token from the script tag");
  const own = new without.Wardcast.Client({ autoConnect: false, token: "mine" });
  assert.equal(own.url, `ws://${broker.addr}/ws?token=mine`);

  const local = loadClassicScript("file:///C:/overlay/wardcast.js");
  assert.equal(new local.Wardcast.Client({ autoConnect: false }).url, "ws://127.0.0.1:7314/ws");
});
