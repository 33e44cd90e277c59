// subscribe.mjs as a child process against a real broker fed with real GSI bodies.
//
//   node --experimental-websocket --test examples/node-client/test/
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { startBroker, stopAll, Match, within } from "../../../web/test-support/broker.mjs";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "../subscribe.mjs");

const children = new Set();
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await stopAll();
});

// Runs subscribe.mjs; out.lines / err.lines fill as it prints, and waitFor() awaits a line.
function run(args, { flags = ["--experimental-websocket"] } = {}) {
  const child = spawn(process.execPath, [...flags, SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
  children.add(child);
  const stream = (readable) => {
    const s = { lines: [], text: "", waiters: [] };
    let partial = "";
    readable.setEncoding("utf8");
    readable.on("data", (d) => {
      s.text += d;
      partial += d;
      const parts = partial.split("\n");
      partial = parts.pop();
      s.lines.push(...parts);
      s.waiters = s.waiters.filter((w) => !w());
    });
    s.waitFor = (what, pred) => within(`a line: ${what}\n(stdout so far: ${JSON.stringify(s.lines)})`, new Promise((resolve) => {
      const w = () => {
        const line = s.lines.find(pred);
        if (line !== undefined) resolve(line);
        return line !== undefined;
      };
      if (!w()) s.waiters.push(w);
    }));
    return s;
  };
  const out = stream(child.stdout);
  const err = stream(child.stderr);
  const exited = within("subscribe.mjs to exit", once(child, "exit"));
  return { child, out, err, exited };
}

test("prints each event and info update as one line, and exits after --count", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const sub = run(["--url", broker.wsUrl, "--features", "kill,death,me", "--count", "3"]);
  await sub.err.waitFor("subscribed", (l) => l === "subscribed: kill,death,me");

  const match = new Match(broker);
  await match.baseline(); // me info; counters only set their baseline
  await sub.out.waitFor("me info", (l) => l.startsWith("info me "));
  await match.kill();
  await sub.out.waitFor("the kill", (l) => l.startsWith("event kill "));
  await match.post({ deaths: 1, kill_streak: 0 });
  const [code] = await sub.exited;
  assert.equal(code, 0, sub.err.text);
  assert.deepEqual(sub.out.lines, [
    'info me {"me":{"team":"radiant","steam_id":"76561198000000000","hero":"invoker"}}',
    'event kill kill {"kills":1,"kill_streak":1,"label":"kill"}',
    'event death death {"deaths":1}',
  ]);
  assert.match(sub.err.text, /connection: open/);
});

test("joining mid-match: the snapshot comes first, marked info*", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const match = new Match(broker);
  await match.baseline();
  await match.gold(1234);
  const sub = run(["--url", broker.wsUrl, "--features", "me,game", "--count", "2"]);
  const [code] = await sub.exited;
  assert.equal(code, 0, sub.err.text);
  assert.deepEqual([...sub.out.lines].sort(), [
    'info* game {"game":{"game_state":"playing","match_state":"DOTA_GAMERULES_STATE_GAME_IN_PROGRESS"}}',
    'info* me {"me":{"team":"radiant","steam_id":"76561198000000000","hero":"invoker"}}',
  ]);
});

test("with no --features it subscribes to every supported feature", async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const sub = run(["--url", broker.wsUrl]);
  const line = await sub.err.waitFor("subscribed", (l) => l.startsWith("subscribed: "));
  const features = line.slice("subscribed: ".length).split(",");
  for (const f of ["kill", "death", "assist", "gold", "me", "match_info", "roshan", "gep_internal"]) assert.ok(features.includes(f), f);
  assert.ok(!features.includes("party"), "unsupported features are left out");
  // gep_internal's version_info is in the snapshot even with no game.
  await sub.out.waitFor("gep_internal snapshot", (l) => l.startsWith('info* gep_internal {"gep_internal":{"version_info":'));

  const match = new Match(broker);
  await match.baseline();
  await match.kill();
  await sub.out.waitFor("the kill", (l) => l === 'event kill kill {"kills":1,"kill_streak":1,"label":"kill"}');

  // Ctrl-C: a clean exit.
  sub.child.kill("SIGINT");
  const [code] = await sub.exited;
  assert.equal(code, 0, sub.err.text);
});

test("bad arguments exit 2 with a message", async () => {
  const bad = run(["--count", "0"]);
  assert.equal((await bad.exited)[0], 2);
  assert.match(bad.err.text, /--count must be a positive integer/);
  const unknown = run(["--nope"]);
  assert.equal((await unknown.exited)[0], 2);
  assert.match(unknown.err.text, /usage: subscribe\.mjs/);
});

test("without a WebSocket (Node 20 without the flag) it says how to fix it", { skip: Number(process.versions.node.split(".")[0]) >= 22 && "Node 22+ has WebSocket" }, async () => {
  const sub = run(["--count", "1"], { flags: [] });
  assert.equal((await sub.exited)[0], 2);
  assert.match(sub.err.text, /--experimental-websocket/);
});
