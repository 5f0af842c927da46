import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAction, type Adapter } from "../../adapters/types.js";
import { AdapterError } from "../../src/errors.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { executeRun } from "../../src/executor/execute-run.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import { createRedactor } from "../../src/redact.js";
import { RunbookSchema } from "../../src/runbook/runbook-schema.js";
import type { Run } from "../../src/store/types.js";
import { exampleConfig } from "../support/fixtures.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

const calls: string[] = [];
let failAction: Error | undefined;
let hang = false;

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
  });

  async function run(credentials: Record<string, string> = { FAKE_TOKEN: "tok_123456" }) {
    const plan = buildPlan({ runbook, params: { env: "staging" } }, exampleConfig);
    await t.store.createRun({ plan, status: "queued", requestedBy: "U1", source: "test" });
    const claimed = (await t.store.claimNextRun("w1", 30_000)) as Run;
    const outcome = await executeRun(claimed, "w1", {
      store: t.store,
      actions: createActionLookup([fake]),
      credentials,
      redactor: createRedactor(Object.values(credentials)),
      log: pino({ level: "silent" }),
      cancelPollMs: 20,
      sleep: async () => {},
    });
    await t.store.finishRun(claimed.id, "w1", outcome);
    return { outcome, events: await t.store.listEvents(claimed.id), artifacts: await t.store.listArtifacts(claimed.id), runId: claimed.id };
  }

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
    const { outcome } = await run({});
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

  it("goes on past an optional evidence step it cannot run, saying why", async () => {
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
    expect(outcome.summary).toContain("needs-token unavailable: Missing setting: FAKE_TOKEN");
    const events = await t.store.listEvents(claimed.id);
    expect(events.find((e) => e.stepId === "needs-token")).toMatchObject({ kind: "step_skipped" });
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
});
