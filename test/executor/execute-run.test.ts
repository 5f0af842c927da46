import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { AdapterFailure } from "../../adapters/shared/errors.js";
import { defineAction, type Adapter } from "../../adapters/types.js";
import { AdapterError, StoreUnavailableError } from "../../src/errors.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { executeRun, type ExecutorDeps } from "../../src/executor/execute-run.js";
import { RunInterrupted, startWorker } from "../../src/executor/worker.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import type { Plan } from "../../src/planner/plan.js";
import { createRedactor } from "../../src/redact.js";
import { RunbookSchema } from "../../src/runbook/runbook-schema.js";
import type { Store } from "../../src/store/store.js";
import type { Run, RunEvent } from "../../src/store/types.js";
import { waitFor } from "../engine/engine-support.js";
import { exampleConfig } from "../support/fixtures.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

const calls: string[] = [];
let failAction: Error | undefined;
let hang = false;
/** Called when the write action has done its work, before it returns (the database can go away here). */
let afterWrite: (() => void) | undefined;

const fake: Adapter = {
  id: "fake",
  description: "test double",
  actions: {
    read: defineAction({
      description: "reads",
      args: z.object({ what: z.string() }),
      risk: "read",
      async run(args) {
        calls.push(`read:${args.what}`);
        return {
          summary: `read ${args.what}`,
          data: { version: "v1" },
          artifacts: [{ kind: "text", title: "log", content: "line\n".repeat(10_000) }],
        };
      },
    }),
    write: defineAction({
      description: "writes",
      args: z.object({ version: z.string() }),
      risk: "write",
      credentials: [{ name: "FAKE_TOKEN", description: "token for the fake provider" }],
      async run(args, ctx) {
        calls.push(`write:${args.version}`);
        if (hang) await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
        if (failAction) throw failAction;
        afterWrite?.();
        return { summary: `wrote ${args.version}` };
      },
    }),
  },
};

const runbook = RunbookSchema.parse({
  id: "fake-deploy",
  title: "Fake deploy",
  owner: "platform",
  escalation: "@oncall-platform",
  risk: "write",
  triggers: { verbs: ["fake"] },
  params: { env: { type: "env", required: true } },
  phases: {
    validate: [{ id: "look", uses: "fake.read", with: { what: "{{ params.env }}" } }],
    action: [{ id: "ship", uses: "fake.write", with: { version: "{{ steps.look.data.version }}" }, timeoutSeconds: 1 }],
  },
  rollback: [{ id: "undo", uses: "fake.read", with: { what: "previous" } }],
});

