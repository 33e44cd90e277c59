#!/usr/bin/env node
// Subscribe to a Wardcast broker and print every event and info update, one line each.
//
//   node --experimental-websocket examples/node-client/subscribe.mjs                 # Node 20
//   node examples/node-client/subscribe.mjs --features kill,death,gold,me --count 10  # Node 22+
//
// Output lines (stdout):
//   event <feature> <name> <data as JSON>        e.g. event kill kill {"kills":1,"kill_streak":1,"label":"kill"}
//   info <feature> <info as JSON>                e.g. info me {"me":{"team":"radiant","hero":"invoker"}}
//   info* <feature> <info as JSON>               the same, from the snapshot that follows a subscription
// Connection changes and errors go to stderr. Exits 0 after --count lines or on Ctrl-C.

import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

const USAGE = `usage: subscribe.mjs [--url ws://127.0.0.1:7314/ws] [--token TOKEN]
                     [--features kill,death,gold,...] [--count N] [--client NAME]

  --url       the broker's WebSocket endpoint (default ws://127.0.0.1:7314/ws)
  --token     the access token (LAN clients; see \`wardcast token\`)
  --features  comma-separated feature names (default: all supported features)
  --count     exit after printing N lines (default: run until Ctrl-C)
  --client    the name the broker logs for this connection (default subscribe.mjs)
  --wardcast  path of wardcast.js (default: web/wardcast.js of this repository)`;

function fail(message) {
  process.stderr.write(`subscribe.mjs: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      url: { type: "string", default: "ws://127.0.0.1:7314/ws" },
      token: { type: "string" },
      features: { type: "string" },
      count: { type: "string" },
      client: { type: "string", default: "subscribe.mjs" },
      wardcast: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const count = args.count === undefined ? Infinity : Number(args.count);
if (!(count >= 1) || !Number.isInteger(count === Infinity ? 1 : count)) fail(`--count must be a positive integer, got ${args.count}`);
const features = args.features === undefined ? null : args.features.split(",").map((f) => f.trim()).filter(Boolean);
if (features !== null && features.length === 0) fail("--features needs at least one name");

const Wardcast = require(args.wardcast ?? fileURLToPath(new URL("../../web/wardcast.js", import.meta.url)));

if (typeof globalThis.WebSocket !== "function") {
  fail("no WebSocket in this Node: run it with `node --experimental-websocket` (Node 20) or use Node 22+");
}

// ?client= names the connection in the broker's logs.
const url = new URL(args.url);
if (!url.searchParams.has("client")) url.searchParams.set("client", args.client);

const client = new Wardcast.Client({ url: url.href, token: args.token, autoConnect: false });

let printed = 0;
let exiting = false;

function exit(code) {
  if (exiting) return;
  exiting = true;
  client.close();
  // Let stdout drain before exiting (it may be a pipe).
  process.stdout.write("", () => process.exit(code));
}

function line(text) {
  if (exiting) return;
  process.stdout.write(`${text}\n`);
  if (++printed >= count) exit(0);
}

client.on("event", (e) => line(`event ${e.feature} ${e.name} ${JSON.stringify(e.data)}`));
client.on("info", (info, params) => line(`${params.snapshot ? "info*" : "info"} ${params.feature} ${JSON.stringify(info)}`));
client.on("error", (reason) => process.stderr.write(`onError: ${reason}\n`));
client.on("state", (state) => process.stderr.write(`connection: ${state}\n`));
client.on("close", (c) => {
  if (c.willReconnect) process.stderr.write(`closed (${c.code}${c.reason ? ` ${c.reason}` : ""}); retrying in ${c.delay} ms\n`);
});
client.on("subscribed", (r) => {
  process.stderr.write(`subscribed: ${r.supportedFeatures.join(",") || "(none)"}\n`);
  if (r.unsupportedFeatures?.length) process.stderr.write(`unsupported: ${r.unsupportedFeatures.join(",")}\n`);
});

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => exit(0));

if (features !== null) {
  client.subscribe(features).catch((err) => process.stderr.write(`subscribe failed: ${err.message}\n`));
} else {
  // Every supported feature, from the broker's catalogue.
  client
    .getFeatures()
    .then((r) => client.subscribe(r.features.filter((f) => f.supported).map((f) => f.name)))
    .catch((err) => process.stderr.write(`subscribe failed: ${err.message}\n`));
}
client.connect();
