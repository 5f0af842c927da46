import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShellAdapter } from "../../adapters/shell/index.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { executeRun } from "../../src/executor/execute-run.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import { createRedactor } from "../../src/redact.js";
import { RunbookSchema } from "../../src/runbook/runbook-schema.js";
import type { Run } from "../../src/store/types.js";
import { exampleConfig } from "../support/fixtures.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

const node = process.execPath;

/** A runbook whose action is one real shell step (no `env:`, as most are written) and whose rollback is another. */
function shellRunbook(script: string) {
  return RunbookSchema.parse({
    id: "shell-deploy",
    title: "Shell deploy",
    owner: "platform",
    escalation: "@oncall-platform",
    risk: "write",
    triggers: { verbs: ["ship"] },
    phases: { action: [{ id: "ship", uses: "shell.run", with: { command: [node, "-e", script] } }] },
    rollback: [{ id: "undo", uses: "shell.run", with: { command: [node, "-e", "console.log('undone')"] } }],
  });
}

describe("shell steps through the executor", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore("pglite");
  });
  afterAll(() => t.dispose());

  async function run(script: string) {
    const plan = buildPlan({ runbook: shellRunbook(script), params: {} }, exampleConfig);
    await t.store.createRun({ plan, status: "queued", requestedBy: "U1", source: "test" });
    const claimed = (await t.store.claimNextRun("w1", 30_000)) as Run;
    const outcome = await executeRun(claimed, "w1", {
      store: t.store,
      actions: createActionLookup([createShellAdapter({ baseEnv: { PATH: process.env.PATH, HOME: "/home/opsroom" } })]),
      credentials: {},
      redactor: createRedactor([]),
      log: pino({ level: "silent" }),
    });
    await t.store.finishRun(claimed.id, "w1", outcome);
    return { outcome, events: await t.store.listEvents(claimed.id), artifacts: await t.store.listArtifacts(claimed.id) };
  }

  it("runs a real command with the base environment and keeps its output", async () => {
    const { outcome, artifacts } = await run("console.log('HOME=' + process.env.HOME + ' PATH set: ' + !!process.env.PATH)");
    expect(outcome.status, outcome.summary).toBe("succeeded");
    expect(outcome.summary).toMatch(/• `\S+ -e .*` exited 0 in [\d.]+ m?s \(1 line of output\)/);
    expect(artifacts.find((a) => a.stepId === "ship")?.content).toBe("HOME=/home/opsroom PATH set: true\n");
  });
});
