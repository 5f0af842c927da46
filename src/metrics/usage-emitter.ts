import { createHash } from "node:crypto";
import type { Logger } from "pino";

/**
 * One usage event as the release plan's metrics emitter sends it (ENABLE_USAGE_METRICS): what ran,
 * where, for whom, how it ended and how long its phases took; adapter calls with their latency.
 *
 * @example { type: "run_finished", at: "2026-01-07T12:00:04Z", run_id: "…", runbook: "deploy", env: "staging", outcome: "succeeded", dry_run: false, requester: "U0ALICE01", phase_ms: { validate: 40, action: 3100 } }
 */
export interface UsageEvent {
  type: "run_started" | "run_finished" | "adapter_call";
  at: string;
  run_id: string;
  [field: string]: unknown;
}

export interface UsageEmitterOptions {
  /** METRICS_WEBHOOK_URL; without one, each batch is written to the log (info, `usage_events`). */
  webhookUrl?: string;
  /** METRICS_SOURCE: tags every batch, e.g. for a dashboard per deployment. */
  source: string;
  /** METRICS_SAMPLE_RATE: percent of runs whose events are sent (all events of a sampled run). */
  sampleRate: number;
  log: Logger;
  fetch?: typeof fetch;
  /** Events per POST; default 50. */
  batchSize?: number;
  /** How long an event may wait for a full batch; default 5 s. */
  flushMs?: number;
  /** Events kept while the endpoint is down; the oldest are dropped beyond it. Default 1,000. */
  maxBuffered?: number;
  /** Tries per batch (with backoff) before it is dropped; default 3. */
  attempts?: number;
  /** Per request; default 5 s. */
  timeoutMs?: number;
}

export interface UsageEmitter {
  /** Queues an event (sampled by its run); never waits and never throws. */
  record(event: UsageEvent): void;
  /** Sends what is buffered now (tests, shutdown). */
  flush(): Promise<void>;
  /** Events dropped so far: buffer full or endpoint failing. */
  readonly dropped: number;
  close(): Promise<void>;
}

/**
 * Posts usage events to METRICS_WEBHOOK_URL in batches, off the run's path: `record` only buffers.
 * A failing or slow endpoint costs retries in the background and, past the buffer, the oldest
 * events; never a run's time or its outcome. Body: `{ source, events: UsageEvent[] }`.
 */
export function createUsageEmitter(options: UsageEmitterOptions): UsageEmitter {
  const batchSize = options.batchSize ?? 50;
  const maxBuffered = options.maxBuffered ?? 1000;
  const attempts = options.attempts ?? 3;
  const doFetch = options.fetch ?? fetch;
  const buffer: UsageEvent[] = [];
  let dropped = 0;
  let sending: Promise<void> | undefined;
  let closed = false;

  const sampled = (runId: string) =>
    options.sampleRate >= 100 || createHash("sha1").update(runId).digest().readUInt16BE(0) % 100 < options.sampleRate;

  const post = async (events: UsageEvent[]) => {
    if (!options.webhookUrl) return options.log.info({ source: options.source, usage_events: events }, "usage events");
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await doFetch(options.webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ source: options.source, events }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
        if (response.ok) return;
        throw new Error(`HTTP ${response.status}`);
      } catch (error) {
        if (attempt >= attempts || closed) {
          dropped += events.length;
          options.log.warn({ err: error, events: events.length }, "usage metrics endpoint failed; events dropped");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt).unref());
      }
    }
  };

  const drain = (): Promise<void> => {
    sending ??= (async () => {
      while (buffer.length > 0) await post(buffer.splice(0, batchSize));
    })().finally(() => (sending = undefined));
    return sending;
  };

  const timer = setInterval(() => void drain(), options.flushMs ?? 5000);
  timer.unref();

  return {
    record(event) {
      if (closed || !sampled(event.run_id)) return;
      buffer.push(event);
      if (buffer.length > maxBuffered) dropped += buffer.splice(0, buffer.length - maxBuffered).length;
      if (buffer.length >= batchSize) void drain();
    },
    async flush() {
      await drain();
      if (buffer.length > 0) await drain();
    },
    get dropped() {
      return dropped;
    },
    async close() {
      clearInterval(timer);
      await this.flush();
      closed = true;
    },
  };
}
