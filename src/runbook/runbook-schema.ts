import { z } from "zod";

/**
 * The shape of a runbook file (runbooks/*.yml). The parser reads `triggers`, `examples` and `params`;
 * the planner renders `phases` and `rollback`; the executor runs them.
 *
 * @example
 * id: healthcheck
 * title: Health check
 * risk: read
 * triggers: { verbs: [check, status, health] }
 * params: { env: { type: env } }
 * phases: { action: [{ id: check, uses: http.check, with: { url: "{{ target.healthUrl }}" } }] }
 */
export const PHASES = ["validate", "preflight", "action", "verify", "summarize"] as const;
export type Phase = (typeof PHASES)[number];

export const PARAM_TYPES = ["string", "env", "service", "flag", "ref", "time", "integer", "percent", "boolean", "list", "enum"] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

const Id = z.string().regex(/^[a-z][a-z0-9-]*$/, "must be lowercase letters, digits and dashes");

export const ParamSchema = z
  .object({
    type: z.enum(PARAM_TYPES),
    required: z.boolean().default(false),
    description: z.string().default(""),
    enum: z.array(z.string()).optional().describe("allowed values (type enum)"),
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Words that introduce this param in a sentence ("to" for env, "from" for a source env). */
    cues: z.array(z.string()).default([]),
    /**
     * Other words people use for a value of an enum or boolean param, e.g. for a flag action
     * `{ enable: ["turn on", "switch on"], disable: ["turn off", "kill"] }` or for a boolean
     * `{ "true": ["dry run", "preview"], "false": ["for real"] }`. Read by the parser only.
     */
    synonyms: z.record(z.string(), z.array(z.string().min(1))).optional(),
    /**
     * What a list param holds: cohort names (the default), or people ("users"): app user ids, emails,
     * @names and Slack mentions as written ("for user 8f1a…", "add @dana to X"). Read by the parser only.
     */
    of: z.enum(["cohorts", "users"]).optional(),
  })
  .strict()
  .refine((p) => p.type !== "enum" || (p.enum?.length ?? 0) > 0, { message: "a param of type enum needs enum values", path: ["enum"] });

export const StepSchema = z
  .object({
    id: Id,
    uses: z.string().regex(/^[a-z][a-z0-9-]*\.[a-zA-Z][a-zA-Z0-9]*$/, "must be adapter.action, e.g. http.check"),
    description: z.string().optional(),
    with: z.record(z.string(), z.unknown()).default({}),
    /** A template that must render truthy for the step to run, e.g. "{{ params.ref }}". */
    if: z.string().optional(),
    /** What the run says when `if` turns out false at run time, e.g. "no suspect deploy to compare". */
    skipNote: z.string().min(1).optional(),
    /** Repeat the step for each item of a rendered list; the item is `{{ item }}`. */
    forEach: z.string().optional(),
    timeoutSeconds: z.number().positive().max(3600).optional(),
    retries: z.number().int().min(0).max(5).optional(),
    /**
     * For evidence-gathering steps of read-only runbooks (triage, ops board): when the step cannot run
     * (a missing credential) or fails, record why and go on, so one missing integration does not hide
     * everything else. Not allowed on steps of write runbooks.
     */
    continueOnError: z.boolean().default(false),
  })
  .strict();

export const RunbookSchema = z
  .object({
    $schema: z.string().optional(),
    id: Id,
    title: z.string().min(1),
    description: z.string().default(""),
    owner: z.string().min(1),
    escalation: z.string().min(1).describe("who to page when it fails: a Slack handle, group or channel"),
    risk: z.enum(["read", "write"]),
    /** For write runbooks: param values that make a run read-only (flag status, migrate dry run). */
    readOnlyWhen: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
    triggers: z
      .object({
        verbs: z.array(z.string().min(1)).min(1),
        phrases: z.array(z.string()).default([]),
        keywords: z.array(z.string()).default([]),
      })
      .strict(),
    examples: z.array(z.string()).default([]),
    params: z
      .record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/), ParamSchema)
      .default({})
      .describe(
        "What a request names, filled by the parser from the message. Four names also drive policy, whatever their type: " +
          "`env` selects the environment (it must be in the config; its approval rules apply, and in a `protected: true` " +
          "environment nobody approves their own request), `service` selects the service (it must be in the config; with " +
          "`env` it gives steps `target`, the service's settings in that environment), `flag` gives steps `flag`, the " +
          "config's entry for that feature flag, and `at` schedules the run for that time instead of starting it at once. " +
          "The lockKey usually renders `env` and `service`.",
      ),
    lockKey: z
      .string()
      .optional()
      .describe(
        'A template rendered per plan, e.g. "{{ params.service }}:{{ params.env }}": mutating runs with the same key run one at a time, oldest first.',
      ),
    timeoutSeconds: z
      .number()
      .positive()
      .max(24 * 3600)
      .default(900),
    phases: z
      .object(
        Object.fromEntries(PHASES.map((phase) => [phase, z.array(StepSchema).default([])])) as Record<
          Phase,
          z.ZodDefault<z.ZodArray<typeof StepSchema>>
        >,
      )
      .strict(),
    rollback: z.array(StepSchema).default([]),
  })
  .strict()
  .superRefine((runbook, ctx) => {
    const seen = new Set<string>();
    for (const phase of PHASES) {
      runbook.phases[phase].forEach((step, i) => {
        if (seen.has(step.id))
          ctx.addIssue({ code: "custom", path: ["phases", phase, i, "id"], message: `duplicate step id "${step.id}"` });
        seen.add(step.id);
      });
    }
    if (runbook.risk === "write") {
      for (const phase of PHASES) {
        runbook.phases[phase].forEach((step, i) => {
          if (step.continueOnError)
            ctx.addIssue({
              code: "custom",
              path: ["phases", phase, i, "continueOnError"],
              message: "only read-only runbooks may continue past a failed step",
            });
        });
      }
    }
    for (const [name, value] of Object.entries(runbook.readOnlyWhen ?? {})) {
      if (!(name in runbook.params))
        ctx.addIssue({ code: "custom", path: ["readOnlyWhen", name], message: `unknown param "${name}" (value ${String(value)})` });
    }
  });

export type Runbook = z.output<typeof RunbookSchema>;
export type RunbookParam = z.output<typeof ParamSchema>;
export type RunbookStep = z.output<typeof StepSchema>;
