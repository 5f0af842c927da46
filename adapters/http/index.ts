import type { Adapter } from "../types.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { globalFetch, type FetchLike } from "../shared/http-client.js";
import { createCheckAllAction } from "./check-all.js";
import { createCheckAction } from "./check.js";
import { createFetchLogsAction } from "./fetch-logs.js";
import { createFetchTimeAction } from "./fetch-time.js";
import { createResolveTargetsAction } from "./resolve-targets.js";

export interface HttpAdapterOptions {
  fetch?: FetchLike;
  /** When health checks happened, for triage's timeline; the system clock by default. */
  clock?: Clock;
  /** Where relative log file paths are resolved; the working directory by default. */
  baseDir?: string;
}

/** Plain HTTP: health checks (one URL, or every URL of an environment at once) and a generic log source. No credentials. */
export function createHttpAdapter(options: HttpAdapterOptions = {}): Adapter {
  const fetchImpl = options.fetch ?? globalFetch;
  const clock = options.clock ?? systemClock;
  return {
    id: "http",
    description: "HTTP health checks (status, body text, latency budget) and logs from any HTTP endpoint or file.",
    actions: {
      check: createCheckAction(fetchImpl),
      checkAll: createCheckAllAction(fetchImpl, clock),
      resolveTargets: createResolveTargetsAction(),
      fetchLogs: createFetchLogsAction(fetchImpl, clock, options.baseDir ?? process.cwd()),
      fetchTime: createFetchTimeAction(fetchImpl),
    },
  };
}
