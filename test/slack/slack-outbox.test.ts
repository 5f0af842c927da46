import pino from "pino";
import { describe, expect, it } from "vitest";
import { ClosedOutboxError, createSlackOutbox, retryAfterSeconds } from "../../src/slack/slack-outbox.js";

/** What web-api throws for a 429 when `rejectRateLimitedCalls` is on. */
const rateLimited = (retryAfter: number) =>
  Object.assign(new Error("A rate limit was exceeded"), { code: "slack_webapi_rate_limited_error", retryAfter });

describe("the Slack outbox", () => {
  const log = pino({ level: "silent" });

  it("recognises web-api's rate-limit error and nothing else", () => {
    expect(retryAfterSeconds(rateLimited(3))).toBe(3);
    expect(retryAfterSeconds(new Error("ratelimited"))).toBeUndefined();
    expect(retryAfterSeconds(Object.assign(new Error("x"), { code: "slack_webapi_platform_error" }))).toBeUndefined();
  });

  it("waits out a 429 and runs the task again, so what goes out is rendered after the wait", async () => {
    const outbox = createSlackOutbox({ log, paceMs: () => 0 });
    let state = "phase 1";
    const sent: string[] = [];
    let calls = 0;
    const result = await outbox.run("update", async () => {
      calls++;
      const rendered = state;
      if (calls === 1) {
        state = "phase 3 (newer)";
        throw rateLimited(0);
      }
      sent.push(rendered);
      return rendered;
    });
    expect(result).toBe("phase 3 (newer)");
    expect(sent).toEqual(["phase 3 (newer)"]);
    expect(calls).toBe(2);
  });

  it("keeps a lane's order while it waits, and other lanes keep going", async () => {
    const outbox = createSlackOutbox({ log, paceMs: () => 0 });
    const order: string[] = [];
    let first = true;
    const a = outbox.run("post:C1", async () => {
      if (first) {
        first = false;
        throw rateLimited(0);
      }
      order.push("C1 card");
    });
    const b = outbox.run("post:C1", async () => void order.push("C1 summary"));
    const c = outbox.run("post:C2", async () => void order.push("C2 card"));
    await Promise.all([a, b, c]);
    expect(order.indexOf("C1 card")).toBeLessThan(order.indexOf("C1 summary"));
    expect(order).toContain("C2 card");
  });

  it("gives up after the allowed number of 429s and passes other errors straight through", async () => {
    const outbox = createSlackOutbox({ log, paceMs: () => 0 });
    let attempts = 0;
    await expect(
      outbox.run(
        "views",
        async () => {
          attempts++;
          throw rateLimited(0);
        },
        { maxRateLimited: 2 },
      ),
    ).rejects.toMatchObject({ code: "slack_webapi_rate_limited_error" });
    expect(attempts).toBe(3);
    await expect(outbox.run("views", async () => Promise.reject(new Error("channel_not_found")))).rejects.toThrow("channel_not_found");
  });

  it("runs an urgent call (a click's card) ahead of a lane paced after a 429, but never through Retry-After", async () => {
    const outbox = createSlackOutbox({ log, paceMs: () => 60_000, pacedWindowMs: 60_000 });
    const sent: string[] = [];
    let refused = false;
    // Refused once with Retry-After 0: the lane is now paced, and this progress update waits a minute.
    const paced = outbox.run("update", async () => {
      if (!refused) {
        refused = true;
        throw rateLimited(0);
      }
      sent.push("progress");
    });
    await new Promise((resolve) => setImmediate(resolve));
    await outbox.run("update", async () => void sent.push("click"), { urgent: true });
    expect(sent).toEqual(["click"]);
    outbox.close();
    await expect(paced).rejects.toBeInstanceOf(ClosedOutboxError);

    const paused = createSlackOutbox({ log, paceMs: () => 0 });
    const waitedOut = paused.run("update", async () => {
      throw rateLimited(30);
    });
    await Promise.resolve();
    const click = paused.run("update", async () => "sent", { urgent: true });
    const raced = await Promise.race([click, new Promise((resolve) => setImmediate(() => resolve("still waiting")))]);
    expect(raced).toBe("still waiting");
    paused.close();
    await expect(click).rejects.toBeInstanceOf(ClosedOutboxError);
    await expect(waitedOut).rejects.toBeInstanceOf(Error);
  });

  it("after close, rejects what was queued and refuses new calls", async () => {
    const outbox = createSlackOutbox({ log, paceMs: () => 0 });
    const waiting = outbox.run("post:C1", async () => {
      throw rateLimited(30);
    });
    await Promise.resolve();
    outbox.close();
    await expect(waiting).rejects.toBeInstanceOf(Error);
    await expect(outbox.run("post:C1", async () => "x")).rejects.toBeInstanceOf(ClosedOutboxError);
    await outbox.idle();
  });
});
