// Reconnect and resume against a real broker.
import { test, after } from "node:test";
import assert from "node:assert/strict";

import { Client, ClosedError } from "../wardcast.js";
import { startBroker, stopAll, Match, T } from "../test-support/broker.mjs";

after(stopAll);

// Records every kill the client emits, and lets the test wait for a given total.
function killLog(client) {
  const log = [];
  client.on("kill", (data, event) => log.push({ kills: data.kills, seq: event.seq, replayed: !!event.replayed }));
  log.waitFor = (kills) => client.waitEvent("kill", { timeout: T, filter: (d) => d.kills === kills });
  return log;
}

test("a dropped socket resumes: events posted while away all arrive, in order, once", async (t) => {
  const broker = await startBroker();
  // A long backoff, so the events are surely posted while the client is away; the test
  // then dials at once with connect() instead of waiting for the timer.
  const client = new Client({ url: broker.wsUrl, features: ["kill", "gold"], reconnect: { minDelay: 60_000 } });
  t.after(async () => {
    client.close();
    await broker.stop();
  });
  const match = new Match(broker);
  const kills = killLog(client);
  const states = [];
  client.on("state", (s) => states.push(s));
  const resets = [];
  client.on("reset", (r) => resets.push(r));
  await client.ready({ timeout: T });
  const epoch = client.epoch;

  await match.baseline();
  let seen = kills.waitFor(1);
  await match.kill();
  await seen;

  const away = client.waitEvent("state", { timeout: T, filter: (s) => s === "reconnecting" });
  client._drop();
  await away;
  assert.equal(client.state, "reconnecting");
  const sinceSeq = client.lastSeq;

  for (let i = 0; i < 4; i++) await match.kill(); // kills 2..5 while away
  await match.gold(1234);

  const resumed = client.waitEvent("subscribed", { timeout: T });
  seen = kills.waitFor(5);
  const gold = client.waitEvent("gold", { timeout: T });
  client.connect();
  const [result] = await resumed;
  assert.equal(result.success, true);
  assert.equal(result.recovered, true);
  assert.equal(result.epoch, epoch);
  assert.ok(result.replayed >= 5, `replayed ${result.replayed}: 4 kills + gold`);
  assert.ok(result.seq > sinceSeq);
  await seen;
  assert.deepEqual((await gold)[0], { gold: 1234, gold_reliable: 0, gold_unreliable: 1234 });
  assert.ok(client.lastSeq >= result.seq, "after the replay the position is the result's seq");

  seen = kills.waitFor(6);
  await match.kill(); // live again
  await seen;

  assert.deepEqual(kills.map((k) => k.kills), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(kills.map((k) => k.replayed), [false, true, true, true, true, false]);
  for (let i = 1; i < kills.length; i++) assert.ok(kills[i].seq > kills[i - 1].seq, "seq rises");
  assert.deepEqual(resets, []);
  assert.deepEqual(states, ["open", "reconnecting", "open"]);
});

test("it reconnects by itself with backoff, and resumes", async (t) => {
  const broker = await startBroker();
  const client = new Client({ url: broker.wsUrl, features: ["kill"], reconnect: { minDelay: 20, maxDelay: 100 } });
  t.after(async () => {
    client.close();
    await broker.stop();
  });
  const match = new Match(broker);
  const kills = killLog(client);
  await client.ready({ timeout: T });
  await match.baseline();

  const closed = client.waitEvent("close", { timeout: T });
  const resumed = client.waitEvent("subscribed", { timeout: T });
  client._drop();
  const [close] = await closed;
  assert.equal(close.willReconnect, true);
  assert.ok(close.delay >= 0 && close.delay <= 100, `delay ${close.delay}`);
  const seen = kills.waitFor(2);
  await match.kill();
  await match.kill();
  const [result] = await resumed;
  assert.equal(result.recovered, true);
  await seen;
  assert.deepEqual(kills.map((k) => k.kills), [1, 2]);
});

test("a broker restart: close 1001, resume not recovered, 'reset', info whole again", async (t) => {
  let broker = await startBroker();
  const addr = broker.addr;
  const client = new Client({ url: broker.wsUrl, features: ["kill", "me"], reconnect: { minDelay: 20, maxDelay: 200 } });
  t.after(async () => {
    client.close();
    await broker.stop();
  });
  const kills = killLog(client);
  await client.ready({ timeout: T });
  const firstEpoch = client.epoch;
  const me = client.waitEvent("info:me", { timeout: T });
  let match = new Match(broker);
  await match.baseline();
  await me;
  let seen = kills.waitFor(3);
  await match.kill();
  await match.kill();
  await match.kill();
  await seen;
  const oldSeq = client.lastSeq;
  assert.equal(client.info.me.hero, "invoker");

  const closed = client.waitEvent("close", { timeout: T });
  await broker.stop(); // SIGTERM: the broker closes its clients with 1001
  const [close] = await closed;
  assert.equal(close.code, 1001);
  assert.equal(close.willReconnect, true);

  const lifecycle = [];
  const t0 = Date.now();
  for (const name of ["state", "close", "open", "subscribed"]) {
    client.on(name, (a) => lifecycle.push(`${Date.now() - t0}ms ${name} ${JSON.stringify(a)}`));
  }
  const reset = client.waitEvent("reset", { timeout: T });
  broker = await startBroker({ listen: addr });
  lifecycle.push(`${Date.now() - t0}ms restarted on ${addr}`);
  const [result] = await reset.catch((err) => {
    throw new Error(`${err.message}; client lifecycle:\n${lifecycle.join("\n")}\nbroker stderr:\n${broker.stderr()}`);
  });
  assert.equal(result.success, true);
  assert.equal(result.recovered, false);
  assert.notEqual(client.epoch, firstEpoch);
  assert.equal(client.lastSeq, result.seq, "a new epoch restarts the position");
  assert.ok(client.lastSeq < oldSeq, "the new broker's seqs are lower (and must not be dropped)");
  assert.deepEqual(client.info, {}, "the old run's info is gone");

  match = new Match(broker);
  const me2 = client.waitEvent("info:me", { timeout: T });
  await match.baseline();
  await me2;
  assert.equal(client.info.me.hero, "invoker");
  seen = kills.waitFor(1);
  await match.kill();
  await seen;
  assert.deepEqual(kills.map((k) => k.kills), [1, 2, 3, 1]);
});

test("close() stops reconnecting; pending requests reject", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  let sockets = 0;
  class CountingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args);
      sockets++;
    }
  }
  const client = new Client({ url: broker.wsUrl, WebSocket: CountingWebSocket, reconnect: { minDelay: 60_000 } });
  await client.ready({ timeout: T });
  assert.equal(sockets, 1);
  const away = client.waitEvent("state", { timeout: T, filter: (s) => s === "reconnecting" });
  client._drop();
  await away;
  const pending = client.getInfo({ timeout: 0 }); // queued while away
  client.close();
  await assert.rejects(pending, ClosedError);
  assert.equal(client.state, "closed");
  assert.equal(client._timer, null, "no reconnect scheduled");
  assert.equal(sockets, 1);

  // reconnect: false: a loss is final.
  const once = new Client({ url: broker.wsUrl, reconnect: false });
  await once.ready({ timeout: T });
  const closed = once.waitEvent("state", { timeout: T, filter: (s) => s === "closed" });
  once._drop();
  await closed;
  assert.equal(once._timer, null);
  await assert.rejects(once.getInfo(), ClosedError);
});
