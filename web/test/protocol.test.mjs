// Client protocol logic against a scripted fake WebSocket: cases a real broker cannot be
// made to produce on demand (slow consumer 4008, a drop in the middle of a replay, a
// broker without resume), plus the backoff arithmetic. No timers are waited on blindly:
// every step waits for the client's own events.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";

import { Client, Emitter, TimeoutError } from "../wardcast.js";
import { within } from "../test-support/broker.mjs";

function fakeServer() {
  const server = new EventEmitter();
  server.sockets = [];
  server.WebSocket = class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.listeners = {};
      server.sockets.push(this);
      queueMicrotask(() => server.emit("connect", this));
    }
    addEventListener(name, fn) {
      (this.listeners[name] ||= []).push(fn);
    }
    fire(name, ev) {
      for (const fn of this.listeners[name] || []) fn(ev);
    }
    send(text) {
      const msg = JSON.parse(text);
      this.sent.push(msg);
      server.emit("request", this, msg);
    }
    close(code) {
      this.readyState = 3;
      this.closedWith = code;
    }
    // Server side:
    open() {
      this.readyState = 1;
      this.fire("open", {});
    }
    push(obj) {
      this.fire("message", { data: JSON.stringify(obj) });
    }
    reply(id, result) {
      this.push({ jsonrpc: "2.0", id, result });
    }
    serverClose(code, reason = "") {
      this.readyState = 3;
      this.fire("close", { code, reason, wasClean: code !== 1006 });
    }
  };
  server.nextSocket = () => within("a connection", once(server, "connect")).then(([ws]) => ws);
  server.nextRequest = () => within("a request", once(server, "request")).then(([, msg]) => msg);
  return server;
}

const kill = (seq, kills) => ({
  jsonrpc: "2.0",
  method: "onNewEvents",
  params: { seq, feature: "kill", events: [{ name: "kill", data: { kills, kill_streak: kills, label: "kill" } }] },
});
const ok = (extra) => ({ success: true, status: "success", supportedFeatures: ["kill"], unsupportedFeatures: [], ...extra });

test("slow consumer: onError, close 4008, resume with since = last seq; a drop mid-replay resumes from the last replayed", async () => {
  const server = fakeServer();
  const client = new Client({ url: "ws://fake/ws", WebSocket: server.WebSocket, features: ["kill"], reconnect: { minDelay: 1, maxDelay: 1, jitter: 0 } });
  const got = [];
  client.on("kill", (d, e) => got.push([d.kills, e.seq, !!e.replayed]));
  const errors = [];
  client.on("error", (reason) => errors.push(reason));

  let ws = await server.nextSocket();
  let req = server.nextRequest();
  ws.open();
  let msg = await req;
  assert.equal(msg.method, "setRequiredFeatures");
  assert.deepEqual(msg.params, { features: ["kill"], dataFormat: "object" });
  ws.reply(msg.id, ok({ epoch: "e1", seq: 5 }));
  ws.push(kill(6, 1));
  ws.push(kill(6, 1)); // a duplicate seq is dropped
  ws.push(kill(4, 1)); // so is an older one
  ws.push({ jsonrpc: "2.0", method: "onError", params: { seq: 7, reason: "slow_consumer" } });
  assert.deepEqual(errors, ["slow_consumer"]);
  assert.equal(client.lastSeq, 7);

  const closed = client.waitEvent("close", { timeout: 5000 });
  let next = server.nextSocket();
  ws.serverClose(4008, "slow consumer");
  const [close] = await closed;
  assert.equal(close.code, 4008);
  assert.equal(close.willReconnect, true);
  assert.equal(client.state, "reconnecting");

  ws = await next;
  req = server.nextRequest();
  ws.open();
  msg = await req;
  assert.equal(msg.method, "resume");
  assert.deepEqual(msg.params, { features: ["kill"], dataFormat: "object", epoch: "e1", since: 7 });
  ws.reply(msg.id, ok({ epoch: "e1", seq: 10, recovered: true, replayed: 2 }));
  ws.push(kill(8, 2)); // replayed 1 of 2, then the socket drops
  assert.equal(client.lastSeq, 8, "the position stays at the last replayed notification");

  next = server.nextSocket();
  ws.serverClose(1006);
  ws = await next;
  req = server.nextRequest();
  ws.open();
  msg = await req;
  assert.equal(msg.params.since, 8);
  ws.reply(msg.id, ok({ epoch: "e1", seq: 10, recovered: true, replayed: 1 }));
  ws.push(kill(9, 3));
  assert.equal(client.lastSeq, 10, "replay done: the result's seq");
  ws.push(kill(11, 4));

  assert.deepEqual(got, [
    [1, 6, false],
    [2, 8, true],
    [3, 9, true],
    [4, 11, false],
  ]);
  client.close();
});

