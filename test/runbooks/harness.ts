/**
 * Runs the real runbooks (runbooks/*.yml) through the real pieces: config loader, runbook loader checked
 * against the real adapters, planner, PGlite store, executor and dry run. Provider HTTP is nock with the
 * network off; polling adapters get a fake clock, so waits take no time.
 */
import nock from "nock";
import { pino } from "pino";
import { afterAll, afterEach, beforeEach, expect } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import type { ConfigFile } from "../../src/config/config-schema.js";
import { DEFAULT_RUNBOOKS_DIR, loadConfigFile } from "../../src/config/load-config.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { dryRunPlan, type DryRunStep } from "../../src/executor/dry-run.js";
import { executeRun } from "../../src/executor/execute-run.js";
import type { ParamValue } from "../../src/parser/intent.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import type { Plan } from "../../src/planner/plan.js";
import { createRedactor } from "../../src/redact.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import type { Run, RunEvent, RunOutcome, StoredArtifact } from "../../src/store/types.js";
import { assertNoCanary, CANARY, fakeClock, fixturePath } from "../adapters/helpers.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

export const NOW = Date.parse("2026-01-07T10:00:00Z");
export const GH = "https://api.github.com";
export const VC = "https://api.vercel.com";
export const DO = "https://api.digitalocean.com";
export const SB = "https://abcd1234.supabase.co";
export const APP = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf";

/** Every provider credential, as canaries: the runs must never record one. */
export const CREDENTIALS: Record<string, string> = {
  GITHUB_TOKEN: CANARY.GITHUB_TOKEN,
  VERCEL_TOKEN: CANARY.VERCEL_TOKEN,
  DIGITALOCEAN_TOKEN: CANARY.DIGITALOCEAN_TOKEN,
  SUPABASE_URL: SB,
  SUPABASE_SERVICE_ROLE_KEY: CANARY.SUPABASE_SERVICE_ROLE_KEY,
};

export const testConfig: ConfigFile = loadConfigFile(fixturePath("runbooks/opsroom.yml"), {});
export const runbooks = loadRunbooks(DEFAULT_RUNBOOKS_DIR, createActionLookup(createAdapters()).catalog);

export function plan(id: string, params: Record<string, ParamValue>, config: ConfigFile = testConfig): Plan {
  const runbook = runbooks.find((r) => r.id === id);
  if (!runbook) throw new Error(`no runbook ${id}`);
  return buildPlan({ runbook, params }, config);
}

export interface RunResult {
  outcome: RunOutcome;
  run: Run;
  events: RunEvent[];
  artifacts: StoredArtifact[];
  /** "kind phase/step" for every event, in order, for readable assertions. */
  trail: string[];
  /** Ids of the steps that succeeded, in order. */
  succeeded: string[];
}

export interface RunOptions {
  credentials?: Record<string, string>;
  /** Called once the run is executing, with its id (to cancel it mid-step). */
  during?: (runId: string, events: () => Promise<RunEvent[]>) => Promise<void>;
}

/**
 * Per test file (call it once, at the top level): a migrated PGlite store, opened on the first run (a dry
 * run needs none; opening one takes seconds on a busy machine), nock with the network off (127.0.0.1
 * allowed for local databases), and a check after each test that every interceptor was used and nothing
 * else was called.
 */
