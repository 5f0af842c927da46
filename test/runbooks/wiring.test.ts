/**
 * Every runbook, wired to the real adapters through the example config: each of its examples parses,
 * plans, and renders arguments the adapter accepts (those known before the run; the rest come from
 * earlier steps), and a dry run of each mutating plan calls nothing and describes its writes.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import { DEFAULT_CONFIG_PATH, loadConfigFile } from "../../src/config/load-config.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { parseText } from "../../src/parser/parse-text.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import type { Plan } from "../../src/planner/plan.js";
import { runbooks, useRunbookHarness } from "./harness.js";

const config = loadConfigFile(DEFAULT_CONFIG_PATH, { PORT: "8787" });
const actions = createActionLookup(createAdapters());
const silent = pino({ level: "silent" });
const ctx = { runbooks, catalog: buildCatalog(config), now: new Date("2026-01-07T12:00:00Z"), timeZone: config.timeZone };

/** Plans for every example of every runbook that has phases, plus the paths the examples miss. */
function examplePlans(): Array<{ text: string; plan: Plan }> {
  const out: Array<{ text: string; plan: Plan }> = [];
  for (const runbook of runbooks) {
    for (const text of runbook.examples) {
      const intent = parseText(text, ctx);
      if (intent.runbook !== runbook.id || intent.missing.length > 0) continue;
      out.push({ text, plan: buildPlan({ runbook, params: intent.params }, config) });
    }
  }
  const extra: Array<[string, Plan["params"]]> = [
    ["deploy", { service: "payments", env: "prod" }],
    ["deploy", { service: "worker", env: "staging" }],
    ["rollback", { service: "worker", env: "prod" }],
    ["rollback", { service: "payments", env: "staging" }],
    ["incident-triage", { env: "prod" }],
    // Staged rollouts: the parse of their examples is the parser's; a stage is queued by the driver, never asked for.
    ["rollout", { flag: "FSYNC_USE_RPC", env: "prod", stages: ["10", "50", "100"], every: "PT30M" }],
    [
      "rollout-stage",
      {
        flag: "homeDemoVariant",
        env: "prod",
        percent: 25,
        cohorts: ["ops"],
        stage: 2,
        stages: 4,
        rollout: "00000000-0000-4000-8000-0000000000aa",
        originalEnabled: false,
        originalPercent: 0,
        originalCohorts: ["ops", "demo"],
        startedAt: "2026-01-07T10:00:00Z",
        baselineSince: "2026-01-07T09:00:00Z",
      },
    ],
    // Planned by opsroom from a finished staged run ("roll back the X rollout"), not from a message.
    ["release-reverse", { reverseOf: "00000000-0000-4000-8000-0000000000bb" }],
  ];
  for (const [id, params] of extra)
    out.push({ text: `${id} ${JSON.stringify(params)}`, plan: buildPlan({ runbook: runbooks.find((r) => r.id === id)!, params }, config) });
  return out;
}

const plans = examplePlans();

/**
 * The settings checks and guards are pure, so they can run here: one that fails stops a real run before
 * anything else, with a message naming the setting (the example config leaves some services off some
 * paths, e.g. restart for a service not on DigitalOcean). Returns that message, if any.
 */
async function stoppedBy(plan: Plan): Promise<string | undefined> {
  for (const step of plan.steps.filter((s) => s.uses === "report.checkSettings" || s.uses === "report.guard")) {
    const message = await actions
      .find(step.uses)!
      .run(step.args, {
        log: silent,
        signal: new AbortController().signal,
        runId: "wiring",
        stepId: step.id,
        dryRun: false,
        credentials: {},
      })
      .then(
        () => undefined,
        (error: Error) => error.message,
      );
    if (message) return message;
  }
  return undefined;
}

describe("runbook wiring (example config)", () => {
  it("every runbook with phases has examples that plan", () => {
    const planned = new Set(plans.map((p) => p.plan.runbook));
    for (const r of runbooks.filter((r) => r.id !== "help")) expect(planned, r.id).toContain(r.id);
  });

  it.each(plans.map((p) => [p.text, p.plan] as const))(
    "%s: renders arguments its adapters accept, or stops first saying what is missing",
    async (_text, plan) => {
      const stopped = await stoppedBy(plan);
      if (stopped) {
        expect(stopped).toMatch(/needs the settings? \w+.*which (is|are) not in the config: set \w+\.|cannot be chosen|are the same/);
        return;
      }
      const problems: string[] = [];
      for (const step of [...plan.steps, ...plan.rollback]) {
        const action = actions.find(step.uses);
        if (!action) {
          problems.push(`${step.id}: no action ${step.uses}`);
          continue;
        }
        const parsed = action.args.safeParse(step.args);
        if (parsed.success) continue;
        // Args that come from earlier steps are still templates, and checks over the whole object may need them.
        const real = parsed.error.issues.filter((i) => {
          const field = String(i.path[0] ?? "");
          return field ? !step.lateArgs.includes(field) : step.lateArgs.length === 0;
        });
        if (real.length)
          problems.push(`${step.id} (${step.uses}): ${real.map((i) => `${i.path.join(".") || "args"}: ${i.message}`).join("; ")}`);
      }
      expect(problems).toEqual([]);
      // Every template a step keeps for run time refers to earlier steps only: params are all a run has then.
      for (const step of [...plan.steps, ...plan.rollback]) {
        for (const key of step.lateArgs)
          expect(JSON.stringify(step.args[key]), `${step.id}.${key}`).not.toMatch(
            /(?<![\w.])(target|env|service|flag|flags|services|environments|healthTargets)\.\w/,
          );
      }
    },
  );

  describe("dry runs", () => {
    const h = useRunbookHarness();
    it.each(plans.filter((p) => p.plan.mutating).map((p) => [p.text, p.plan] as const))(
      "%s: calls nothing and describes every write",
      async (_text, plan) => {
        const steps = await h.dryRun(plan);
        expect(steps).toHaveLength(plan.steps.length + plan.rollback.length);
        // A plan whose settings check fails has writes with missing args: the run stops before them.
        if (await stoppedBy(plan)) return;
        for (const step of steps.filter((s) => s.risk === "write")) {
          // Described by the adapter itself, or named as depending on earlier steps; postgres.migrate makes no HTTP calls.
          expect(step.requests.length > 0 || !!step.note || step.uses === "postgres.migrate", `${step.id}: ${step.note ?? ""}`).toBe(true);
          // The example config's migrationsDir (supabase/migrations) is the team's folder, not in this repo.
          if (step.uses !== "postgres.migrate") expect(step.note ?? "").not.toMatch(/^cannot describe/);
        }
      },
    );
  });
});
