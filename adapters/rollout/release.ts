import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { intArg, optionalText } from "../shared/args.js";
import { durationSeconds } from "./stages.js";

/** A release stage as approved and driven (the store's ReleaseStage). */
export interface ReleaseStagePlan {
  name: string;
  title: string;
  env: string;
  runbook?: string | undefined;
  params?: Record<string, string | number | boolean | string[]> | undefined;
  steps?: Array<Record<string, unknown>> | undefined;
  /** What undoes `steps` when the stage fails. */
  rollback?: Array<Record<string, unknown>> | undefined;
  gates: Array<Record<string, unknown> & { name: string }>;
  waitSeconds: number;
}

/** What a stage changed, read before it changed it. */
export interface ChangeRecord {
  stage: number;
  kind: "deploy" | "flag";
  env: string;
  subject: string;
  before: Record<string, unknown>;
  at: string;
}

/** The store side of release plans (see RolloutScheduler). */
export interface ReleaseScheduler {
  /** Records the approved release run `runId`; refuses while the same release is live. */
  startRelease(input: { runId: string; release: string; stages: ReleaseStagePlan[] }): Promise<{ id: string; firstAt: Date }>;
  /** Records what a stage is about to change. */
  recordChange(rolloutId: string, change: ChangeRecord): Promise<void>;
  /** A past staged run by id: its name and what its stages changed. */
  changesOf(rolloutId: string): Promise<{ name: string; status: string; changes: ChangeRecord[] } | undefined>;
}

const releaseConfig = z
  .object({
    title: z.string().optional(),
    aliases: z.array(z.string()).default([]),
    stages: z.array(
      z
        .object({
          name: z.string(),
          title: z.string().optional(),
          env: z.string(),
          runbook: z.string().optional(),
          params: z.record(z.string(), z.unknown()).default({}),
          steps: z.array(z.record(z.string(), z.unknown())).default([]),
          rollback: z.array(z.record(z.string(), z.unknown())).default([]),
          gates: z.array(z.record(z.string(), z.unknown()).and(z.object({ name: z.string() }))).default([]),
          wait: z.string().optional(),
        })
        .loose(),
    ),
  })
  .loose();

const planArgs = z.strictObject({
  release: optionalText(),
  /** The config's `releases` ({{ releases }}). */
  releases: z.record(z.string(), releaseConfig).default({}),
  /** A past staged run whose recorded changes to reverse, instead of a configured release. */
  reverseOf: optionalText(),
});

const stageArg = z.array(z.record(z.string(), z.unknown()), { error: "must be the stages release.plan computed" });

const startArgs = z.strictObject({ release: z.string().min(1), stages: stageArg });

const recordArgs = z.strictObject({
  rollout: z.string().min(1),
  stage: intArg(1, 1000),
  env: z.string().min(1),
  kind: z.enum(["deploy", "flag"]),
  subject: z.string().min(1, "must name the service or flag"),
  before: z.unknown(),
});

/** "legacy migration" → "legacy-migration": how a release is named in chat and in the config. */
const slug = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-");

export function createReleaseActions(scheduler: Partial<ReleaseScheduler> | undefined, now: () => number): Record<string, AdapterAction> {
  const requireScheduler = (action: string): ReleaseScheduler => {
    const s = scheduler;
    if (s?.startRelease && s.recordChange && s.changesOf) return s as ReleaseScheduler;
    throw new AdapterError("rollout", action, "ROLLOUT_UNAVAILABLE", "opsroom's rollout schedule is not open in this process.");
  };
  return {
    planRelease: adapterAction("rollout", "planRelease", {
      description: "A release plan's stages (from the config, or the reverse of a past staged run) with their gates.",
      args: planArgs,
      risk: "read",
      async run(args) {
        const { name, stages } = args.reverseOf
          ? await reverseStages(requireScheduler("planRelease"), args.reverseOf)
          : configuredStages(args.release, args.releases);
        const lines = stages.map(
          (s, i) => `${i + 1}. ${s.title} (${s.env})${s.gates.length ? ` — gates: ${s.gates.map((g) => g.name).join(", ")}` : ""}`,
        );
        return {
          summary: `${name}: ${stages.length} stage${stages.length === 1 ? "" : "s"} — ${stages.map((s) => s.title).join(" → ")}; each stage's gates after its change, a failed gate stops the release`,
          data: { name, stages },
          artifacts: [{ kind: "text", title: `Stages of ${name}`, content: lines.join("\n") }],
        };
      },
    }),
    startRelease: adapterAction("rollout", "startRelease", {
      description: "Record the approved release plan's schedule; its first stage starts at once.",
      args: startArgs,
      risk: "write",
      dryRun(args) {
        return { calls: [], summary: `would schedule the ${args.stages.length} stages of ${args.release}` };
      },
      async run(args, ctx) {
        const { id, firstAt } = await requireScheduler("startRelease").startRelease({
          runId: ctx.runId,
          release: args.release,
          stages: args.stages as unknown as ReleaseStagePlan[],
        });
        const when = firstAt.getTime() <= now() ? "now" : `at ${firstAt.toISOString()}`;
        return {
          summary: `release ${id.slice(0, 8)} of ${args.release} scheduled: ${args.stages.length} stages; first stage ${when}`,
          data: { rolloutId: id, firstAt: firstAt.toISOString() },
        };
      },
    }),
    recordChange: adapterAction("rollout", "recordChange", {
      description: "Record what a stage is about to change (read just before), so its rollback plan is the exact reverse.",
      args: recordArgs,
      risk: "read",
      async run(args) {
        const before = (args.before && typeof args.before === "object" ? args.before : {}) as Record<string, unknown>;
        if (args.kind === "deploy" && !deployedRef(before)) {
          throw new AdapterError(
            "rollout",
            "recordChange",
            "RELEASE_NO_PREVIOUS",
            `cannot tell what release of ${args.subject} is live in ${args.env}, so there would be no way back; the stage does not deploy.`,
          );
        }
        await requireScheduler("recordChange").recordChange(args.rollout, {
          stage: args.stage,
          kind: args.kind,
          env: args.env,
          subject: args.subject,
          before,
          at: new Date(now()).toISOString(),
        });
        const what =
          args.kind === "deploy"
            ? `${args.subject} in ${args.env} runs ${deployedRef(before)}`
            : `${args.subject} in ${args.env} is ${JSON.stringify(before)}`;
        return { summary: `recorded before stage ${args.stage}: ${what}`, data: { before } };
      },
    }),
  };
}

