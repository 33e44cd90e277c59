// Helpers of the browser tests (tests/browser/*.test.mjs): a real headless Chromium, driven
// by playwright-core, against the real wardcast binary.
//
// Run (from the repository root, after `cargo build` and `npm ci --prefix tests/browser`):
//   node --experimental-websocket --test tests/browser/
// Environment: CHROMIUM (default /usr/bin/chromium), WARDCAST_BIN (default
// target/debug/wardcast), SCREENSHOTS (default target/screenshots).
//
// Exports:
//   REPO, BIN, T                     repository root, the binary, the default wait timeout (ms)
//   launchBrowser()                  a headless Chromium (no download: the system one, --no-sandbox)
//   newPage(browser, {viewport, permissions})
//                                    a page in a fresh context; page.problems collects uncaught
//                                    page errors, console errors and failed requests, so a test can
//                                    assert.deepEqual(page.problems, []). Requests to any host but
//                                    this machine are refused (no CDN) and land in page.problems.
//   startBroker({args})              `wardcast serve --listen 127.0.0.1:0 ARGS` (web/test-support/broker.mjs):
//                                    {addr, wsUrl, gsiUrl, post(body), stop(), stderr()}
//   startDemo({speed, args})         the same with the demo match playing (`serve --demo --speed S`),
//                                    plus httpUrl = "http://ADDR"
//   replay(file, broker, {intervalMs, speed})
//                                    runs `wardcast replay FILE --target <broker>/gsi`; resolves when it
//                                    exits 0 (rejects with its stderr otherwise, or after the timeout)
//   serveStatic(dir, {replace})      a node:http static server on 127.0.0.1:0 for dir: {url, origin,
//                                    close()}; replace = [[from, to], ...] rewrites text files as served
//                                    (e.g. the default broker address in a page's <script src>)
//   writePage(file, replace)         the page (and the .js beside it) copied to a temp dir with the same rewrites: a file:// URL
//   waitFor(page, what, fn, arg, {timeout})
//                                    page.waitForFunction(fn, arg) with a timeout, failing with `what`
//                                    and the page's problems in the message
//   screenshot(page, name, opts)     a PNG at target/screenshots/<name>.png; returns the path
//   lifecycle                        the 12 real GSI bodies of
//                                    games/dota2/tests/sequences/player_lifecycle_12.json
//   inGame(clock, player)            lifecycle body 10 (in progress) at that clock, player fields merged
//
// Isolation: web/test-support/broker.mjs points XDG_CONFIG_HOME at a fresh temporary directory on
// import (CONFIG_HOME), so the brokers and commands the tests run never pick up the GSI or access
// token of a developer's real `wardcast setup`, and all of them share one set of tokens.
// Every wait has a timeout; no test sleeps to synchronize.

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join, resolve, sep } from "node:path";
import { once } from "node:events";
import { pathToFileURL } from "node:url";

const support = await import("../../web/test-support/broker.mjs");
const { chromium } = await import("playwright-core").catch((err) => {
  throw new Error(`playwright-core is missing: run \`npm ci --prefix tests/browser\` (${err.message})`);
});

export const { REPO, BIN, T, within, startBroker, stopAll, inGame } = support;
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const SCREENSHOTS = resolve(REPO, process.env.SCREENSHOTS || "target/screenshots");
export const lifecycle = JSON.parse(
  readFileSync(join(REPO, "games/dota2/tests/sequences/player_lifecycle_12.json"), "utf8")
);

