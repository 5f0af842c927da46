import { z } from "zod";

const EnvName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "must be an environment variable name");
/** Ids become step ids ("file-feed-of-<id>") and chat words ("mark backfill done"): lowercase words with dashes. */
const ItemId = z.string().regex(/^[a-z][a-z0-9-]*$/, "must be lowercase letters, digits and dashes, like supabase-migrations");

/** The statuses a checklist step can have; `done` is a finished step (counts as healthy). */
export const CHECKLIST_STATUSES = ["healthy", "warning", "blocked", "done"] as const;
export type ChecklistStatus = (typeof CHECKLIST_STATUSES)[number];

/** How old a feed's newest reading may be: "30m", "36h", "14d", "2w". */
export const MaxAge = z
  .string()
  .regex(/^\d+\s*(m|h|d|w)$/, 'must be a number and a unit: m, h, d or w, like "36h" or "14d"')
  .describe("how old the newest reading may be before the feed is Warning");

/** Milliseconds of a MaxAge text. */
export function maxAgeMs(text: string): number {
  const match = /^(\d+)\s*(m|h|d|w)$/.exec(text.trim());
  if (!match) throw new Error(`not a max age: ${text}`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as "m" | "h" | "d" | "w"];
  return Number(match[1]) * unit;
}

/** One step of the cut-over checklist (seed: "Dual-write checklist"); chat changes its status, owner and notes. */
export const ChecklistStepSchema = z
  .object({
    id: ItemId,
    title: z.string().min(1),
    lane: z.string().min(1).describe("where the step happens, like Local, Convex or Supabase"),
    status: z.enum(CHECKLIST_STATUSES).default("blocked").describe("the status until someone changes it from chat"),
    owner: z.string().optional(),
    description: z.string().optional(),
    notes: z.string().optional(),
    /** The Phase-0 block whose verdict the step counts towards; "dual-write" by default. */
    block: z.string().min(1).default("dual-write"),
  })
  .strict();

const FeedCommon = {
  title: z.string().min(1),
  owner: z.string().optional(),
  notes: z.string().optional(),
  /** Absent: the feed has no staleness limit (only unreadable makes it Blocked). */
  maxAge: MaxAge.optional(),
  /** The Phase-0 block whose verdict the feed counts towards (migrations, seeds, schema, flags, …). */
  block: z.string().min(1),
};

/**
 * A telemetry feed: where its "last modified" time is read. A reading older than `maxAge` is Warning; a feed
 * that cannot be read is Blocked with the reason; one whose settings are missing is unknown, naming them.
 */
export const FeedSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("file"),
      ...FeedCommon,
      path: z.string().min(1).describe("a file or folder, relative to where opsroom runs; a folder's newest file counts"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("github"),
      ...FeedCommon,
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be owner/name"),
      path: z.string().min(1).describe("a file or folder in the repository; the last commit touching it counts"),
      ref: z.string().optional().describe("branch, tag or SHA; the default branch when absent"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("sql"),
      ...FeedCommon,
      databaseUrlEnv: EnvName,
      query: z.string().min(1).describe("a read-only query whose first column of the first row is a timestamp"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("http"),
      ...FeedCommon,
      url: z.url(),
      field: z.string().optional().describe("dotted path of the timestamp in the JSON body; the Last-Modified header when absent"),
      tokenEnv: EnvName.optional().describe("variable holding a bearer token for the request"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("deploy"),
      ...FeedCommon,
      service: z.string().min(1),
      env: z.string().min(1),
    })
    .strict(),
]);

/** The ops board (see README, "The ops board"): the cut-over checklist and the telemetry feeds. */
export const BoardSchema = z
  .object({
    /** The environments whose board shows the checklist and feeds (where the cutover happens); every env when absent. */
    envs: z.array(z.string().min(1)).optional(),
    checklist: z.array(ChecklistStepSchema).default([]),
    feeds: z.record(ItemId, FeedSchema).default({}),
  })
  .strict()
  .superRefine((board, ctx) => {
    const seen = new Set<string>();
    board.checklist.forEach((step, i) => {
      if (seen.has(step.id)) ctx.addIssue({ code: "custom", path: ["checklist", i, "id"], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
    });
  });

export type BoardConfig = z.output<typeof BoardSchema>;
export type ChecklistStepConfig = z.output<typeof ChecklistStepSchema>;
export type FeedConfig = z.output<typeof FeedSchema>;
