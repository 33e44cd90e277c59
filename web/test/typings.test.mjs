// web/wardcast.d.ts against what the broker and the protocol say: every feature name, every
// event name, every info category and key, and each event's data members match a live
// broker's getFeatures and the JSON Schemas of protocol/schemas/data/. The typings are
// hand-written, so this is what keeps them from drifting.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

import { REPO, startBroker, stopAll, within } from "../test-support/broker.mjs";

const dts = readFileSync(join(REPO, "web/wardcast.d.ts"), "utf8");
let catalogue;

before(async () => {
  const broker = await startBroker();
  const ws = new WebSocket(broker.wsUrl);
  await within("open", new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  }));
  const reply = within("getFeatures", new Promise((resolve) => {
    ws.addEventListener("message", (m) => {
      const msg = JSON.parse(m.data);
      if (msg.id === 1) resolve(msg.result.features);
    });
  }));
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getFeatures" }));
  catalogue = await reply;
  ws.close();
});
after(() => stopAll());

/** The text between `export <kind> NAME ... {` (or `=`) and the matching close. */
function block(name) {
  const start = dts.search(new RegExp(`export (interface|type) ${name}\\b`));
  assert.ok(start >= 0, `${name} is declared`);
  const open = dts.indexOf(dts[dts.indexOf("=", start)] === "=" && dts.indexOf("=", start) < dts.indexOf("{", start) ? "=" : "{", start);
  if (dts[open] === "=") return dts.slice(open + 1, dts.indexOf(";", open));
  let depth = 0;
  for (let i = open; i < dts.length; i++) {
    if (dts[i] === "{") depth++;
    if (dts[i] === "}" && --depth === 0) return dts.slice(open + 1, i);
  }
  throw new Error(`${name}: unbalanced braces`);
}

/** Top-level member names of an interface body (nested braces skipped, comments dropped). */
function members(body) {
  const text = body.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const names = [];
  let depth = 0;
  for (const line of text.split("\n")) {
    if (depth === 0) {
      const m = /^\s*([a-z_][a-z0-9_]*)\??\s*:/i.exec(line);
      if (m) names.push(m[1]);
    }
    depth += (line.match(/[{(<]/g) || []).length - (line.match(/[})>]/g) || []).length;
  }
  return names;
}

/** The data members of an event type: through `type A = B`, `extends`, and `null |`. */
function dataMembers(typeName) {
  const aliasOrInterface = new RegExp(`export (interface|type) ${typeName}\\b([^{=]*)([{=])`).exec(dts);
  assert.ok(aliasOrInterface, `${typeName} is declared`);
  if (aliasOrInterface[3] === "=") {
    const target = block(typeName).replace(/null\s*\|/, "").trim();
    if (target === "null") return null;
    const inner = /^(?:Required<)?([A-Z][A-Za-z]*)>?$/.exec(target);
    assert.ok(inner, `${typeName} = ${target}: a type this test can follow`);
    return dataMembers(inner[1]);
  }
  const own = members(block(typeName));
  const ext = /extends\s+([A-Z][A-Za-z]*)/.exec(aliasOrInterface[2]);
  return ext ? [...dataMembers(ext[1]), ...own] : own;
}

test("FeatureName lists the catalogue, in getFeatures order", () => {
  const names = [...block("FeatureName").matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(names, catalogue.map((f) => f.name));
});

test("EventDataMap has every event the broker can send, and no other", () => {
  const events = new Set(members(block("EventDataMap")));
  // Every supported feature's events; chat is opt-in (`--allow-chat`), so typed as well.
  for (const f of catalogue.filter((f) => f.supported || f.name === "chat")) {
    for (const e of f.events) assert.ok(events.has(e), `EventDataMap has ${e}`);
  }
  const known = new Set(catalogue.flatMap((f) => f.events));
  for (const e of events) assert.ok(known.has(e), `${e} is in the catalogue`);
  const never = catalogue.filter((f) => !f.supported && f.name !== "chat").flatMap((f) => f.events);
  for (const e of never) assert.ok(!events.has(e), `${e} is never sent, so not typed`);
});

test("InfoCategories and FeatureInfoMap cover every supported info key", () => {
  const categories = block("InfoCategories");
  const declared = new Map();
  for (const m of categories.matchAll(/^\s*([a-z_]+)\?:\s*\{([^}]*)\}/gm)) {
    declared.set(m[1], new Set([...m[2].matchAll(/([a-z_][a-z0-9_]*)\?:/g)].map((k) => k[1])));
  }
  const infoFeatures = new Set(members(block("FeatureInfoMap")));
  for (const feature of catalogue) {
    const keys = feature.info.filter((k) => k.supported);
    if (keys.length) assert.ok(infoFeatures.has(feature.name), `FeatureInfoMap has ${feature.name}`);
    for (const { category, key } of keys) {
      assert.ok(declared.get(category)?.has(key), `InfoCategories has ${category}.${key}`);
    }
  }
  // And nothing the broker does not send.
  const sent = new Set(catalogue.flatMap((f) => f.info.filter((k) => k.supported).map((k) => `${k.category}.${k.key}`)));
  for (const [category, keys] of declared) {
    for (const key of keys) assert.ok(sent.has(`${category}.${key}`), `${category}.${key} is sent`);
  }
});

test("each event's data members are those of its JSON Schema", () => {
  const map = block("EventDataMap");
  let checked = 0;
  for (const m of map.matchAll(/^\s*([a-z_]+):\s*([A-Za-z]+);/gm)) {
    const [, event, typeName] = m;
    const schemaPath = join(REPO, "protocol/schemas/data", `${event}.schema.json`);
    assert.ok(existsSync(schemaPath), `a schema for ${event}`);
    const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
    const typed = typeName === "null" ? null : dataMembers(typeName);
    // An object schema, or the object branch of a `oneOf` (null in player mode, say).
    const object = schema.properties ? schema : (schema.oneOf || []).find((b) => b.properties);
    const props = object ? Object.keys(object.properties).sort() : null;
    if (typed === null || props === null) {
      assert.equal(typed === null, props === null || schema.type === "null", `${event}: data is null in both`);
      continue;
    }
    assert.deepEqual([...new Set(typed)].sort(), props, `${event}: ${typeName} against ${event}.schema.json`);
    checked++;
  }
  assert.ok(checked >= 35, `checked ${checked} events`);
});
