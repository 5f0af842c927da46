/**
 * The Runboard in a real browser: Chromium from Debian's packages (`apt-get install -y chromium`;
 * .ci/run installs it; CHROMIUM_PATH if it is elsewhere) driven by playwright-core, against the
 * Runboard served by the health server as `npm start` serves it. The board follows runs without a
 * reload, the run page's log streams, follows and searches, history filters and exports, and no
 * page logs a console error. Screenshots of the board and a run page go to RUNBOARD_SCREENSHOTS
 * (docs/screenshots for the README's) or a temporary folder.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHealthServer } from "../../src/health-server.js";
import { ask, openRunboard, startNext, type RunboardFixture } from "./support.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.RUNBOARD_SCREENSHOTS ?? path.join(tmpdir(), "opsroom-runboard-screenshots");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"];

describe("the Runboard in Chromium", () => {
  let f: RunboardFixture;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is not at ${CHROMIUM}: \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    f = await openRunboard();
    server = (await startHealthServer({
      port: 0,
      log: pino({ level: "silent" }),
      check: async () => ({}),
      ready: async () => ({}),
      runboard: f.runboard.listener,
    }))!;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runboard`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await f?.close();
  });
  const open = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    problems = [];
    page.on("console", (message) => message.type() === "error" && problems.push(`console: ${message.text()}`));
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  };
  afterEach(async () => {
    // CSP violations and script errors show up here: every page must run clean.
    expect(problems).toEqual([]);
    await page?.context().close();
  });

  it("updates the board while a run is asked for, waits, starts and queues, without a reload", async () => {
    await open();
    await page.goto(`${url}/`);
    await page.locator("#live-state", { hasText: "live" }).waitFor();
    let loads = 0;
    page.on("load", () => loads++);

    const first = await ask(f.service, "deploy api to staging");
    await page.locator(`[data-run="${first.id}"]`, { hasText: "waiting for approval" }).waitFor();
    await f.service.approve(first.id, "U0CAROL");
    await startNext(f.store);
    await page.locator(`[data-run="${first.id}"].state-running`).waitFor();
    const second = await ask(f.service, "deploy api to staging", "U0DAVE");
    await f.service.approve(second.id, "U0CAROL");
    await page.locator(`[data-run="${second.id}"]`, { hasText: "1 ahead" }).waitFor();
    const prod = await ask(f.service, "deploy web to prod");
    await page.locator(`[data-run="${prod.id}"]`, { hasText: "may approve: U0BOB" }).waitFor();
    await ask(f.service, "check dev status");
    await page.locator(".lane", { hasText: "api × staging" }).waitFor();
    expect(loads).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, "runboard-board.png"), fullPage: true });
  });

  it("streams a run's log as steps write it, follows it, and searches it", async () => {
    await open();
    const run = await ask(f.service, "deploy checkout to staging", "U0ERIN");
    await f.service.approve(run.id, "U0CAROL");
    // The worker takes what is due first (the board test's read-only check among it), then this run.
    for (let i = 0; i < 5 && (await startNext(f.store, "host:2:worker02")).id !== run.id; i++);
    expect((await f.store.getRun(run.id))!.status).toBe("running");
    await page.goto(`${url}/runs/${run.id}`);
    await page.locator("#live-state", { hasText: "live" }).waitFor();

    for (let i = 1; i <= 40; i++) {
      await f.store.appendEvent(run.id, {
        kind: "step_started",
        phase: "validate",
        stepId: `check${i}`,
        message: `checking part ${i} of checkout`,
      });
    }
    await f.store.appendEvent(run.id, { kind: "phase_finished", phase: "validate" });
    await f.store.appendEvent(run.id, { kind: "phase_started", phase: "action" });
    await f.store.addArtifact(run.id, {
      stepId: "changes",
      kind: "diff",
      title: "Commits that ship",
      content:
        "--- a/src/cart.ts\n+++ b/src/cart.ts\n@@ -12,3 +12,3 @@\n-  const total = sum(items);\n+  const total = sum(items) - discount;\n   return total;",
      url: null,
      filename: null,
    });
    await f.store.appendEvent(run.id, {
      kind: "step_started",
      phase: "action",
      stepId: "dispatch",
      message: "dispatching deploy.yml on main",
    });
    const last = page.locator("#log li").last();
    await expect.poll(() => last.textContent(), { timeout: 10_000 }).toContain("dispatching deploy.yml on main");
    // Follow mode keeps the newest line in view.
    expect(await last.isVisible()).toBe(true);
    expect(
      await page.locator("#log").evaluate((el) => {
        const box = el as unknown as { scrollTop: number; clientHeight: number; scrollHeight: number };
        return box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
      }),
    ).toBe(true);
    await page.locator(".phase-done", { hasText: "validate" }).waitFor();
    await page.locator(".diff-add", { hasText: "discount" }).waitFor();

    await page.fill("#log-search", "part 3");
    // "part 3" and "part 30".."part 39".
    await expect.poll(() => page.locator("#log li:visible").count()).toBe(11);
    expect(await page.locator("#log-count").textContent()).toMatch(/^11 of \d+ lines$/);
    await page.fill("#log-search", "");
    await page.screenshot({ path: path.join(SCREENSHOTS, "runboard-run.png"), fullPage: true });
  });

  it("filters history and exports what the filter shows", async () => {
    await open();
    await page.goto(`${url}/history`);
    const rows = page.locator("table.history tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(5);
    await page.selectOption('select[name="env"]', "prod");
    await page.waitForURL(/env=prod/);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("web");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    expect(download.suggestedFilename()).toMatch(/^opsroom-runs-.*\.csv$/);
    const csv = readFileSync((await download.path())!, "utf8")
      .trimEnd()
      .split("\n");
    expect(csv[0]).toMatch(/^id,created_at,runbook,/);
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(",prod,web,");
  });

  it("previews a typed request from the command bar", async () => {
    await open();
    await page.goto(`${url}/runbooks`);
    await page.fill('.command-bar input[name="q"]', "restart api in staging");
    await page.press('.command-bar input[name="q"]', "Enter");
    await page.waitForURL(/\/preview\?q=/);
    await page.locator(".plan-card h2", { hasText: "Plan:" }).waitFor();
  });
});
