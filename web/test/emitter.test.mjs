// The event-emitter API against a real broker.
import { test, after } from "node:test";
import assert from "node:assert/strict";

import Wardcast, { Client, TimeoutError, RpcError, ClosedError } from "../wardcast.js";
import { startBroker, stopAll, Match, T } from "../test-support/broker.mjs";

after(stopAll);

async function setup(t, options = {}) {
  const broker = await startBroker();
  const client = new Client({ url: broker.wsUrl, ...options });
  t.after(async () => {
    client.close();
    await broker.stop();
  });
  return { broker, client, match: new Match(broker) };
}

test("the module exports and the global agree", () => {
  assert.equal(globalThis.Wardcast, Wardcast);
  assert.equal(Wardcast.Client, Client);
  assert.equal(typeof Wardcast.installOverwolfShim, "function");
});

test("kill data arrives as objects; info as objects; client.info is kept", async (t) => {
  const { client, match } = await setup(t, { features: ["kill", "death", "me"] });
  const states = [];
  client.on("state", (s) => states.push(s));
  await client.ready({ timeout: T });
  assert.equal(client.state, "open");
  assert.equal(client.subscription.success, true);
  assert.deepEqual(client.subscription.supportedFeatures, ["kill", "death", "me"]);

  const me = client.waitEvent("info:me", { timeout: T });
  await match.baseline();
  const [info, params] = await me;
  assert.deepEqual(info, { me: { team: "radiant", steam_id: "76561198000000000", hero: "invoker" } });
  assert.equal(params.feature, "me");
  assert.equal(typeof params.seq, "number");

  const kill = client.waitEvent("kill", { timeout: T });
  await match.kill();
  const [data, event] = await kill;
  assert.deepEqual(data, { kills: 1, kill_streak: 1, label: "kill" });
  assert.equal(event.name, "kill");
  assert.equal(event.feature, "kill");
  assert.deepEqual(event.data, data);
  assert.ok(event.seq > params.seq, "seq rises");
  assert.equal(event.replayed, undefined);
  assert.equal(client.lastSeq, event.seq);

  assert.equal(client.info.me.hero, "invoker");
  assert.deepEqual(states, ["open"]); // "connecting" was set in the constructor, before on()
});

test("on/once/off, and the same listener added twice is called once", async (t) => {
  const { client, match } = await setup(t, { features: ["kill"] });
  await client.ready({ timeout: T });
  const calls = { twice: [], once: [], removed: [], all: [] };
  const twice = (d) => calls.twice.push(d.kills);
  const onceFn = (d) => calls.once.push(d.kills);
  const removed = (d) => calls.removed.push(d.kills);
  client.on("kill", twice);
  client.on("kill", twice); // dedupe by identity
  client.once("kill", onceFn);
  client.once("kill", onceFn); // still once
  client.on("kill", removed);
  client.off("kill", removed);
  client.on("event", (e) => calls.all.push(`${e.name}:${e.data.kills}`));
  assert.equal(client.listenerCount("kill"), 2);

  await match.baseline();
  const second = client.waitEvent("kill", { timeout: T, filter: (d) => d.kills === 2 });
  await match.kill();
  await match.kill();
  await second;

  assert.deepEqual(calls.twice, [1, 2]);
  assert.deepEqual(calls.once, [1]);
  assert.deepEqual(calls.removed, []);
  assert.deepEqual(calls.all, ["kill:1", "kill:2"]);
  assert.equal(client.listenerCount("kill"), 1, "once removed itself, waitEvent cleaned up");

  client.off("kill");
  assert.equal(client.listenerCount("kill"), 0);
});

test("waitEvent rejects with a TimeoutError and removes its listener", async (t) => {
  const { client } = await setup(t, { features: ["death"] });
  await client.ready({ timeout: T });
  await assert.rejects(client.waitEvent("death", { timeout: 150 }), (err) => {
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.name, "TimeoutError");
    assert.equal(err.event, "death");
    return true;
  });
  assert.equal(client.listenerCount("death"), 0);

  const ac = new AbortController();
  const aborted = client.waitEvent("death", { signal: ac.signal });
  ac.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.equal(client.listenerCount("death"), 0);
});

