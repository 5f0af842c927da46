/**
 * Live pages: the board and a run page follow the run-event notifications (LISTEN opsroom_run_events,
 * on PGlite and on PostgreSQL when TEST_DATABASE_URL is set) over server-sent events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_BACKENDS } from "../support/test-stores.js";
import { ask, openRunboard, startNext, type RunboardFixture } from "./support.js";

/** Reads a server-sent event stream until `done` holds for what arrived (10 s at most). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!done(text)) {
    if (Date.now() > deadline) throw new Error(`stream did not say it in 10 s; got:\n${text}`);
    const { value, done: ended } = await reader.read();
    if (ended) throw new Error(`stream ended; got:\n${text}`);
    text += decoder.decode(value);
  }
  return text;
}

describe.each(STORE_BACKENDS)("Runboard live updates (%s)", (backend) => {
  let f: RunboardFixture;

  beforeAll(async () => {
    f = await openRunboard({ backend });
  });
  afterAll(() => f.close());

  it("pushes the board to an open page when a run is asked for, claimed and finished", async () => {
    const response = await f.get("/runboard/board/stream");
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    try {
      await readUntil(reader, (t) => t.includes("event: board") && t.includes("Nothing is running"));
      const run = await ask(f.service, "check dev status");
      await readUntil(reader, (t) => t.includes(`data-run="${run.id}"`) && t.includes("queued"));
      await startNext(f.store);
      await readUntil(reader, (t) => /state-running" data-run="[^"]+"/.test(t.split("event: board").at(-1)!));
      await f.store.finishRun(run.id, "host:1:worker01", { status: "succeeded", summary: "dev is healthy" });
      await f.store.appendEvent(run.id, { kind: "run_succeeded", message: "dev is healthy" });
      await readUntil(reader, (t) => t.split("event: board").at(-1)!.includes("Nothing is running"));
    } finally {
      await reader.cancel();
    }
  });

  it("streams a run's new log lines and its changed status to its page", async () => {
    const run = await ask(f.service, "check staging status");
    const last = (await f.store.listEvents(run.id)).at(-1)!.id;
    const response = await f.get(`/runboard/runs/${run.id}/stream?after=${last}`);
    const reader = response.body!.getReader();
    try {
      const first = await readUntil(reader, (t) => t.includes("event: run"));
      expect(first).not.toContain("event: log");
      await startNext(f.store);
      await f.store.appendEvent(run.id, { kind: "step_started", phase: "validate", stepId: "ping", message: "asking staging's /healthz" });
      const text = await readUntil(reader, (t) => t.includes("asking staging&#39;s /healthz"));
      expect(text).toMatch(/event: log\ndata: <li data-id="\d+" class="kind-run_started">/);
      // The event id is the last log line's: a reconnecting browser resumes after it (Last-Event-ID).
      expect(text).toMatch(/<\/li>\nid: \d+\n/);
      await readUntil(reader, (t) => t.split("event: run").at(-1)!.includes("status-running"));
    } finally {
      await reader.cancel();
    }
  });
});
