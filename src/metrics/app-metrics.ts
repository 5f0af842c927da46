import type { Logger } from "pino";
import type { Config } from "../config/load-config.js";
import type { Intent } from "../parser/intent.js";
import type { Store } from "../store/store.js";
import { createOpsMetrics, type OpsMetrics } from "./prometheus.js";
import { withRunMetrics } from "./run-metrics.js";
import { createUsageEmitter, type UsageEmitter } from "./usage-emitter.js";

/** The process's metrics: Prometheus always, usage events when ENABLE_USAGE_METRICS is set. */
export interface AppMetrics {
  readonly prometheus: OpsMetrics;
  readonly usage: UsageEmitter | undefined;
  /** The store executors record through, so their events feed both. */
  readonly executorStore: Store;
  onParsed(intent: Intent): void;
  close(): Promise<void>;
}

export function createAppMetrics(options: { config: Config; store: Store; log: Logger; fetch?: typeof fetch }): AppMetrics {
  const { config, store, log } = options;
  const env = config.env;
  const prometheus = createOpsMetrics({ queueStats: () => store.queueStats() });
  if (env.ENABLE_USAGE_METRICS && !env.METRICS_WEBHOOK_URL)
    log.warn("ENABLE_USAGE_METRICS is set but METRICS_WEBHOOK_URL is not: usage events are written to the log instead");
  const usage = env.ENABLE_USAGE_METRICS
    ? createUsageEmitter({
        ...(env.METRICS_WEBHOOK_URL ? { webhookUrl: env.METRICS_WEBHOOK_URL } : {}),
        source: env.METRICS_SOURCE,
        sampleRate: env.METRICS_SAMPLE_RATE,
        log: log.child({ component: "usage-metrics" }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined;
  return {
    prometheus,
    usage,
    executorStore: withRunMetrics(store, { metrics: prometheus, ...(usage ? { usage } : {}), log }),
    onParsed(intent) {
      prometheus.parsed(
        intent.runbook === "help"
          ? "help"
          : intent.runbook === null
            ? intent.clarify
              ? "clarify"
              : "not_command"
            : intent.missing.length > 0
              ? "clarify"
              : "understood",
      );
    },
    close: async () => usage?.close(),
  };
}