describe("executeRun", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore("pglite");
  });
  afterAll(() => t.dispose());
  beforeEach(() => {
    calls.length = 0;
    failAction = undefined;
    hang = false;
    afterWrite = undefined;
  });

  interface RunOptions {
    credentials?: Record<string, string>;
    plan?: Plan;
    /** Runs beside the executor once the run is claimed. */
    during?: (runId: string, signal: AbortController) => Promise<void>;
    deps?: Partial<ExecutorDeps>;
  }

  async function run(options: RunOptions = {}) {
    const credentials = options.credentials ?? { FAKE_TOKEN: "tok_123456" };
    const plan = options.plan ?? buildPlan({ runbook, params: { env: "staging" } }, exampleConfig);
    await t.store.createRun({ plan, status: "queued", requestedBy: "U1", source: "test" });
    const claimed = (await t.store.claimNextRun("w1", 30_000)) as Run;
    const workerSignal = new AbortController();
    const executing = executeRun(
      claimed,
      "w1",
      {
        store: t.store,
        actions: createActionLookup([fake]),
        credentials,
        redactor: createRedactor(Object.values(credentials)),
        log: pino({ level: "silent" }),
        cancelPollMs: 20,
        sleep: async () => {},
        ...options.deps,
      },
      workerSignal.signal,
    );
    await options.during?.(claimed.id, workerSignal);
    const outcome = await executing;
    await t.store.finishRun(claimed.id, "w1", outcome);
    return {
      outcome,
      events: await t.store.listEvents(claimed.id),
      artifacts: await t.store.listArtifacts(claimed.id),
      run: (await t.store.getRun(claimed.id))!,
    };
  }

  /** The plan with a step that may hang for a while (the runbook gives it 1 s). */
  const slowShipPlan = () => {
    const plan = buildPlan({ runbook, params: { env: "staging" } }, exampleConfig);
    plan.steps.find((s) => s.id === "ship")!.timeoutSeconds = 120;
    return plan;
  };
  const untilStarted = (runId: string, stepId: string) =>
    waitFor(
      async () => (await t.store.listEvents(runId)).some((e) => e.kind === "step_started" && e.stepId === stepId),
      `${stepId} to start`,
    );

  it("works through the five phases, feeding step outputs to later steps", async () => {
    const { outcome, events, artifacts } = await run();
    expect(outcome.status).toBe("succeeded");
    expect(calls).toEqual(["read:staging", "write:v1"]);
    expect(events.filter((e) => e.kind === "phase_started").map((e) => e.phase)).toEqual([
      "validate",
      "preflight",
      "action",
      "verify",
      "summarize",
    ]);
    expect(artifacts.map((a) => a.kind)).toEqual(["text", "summary"]);
    expect(artifacts[0]?.content).toHaveLength(50_000);
  });

  it("fails validate naming the missing setting, before calling anything", async () => {
    const { outcome } = await run({ credentials: {} });
    expect(outcome).toMatchObject({ status: "failed", failedStep: "credentials" });
    expect(outcome.status === "failed" && outcome.error).toContain("FAKE_TOKEN (token for the fake provider");
    expect(calls).toEqual([]);
  });

  it("rolls back when the action fails and names the step, reason and owner", async () => {
    failAction = new AdapterError("fake", "write", "FAKE_CONFLICT", "The provider refused: version v1 already exists.");
    const { outcome, events } = await run();
    expect(outcome).toMatchObject({ status: "failed", failedStep: "ship", error: "The provider refused: version v1 already exists." });
    expect(calls).toEqual(["read:staging", "write:v1", "read:previous"]);
    expect(outcome.summary).toContain("Rolled back: undo");
    expect(outcome.summary).toContain("Owner: platform · Escalation: @oncall-platform");
    expect(events.map((e) => e.kind)).toContain("rollback_finished");
  });

  it("ends a step that runs past its timeout", async () => {
    hang = true;
    const { outcome } = await run();
    expect(outcome).toMatchObject({ status: "failed", failedStep: "ship" });
    expect(outcome.status === "failed" && outcome.error).toContain("did not finish within 1 s");
  });

  it("stops a run that outlives the runbook's own time limit, and rolls back", async () => {
    hang = true;
    const quick = RunbookSchema.parse({
      ...runbook,
      timeoutSeconds: 0.3,
      phases: { ...runbook.phases, action: [{ id: "ship", uses: "fake.write", with: { version: "v2" }, timeoutSeconds: 60 }] },
    });
    const plan = buildPlan({ runbook: quick, params: { env: "staging" } }, exampleConfig);
    await t.store.createRun({ plan, status: "queued", requestedBy: "U1", source: "test" });
    const claimed = (await t.store.claimNextRun("w1", 30_000)) as Run;
    const outcome = await executeRun(claimed, "w1", {
      store: t.store,
      actions: createActionLookup([fake]),
      credentials: { FAKE_TOKEN: "tok_123456" },
      redactor: createRedactor([]),
      log: pino({ level: "silent" }),
      sleep: async () => {},
    });
    expect(outcome).toMatchObject({ status: "failed", failedStep: "timeout" });
    expect(outcome.summary).toContain("ran past its 0.3 s limit");
    expect(outcome.summary).toContain("Rolled back: undo");
  });

  it("goes on past an optional evidence step it cannot run, saying it was not checked and what to set", async () => {
    const triage = RunbookSchema.parse({
      id: "fake-triage",
      title: "Fake triage",
      owner: "sre",
      escalation: "#incidents",
      risk: "read",
      triggers: { verbs: ["triage"] },
      phases: {
        action: [
          { id: "needs-token", uses: "fake.write", with: { version: "v1" }, continueOnError: true },
          { id: "look", uses: "fake.read", with: { what: "health" }, continueOnError: true },
        ],
      },
    });
    const plan = buildPlan({ runbook: triage, params: {} }, exampleConfig);
    await t.store.createRun({ plan, status: "queued", requestedBy: "U1", source: "test" });
    const claimed = (await t.store.claimNextRun("w1", 30_000)) as Run;
    const outcome = await executeRun(claimed, "w1", {
      store: t.store,
      actions: createActionLookup([fake]),
      credentials: {},
      redactor: createRedactor([]),
      log: pino({ level: "silent" }),
      sleep: async () => {},
    });
    expect(outcome.status).toBe("succeeded");
    expect(calls).toEqual(["read:health"]);
    expect(outcome.summary).toContain("needs-token: not checked — set FAKE_TOKEN");
    const events = await t.store.listEvents(claimed.id);
    expect(events.find((e) => e.stepId === "needs-token")).toMatchObject({
      kind: "step_skipped",
      message: "not checked — set FAKE_TOKEN",
    });
  });

  it("refuses continueOnError in a runbook that changes things", () => {
    const result = RunbookSchema.safeParse({ ...runbook, phases: { action: [{ id: "x", uses: "fake.write", continueOnError: true }] } });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain("only read-only runbooks may continue past a failed step");
  });

  it("never records a credential value in events, artifacts or the summary", async () => {
    failAction = new Error("request failed with Authorization: Bearer tok_123456 and ghp_abcdefghijklmnopqrstuvwxyz1234");
    const { outcome, events, artifacts } = await run();
    const recorded = JSON.stringify({ outcome, events, artifacts });
    expect(recorded).not.toContain("tok_123456");
    expect(recorded).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz1234");
    expect(recorded).toContain("[REDACTED]");
  });

  it("keeps the output a failing step produced, with its step, redacted", async () => {
    failAction = new AdapterFailure("fake", "write", "FAKE_EXIT", "deploy.sh exited with code 2.", {
      artifacts: [
        {
          kind: "text",
          title: "Output of deploy.sh",
          filename: "output.log",
          content: "migrating with tok_123456\nerror: users is locked\n",
        },
      ],
    });
    const { outcome, events, artifacts } = await run();
    expect(outcome).toMatchObject({ status: "failed", failedStep: "ship" });
    expect(artifacts.filter((a) => a.stepId === "ship").map((a) => [a.title, a.filename, a.content])).toEqual([
      ["Output of deploy.sh", "output.log", "migrating with [REDACTED]\nerror: users is locked\n"],
    ]);
    expect(events.find((e) => e.kind === "step_failed" && e.stepId === "ship")?.data).toMatchObject({ artifacts: 1 });
  });

  it("rolls back a run cancelled during its action phase, and the summary names who cancelled", async () => {
    hang = true;
    const {
      outcome,
      events,
      run: cancelled,
    } = await run({
      plan: slowShipPlan(),
      during: async (runId) => {
        await untilStarted(runId, "ship");
        await t.store.requestCancel(runId, "U9");
      },
    });
    expect(outcome.status).toBe("cancelled");
    expect(cancelled.status).toBe("cancelled");
    expect(calls).toEqual(["read:staging", "write:v1", "read:previous"]);
    expect(outcome.summary).toMatch(/^Fake deploy cancelled by U9 during action after [\d.]+ s\.\nRolled back: undo: read previous$/);
    expect(events.map((e) => e.kind).slice(-5)).toEqual([
      "rollback_started",
      "step_started",
      "step_succeeded",
      "rollback_finished",
      "run_cancelled",
    ]);
  });

  it("says plainly that nothing was rolled back when a cancelled runbook has no rollback steps", async () => {
    hang = true;
    const plan = slowShipPlan();
    plan.rollback = [];
    const { outcome } = await run({
      plan,
      during: async (runId) => {
        await untilStarted(runId, "ship");
        await t.store.requestCancel(runId, "U9");
      },
    });
    expect(outcome.summary).toMatch(
      /^Fake deploy cancelled by U9 during action after [\d.]+ s\.\nNothing was rolled back \(the runbook has no rollback steps\)\.$/,
    );
  });

  it("records a lost lease as what it is, not as a cancel, and rolls nothing back", async () => {
    hang = true;
    const { events, run: taken } = await run({
      plan: slowShipPlan(),
      during: async (runId, worker) => {
        await untilStarted(runId, "ship");
        // The reaper ended the run while this worker could not reach the database; it finds out.
        await t.db.query("UPDATE runs SET worker_id = 'w2' WHERE id = $1", [runId]);
        worker.abort(new RunInterrupted("lease_lost"));
      },
    });
    const kinds = events.map((e) => e.kind);
    expect(kinds).not.toContain("run_cancelled");
    expect(kinds).not.toContain("rollback_started");
    expect(calls).toEqual(["read:staging", "write:v1"]);
    expect(events.at(-1)).toMatchObject({ kind: "lease_lost", stepId: "ship" });
    expect(events.at(-1)?.message).toBe(
      "Worker w1 lost this run's lease during action (it could not reach the database in time), so the run was ended or taken over elsewhere; it stopped its own attempt. Its last step that changes things, ship (fake.write), was stopped while running.",
    );
    expect(taken).toMatchObject({ status: "running", workerId: "w2" });
  });

  it("a worker whose heartbeat finds the run taken over stops it and records a lost lease, not a cancel", async () => {
    hang = true;
    const { run: created } = await t.store.createRun({ plan: slowShipPlan(), status: "queued", requestedBy: "U1", source: "test" });
    const deps = {
      store: t.store,
      actions: createActionLookup([fake]),
      credentials: { FAKE_TOKEN: "tok_123456" },
      redactor: createRedactor([]),
      log: pino({ level: "silent" }),
      sleep: async () => {},
    };
    const worker = await startWorker({
      store: t.store,
      log: deps.log,
      leaseMs: 900, // heartbeats every 300 ms
      reapEveryMs: 60_000,
      execute: (run, id, signal) => executeRun(run, id, deps, signal),
    });
    try {
      await untilStarted(created.id, "ship");
      // Reaped and claimed by another worker while this one could not reach the database.
      await t.db.query("UPDATE runs SET worker_id = 'w2' WHERE id = $1", [created.id]);
      await worker.idle();
    } finally {
      await worker.stop();
    }
    const events = await t.store.listEvents(created.id);
    expect(events.map((e) => e.kind)).not.toContain("run_cancelled");
    expect(events.at(-1)).toMatchObject({ kind: "lease_lost", stepId: "ship" });
    expect(await t.store.getRun(created.id)).toMatchObject({ status: "running", workerId: "w2" });
  });

  describe("when the database goes away after a step changed things", () => {
    const unavailable = () =>
      new StoreUnavailableError("STORE_UNAVAILABLE", "opsroom cannot reach its database right now, so nothing was started or changed.", {
        retryable: true,
      });
    /** The store, refusing every write while `down()` says so: what a cut connection looks like to the executor. */
    const flaky = (store: Store, down: () => boolean): Store => {
      const guard =
        <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
        (...args: A) =>
          down() ? Promise.reject(unavailable()) : fn(...args);
      return {
        ...store,
        appendEvent: guard(store.appendEvent),
        addArtifact: guard(store.addArtifact),
        markMutationStarted: guard(store.markMutationStarted),
        isCancelRequested: guard(store.isCancelRequested),
        getRun: guard(store.getRun),
      };
    };
    const said = (events: RunEvent[], text: string) => events.some((e) => e.message.includes(text));

    it("retries the step's records until they are stored, and the run goes on", async () => {
      let refusals = 0;
      afterWrite = () => (refusals = 3);
      const store = flaky(t.store, () => refusals-- > 0);
      const { outcome, events } = await run({ deps: { store, recordRetryMs: 60_000 } });
      expect(outcome.status, outcome.summary).toBe("succeeded");
      expect(events.find((e) => e.kind === "step_succeeded" && e.stepId === "ship")?.message).toBe("wrote v1");
      expect(calls).toEqual(["read:staging", "write:v1"]);
      expect(said(events, "nothing was started")).toBe(false);
    });

    it("ends as outcome unknown, naming the step and what it reported, and never rolls back", async () => {
      let down = false;
      afterWrite = () => (down = true);
      const { outcome, events } = await run({ deps: { store: flaky(t.store, () => down), recordRetryMs: 300 } });
      expect(outcome).toMatchObject({ status: "failed", outcomeUnknown: true, failedStep: "ship" });
      expect(outcome.summary).toMatch(
        /^Fake deploy \(staging\): outcome unknown — check what ship changed in staging before running it again\.\n/,
      );
      expect(outcome.summary).toContain("Step `ship` (fake.write) ran and reported: wrote v1. Then opsroom could not record");
      expect(outcome.summary).toContain("nothing was rolled back");
      expect(outcome.summary).not.toContain("nothing was started");
      expect(calls).toEqual(["read:staging", "write:v1"]);
      expect(events.map((e) => e.kind)).not.toContain("rollback_started");
    });
  });
});
