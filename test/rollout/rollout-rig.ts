/**
 * Staged rollouts through the real pieces: the config in test/fixtures/rollout, the real runbooks and
 * adapters, the ops service, the rollout driver and the executor over one PGlite store. Supabase's
 * feature_flags table is a nock'd PostgREST endpoint that keeps rows (GET with eq. filters, PATCH with the
 * compare-and-set on updated_at, answering the updated rows as `Prefer: return=representation` does);
 * health URLs are nock'd per test. One clock for everything, moved by the test: no real waits.
 */
import nock from "nock";
import path from "node:path";
import { pino } from "pino";
import { expect } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import { loadConfig, type Config } from "../../src/config/load-config.js";
import { DEFAULT_RUNBOOKS_DIR } from "../../src/config/load-config.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { createRedactor } from "../../src/redact.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import { createRolloutDriver, type RolloutDriver } from "../../src/rollout/rollout-driver.js";
import { createRolloutScheduler } from "../../src/rollout/rollout-scheduler.js";
import { drainRuns } from "../support/drain-runs.js";
import type { OpsService } from "../../src/service/ops-service.js";
import type { Store } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { wireService } from "../../src/wire-service.js";
import { CANARY } from "../adapters/helpers.js";

export const SB = "https://abcd1234.supabase.co";
// Real time: plan expiry is the database's (now()), so the rig's clock starts at it and only moves forward.
export const START = Date.now();
export const USERS = { alice: "U0ALICE01", dave: "U0DAVE001", carol: "U0CAROL01" } as const;
const CONFIG = path.resolve(import.meta.dirname, "../fixtures/rollout/opsroom.yml");

export interface FlagRecord {
  id: string;
  flag_key: string;
  description: string | null;
  is_enabled: boolean;
  rollout_percentage: number;
  environment: string;
  target_user_ids: string[];
  metadata: { cohorts: string[] };
  created_at: string;
  updated_at: string;
}

export function flagRecord(flag: string, enabled: boolean, percent: number, cohorts: string[], environment = "production"): FlagRecord {
  return {
    id: `00000000-0000-4000-8000-${String(flag.length).padStart(12, "0")}`,
    flag_key: flag,
    description: null,
    is_enabled: enabled,
    rollout_percentage: percent,
    environment,
    target_user_ids: [],
    metadata: { cohorts },
    created_at: "2026-01-03T12:00:00+00:00",
    updated_at: "2026-01-05T08:30:00+00:00",
  };
}

/** The feature_flags table behind PostgREST, as far as the flag adapter uses it. */
export function fakeFlagTable(rows: FlagRecord[]) {
  const patches: Array<{ flag: string; body: Record<string, unknown> }> = [];
  const filters = (uri: string) => new URL(uri, SB).searchParams;
  const matches = (q: URLSearchParams, row: FlagRecord) =>
    [...q.entries()].every(([key, value]) => {
      if (key === "select" || key === "order") return true;
      const field = row[key as keyof FlagRecord];
      if (value.startsWith("eq.")) return String(field) === value.slice(3);
      if (value === "is.null") return field === null;
      return true;
    });
  let tick = 0;
  nock(SB, { reqheaders: { apikey: CANARY.SUPABASE_SERVICE_ROLE_KEY } })
    .persist()
    .get("/rest/v1/feature_flags")
    .query(true)
    .reply(200, (req: Request) => rows.filter((r) => matches(filters(req.url), r)).sort((a, b) => (a.flag_key < b.flag_key ? -1 : 1)))
    .patch("/rest/v1/feature_flags")
    .query(true)
    .reply(200, async (req: Request) => {
      const patch = (await req.json()) as Record<string, unknown>;
      const hit = rows.filter((r) => matches(filters(req.url), r));
      for (const row of hit) {
        patches.push({ flag: row.flag_key, body: patch });
        // A fresh updated_at per write, as the table's trigger would give, so each compare-and-set is exact.
        Object.assign(row, patch, {
          updated_at: `2026-01-07T10:${String(Math.floor(++tick / 60)).padStart(2, "0")}:${String(tick % 60).padStart(2, "0")}+00:00`,
        });
      }
      return hit;
    });
  return {
    rows,
    patches,
    row: (flag: string) => rows.find((r) => r.flag_key === flag)!,
  };
}

export interface Rig {
  config: Config;
  store: Store;
  service: OpsService;
  driver: RolloutDriver;
  /** Moves the one clock everything reads. */
  advance(ms: number): void;
  now(): Date;
  /** Runs every queued run to its end, as a worker would, and returns them in order. */
  drain(): Promise<Run[]>;
  /** A new service and driver on the same database: what a restarted process has. */
  restart(): Rig;
}

export interface RigOptions {
  /** Another config than the rollout tests' (test/fixtures/release for release plans). */
  configPath?: string;
  /** More credentials (target database URLs). */
  credentials?: Record<string, string>;
}

export function createRig(store: Store, clockStart = START, options: RigOptions = {}): Rig {
  let now = clockStart;
  const clock = () => new Date(now);
  const adapterClock = {
    now: () => now,
    async sleep(ms: number, signal: AbortSignal) {
      if (signal.aborted) throw signal.reason;
      now += ms;
    },
  };
  const credentials: Record<string, string> = {
    SUPABASE_URL: SB,
    SUPABASE_SERVICE_ROLE_KEY: CANARY.SUPABASE_SERVICE_ROLE_KEY,
    ...options.credentials,
  };
  const config = loadConfig({ OPSROOM_CONFIG: options.configPath ?? CONFIG, OPSROOM_RUNBOOKS_DIR: DEFAULT_RUNBOOKS_DIR, ...credentials });
  const log = pino({ level: "silent" });
  const redactor = createRedactor(Object.values(credentials));
  const build = (): Rig => {
    const actions = createActionLookup(
      createAdapters({
        clock: adapterClock,
        requestTimeoutMs: 5000,
        rollouts: createRolloutScheduler(() => store.rollouts, clock),
        shellEnv: { PATH: process.env.PATH },
      }),
    );
    const runbooks = loadRunbooks(DEFAULT_RUNBOOKS_DIR, actions.catalog);
    const service = wireService({ store, config, runbooks, actions, credentials, redactor, log, clock });
    const driver = createRolloutDriver({ store, config, runbooks, clock, log });
    return {
      config,
      store,
      service,
      driver,
      advance: (ms) => {
        now += ms;
      },
      now: clock,
      drain: () => drainRuns(store, { actions, credentials, redactor, log }),
      restart: build,
    };
  };
  return build();
}

/** Plans a rollout as `dave`, approved by `alice`, and runs it: its schedule is then recorded. */
export async function startRollout(rig: Rig, params: Record<string, string | string[]>): Promise<Run> {
  const planned = await rig.service.submitPlan("rollout", params, {
    user: USERS.dave,
    source: "test",
    origin: { channel: "C0OPS0001", threadTs: "1767780000.000100" },
  });
  expect(planned.run.status).toBe("pending_approval");
  const decision = await rig.service.approve(planned.run.id, USERS.alice);
  expect(decision.outcome).toBe("queued");
  const [run] = await rig.drain();
  return run!;
}
