/**
 * Edits, approvals and cancels racing on real PostgreSQL: three "processes" (a service and a pool
 * each) over one scratch database, a worker running what gets approved. However the clicks interleave,
 * a plan leaves approval exactly one way (approved, replaced by one edit, or cancelled), every answer
 * a person got agrees with what the database recorded, and an edit never cancels a run that was
 * approved or started. Each scenario reads every run back and counts (run-audit.ts).
 */
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { executeRun } from "../../src/executor/execute-run.js";
import { startWorker, type Worker } from "../../src/executor/worker.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { createRedactor } from "../../src/redact.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import { createOpsService, type OpsService } from "../../src/service/ops-service.js";
import { openPostgres, type Db } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import { createStore, type Store } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { gate } from "../slack/support/gate.js";
import { defaultBehaviours, eventually, fakeActions, FIXTURES, USERS } from "../slack/support/harness.js";
import { createScratchDatabase } from "../support/test-stores.js";
import { recordFaultTally } from "./support/fault-tally.js";
import { auditRuns } from "./support/run-audit.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

const PROCESSES = 3;
const PLANS = 24;

describe("edit, approve and cancel racing on PostgreSQL", NEEDS_POSTGRES, () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  const dbs: Db[] = [];
  let services: OpsService[];
  let store: Store;
  let worker: Worker;
  const behaviours = defaultBehaviours();

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const config = loadConfig({
      OPSROOM_CONFIG: path.join(FIXTURES, "opsroom.yml"),
      OPSROOM_RUNBOOKS_DIR: path.join(FIXTURES, "runbooks"),
    });
    const actions = fakeActions(behaviours);
    const runbooks = loadRunbooks(config.runbooksDir, actions.catalog);
    const log = pino({ level: "silent" });
    services = [];
    for (let i = 0; i < PROCESSES; i++) {
      const db = openPostgres(scratch.url);
      if (i === 0) await migrate(db);
      dbs.push(db);
      services.push(
        createOpsService({
          store: createStore(db),
          config,
          runbooks,
          parseContext: { runbooks, catalog: buildCatalog(config), timeZone: "UTC" },
          clock: () => new Date(),
          log,
          directory: { groupMembers: async (group) => (group === "S0ONCALL1" ? [USERS.bob] : []) },
        }),
      );
    }
    store = createStore(dbs[0]!);
    const stepDeps = { store, actions, credentials: {}, redactor: createRedactor([]), log };
    worker = await startWorker({
      store,
      log,
      execute: (run, workerId) => executeRun(run, workerId, { ...stepDeps, cancelPollMs: 50 }),
      pollMs: 100,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    for (const db of dbs) await db.close();
    await scratch?.drop();
  });

  const serviceFor = (i: number) => services[i % PROCESSES]!;
  const planned = async (service: string, env: string, user: string): Promise<Run> =>
    (await services[0]!.submitPlan("deploy", { service, env }, { user, source: "test" })).run;
  const settled = () => eventually(async () => (await store.listRuns({ statuses: ["queued", "running"], limit: 1 })).length === 0, 60_000);

  it("each plan leaves approval exactly one way, and every answer agrees with the database", async (ctx) => {
    const plans = await Promise.all(Array.from({ length: PLANS }, (_, i) => planned(i % 2 ? "api" : "payments", "staging", USERS.dave)));
    const attempts = plans.map((run, i) => {
      const edit = (user: string, k: number) =>
        serviceFor(k)
          .editPlan(run.id, { ...run.params, ref: `v${k}.0.0` }, { user, source: "test" })
          .then((r) => ({ kind: "edit" as const, user, r }));
      const approve = (user: string, k: number) =>
        serviceFor(k)
          .approve(run.id, user, run.planHash)
          .then((r) => ({ kind: "approve" as const, user, r }));
      const cancel = (user: string, k: number) =>
        serviceFor(k)
          .cancel(run.id, user)
          .then((r) => ({ kind: "cancel" as const, user, r }));
      const all = [
        { kind: "approve", go: () => approve(USERS.alice, 0) },
        { kind: "edit", go: () => edit(USERS.dave, 1) },
        { kind: "approve", go: () => approve(USERS.bob, 2) },
        { kind: "cancel", go: () => cancel(USERS.dave, 0) },
        { kind: "edit", go: () => edit(USERS.dave, 2) },
        { kind: "edit", go: () => edit(USERS.carol, 1) },
        { kind: "approve", go: () => approve(USERS.alice, 1) },
        { kind: "cancel", go: () => cancel(USERS.carol, 2) },
        { kind: "edit", go: () => edit(USERS.alice, 0) },
        { kind: "cancel", go: () => cancel(USERS.dave, 1) },
      ];
      // A third of the plans race approvals against edits (the race of issue #9), a third edits against
      // cancels, and a third all three, each in an order rotated per plan.
      const kinds = [
        ["approve", "edit"],
        ["edit", "cancel"],
        ["approve", "edit", "cancel"],
      ][i % 3]!;
      const chosen = all.filter((a) => kinds.includes(a.kind));
      const first = i % chosen.length;
      return Promise.allSettled([...chosen.slice(first), ...chosen.slice(0, first)].map((a) => a.go()));
    });
    const results = await Promise.all(attempts);
    await settled();

    let lost = 0;
    let duplicated = 0;
    let falseRecords = 0;
    const notes: string[] = [];
    for (const [i, run] of plans.entries()) {
      const stored = (await store.getRun(run.id))!;
      const fulfilled = results[i]!.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const refusedCodes = results[i]!.flatMap((r) =>
        r.status === "rejected" ? [(r.reason as { code?: string }).code ?? String(r.reason)] : [],
      );
      const queuedBy = fulfilled.filter((f) => f.kind === "approve" && f.r.outcome === "queued");
      const edits = fulfilled.flatMap((f) => (f.kind === "edit" && f.r.created ? [f.r.run] : []));
      const cancelledBeforeStart = fulfilled.filter((f) => f.kind === "cancel" && f.r.status === "cancelled" && f.r.startedAt === null);
      const approved = (await store.listEvents(run.id)).some((e) => e.kind === "run_approved");
      const outcomes = [queuedBy.length > 0, edits.length > 0, cancelledBeforeStart.length > 0 && !approved];
      if (outcomes.filter(Boolean).length === 0) {
        lost++;
        notes.push(`${run.id.slice(0, 8)} left approval no way (${stored.status})`);
      }
      if (outcomes.filter(Boolean).length > 1 || queuedBy.length > 1 || edits.length > 1) {
        duplicated++;
        notes.push(`${run.id.slice(0, 8)}: queued ${queuedBy.length}, edited ${edits.length}, cancelled ${cancelledBeforeStart.length}`);
      }
      // What each person was told agrees with the row.
      if (edits.length === 1 && stored.supersededBy !== edits[0]!.id) falseRecords++;
      if (queuedBy.length === 1 && (stored.supersededBy !== null || stored.status === "pending_approval")) falseRecords++;
      if (edits.length === 0 && stored.supersededBy !== null) falseRecords++;
      if (stored.supersededBy !== null && (stored.startedAt !== null || approved)) falseRecords++;
      // Unexpected refusals: every refusal is one of the policy answers a person can read.
      for (const code of refusedCodes) {
        if (!["POLICY_NOT_ALLOWED", "POLICY_NOT_EDITABLE", "POLICY_NOT_PENDING", "POLICY_NOT_CANCELLABLE"].includes(code)) {
          falseRecords++;
          notes.push(`${run.id.slice(0, 8)}: refused with ${code}`);
        }
      }
    }
    const audit = await auditRuns(store, [USERS.carol]);
    expect([...notes, ...audit.findings]).toEqual([]);
    recordFaultTally(ctx, { lost, duplicated, falseRecords: falseRecords + audit.falseRecords, bypasses: audit.bypasses });
  });

  it("refuses every edit of an approved or started run, which then finishes as it would have", async (ctx) => {
    const action = gate({ summary: "dispatched" });
    const dispatch = behaviours.get("github.dispatchWorkflow")!;
    behaviours.set("github.dispatchWorkflow", action.behaviour);
    try {
      const runs = await Promise.all([
        planned("api", "prod", USERS.dave),
        planned("payments", "prod", USERS.dave),
        planned("api", "staging", USERS.dave),
        planned("api", "staging", USERS.dave),
      ]);
      for (const run of runs) await services[0]!.approve(run.id, USERS.alice, run.planHash);
      await action.entered;
      const edits = await Promise.allSettled(
        runs.flatMap((run) =>
          Array.from({ length: 12 }, (_, k) =>
            serviceFor(k).editPlan(run.id, { ...run.params, ref: `v${k}.0.0` }, { user: k % 3 ? USERS.dave : USERS.carol, source: "test" }),
          ),
        ),
      );
      action.open();
      await settled();
      const accepted = edits.filter((e) => e.status === "fulfilled").length;
      const codes = new Set(edits.flatMap((e) => (e.status === "rejected" ? [(e.reason as { code?: string }).code] : [])));
      expect(codes).toEqual(new Set(["POLICY_NOT_EDITABLE"]));
      const finished = await Promise.all(runs.map((r) => store.getRun(r.id)));
      expect(finished.map((r) => r?.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
      const audit = await auditRuns(store, [USERS.carol]);
      expect(audit.findings).toEqual([]);
      recordFaultTally(ctx, {
        bypasses: audit.bypasses + accepted,
        falseRecords: audit.falseRecords + finished.filter((r) => r?.status !== "succeeded").length,
      });
    } finally {
      action.open();
      behaviours.set("github.dispatchWorkflow", dispatch);
    }
  });
});
