import type { Logger } from "pino";
import type { Config } from "./config/load-config.js";
import type { ActionLookup } from "./executor/action-catalog.js";
import { dryRunPlan } from "./executor/dry-run.js";
import { readReplicas } from "./executor/read-replicas.js";
import { runPreflight } from "./executor/run-preflight.js";
import { buildCatalog, type Intent } from "./parser/intent.js";
import { resolveTarget } from "./planner/build-plan.js";
import type { Redactor } from "./redact.js";
import type { Runbook } from "./runbook/runbook-schema.js";
import { createOpsService } from "./service/ops-service.js";
import type { Store } from "./store/store.js";

/**
 * The service over a store, with the executor's plan-time preflight and dry run. Shared by the app,
 * the Slack test harness and the Slack benchmark, so they run what production runs.
 */
export function wireService(parts: {
  store: Store;
  config: Config;
  runbooks: Runbook[];
  actions: ActionLookup;
  credentials: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  log: Logger;
  clock?: () => Date;
  onParsed?: (intent: Intent) => void;
}) {
  const { store, config, runbooks, actions, log } = parts;
  const stepDeps = { store, actions, credentials: parts.credentials, redactor: parts.redactor, log };
  return createOpsService({
    store,
    config,
    runbooks,
    parseContext: { runbooks, catalog: buildCatalog(config), timeZone: config.timeZone },
    clock: parts.clock ?? (() => new Date()),
    log,
    // Its result is kept on the run (origin.preflight), so it is redacted like every recorded event.
    preflight: async (run) => parts.redactor.redact(await runPreflight(run, stepDeps)),
    describeCalls: (plan) => dryRunPlan(plan, { actions, log }),
    currentReplicas: (service, env) => readReplicas(resolveTarget(config, env, service), { actions, credentials: parts.credentials, log }),
    redactor: parts.redactor,
    ...(parts.onParsed ? { onParsed: parts.onParsed } : {}),
  });
}
