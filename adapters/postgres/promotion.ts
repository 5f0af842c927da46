import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { listArg, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import type { MigrationFileRun, MigrationHistory as MigrationHistoryStore } from "../../src/store/migration-history.js";
import { readMigrations, type MigrationFile } from "./migration-files.js";

// One migration file's part in one migrate attempt on one environment, and where those are kept: opsroom's
// store (migration 023), which the composition root passes in. The shapes are the store's own.
export type { MigrationFileRun, MigrationHistoryStore };

export const promotionArgs = z.strictObject({
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** The environment whose successful runs prod's files need (environments.<env>.settings.promotesFrom); none: no check. */
  promotesFrom: optionalText(),
  migrationsDir: z.string({ error: "must be the folder of *.sql migrations" }).min(1, "must not be empty"),
  /** The files not yet applied to env (postgres.migrationStatus's `pending`). */
  pending: listArg(z.string().min(1), "must be the list of pending migration files, like {{ steps.pending.data.pending }}"),
});

const sha = (checksum: string) => checksum.slice(0, 8);

/** "10:02 UTC" today, "2026-01-06 10:02 UTC" before. */
function when(at: Date, now: number): string {
  const iso = at.toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? "" : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface FileVerdict {
  file: MigrationFile;
  /** The newest real (not dry) run of this exact file on promotesFrom. */
  upstream: MigrationFileRun | undefined;
  succeededUpstream: boolean;
  /** The newest run anywhere of the same name with another checksum: the file changed since. */
  editedSince: MigrationFileRun | undefined;
}

/**
 * For a migration plan's preflight: per pending file (by checksum), whether and how it ran on the
 * environment this one promotes from, whether it was edited since it ran somewhere, and how the last dry
 * run here went. A file that never succeeded there asks the approver for an override reason (it never
 * fails the step: the approvers decide, with it in sight and a reason on record).
 */
export function createPromotionCheck(baseDir: string, history: MigrationHistoryStore | undefined, clock: Clock): AdapterAction {
  return adapterAction("postgres", "promotion", {
    description:
      "Check each pending migration file against the environment it promotes from (by checksum), flag edited files, and show the last dry run.",
    args: promotionArgs,
    risk: "read",
    async run(args) {
      if (!history)
        throw new AdapterError(
          "postgres",
          "promotion",
          "MIGRATION_HISTORY_UNAVAILABLE",
          "opsroom's migration history is not open in this process.",
        );
      const { files } = await readMigrations(baseDir, args.migrationsDir, "promotion");
      const pending = files.filter((f) => args.pending.includes(f.name));
      const runs = await history.migrationFileRuns(pending.map((f) => f.name));
      const now = clock.now();
      const verdicts: FileVerdict[] = pending.map((file) => {
        const mine = runs.filter((r) => r.fileName === file.name);
        const upstream = args.promotesFrom
          ? mine.find((r) => r.env === args.promotesFrom && !r.dryRun && r.checksum === file.checksum)
          : undefined;
        const succeededUpstream = args.promotesFrom
          ? mine.some((r) => r.env === args.promotesFrom && !r.dryRun && r.checksum === file.checksum && r.outcome === "ok")
          : true;
        return { file, upstream, succeededUpstream, editedSince: mine.find((r) => r.checksum !== file.checksum) };
      });
      const lines = verdicts.map((v) => fileLine(v, args.promotesFrom, now));
      const notPromoted = verdicts.filter((v) => !v.succeededUpstream).map((v) => v.file.name);
      const edited = verdicts.filter((v) => v.editedSince).map((v) => v.file.name);
      const dryRun = await history.latestDryRun(args.env);
      const parts = [
        args.promotesFrom
          ? pending.length === 0
            ? `nothing pending to check against ${args.promotesFrom}`
            : notPromoted.length === 0
              ? `all ${pending.length} pending file${pending.length === 1 ? "" : "s"} succeeded on ${args.promotesFrom}`
              : `${notPromoted.length} of ${pending.length} pending file${pending.length === 1 ? "" : "s"} never succeeded on ${args.promotesFrom}: ${notPromoted.join(", ")}`
          : undefined,
        edited.length ? `⚠ edited since it ran: ${edited.join(", ")}` : undefined,
        dryRunLine(args.env, dryRun, pending, now),
      ].filter(Boolean);
      return {
        summary: parts.join("; "),
        data: {
          env: args.env,
          promotesFrom: args.promotesFrom ?? null,
          files: verdicts.map((v) => ({
            name: v.file.name,
            checksum: v.file.checksum,
            succeededUpstream: v.succeededUpstream,
            upstream: v.upstream ? { outcome: v.upstream.outcome, at: v.upstream.at.toISOString() } : null,
            edited: v.editedSince ? { env: v.editedSince.env, checksum: v.editedSince.checksum, at: v.editedSince.at.toISOString() } : null,
          })),
          notPromoted,
          edited,
          dryRun: dryRun.length
            ? {
                at: dryRun[0]!.at.toISOString(),
                ok: dryRun.every((r) => r.outcome === "ok"),
                files: dryRun.length,
                durationMs: dryRun[0]!.durationMs,
              }
            : null,
        },
        ...(lines.length
          ? { artifacts: [{ kind: "text" as const, title: `Pending migrations before ${args.env}`, content: lines.join("\n") }] }
          : {}),
        ...(notPromoted.length
          ? {
              override: `${notPromoted.length === 1 ? "a migration file" : `${notPromoted.length} migration files`} never succeeded on ${args.promotesFrom}: ${notPromoted.join(", ")}`,
            }
          : {}),
      };
    },
  });
}

function fileLine(v: FileVerdict, promotesFrom: string | undefined, now: number): string {
  const head = `${v.file.name} (${sha(v.file.checksum)})`;
  const upstream = !promotesFrom
    ? ""
    : v.succeededUpstream && v.upstream?.outcome === "ok"
      ? ` — ${promotesFrom}: ok at ${when(v.upstream.at, now)}`
      : v.upstream
        ? ` — ${promotesFrom}: ${v.upstream.outcome === "failed" ? "failed" : "rolled back"} at ${when(v.upstream.at, now)}${v.upstream.error ? ` (${v.upstream.error.slice(0, 200)})` : ""}; never succeeded`
        : ` — ${promotesFrom}: never run`;
  const edited = v.editedSince
    ? ` — ⚠ edited: ran on ${v.editedSince.env}${v.editedSince.dryRun ? " (dry run)" : ""} at ${when(v.editedSince.at, now)} as ${sha(v.editedSince.checksum)}`
    : "";
  return `${head}${upstream}${edited}`;
}

/** "dry-run on prod at 10:02 UTC: ok, 3 files, 1.2 s", and whether it tried these very files. */
function dryRunLine(env: string, dryRun: readonly MigrationFileRun[], pending: readonly MigrationFile[], now: number): string {
  if (dryRun.length === 0) return `no dry run on ${env} on record`;
  const first = dryRun[0]!;
  const failed = dryRun.find((r) => r.outcome === "failed");
  const outcome = failed ? `failed at ${failed.fileName}` : "ok";
  const tried = new Set(dryRun.map((r) => `${r.fileName}:${r.checksum}`));
  const untried = pending.filter((f) => !tried.has(`${f.name}:${f.checksum}`)).map((f) => f.name);
  const stale = untried.length ? ` (it did not try ${untried.join(", ")} as they are now)` : "";
  return `dry-run on ${env} at ${when(first.at, now)}: ${outcome}, ${dryRun.length} file${dryRun.length === 1 ? "" : "s"}, ${seconds(first.durationMs)}${stale}`;
}
