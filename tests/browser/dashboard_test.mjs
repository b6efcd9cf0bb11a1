#!/usr/bin/env node
// Browser test of the dashboard page: the real grace-node on its simulator at
// 1200x, driven in headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core; nothing is downloaded). Checks the embedded files and
// their content types, that every forecast chart draws data, that an early
// warning appears with its probability and time to breach, that approving a
// pending playbook run asks for the bearer token once and changes the run's
// state (read back through the API), that the page fetches nothing from
// another host, and saves a screenshot for the README.
//
//   node dashboard_test.mjs PATH/TO/grace-node SOURCE_DIR
//
// Exits 0 on success, 1 on a failure, 77 (ctest's SKIP_RETURN_CODE) when
// Chromium or tests/browser/node_modules is missing. Environment:
// CHROMIUM (default /usr/bin/chromium), GRACE_SCREENSHOT (default
// SOURCE_DIR/docs/images/dashboard.png; "none" to skip), GRACE_KEEP_TMP=1.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const SKIP = 77;
const TOKEN = "dashboard-test-token";
const BUDGET_MS = 280000; // ctest's TIMEOUT is 300 s
const started = Date.now();

const [binary, sourceDir] = process.argv.slice(2);
if (!binary || !sourceDir) {
  console.error("usage: node dashboard_test.mjs PATH/TO/grace-node SOURCE_DIR");
  process.exit(2);
}
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(chromiumPath)) {
  console.log(`SKIP: no Chromium at ${chromiumPath} (Debian package chromium; scripts/install-deps.sh --with-test-peers)`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.log("SKIP: playwright-core is not installed: run `npm ci` in tests/browser (scripts/install-deps.sh --with-test-peers does)");
  process.exit(SKIP);
}

// --- helpers ----------------------------------------------------------------

function log(text) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function remaining(capMs) {
  return Math.max(1000, Math.min(capMs, BUDGET_MS - (Date.now() - started)));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function waitFor(what, fn, capMs) {
  const deadline = Date.now() + remaining(capMs);
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ""));
}

// --- the node -----------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grace-browser-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let node = null;
let nodeExit = null;
let browser = null;
let failed = false;

function nodeLog() {
  try {
    return fs.readFileSync(path.join(tmp, "node.log"), "utf8");
  } catch {
    return "";
  }
}