test("request() matches answers by id, whatever order they come in", async () => {
  const server = fakeServer();
  const client = new Client({ url: "ws://fake/ws", WebSocket: server.WebSocket, reconnect: { minDelay: 1, jitter: 0 } });
  const ws = await server.nextSocket();
  ws.open();
  const sent = [];
  server.on("request", (_, msg) => sent.push(msg));
  const answers = [
    client.request("getInfo", undefined, { timeout: 5000 }),
    client.request("getRunningGameInfo", undefined, { timeout: 5000 }),
    client.request("getFeatures", undefined, { timeout: 5000 }),
  ];
  await within("three requests", (async () => {
    while (sent.length < 3) await new Promise((r) => setImmediate(r));
  })());
  assert.equal(new Set(sent.map((m) => m.id)).size, 3, "each request has its own id");
  // Answered last first, each with its method's name, and an error for the middle one.
  ws.reply(sent[2].id, { answered: sent[2].method });
  ws.push({ jsonrpc: "2.0", id: sent[1].id, error: { code: -32601, message: "nope" } });
  ws.reply(sent[0].id, { answered: sent[0].method });
  const [info, running, features] = await Promise.allSettled(answers);
  assert.deepEqual(info.value, { answered: "getInfo" });
  assert.equal(running.status, "rejected");
  assert.match(String(running.reason?.message), /nope/);
  assert.deepEqual(features.value, { answered: "getFeatures" });
  client.close();
});

test("requests in flight when the socket drops are sent again, and answered", async () => {
  const server = fakeServer();
  const client = new Client({ url: "ws://fake/ws", WebSocket: server.WebSocket, reconnect: { minDelay: 1, jitter: 0 } });
  let ws = await server.nextSocket();
  ws.open();
  const req = server.nextRequest();
  const info = client.getInfo();
  const first = await req;
  const next = server.nextSocket();
  ws.serverClose(1001);
  ws = await next;
  const again = server.nextRequest();
  ws.open();
  const resent = await again;
  assert.equal(resent.id, first.id);
  assert.equal(resent.method, "getInfo");
  ws.reply(resent.id, { success: true, status: "success", res: { features: {} } });
  assert.deepEqual(await info, { success: true, status: "success", res: { features: {} } });
  client.close();
});

test("a broker without resume: falls back to setRequiredFeatures and emits reset", async () => {
  const server = fakeServer();
  const client = new Client({ url: "ws://fake/ws", WebSocket: server.WebSocket, features: ["kill"], reconnect: { minDelay: 1, jitter: 0 } });
  let ws = await server.nextSocket();
  let req = server.nextRequest();
  ws.open();
  let msg = await req;
  ws.reply(msg.id, ok({ epoch: "e1", seq: 3 }));
  const next = server.nextSocket();
  ws.serverClose(1006);
  ws = await next;
  req = server.nextRequest();
  ws.open();
  msg = await req;
  assert.equal(msg.method, "resume");
  req = server.nextRequest();
  ws.push({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "unknown method" } });
  msg = await req;
  assert.equal(msg.method, "setRequiredFeatures");
  const reset = client.waitEvent("reset", { timeout: 5000 });
  ws.reply(msg.id, ok({ epoch: "e1", seq: 4 }));
  await reset;
  await client.ready({ timeout: 5000 });
  client.close();
});

test("a handshake that fails with an error event and no close event is retried", async () => {
  const server = fakeServer();
  const client = new Client({ url: "ws://fake/ws", WebSocket: server.WebSocket, reconnect: { minDelay: 1, jitter: 0 }, connectTimeout: 60_000 });
  const ws = await server.nextSocket();
  const closed = client.waitEvent("close", { timeout: 5000 });
  const next = server.nextSocket();
  ws.fire("error", { message: "Received network error or non-101 status code." });
  const [close] = await closed;
  assert.equal(close.code, 1006);
  assert.equal(close.willReconnect, true);
  const again = await next;
  again.open();
  await client.ready({ timeout: 5000 });
  ws.serverClose(1006); // a late close of the failed socket changes nothing
  assert.equal(client.state, "open");
  client.close();
});

test("backoff: minDelay x factor^n up to maxDelay; reset after an open", async () => {
  const server = fakeServer();
  const client = new Client({
    url: "ws://fake/ws",
    WebSocket: server.WebSocket,
    autoConnect: false,
    reconnect: { minDelay: 1, factor: 2, maxDelay: 8, jitter: 0 },
  });
  const delays = [];
  client.on("close", (c) => delays.push(c.delay));
  server.on("connect", (ws) => {
    if (delays.length === 5) ws.open();
    else ws.serverClose(1006);
  });
  client.connect();
  await client.ready({ timeout: 5000 });
  assert.deepEqual(delays, [1, 2, 4, 8, 8]);
  server.removeAllListeners("connect");
  const closed = client.waitEvent("close", { timeout: 5000 });
  client._drop();
  assert.equal((await closed)[0].delay, 1, "an open resets the backoff");
  client.close();
});

test("emitter: dedupe, once upgraded by on, throwing listeners do not stop the others", async () => {
  const e = new Emitter();
  const calls = [];
  const a = () => calls.push("a");
  e.once("x", a);
  e.on("x", a); // now permanent, still once per emission
  e.on("x", () => {
    throw new Error("boom");
  });
  e.on("x", () => calls.push("c"));
  const reported = [];
  const saved = globalThis.reportError;
  globalThis.reportError = (err) => reported.push(err.message);
  try {
    e.emit("x");
    e.emit("x");
  } finally {
    if (saved === undefined) delete globalThis.reportError;
    else globalThis.reportError = saved;
  }
  assert.deepEqual(calls, ["a", "c", "a", "c"]);
  assert.deepEqual(reported, ["boom", "boom"]);
  const waiting = e.waitEvent("y", { timeout: 1000 });
  e.emit("y", 1, 2);
  assert.deepEqual(await waiting, [1, 2]);
  await assert.rejects(e.waitEvent("z", { timeout: 10 }), TimeoutError);
  assert.equal(e.listenerCount("z"), 0);
});