export function useRunbookHarness() {
  let opened: Promise<TestStore> | undefined;
  let t: TestStore;
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; url?: string }) => unmatched.push(`${req.method} ${req.href ?? req.url}`);
  afterAll(async () => {
    if (opened) await (await opened).dispose();
  });
  beforeEach(() => {
    unmatched.length = 0;
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock.emitter.on("no match", onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    const pending = nock.pendingMocks();
    const done = nock.isDone();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending, "every nock interceptor is used").toEqual([]);
    expect(done).toBe(true);
    expect(unmatched, "no request without an interceptor").toEqual([]);
  });

  async function run(p: Plan, options: RunOptions = {}): Promise<RunResult> {
    t = await (opened ??= openTestStore("pglite"));
    const credentials = options.credentials ?? CREDENTIALS;
    // A fresh fake clock per run: polls take no time and "now" is NOW for every test.
    const actions = createActionLookup(
      createAdapters({
        clock: fakeClock(NOW),
        baseDir: fixturePath("postgres"),
        requestTimeoutMs: 5000,
        history: t.store.incidents,
        checklist: t.store.board,
        migrationHistory: t.store.migrations,
      }),
    );
    const { run: created } = await t.store.createRun({ plan: p, status: "queued", requestedBy: "U1", source: "test" });
    const claimed = (await t.store.claimNextRun("w1", 30_000)) as Run;
    expect(claimed?.id).toBe(created.id);
    let outcome: RunOutcome;
    try {
      const executing = executeRun(claimed, "w1", {
        store: t.store,
        actions,
        credentials,
        redactor: createRedactor(Object.values(credentials)),
        log: pino({ level: "silent" }),
        cancelPollMs: 20,
        sleep: async () => {},
      });
      if (options.during) await options.during(claimed.id, () => t.store.listEvents(claimed.id));
      outcome = await executing;
    } catch (error) {
      outcome = { status: "failed", summary: String(error), failedStep: "harness", error: String(error) };
    }
    await t.store.finishRun(claimed.id, "w1", outcome);
    const events = await t.store.listEvents(claimed.id);
    const artifacts = await t.store.listArtifacts(claimed.id);
    const result = {
      outcome,
      run: (await t.store.getRun(claimed.id))!,
      events,
      artifacts,
      trail: events.map((e) => `${e.kind} ${e.stepId ?? e.phase ?? ""}`.trim()),
      succeeded: events.filter((e) => e.kind === "step_succeeded").map((e) => e.stepId!),
    };
    // Whatever happened, no credential reached the store.
    assertNoCanary(outcome, events, artifacts, result.run);
    return result;
  }

  /** A dry run through the real adapters; any provider call would show up as an unmatched request. */
  async function dryRun(p: Plan): Promise<DryRunStep[]> {
    const actions = createActionLookup(createAdapters({ clock: fakeClock(NOW), baseDir: fixturePath("postgres") }));
    const steps = await dryRunPlan(p, { actions, log: pino({ level: "silent" }) });
    expect(unmatched, "a dry run calls nothing").toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
    return steps;
  }

  return { run, dryRun, store: () => t.store };
}

/** Waits until a step has started (the run is inside it), polling the store. */
export async function untilStepStarted(events: () => Promise<RunEvent[]>, stepId: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await events()).some((e) => e.kind === "step_started" && e.stepId === stepId)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`step ${stepId} never started`);
}

/** A reply that never comes until the request is aborted (see test/adapters/helpers.ts). */
export function hanging(): () => Promise<[number, string]> {
  return () => new Promise(() => undefined);
}

/** GitHub deployments list with one status per deployment, as github.listDeployments reads them. */
export function githubDeployments(
  repo: string,
  env: string,
  rows: Array<{ id: number; sha: string; ref: string; state: string; at: string; by?: string }>,
  limit: number,
): void {
  const scope = nock(GH)
    .get(`/repos/${repo}/deployments`)
    .query({ environment: env, per_page: String(limit) })
    .reply(
      200,
      rows.map((r) => ({
        id: r.id,
        sha: r.sha,
        ref: r.ref,
        environment: env,
        description: null,
        creator: { login: r.by ?? "octocat" },
        created_at: r.at,
        statuses_url: `${GH}/repos/${repo}/deployments/${r.id}/statuses`,
      })),
    );
  for (const r of rows) {
    scope
      .get(`/repos/${repo}/deployments/${r.id}/statuses`)
      .query({ per_page: "1" })
      .reply(200, [{ id: r.id * 10, state: r.state, description: null, created_at: r.at }]);
  }
}

/** Supabase PostgREST with the service role key. */
export function supabaseRest() {
  return nock(SB, { reqheaders: { apikey: CANARY.SUPABASE_SERVICE_ROLE_KEY } });
}

export function flagRow(flag: string, enabled: boolean, rollout: number, cohorts: string[], updatedAt = "2026-01-05T08:30:00+00:00") {
  return {
    id: `00000000-0000-4000-8000-${flag.length.toString().padStart(12, "0")}`,
    flag_key: flag,
    description: null,
    is_enabled: enabled,
    rollout_percentage: rollout,
    environment: "production",
    target_user_ids: [] as string[],
    metadata: { cohorts },
    created_at: "2026-01-03T12:00:00+00:00",
    updated_at: updatedAt,
  };
}

export function stepEvent(events: RunEvent[], kind: RunEvent["kind"], stepId: string): RunEvent | undefined {
  return events.find((e) => e.kind === kind && e.stepId === stepId);
}