async function api(method, route, headers = {}) {
  const res = await fetch(base + route, { method, headers, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

function startNode() {
  // The shipped catalog with every playbook in approval mode, so that the
  // first recommended run waits for an operator.
  const shipped = fs.readFileSync(path.join(sourceDir, "config", "metrics_catalog.yaml"), "utf8");
  const catalog = path.join(tmp, "metrics_catalog.yaml");
  fs.writeFileSync(catalog, shipped.replace(/^(\s*)mode: auto\b/gm, "$1mode: approval"));
  const config = path.join(tmp, "grace.yaml");
  fs.writeFileSync(
    config,
    [
      "node:",
      `  data_dir: ${path.join(tmp, "data")}`,
      "simulator:",
      `  config: ${path.join(sourceDir, "config", "simulator.yaml")}`,
      "catalog:",
      `  path: ${catalog}`,
      "http:",
      `  port: ${port}`,
      `  token: ${TOKEN}`,
      "",
    ].join("\n")
  );
  const out = fs.openSync(path.join(tmp, "node.log"), "w");
  const args = ["run", "--config", config, "--data-dir", path.join(tmp, "data"), "--simulate", "--time-scale", "1200", "--seed", "3"];
  log(`starting ${binary} ${args.join(" ")}`);
  // Its own process group, so that it and anything it starts are stopped together.
  node = spawn(binary, args, { detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  node.on("exit", (code, signal) => (nodeExit = { code, signal }));
}

function signalNode(sig) {
  if (!node || nodeExit) return;
  try {
    process.kill(-node.pid, sig);
  } catch {
    // already gone
  }
}

async function stopNode() {
  if (!node) return;
  signalNode("SIGTERM");
  const deadline = Date.now() + 10000;
  while (!nodeExit && Date.now() < deadline) await sleep(100);
  if (!nodeExit) {
    log("node did not stop within 10 s of SIGTERM: killing its process group");
    signalNode("SIGKILL");
  }
}

// A last resort when this process is ended: never leave the node running.
process.on("exit", () => signalNode("SIGKILL"));
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    signalNode("SIGKILL");
    process.exit(1);
  });
}

// --- the checks ---------------------------------------------------------------

async function checkAssets() {
  const page = await api("GET", "/");
  check(page.status === 200, `GET / answered ${page.status}`);
  check(page.headers.get("content-type").startsWith("text/html"), `GET / is ${page.headers.get("content-type")}`);
  check((page.headers.get("content-security-policy") || "").includes("default-src 'none'"), "GET / has no Content-Security-Policy");
  check(String(page.body).includes("/web/dashboard.js"), "the page does not load /web/dashboard.js");
  for (const [file, type] of [
    ["dashboard.js", "text/javascript"],
    ["dashboard.css", "text/css"],
    ["favicon.svg", "image/svg+xml"],
  ]) {
    const r = await api("GET", "/web/" + file);
    check(r.status === 200, `GET /web/${file} answered ${r.status}`);
    check(r.headers.get("content-type").startsWith(type), `/web/${file} is ${r.headers.get("content-type")}, expected ${type}`);
    const etag = r.headers.get("etag");
    check(etag, `/web/${file} has no ETag`);
    const again = await api("GET", "/web/" + file, { "If-None-Match": etag });
    check(again.status === 304, `/web/${file} with its ETag answered ${again.status}, expected 304`);
  }
  const missing = await api("GET", "/web/no-such-file.js");
  check(missing.status === 404, `GET /web/no-such-file.js answered ${missing.status}`);
  check(missing.headers.get("content-type").startsWith("application/json"), "the 404 for an unknown file is not JSON");
  check(/no such dashboard file 'no-such-file.js'/.test(missing.body.error || ""), `unexpected 404 body ${JSON.stringify(missing.body)}`);
  log("embedded files: content types, ETag/304 and the JSON 404 are right");
}

async function executionState(id) {
  const r = await api("GET", "/api/playbooks/executions");
  check(r.status === 200, `GET /api/playbooks/executions answered ${r.status}`);
  return (r.body.executions || []).find((e) => e.id === id)?.state;
}

async function run() {
  startNode();
  await waitFor(
    "the node's /readyz",
    async () => {
      if (nodeExit) throw new Error(`the node exited early (${JSON.stringify(nodeExit)})`);
      return (await api("GET", "/readyz")).status === 200;
    },
    30000
  );
  log(`node ready on ${base}`);
  await checkAssets();

  const catalog = (await api("GET", "/api/catalog")).body;
  const forecastMetrics = catalog.metrics.filter((m) => m.forecast).map((m) => m.id);
  check(forecastMetrics.length > 0, "the catalog has no forecast metrics");
  // Metrics that warn without being forecast get a chart of their own too.
  const warnOnlyMetrics = catalog.metrics.filter((m) => !m.forecast && m.thresholds && (m.thresholds.warning != null || m.thresholds.critical != null)).map((m) => m.id);
  check(warnOnlyMetrics.length > 0, "the shipped catalog has no metric that warns without a forecast");

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const foreign = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" && url.port === String(port)) return route.continue();
    foreign.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  const problems = [];
  const failedLoads = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("response", (r) => {
    if (r.status() >= 400) failedLoads.push({ status: r.status(), url: r.url() });
  });
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // Failed loads are judged from the responses below; anything else is a bug.
    if (/^Failed to load resource/.test(m.text())) return;
    problems.push("console error: " + m.text());
  });

  await page.goto(base + "/", { waitUntil: "load" });
  check((await page.title()) === "GRACE node", `unexpected title ${await page.title()}`);

  await page.waitForFunction(() => document.getElementById("live-state")?.dataset.state === "live", null, { timeout: remaining(20000) });
  log("the page is live on /api/events");

  // Every forecast metric's chart draws its actuals (at least 6 points).
  await page.waitForFunction(
    (ids) =>
      ids.every((id) => {
        const card = document.querySelector(`.chart-card[data-metric="${id}"]`);
        const d = card?.querySelector("path.actual-line")?.getAttribute("d") || "";
        return (d.match(/[ML]/g) || []).length >= 6;
      }),
    forecastMetrics,
    { timeout: remaining(90000), polling: 500 }
  );
  // ... and a forecast with its bands.
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll(".chart-card")].some(
        (c) => (c.querySelector("path.band-95")?.getAttribute("d") || "").length > 20 && (c.querySelector("path.band-80")?.getAttribute("d") || "").length > 20 && (c.querySelector("path.forecast-line")?.getAttribute("d") || "").length > 10
      ),
    null,
    { timeout: remaining(90000), polling: 500 }
  );
  // ... and every metric that warns without a scheduled forecast draws its actuals,
  // captioned as such unless the predictor asked for a forecast of it.
  await page.waitForFunction(
    (ids) =>
      ids.every((id) => {
        const card = document.querySelector(`.chart-card[data-metric="${id}"]`);
        const d = card?.querySelector("path.actual-line")?.getAttribute("d") || "";
        return (d.match(/[ML]/g) || []).length >= 6 && /not a forecast metric|forecast at/.test(card.querySelector(".chart-caption")?.textContent || "");
      }),
    warnOnlyMetrics,
    { timeout: remaining(30000), polling: 500 }
  );
  const charts = await page.$$eval(".chart-card", (cards) =>
    cards.map((c) => `${c.dataset.metric}: ${c.querySelector("svg").dataset.actualPoints} actuals, ${c.querySelector("svg").dataset.forecastPoints} forecast points`)
  );
  log("charts render with data:\n    " + charts.join("\n    "));

  // An early warning in the open-warnings panel, with probability and time to breach.
  const warning = await page.waitForSelector("#warnings tr.warning-row", { timeout: remaining(150000) });
  const warningText = await warning.$$eval("td", (cells) => cells.map((c) => c.textContent.trim()).filter(Boolean).join(" | "));
  check(/\b\d{1,3}%/.test(warningText), `the warning row shows no probability: ${warningText}`);
  // Read from its own element: the cells' text runs "5 min ago" into the next line's "at …".
  const timeToBreach = await warning.$eval(".time-to-breach", (e) => e.textContent.trim());
  check(/^(in \d+ (min|h|d)\b.*|\d+ (min|h|d)\b.* ago)$/.test(timeToBreach), `the warning row shows no time to breach: ${timeToBreach} (${warningText})`);
  check(/raised \d{4}-\d{2}-\d{2} \d{2}:\d{2}Z/.test(warningText), `the warning row's time has no date or no UTC mark: ${warningText}`);
  log("open warning shown: " + warningText);
  const nodeClock = await page.$eval("#node-clock", (c) => c.textContent);
  check(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z$/.test(nodeClock), `the node clock is not a UTC date and time: ${nodeClock}`);

  // A pending approval: approve it, answering the token prompt.
  const card = await page.waitForSelector("#approvals .approval-card", { timeout: remaining(150000) });
  const id = await card.getAttribute("data-execution-id");
  check((await executionState(id)) === "pending_approval", `execution ${id} is not pending before the click`);
  // The default 15-minute timeout is wall-clock time, even at 1200x.
  const deadline = await card.$eval(".approval-deadline", (d) => d.textContent);
  check(/^expires in 1[45] min$/.test(deadline), `approval deadline reads "${deadline}"`);
  await card.$eval("button.approve", (b) => b.click());
  await page.waitForSelector("#token-dialog[open]", { timeout: remaining(10000) });
  await page.fill("#token-input", TOKEN);
  await page.click("#token-ok");
  const decided = await waitFor(
    `execution ${id} to leave pending_approval`,
    async () => {
      const s = await executionState(id);
      return s && s !== "pending_approval" ? s : null;
    },
    20000
  );
  check(!["rejected", "expired", "refused"].includes(decided), `approved execution ${id} ended ${decided}`);
  await page.waitForFunction(() => /Approved/.test(document.querySelector("#approvals .decision-result")?.textContent || ""), null, {
    timeout: remaining(10000),
  });
  const kept = await page.evaluate(() => sessionStorage.getItem("grace.token"));
  check(kept === TOKEN, "the token is not kept for the session");
  log(`approved ${id} through the page (token prompt answered): now ${decided}`);

  // The token is asked only once: a second decision goes through without the prompt.
  const other = await waitFor(
    "a second pending approval",
    async () => {
      for (const c of await page.$$("#approvals .approval-card")) {
        const otherId = await c.getAttribute("data-execution-id");
        if (otherId !== id) return { c, otherId };
      }
      return null;
    },
    90000
  );
  await other.c.$eval("button.reject", (b) => b.click());
  const rejected = await waitFor(`execution ${other.otherId} to be rejected`, async () => (await executionState(other.otherId)) === "rejected", 20000);
  check(rejected && !(await page.$("#token-dialog[open]")), "the token was asked again");
  log(`rejected ${other.otherId} without a second token prompt`);

  // The training panel: the model, its skill against the naive forecast.
  await page.waitForFunction(() => document.querySelector("#training .panel-body")?.dataset.state === "data" && document.querySelector("#training .training-skill"), null, {
    timeout: remaining(60000),
    polling: 500,
  });
  const stats = (await api("GET", "/api/ml/forecaster/statistics")).body;
  const trainingText = await page.$eval("#training", (p) => p.textContent);
  check(trainingText.includes(stats.model_version), `the training panel does not name the model ${stats.model_version}: ${trainingText}`);
  const shownSkill = Number(await page.$eval("#training .training-skill", (p) => p.dataset.skill));
  const skillNow = 1 - stats.validation.mean_mase / stats.validation.mean_naive_mase;
  check(Math.abs(shownSkill - skillNow) < 0.002, `the training panel shows skill ${shownSkill}, the API gives ${skillNow}`);
  log(`training panel: ${stats.model_version}, skill against naive ${shownSkill}`);

  // The kill switch: a reason is required; engaged and released from the page
  // (the token is already kept for the session).
  await page.waitForSelector("#safety #kill-toggle", { timeout: remaining(20000) });
  check((await page.$eval("#safety .panel-body", (b) => b.dataset.state)) === "released", "the kill switch is not shown released");
  await page.click("#kill-toggle");
  await page.waitForFunction(() => /Give a reason/.test(document.querySelector("#safety")?.textContent || ""), null, { timeout: remaining(5000) });
  const governance = async () => (await api("GET", "/api/playbooks")).body.governance.kill_switch;
  check(!(await governance()).engaged, "the kill switch engaged without a reason");
  await page.fill("#kill-reason", "browser test: maintenance window");
  await page.click("#kill-toggle");
  await page.waitForFunction(() => document.querySelector("#safety .panel-body")?.dataset.state === "engaged", null, { timeout: remaining(10000) });
  const engaged = await governance();
  check(engaged.engaged && engaged.reason === "browser test: maintenance window", `the kill switch after engaging: ${JSON.stringify(engaged)}`);
  await page.fill("#kill-reason", "browser test: done");
  await page.click("#kill-toggle");
  await page.waitForFunction(() => document.querySelector("#safety .panel-body")?.dataset.state === "released", null, { timeout: remaining(10000) });
  check(!(await governance()).engaged, "the kill switch is still engaged after releasing it from the page");
  log("kill switch engaged and released from the page");

  // Learned policies and the health panel.
  await page.waitForSelector("#policies .policy-card", { timeout: remaining(30000) });
  log(`learned policies shown: ${(await page.$$("#policies .policy-card")).length} contexts`);
  const health = await api("GET", "/api/ml/dashboard/health-report");
  if (health.status === 200) {
    await page.waitForFunction(() => document.querySelectorAll("#health .health-part").length > 0, null, { timeout: remaining(20000) });
    log("health: " + (await page.$eval("#health-badge", (b) => b.textContent)));
  } else {
    await page.waitForFunction(() => /no data yet/i.test(document.querySelector("#health")?.textContent || ""), null, { timeout: remaining(10000) });
    log(`health report route answers ${health.status}: the panel says "no data yet"`);
  }

  // The screenshot, preferably while a warning is open.
  const shot = process.env.GRACE_SCREENSHOT || path.join(sourceDir, "docs", "images", "dashboard.png");
  if (shot !== "none") {
    await page.waitForSelector("#warnings tr.warning-row", { timeout: remaining(30000) }).catch(() => log("no open warning at screenshot time"));
    await sleep(1200);
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    log("screenshot: " + shot);
  }

  // Nothing from another host; no script errors; failed loads only where expected:
  // 401 for the first (tokenless) decision, 404 for routes an older node lacks.
  check(foreign.length === 0, "the page requested other hosts: " + foreign.join(", "));
  const optional = ["/api/forecasts/latest", "/api/ml/dashboard/health-report"];
  for (const f of failedLoads) {
    const p = new URL(f.url).pathname;
    const expected = (f.status === 401 && /\/(approve|reject)$/.test(p)) || (f.status === 404 && optional.includes(p));
    if (!expected) problems.push(`unexpected ${f.status} for ${p}`);
  }
  for (const p of new Set(failedLoads.filter((f) => f.status === 404).map((f) => new URL(f.url).pathname)))
    log(`note: ${p} answered 404 (its panel says so and copes)`);
  check(problems.length === 0, "problems in the page:\n  " + problems.join("\n  "));
}

try {
  await run();
  log("PASS");
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.message}`);
  const out = nodeLog();
  console.error("--- node log (last 60 lines) ---\n" + out.split("\n").slice(-60).join("\n"));
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopNode();
  if (nodeExit && nodeExit.code !== 0 && nodeExit.signal !== "SIGTERM" && !failed) {
    failed = true;
    console.error(`FAIL: the node stopped with ${JSON.stringify(nodeExit)}`);
  }
  if (process.env.GRACE_KEEP_TMP === "1" || failed) log("kept " + tmp);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
