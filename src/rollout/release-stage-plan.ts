import type { ConfigFile } from "../config/config-schema.js";
import { InputError } from "../errors.js";
import type { ParamValue } from "../parser/intent.js";
import { buildPlan, resolveTarget } from "../planner/build-plan.js";
import type { Plan } from "../planner/plan.js";
import type { Runbook, RunbookStep } from "../runbook/runbook-schema.js";
import type { ReleaseGate, ReleaseStage, Rollout } from "../store/rollouts.js";

/** A gate step's id starts with this (the driver shows each one's last result). */
const GATE = "gate-";

/**
 * The plan of one release stage, as the driver queues it: the stage's runbook (or its own steps), with
 *  - first in its preflight, the gates of the stage before it, re-checked (`gate-recheck-<name>`): a release
 *    resumed after a pause or a restart goes on only if what the last stage left is still fine;
 *  - last in its preflight, a record of what the stage is about to change (the live release before a
 *    deploy, the flag before a flag change), so "roll back the X rollout" plans the exact reverse;
 *  - after its verify phase, its own gates (`gate-<name>`): a failed gate fails the stage run, which runs
 *    the runbook's rollback (a deploy goes back, a flag is restored) and stops the release with the evidence.
 */
export function releaseStagePlan(rollout: Rollout, runbooks: readonly Runbook[], config: ConfigFile, now: Date): Plan {
  const index = rollout.stage;
  const stage = rollout.stages[index] as ReleaseStage;
  const previous = index > 0 ? (rollout.stages[index - 1] as ReleaseStage) : undefined;
  const release = config.releases[rollout.flag];
  const owner = release?.owner;
  const base = stage.runbook ? runbooks.find((r) => r.id === stage.runbook) : ownSteps(stage, rollout);
  if (!base) {
    throw new InputError(
      "PLAN_UNKNOWN_RUNBOOK",
      `Stage ${index + 1} (${stage.title}) runs the "${stage.runbook}" runbook, which is not loaded.`,
    );
  }
  const params: Record<string, ParamValue> = { env: stage.env, ...(stage.params ?? {}) };
  const times = {
    "rollout.startedAt": rollout.createdAt.toISOString(),
    "release.startedAt": rollout.createdAt.toISOString(),
  };
  // A SQL gate asks the database of its stage's environment (a re-checked gate: the stage before's).
  const databaseOf = (s: ReleaseStage) =>
    resolveTarget(config, s.env, typeof s.params?.service === "string" ? s.params.service : undefined).databaseUrlEnv;
  const recheck = previous
    ? previous.gates.map((g) =>
        gateStep(g, `${GATE}recheck-${g.name}`, `Gate (re-checked): ${g.name}, left by ${previous.title}`, databaseOf(previous), {
          ...times,
          "stage.startedAt": (rollout.stageStartedAt ?? rollout.createdAt).toISOString(),
        }),
      )
    : [];
  const gates = stage.gates.map((g) =>
    gateStep(g, `${GATE}${g.name}`, `Gate: ${g.name}`, databaseOf(stage), { ...times, "stage.startedAt": now.toISOString() }),
  );
  const record = recordStep(base.id, rollout, params);
  const runbook: Runbook = {
    ...base,
    title: `${release?.title ?? rollout.flag}: ${stage.title}`,
    ...(owner ? { escalation: owner } : {}),
    phases: {
      ...base.phases,
      preflight: [...recheck, ...base.phases.preflight, ...(record ? [record] : [])],
      verify: [...base.phases.verify, ...gates],
    },
  };
  const plan = buildPlan({ runbook, params }, config);
  // Its bookkeeping rides on the params shown on its card: which release, which stage of how many.
  return { ...plan, params: { ...plan.params, stage: index + 1, stages: rollout.stages.length, rollout: rollout.id } };
}

/** A stage with steps of its own: a runbook of those steps and their rollback. */
function ownSteps(stage: ReleaseStage, rollout: Rollout): Runbook {
  return {
    id: "release-stage",
    title: stage.title,
    description: "",
    owner: "platform",
    escalation: "@oncall-platform",
    risk: "write",
    triggers: { verbs: ["run release stage"], phrases: [], keywords: [] },
    examples: [],
    params: { env: { type: "env", required: true, description: "", cues: [] } },
    lockKey: `release:${rollout.flag}`,
    timeoutSeconds: 3600,
    phases: { validate: [], preflight: [], action: (stage.steps ?? []) as RunbookStep[], verify: [], summarize: [] },
    rollback: (stage.rollback ?? []) as RunbookStep[],
  };
}

function gateStep(
  gate: ReleaseGate,
  id: string,
  description: string,
  databaseUrlEnv: string | undefined,
  vars: Record<string, string>,
): RunbookStep {
  const common = { id, description, continueOnError: false, timeoutSeconds: 60 };
  if ("url" in gate) {
    return { ...common, uses: "http.check", with: { name: gate.name, url: raw(gate.url), expectBody: raw(gate.expectBody ?? "") } };
  }
  return {
    ...common,
    uses: "postgres.gate",
    with: {
      name: gate.name,
      // Kept verbatim: its {{ stage.startedAt }} placeholders are bound as parameters by the gate itself.
      sql: raw(gate.sql),
      databaseUrlEnv: gate.databaseUrlEnv ?? databaseUrlEnv ?? "",
      timeoutSeconds: gate.timeoutSeconds,
      vars,
    },
  };
}

/** What the stage changes, read by the runbook's own preflight: the live release of a deploy, a flag's value. */
function recordStep(runbook: string, rollout: Rollout, params: Record<string, ParamValue>): RunbookStep | undefined {
  const common = { id: "record-before", uses: "rollout.recordChange", continueOnError: false };
  const at = { rollout: rollout.id, stage: rollout.stage + 1, env: String(params.env) };
  if (runbook === "deploy") {
    return {
      ...common,
      description: "Record what is live before the deploy (the way back)",
      with: {
        ...at,
        kind: "deploy",
        subject: String(params.service ?? ""),
        before: "{{ steps.deployed.data | default: steps['vercel-deployed'].data | default: steps['shell-status'].data }}",
      },
    };
  }
  if (runbook === "flag") {
    return {
      ...common,
      description: "Record the flag before the change (the way back)",
      with: { ...at, kind: "flag", subject: String(params.flag ?? ""), before: "{{ steps.current.data }}" },
    };
  }
  return undefined;
}

/** Liquid text that renders to itself, whatever braces it holds. */
function raw(text: string): string {
  return text.includes("{{") || text.includes("{%") ? `{% raw %}${text}{% endraw %}` : text;
}
