import { Cron } from "croner";
import { z } from "zod";

/**
 * A watch from the config file: a read-only request (or one of opsroom's own tables) read on a cadence;
 * the channel hears only about changes.
 *
 * @example { request: "check prod status", every: "5 minutes", channel: "ops", owner: "@oncall-platform", confirm: 2, quietMinutes: 30 }
 */
export const WatchSchema = z
  .object({
    description: z.string().optional(),
    request: z.string().min(1).optional().describe('a read-only request, typed as in chat: "check prod status", "ops board in prod"'),
    reads: z
      .enum(["worker-heartbeats", "stuck-approvals"])
      .optional()
      .describe("one of opsroom's own tables instead of a request: workers' heartbeats, runs waiting for approval past their expiry"),
    every: z
      .string()
      .regex(/^(\d+\s*)?(minutes?|hours?)$/, 'must be like "5 minutes" or "1 hour"')
      .optional(),
    cron: z
      .string()
      .refine((pattern) => isCron(pattern), "must be a cron pattern of five fields, e.g. */5 * * * *")
      .optional(),
    channel: z.string().min(1).describe("Slack channel (id, or name without #) the alerts go to"),
    owner: z.string().optional().describe("who is mentioned when what changed names no owner of its own"),
    follow: z
      .array(z.string().min(1))
      .default([])
      .describe("board items or sections to follow (names, or flag / feed / deploy); all when empty"),
    confirm: z.number().int().min(1).max(20).default(2).describe("consecutive readings before a change counts"),
    quietMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(30)
      .describe("least time between two alerts about one item"),
  })
  .strict()
  .superRefine((watch, ctx) => {
    if (!watch.request === !watch.reads)
      ctx.addIssue({ code: "custom", path: ["request"], message: "set exactly one of request or reads" });
    if (!watch.every === !watch.cron) ctx.addIssue({ code: "custom", path: ["every"], message: "set exactly one of every or cron" });
  });

/** How often the scheduler looks, how late an occurrence may still run, and the silence button's length. */
export const SchedulerSchema = z
  .object({
    checkEverySeconds: z.number().int().min(1).max(300).default(15),
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(120)
      .describe("an occurrence later than this (opsroom was down) is skipped and reported"),
    silenceMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
  })
  .strict();

export type WatchConfig = z.output<typeof WatchSchema>;
export type SchedulerConfig = z.output<typeof SchedulerSchema>;

function isCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true, mode: "5-part" });
    return true;
  } catch {
    return false;
  }
}
