// Test support (kept out of web/test/ so `node --test web/test/` does not run it as a test):
// spawns a real `wardcast serve` and posts real GSI bodies to it.

import { spawn } from "node:child_process";
import { readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = process.env.WARDCAST_BIN || join(REPO, "target/debug/wardcast");
export const WARDCAST_JS = join(REPO, "web/wardcast.js");

/**
 * The config dir (XDG_CONFIG_HOME) of every `wardcast` this test process runs, fresh for it:
 * a developer's real `wardcast setup` token must not make the test posts get 401. It is set on
 * process.env, so brokers and one-shot commands (`wardcast token`) see the same tokens.
 */
export const CONFIG_HOME = mkdtempSync(join(tmpdir(), "wardcast-test-config-"));
process.env.XDG_CONFIG_HOME = CONFIG_HOME;
process.on("exit", () => rmSync(CONFIG_HOME, { recursive: true, force: true }));

/** The timeout of every wait in the tests (ms). */
export const T = 10_000;

if (typeof globalThis.WebSocket !== "function") {
  throw new Error("no global WebSocket: run the tests with `node --experimental-websocket --test web/test/`");
}

/** Rejects after ms with a message naming what was awaited. */
export function within(what, promise, ms = T) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const live = new Set();

/**
 * Starts `wardcast serve --listen LISTEN` and resolves once its first stdout line
 * ("wardcast X listening on ADDR") is read. Returns {addr, wsUrl, gsiUrl, post, stop, child}.
 */
export async function startBroker({ listen = "127.0.0.1:0", args = [] } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`cargo build\` first (or set WARDCAST_BIN)`);
  const child = spawn(BIN, ["serve", "--listen", listen, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  live.add(child);
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  child.stdout.setEncoding("utf8");
  const exited = once(child, "exit");
  const firstLine = new Promise((resolveLine, reject) => {
    let buf = "";
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        child.stdout.off("data", onData);
        child.stdout.resume(); // keep draining the banner
        resolveLine(buf.slice(0, nl));
      }
    };
    child.stdout.on("data", onData);
    exited.then(([code]) => reject(new Error(`wardcast exited (${code}) before listening:\n${stderr}`)));
  });
  const line = await within("the broker's first stdout line", firstLine);
  const m = /^wardcast \S+ listening on (\S+)$/.exec(line.trim());
  if (!m) {
    child.kill("SIGKILL");
    throw new Error(`unexpected first line: ${JSON.stringify(line)}`);
  }
  const addr = m[1];
  return {
    addr,
    child,
    wsUrl: `ws://${addr}/ws`,
    gsiUrl: `http://${addr}/gsi`,
    stderr: () => stderr,
    /** POSTs one GSI body; resolves with the HTTP status (asserted 200). */
    async post(body) {
      const res = await within(
        "POST /gsi",
        fetch(`http://${addr}/gsi`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        })
      );
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`POST /gsi answered ${res.status}`);
      return res.status;
    },
    /**
     * Resolves once the broker's engine has processed `n` snapshots (a POST is
     * answered before its body is processed), polling GET /api/overview.
     */
    async processed(n) {
      const deadline = Date.now() + T;
      for (;;) {
        const res = await within("GET /api/overview", fetch(`http://${addr}/api/overview`));
        const overview = await res.json();
        if ((overview.gsi?.snapshots ?? 0) >= n) return;
        if (Date.now() > deadline) throw new Error(`the broker processed ${overview.gsi?.snapshots} of ${n} snapshots`);
        await new Promise((r) => setTimeout(r, 20)); // polling a condition, bounded by the deadline
      }
    },
    /** SIGTERM, then SIGKILL if it does not exit in time. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        live.delete(child);
        return;
      }
      child.kill("SIGTERM");
      try {
        await within("the broker to exit", exited, 5000);
      } catch {
        child.kill("SIGKILL");
        await exited;
      }
      live.delete(child);
    },
  };
}

/** Kills every broker still running (a safety net for the file's `after`). */
export async function stopAll() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

const lifecycle = JSON.parse(
  readFileSync(join(REPO, "games/dota2/tests/sequences/player_lifecycle_12.json"), "utf8")
);

/** Lifecycle post 10 (a real in-game body) without previously/added, with overrides. */
export function inGame(clock, player = {}) {
  const body = structuredClone(lifecycle[10]);
  delete body.previously;
  delete body.added;
  body.map.clock_time = clock;
  Object.assign(body.player, player);
  return body;
}

/**
 * A player-mode match on one broker: each post advances the game clock by 30 s (beyond the
 * 18 s multi-kill window, so every kill is labelled "kill").
 */
export class Match {
  constructor(broker) {
    this.broker = broker;
    this.clock = 100;
    this.player = { kills: 0, kill_streak: 0, deaths: 0, assists: 0 };
  }
  post(changes = {}) {
    Object.assign(this.player, changes);
    this.clock += 30;
    return this.broker.post(inGame(this.clock, this.player));
  }
  /** The first body: a baseline (no counter events; gameLaunched; me/game info). */
  baseline() {
    return this.post();
  }
  kill() {
    return this.post({ kills: this.player.kills + 1, kill_streak: this.player.kill_streak + 1 });
  }
  gold(gold) {
    return this.post({ gold, gold_reliable: 0, gold_unreliable: gold });
  }
}

/** JSON round trip: compares values from another realm (vm) with deepStrictEqual. */
export function plain(v) {
  return JSON.parse(JSON.stringify(v));
}