/** A headless Chromium: the system's (CHROMIUM), never a downloaded one. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install it (apt-get install -y chromium) or set CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 30_000 });
}

/**
 * A page in a fresh browser context. `page.problems` collects uncaught errors, console errors
 * and failed requests.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 800 }, permissions = [], ...rest } = {}) {
  const context = await browser.newContext({ viewport, ...rest });
  if (permissions.length) await context.grantPermissions(permissions);
  // No CDN, no internet at a LAN party: a page under test may load only what
  // this machine serves. Anything else is refused and recorded as a problem.
  const outside = [];
  await context.route(
    (url) => !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) && /^(https?|wss?):$/.test(url.protocol),
    (route) => {
      outside.push(route.request().url());
      return route.abort("blockedbyclient");
    },
  );
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.problems = [];
  page.outside = outside;
  page.on("pageerror", (err) => page.problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") page.problems.push(`console.error: ${msg.text()}`);
  });
  page.on("requestfailed", (req) => {
    const failure = req.failure()?.errorText || "";
    // Navigating away or closing aborts requests in flight (the dashboard's poll): not a problem.
    if (!/ERR_ABORTED/.test(failure)) page.problems.push(`request failed: ${req.url()} ${failure}`);
  });
  return page;
}

/** `wardcast serve --demo --speed SPEED`, i.e. `wardcast demo`: a simulated match plays in a loop. */
export async function startDemo({ speed = 8, args = [] } = {}) {
  const broker = await startBroker({ args: ["--demo", "--speed", String(speed), ...args] });
  return { ...broker, httpUrl: `http://${broker.addr}` };
}

/** Runs `wardcast replay FILE --target http://ADDR/gsi`; resolves once it exits 0. */
export async function replay(file, broker, { intervalMs = 50, speed, timeout = 30_000 } = {}) {
  const args = ["replay", resolve(REPO, file), "--target", broker.gsiUrl, "--interval-ms", String(intervalMs)];
  if (speed !== undefined) args.push("--speed", String(speed));
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = once(child, "exit");
  try {
    const [code, signal] = await within(`wardcast replay ${basename(file)}`, exited, timeout);
    if (code !== 0) throw new Error(`wardcast replay exited ${code ?? signal}:\n${out}`);
  } catch (err) {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw err;
  }
  return out;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

function rewrite(text, replace) {
  for (const [from, to] of replace) text = text.split(from).join(to);
  return text;
}

/**
 * Serves dir on http://127.0.0.1:PORT/ (GET only, no listing). Text files (html, js, css, json)
 * are rewritten with replace = [[from, to], ...]. Returns {url, origin, close()}.
 */
export async function serveStatic(dir, { replace = [] } = {}) {
  const root = resolve(REPO, dir); // relative paths are from the repository root
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      if (path === "/favicon.ico") {
        res.writeHead(204).end(); // browsers ask for it: not a missing file of the page
        return;
      }
      const file = resolve(root, "." + (path.endsWith("/") ? path + "index.html" : path));
      if (req.method !== "GET" || (file !== root && !file.startsWith(root + sep))) {
        res.writeHead(404).end();
        return;
      }
      const type = TYPES[extname(file)] || "application/octet-stream";
      let body = await readFile(file);
      if (/^(text|application\/json)/.test(type) || type.includes("javascript")) {
        body = rewrite(body.toString("utf8"), replace);
      }
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await within("the static server to listen", once(server, "listening"));
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path = "/") => origin + (path.startsWith("/") ? path : "/" + path),
    close: () =>
      new Promise((done) => {
        server.closeAllConnections?.();
        server.close(() => done());
      }),
  };
}

/** Copies one page (rewritten with replace) into a temp dir; returns its file:// URL. */
export function writePage(file, replace = []) {
  const dir = mkdtempSync(join(tmpdir(), "wardcast-page-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, basename(file));
  writeFileSync(out, rewrite(readFileSync(resolve(REPO, file), "utf8"), replace));
  // The scripts beside it, which the page loads by a relative URL (sample-app.js).
  const from = dirname(resolve(REPO, file));
  for (const script of readdirSync(from).filter((name) => name.endsWith(".js"))) {
    writeFileSync(join(dir, script), rewrite(readFileSync(join(from, script), "utf8"), replace));
  }
  return pathToFileURL(out).href;
}

/**
 * page.waitForFunction(fn, arg) with a timeout (default T); on failure the error names `what`
 * and lists the page's problems.
 */
export async function waitFor(page, what, fn, arg, { timeout = T, polling } = {}) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, ...(polling ? { polling } : {}) });
  } catch (err) {
    const problems = page.problems?.length ? `\npage problems:\n  ${page.problems.join("\n  ")}` : "";
    throw new Error(`timed out after ${timeout} ms waiting for ${what}${problems}\n(${err.message.split("\n")[0]})`);
  }
}

/** Saves a PNG of the page (fullPage by default) at target/screenshots/<name>.png. */
export async function screenshot(page, name, { fullPage = true, ...opts } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage, ...opts });
  return path;
}
