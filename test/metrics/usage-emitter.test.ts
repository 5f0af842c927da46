import { createServer, type Server } from "node:http";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createUsageEmitter, type UsageEvent } from "../../src/metrics/usage-emitter.js";

const log = pino({ level: "silent" });
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback webhook: answers each POST with the next status given (200 once they run out), keeps what arrived. */
async function webhook(
  statuses: number[] = [],
): Promise<{ url: string; batches: { source: string; events: UsageEvent[] }[]; posts: number }> {
  const state = { url: "", batches: [] as { source: string; events: UsageEvent[] }[], posts: 0 };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      state.posts++;
      const status = statuses.shift() ?? 200;
      if (status === 200) state.batches.push(JSON.parse(body) as { source: string; events: UsageEvent[] });
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/events`;
  return state;
}

const event = (runId: string, type: UsageEvent["type"] = "run_started"): UsageEvent => ({
  type,
  at: "2026-01-07T12:00:00.000Z",
  run_id: runId,
});

describe("the usage metrics emitter", () => {
  it("posts events in batches tagged with the source", async () => {
    const hook = await webhook();
    const emitter = createUsageEmitter({
      webhookUrl: hook.url,
      source: "opsroom-test",
      sampleRate: 100,
      log,
      batchSize: 2,
      flushMs: 60_000,
    });
    for (const id of ["r1", "r2", "r3"]) emitter.record(event(id));
    await emitter.flush();
    expect(hook.batches.map((b) => b.events.map((e) => e.run_id))).toEqual([["r1", "r2"], ["r3"]]);
    expect(hook.batches.every((b) => b.source === "opsroom-test")).toBe(true);
    await emitter.close();
  });

  it("retries a failing endpoint and delivers once it answers", async () => {
    const hook = await webhook([500, 503]);
    const emitter = createUsageEmitter({ webhookUrl: hook.url, source: "s", sampleRate: 100, log, flushMs: 60_000, attempts: 3 });
    emitter.record(event("r1"));
    await emitter.flush();
    expect(hook.posts).toBe(3);
    expect(hook.batches[0]?.events.map((e) => e.run_id)).toEqual(["r1"]);
    expect(emitter.dropped).toBe(0);
    await emitter.close();
  });

  it("keeps at most maxBuffered events while the endpoint is down, dropping the oldest, and never throws", async () => {
    const emitter = createUsageEmitter({
      webhookUrl: "http://127.0.0.1:9/down",
      source: "s",
      sampleRate: 100,
      log,
      batchSize: 1000,
      maxBuffered: 3,
      attempts: 1,
      flushMs: 60_000,
    });
    for (let i = 0; i < 5; i++) expect(() => emitter.record(event(`r${i}`))).not.toThrow();
    expect(emitter.dropped).toBe(2);
    await emitter.flush();
    expect(emitter.dropped).toBe(5);
    await emitter.close();
  });

  it("samples by run: every event of a sampled run is sent, none of an unsampled one", async () => {
    const hook = await webhook();
    const emitter = createUsageEmitter({ webhookUrl: hook.url, source: "s", sampleRate: 30, log, batchSize: 10_000, flushMs: 60_000 });
    const runs = Array.from({ length: 400 }, (_, i) => `run-${i}`);
    for (const id of runs) {
      emitter.record(event(id, "run_started"));
      emitter.record(event(id, "run_finished"));
    }
    await emitter.flush();
    const sent = hook.batches.flatMap((b) => b.events);
    const sampledRuns = new Set(sent.map((e) => e.run_id));
    expect(sent.length).toBe(sampledRuns.size * 2);
    expect(sampledRuns.size).toBeGreaterThan(400 * 0.2);
    expect(sampledRuns.size).toBeLessThan(400 * 0.4);
    await emitter.close();
  });
});