/** The exact ref to go back to: the SHA when known, else the version or the ref. */
export function deployedRef(before: Record<string, unknown>): string | undefined {
  for (const key of ["sha", "version", "ref"]) {
    const v = before[key];
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  return undefined;
}

function configuredStages(wanted: string | undefined, releases: Record<string, z.output<typeof releaseConfig>>) {
  const names = Object.keys(releases);
  if (names.length === 0) {
    throw new AdapterError("rollout", "planRelease", "RELEASE_NONE", "no release plan is configured (config `releases`).", {
      hint: "Add one under `releases:` in the config; the example config has the legacy migration release.",
    });
  }
  const name = wanted
    ? names.find((n) => slug(n) === slug(wanted) || (releases[n]!.aliases ?? []).some((a) => slug(a) === slug(wanted)))
    : names.length === 1
      ? names[0]
      : undefined;
  if (!name) {
    throw new AdapterError(
      "rollout",
      "planRelease",
      "RELEASE_UNKNOWN",
      wanted
        ? `there is no release plan "${wanted}" (configured: ${names.join(", ")}).`
        : `which release plan? Configured: ${names.join(", ")}.`,
    );
  }
  const stages: ReleaseStagePlan[] = releases[name]!.stages.map((s) => ({
    name: s.name,
    title: s.title ?? s.name,
    env: s.env,
    ...(s.runbook ? { runbook: s.runbook, params: s.params as ReleaseStagePlan["params"] } : { steps: s.steps, rollback: s.rollback }),
    gates: s.gates,
    waitSeconds: s.wait ? durationSeconds(s.wait) : 0,
  }));
  return { name, stages };
}

/** The reverse of what a past staged run changed, last change first: deploys back, flags restored. */
async function reverseStages(scheduler: ReleaseScheduler, rolloutId: string) {
  const past = await scheduler.changesOf(rolloutId);
  if (!past) throw new AdapterError("rollout", "planRelease", "RELEASE_UNKNOWN", `there is no staged run ${rolloutId.slice(0, 8)}.`);
  if (past.changes.length === 0) {
    throw new AdapterError(
      "rollout",
      "planRelease",
      "RELEASE_NOTHING_RECORDED",
      `${past.name} recorded no change to reverse (no stage deployed or changed a flag).`,
    );
  }
  const stages: ReleaseStagePlan[] = [...past.changes]
    .sort((a, b) => b.stage - a.stage)
    .map((c): ReleaseStagePlan => {
      if (c.kind === "deploy") {
        const ref = deployedRef(c.before)!;
        return {
          name: `undo-${c.stage}-deploy`,
          title: `${c.subject} in ${c.env} back to ${ref} (stage ${c.stage})`,
          env: c.env,
          runbook: "deploy",
          params: { service: c.subject, env: c.env, ref },
          gates: [],
          waitSeconds: 0,
        };
      }
      const b = c.before as { enabled?: boolean; rolloutPercentage?: number; cohorts?: string[] };
      return {
        name: `undo-${c.stage}-flag`,
        title: `${c.subject} in ${c.env} back to ${b.enabled ? `${b.rolloutPercentage ?? 100}%` : "off"} (stage ${c.stage})`,
        env: c.env,
        runbook: "flag",
        params: {
          flag: c.subject,
          env: c.env,
          action: b.enabled ? "rollout" : "disable",
          percent: b.rolloutPercentage ?? 0,
          cohorts: b.cohorts ?? [],
        },
        gates: [],
        waitSeconds: 0,
      };
    });
  return { name: `${past.name}-reverse`, stages };
}
