/**
 * The whole app built in-process on the embedded database, as `npm start` builds it: a read-only run
 * and a plan waiting for approval, then a scrape of /metrics and /readyz on the health port, and the
 * usage events that reached a loopback webhook (ENABLE_USAGE_METRICS).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/main.js";
import type { UsageEvent } from "../../src/metrics/usage-emitter.js";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("/metrics, /readyz and usage events", () => {
  let app: App;
  let port: number;
  let hook: Server;
  const received: { source: string; events: UsageEvent[] }[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-metrics-"));

  beforeAll(async () => {
    hook = createHttpServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push(JSON.parse(body) as { source: string; events: UsageEvent[] });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    port = await freePort();
    app = await createApp(
      {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        env: {
          OPSROOM_DATA_DIR: dataDir,
          PORT: String(port),
          ENABLE_USAGE_METRICS: "1",
          METRICS_SOURCE: "opsroom-metrics-test",
          METRICS_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as { port: number }).port}/usage`,
        },
      },
      { worker: true, health: true, consoleMode: true },
    );
    const { run } = (await app.service.submitText("check dev status", { user: "U0ALICE01", source: "console" })) as { run: { id: string } };
    await waitFor(async () => (await app.service.getRun(run.id))?.finishedAt, "the health check to finish");
    await app.service.submitText("deploy api to staging", { user: "U0ALICE01", source: "console" });
    app.service.parse("make me a sandwich");
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => hook.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`);

  it("counts runs by runbook, environment and status, with phase and step durations", async () => {
    const text = await (await get("/metrics")).text();
    expect(text).toContain('opsroom_runs_total{runbook="healthcheck",env="dev",status="succeeded"} 1');
    expect(text).toMatch(/opsroom_phase_duration_seconds_count\{runbook="healthcheck",phase="action"\} 1/);
    expect(text).toMatch(/opsroom_step_duration_seconds_count\{adapter="http",action="checkAll",outcome="succeeded"\} 1/);
  });

  it("reports the queue, approvals waiting and parse outcomes", async () => {
    const text = await (await get("/metrics")).text();
    expect(text).toContain("opsroom_queue_depth 0");
    expect(text).toContain("opsroom_queue_oldest_age_seconds 0");
    expect(text).toContain("opsroom_approvals_waiting 1");
    expect(text).toContain('opsroom_parse_outcomes_total{outcome="understood"} 2');
    expect(text).toContain('opsroom_parse_outcomes_total{outcome="not_command"} 1');
    expect(text).toContain("opsroom_lease_losses_total 0");
  });

  it("is ready: database reachable, a worker heartbeating, no Slack configured", async () => {
    const response = await get("/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", checks: { database: true, slack: true, workers: true } });
  });

  it("sent the run's usage events to the webhook, tagged with METRICS_SOURCE", async () => {
    const events = await waitFor(async () => {
      const all = received.flatMap((b) => b.events);
      return all.some((e) => e.type === "run_finished") ? all : undefined;
    }, "the usage events");
    expect(received.every((b) => b.source === "opsroom-metrics-test")).toBe(true);
    expect(events.find((e) => e.type === "run_started")).toMatchObject({
      runbook: "healthcheck",
      env: "dev",
      requester: "U0ALICE01",
      dry_run: false,
    });
    const finished = events.find((e) => e.type === "run_finished")!;
    expect(finished).toMatchObject({ outcome: "succeeded", runbook: "healthcheck" });
    expect(Object.keys(finished.phase_ms as object)).toEqual(["validate", "preflight", "action", "verify", "summarize"]);
    expect(events.find((e) => e.type === "adapter_call" && e.action === "checkAll")).toMatchObject({ adapter: "http", ok: true });
  });
});
