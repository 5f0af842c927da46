import type { Logger } from "pino";

/**
 * Serialises outgoing Slack calls per rate-limit bucket ("lane") and waits out 429s.
 *
 * Slack limits chat.postMessage to about one message a second per channel and chat.update to Tier 3
 * (50+ a minute per workspace). A 429 carries Retry-After in whole seconds. The WebClient is built
 * with `rejectRateLimitedCalls`, so a 429 lands here instead of pausing every call the app makes:
 * the lane that hit it pauses for Retry-After, then paces itself (one call per `paceMs`) for a while,
 * so fifty runs posting into one channel do not all retry at the same instant. The task is run again
 * from scratch, so a task that renders the latest state sends that state: stale intermediate updates
 * are merged, never replayed.
 *
 * An `urgent` call (the card of a button a person just clicked) goes to the front of its lane and is
 * not held back by the pacing after a 429, only by Retry-After itself: a click is rare, and the
 * person is looking at the card.
 */
export interface SlackOutbox {
  run<T>(lane: string, task: () => Promise<T>, options?: { maxRateLimited?: number; urgent?: boolean }): Promise<T>;
  /** Resolves when no call is queued or running. */
  idle(): Promise<void>;
  /** Rejects queued calls and refuses new ones (shutdown). */
  close(): void;
}

export interface OutboxOptions {
  log: Logger;
  /** Spacing after a 429, per lane prefix; default 1,000 ms. */
  paceMs?: (lane: string) => number;
  /** How many calls of a lane may run at once; default 1 (posts keep their order in a channel). */
  concurrency?: (lane: string) => number;
  /** How long a lane stays paced after its last 429. */
  pacedWindowMs?: number;
}

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  rateLimited: number;
  maxRateLimited: number;
  urgent: boolean;
}

interface Lane {
  name: string;
  queue: Job[];
  active: number;
  pausedUntil: number;
  pacedUntil: number;
  lastStart: number;
  timer: NodeJS.Timeout | undefined;
}

/** Seconds to wait when `error` is Slack's 429 (web-api's WebAPIRateLimitedError); undefined otherwise. */
export function retryAfterSeconds(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number } | undefined;
  return e?.code === "slack_webapi_rate_limited_error" && typeof e.retryAfter === "number" ? e.retryAfter : undefined;
}

export class ClosedOutboxError extends Error {
  constructor() {
    super("the Slack outbox is closed");
  }
}

export function createSlackOutbox(options: OutboxOptions): SlackOutbox {
  const lanes = new Map<string, Lane>();
  const idleWaiters: (() => void)[] = [];
  const paceMs = options.paceMs ?? (() => 1000);
  const concurrency = options.concurrency ?? (() => 1);
  const pacedWindowMs = options.pacedWindowMs ?? 10_000;
  let closed = false;

  const busy = () => [...lanes.values()].some((l) => l.active > 0 || l.queue.length > 0);
  const checkIdle = () => {
    if (!busy()) idleWaiters.splice(0).forEach((resolve) => resolve());
  };

  const schedule = (lane: Lane, delayMs: number) => {
    if (lane.timer) return;
    lane.timer = setTimeout(
      () => {
        lane.timer = undefined;
        drain(lane);
      },
      Math.max(1, delayMs),
    );
  };

  const drain = (lane: Lane) => {
    while (lane.active < concurrency(lane.name) && lane.queue.length > 0) {
      const now = Date.now();
      if (now < lane.pausedUntil) return schedule(lane, lane.pausedUntil - now);
      const pace = paceMs(lane.name);
      if (!lane.queue[0]!.urgent && now < lane.pacedUntil && now < lane.lastStart + pace)
        return schedule(lane, lane.lastStart + pace - now);
      const job = lane.queue.shift()!;
      lane.active++;
      lane.lastStart = now;
      job
        .task()
        .then(
          (value) => job.resolve(value),
          (error: unknown) => {
            const wait = retryAfterSeconds(error);
            if (wait === undefined || closed || job.rateLimited >= job.maxRateLimited) {
              job.reject(error);
              return;
            }
            job.rateLimited++;
            const until = Date.now() + wait * 1000;
            lane.pausedUntil = Math.max(lane.pausedUntil, until);
            lane.pacedUntil = until + pacedWindowMs;
            options.log.debug({ lane: lane.name, retry_after_s: wait, attempt: job.rateLimited }, "slack rate limited; waiting");
            lane.queue.unshift(job);
          },
        )
        .finally(() => {
          lane.active--;
          drain(lane);
          checkIdle();
        });
    }
  };

  return {
    run<T>(laneName: string, task: () => Promise<T>, runOptions: { maxRateLimited?: number; urgent?: boolean } = {}): Promise<T> {
      if (closed) return Promise.reject(new ClosedOutboxError());
      let lane = lanes.get(laneName);
      if (!lane) {
        lane = { name: laneName, queue: [], active: 0, pausedUntil: 0, pacedUntil: 0, lastStart: 0, timer: undefined };
        lanes.set(laneName, lane);
      }
      const urgent = runOptions.urgent === true;
      const promise = new Promise<T>((resolve, reject) => {
        const job: Job = {
          task,
          resolve: resolve as (v: unknown) => void,
          reject,
          rateLimited: 0,
          maxRateLimited: runOptions.maxRateLimited ?? 20,
          urgent,
        };
        // Behind other urgent calls only, so two clicks keep their order.
        const at = urgent ? lane.queue.findIndex((queued) => !queued.urgent) : -1;
        if (at === -1) lane.queue.push(job);
        else lane.queue.splice(at, 0, job);
      });
      if (urgent && lane.timer && Date.now() >= lane.pausedUntil) {
        clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      drain(lane);
      return promise;
    },
    idle: () =>
      new Promise<void>((resolve) => {
        if (!busy()) resolve();
        else idleWaiters.push(resolve);
      }),
    close() {
      closed = true;
      for (const lane of lanes.values()) {
        if (lane.timer) clearTimeout(lane.timer);
        lane.timer = undefined;
        for (const job of lane.queue.splice(0)) job.reject(new ClosedOutboxError());
      }
      checkIdle();
    },
  };
}
