import pino from "pino";
import { loadConfig, type Config } from "../../src/config/load-config.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { createRedactor } from "../../src/redact.js";
import { createRunboard, type Runboard } from "../../src/runboard/create-runboard.js";
import { resolveRunboardSettings } from "../../src/runboard/runboard-settings.js";
import { createOpsService, type OpsService } from "../../src/service/ops-service.js";
import type { Store } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { exampleRunbooks } from "../support/fixtures.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

export const SECRET = "runboard-test-secret-0123456789abcdef0123456789";
export const CANARY = "opsroom-canary-secret-7f3a9b2c";

/** A clock tests move by hand. */
export function handClock(start = new Date()) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

export interface RunboardFixture {
  t: TestStore;
  store: Store;
  service: OpsService;
  runboard: Runboard;
  config: Config;
  clock: ReturnType<typeof handClock>;
  get(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The Runboard over a real (PGlite or PostgreSQL) store and the real service, with the example
 * config and runbooks; `runboard` overrides the config's runboard section, `env` adds variables.
 */
export async function openRunboard(
  options: { backend?: "pglite" | "postgres"; runboard?: Partial<Config["runboard"]>; env?: Record<string, string> } = {},
): Promise<RunboardFixture> {
  const t = await openTestStore(options.backend ?? "pglite");
  const base = loadConfig({ RUNBOARD_SECRET: SECRET, SECRET_CANARY: CANARY, ...options.env });
  const config: Config = {
    ...base,
    // The canary is a secret value the redactor knows (as a secretEnv value would be).
    secretValues: [...base.secretValues, CANARY],
    approvals: { ...base.approvals, rules: [...base.approvals.rules, { env: "prod", approvers: { users: ["U0BOB"], groups: [] } }] },
    runboard: { ...base.runboard, ...options.runboard },
  };
  const clock = handClock();
  const log = pino({ level: "silent" });
  const redactor = createRedactor(config.secretValues);
  const service = createOpsService({
    store: t.store,
    config,
    runbooks: exampleRunbooks,
    parseContext: { runbooks: exampleRunbooks, catalog: buildCatalog(config), timeZone: "UTC" },
    clock: () => new Date(),
    log,
    redactor,
  });
  const runboard = createRunboard({
    service,
    config,
    settings: resolveRunboardSettings(config),
    redactor,
    log,
    clock: clock.now,
    keepAliveMs: 60_000,
  });
  return {
    t,
    store: t.store,
    service,
    runboard,
    config,
    clock,
    get: async (path, init) => runboard.app.request(path, init),
    async close() {
      await runboard.close();
      await t.dispose();
    },
  };
}

/** Plans `text` as `user` asked in Slack channel C0OPS; returns the run. */
export async function ask(service: OpsService, text: string, user = "U0ALICE"): Promise<Run> {
  const result = await service.submitText(text, { user, source: "slack", origin: { channel: "C0OPS", threadTs: "1767772800.000100" } });
  if (result.kind !== "planned") throw new Error(`${text}: ${result.kind}`);
  return result.run;
}

/** A worker claims the next run and records what an executor records for a phase. */
export async function startNext(store: Store, workerId = "host:1:worker01"): Promise<Run> {
  await store.registerWorker({ id: workerId, hostname: "host", pid: 1, concurrency: 2 });
  const run = await store.claimNextRun(workerId, 30_000);
  if (!run) throw new Error("nothing to claim");
  await store.appendEvent(run.id, { kind: "run_started", message: `started on ${workerId}` });
  await store.appendEvent(run.id, { kind: "phase_started", phase: "validate" });
  return run;
}
