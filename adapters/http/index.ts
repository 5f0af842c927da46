import type { Adapter } from "../types.js";
import type { FetchLike } from "../shared/http-client.js";
import { createCheckAction } from "./check.js";
import { createResolveTargetsAction } from "./resolve-targets.js";

export interface HttpAdapterOptions {
  fetch?: FetchLike;
}

/** Plain HTTP health checks. No credentials. */
export function createHttpAdapter(options: HttpAdapterOptions = {}): Adapter {
  return {
    id: "http",
    description: "HTTP health checks: status, body text and latency budget.",
    actions: {
      check: createCheckAction(options.fetch),
      resolveTargets: createResolveTargetsAction(),
    },
  };
}