test("request: results by id, JSON-RPC errors with their code, timeouts, closed", async (t) => {
  const { client, match } = await setup(t);
  await client.ready({ timeout: T });

  // Several requests in flight at once are matched by id.
  const [features, running, info] = await Promise.all([
    client.request("getFeatures"),
    client.getRunningGameInfo(),
    client.request("getInfo", {}),
  ]);
  assert.ok(features.features.some((f) => f.name === "kill" && f.supported === true));
  assert.deepEqual(
    { isRunning: running.isRunning, classId: running.classId, id: running.id, title: running.title },
    { isRunning: false, classId: 7314, id: 73141, title: "Dota 2" }
  );
  assert.deepEqual(info.res, { features: {} });

  await assert.rejects(client.request("noSuchMethod"), (err) => {
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, -32601);
    assert.equal(err.method, "noSuchMethod");
    return true;
  });
  await assert.rejects(client.request("getInfo", { x: 1 }), (err) => err instanceof RpcError && err.code === -32602);
  await assert.rejects(client.request("setRequiredFeatures", { features: "kill" }), { code: -32602 });

  // subscribe() is setRequiredFeatures with the client's dataFormat ("object").
  const result = await client.subscribe(["gold", "nope", "gold"]);
  assert.equal(result.success, true);
  assert.equal(result.status, "success");
  assert.deepEqual(result.supportedFeatures, ["gold"]);
  assert.deepEqual(result.unsupportedFeatures, ["nope"]);
  assert.deepEqual(client.features, ["gold", "nope"]);
  await match.baseline();
  const gold = client.waitEvent("gold", { timeout: T });
  await match.gold(700);
  assert.deepEqual((await gold)[0], { gold: 700, gold_reliable: 0, gold_unreliable: 700 });
  const full = await client.getInfo();
  assert.deepEqual(full.res.features, { gold: "True" });

  // A request that is never answered (this client never connects) times out.
  const idle = new Client({ url: client.url, autoConnect: false });
  assert.equal(idle.state, "closed");
  await assert.rejects(idle.request("getInfo", undefined, { timeout: 100 }), TimeoutError);
  const queued = idle.request("getInfo", undefined, { timeout: 0 });
  idle.close();
  await assert.rejects(queued, ClosedError);
  await assert.rejects(idle.request("getInfo"), ClosedError);
});

test("a queued request goes out once the socket opens", async (t) => {
  const { broker } = await setup(t);
  const client = new Client({ url: broker.wsUrl });
  t.after(() => client.close());
  assert.equal(client.state, "connecting");
  const result = await client.getRunningGameInfo({ timeout: T });
  assert.equal(result.classId, 7314);
});

test('dataFormat "string" on the wire still gives objects to listeners', async (t) => {
  const { client, match } = await setup(t, { features: ["kill", "me"], dataFormat: "string" });
  await client.ready({ timeout: T });
  const me = client.waitEvent("info:me", { timeout: T });
  await match.baseline();
  const [info] = await me;
  assert.equal(info.me.steam_id, "76561198000000000", "a Steam id stays a string");
  const kill = client.waitEvent("kill", { timeout: T });
  await match.kill();
  const [data, event] = await kill;
  assert.deepEqual(data, { kills: 1, kill_streak: 1, label: "kill" });
  assert.equal(typeof event.raw, "string");
  assert.deepEqual(JSON.parse(event.raw), data);
});

test("lifecycle events: open, state, close; close() is final", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const client = new Client({ url: broker.wsUrl, autoConnect: false });
  const seen = [];
  client.on("state", (s, prev) => seen.push(`${prev}->${s}`));
  const opened = client.waitEvent("open", { timeout: T });
  client.connect();
  const [open] = await opened;
  assert.equal(open.reconnected, false);
  const closed = client.waitEvent("close", { timeout: T });
  client.close();
  const [close] = await closed;
  assert.equal(close.willReconnect, false);
  assert.deepEqual(seen, ["closed->connecting", "connecting->open", "open->closed"]);
  assert.equal(client.state, "closed");
});

test("ready() rejects when the client closes without connecting (reconnect: false)", async () => {
  // Port 9 (discard) on loopback: nothing listens, the connection is refused. Node 20's
  // WebSocket reports that with an error event and no close event; the client must not
  // wait for its connectTimeout (set far beyond T here) to notice.
  const client = new Client({ url: "ws://127.0.0.1:9/ws", reconnect: false, connectTimeout: 60_000 });
  await assert.rejects(client.ready({ timeout: T }), ClosedError);
  assert.equal(client.state, "closed");
});

test("no WebSocket: a clear error", () => {
  const saved = globalThis.WebSocket;
  try {
    globalThis.WebSocket = undefined;
    assert.throws(() => new Client({ autoConnect: false }), /--experimental-websocket/);
  } finally {
    globalThis.WebSocket = saved;
  }
  assert.throws(() => new Client({ url: "http://x/ws", autoConnect: false }), /ws:\/\//);
  assert.throws(() => new Client({ dataFormat: "xml", autoConnect: false }), /dataFormat/);
});

test("token is appended as ?token=", () => {
  const c = new Client({ url: "ws://127.0.0.1:7314/ws", token: "a b&c", autoConnect: false });
  assert.equal(c.url, "ws://127.0.0.1:7314/ws?token=a%20b%26c");
  const d = new Client({ token: "x", autoConnect: false });
  assert.equal(d.url, "ws://127.0.0.1:7314/ws?token=x");
});
