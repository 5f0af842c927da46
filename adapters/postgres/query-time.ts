import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { envNameArg } from "../shared/args.js";
import { sqlErrorText, withDatabase } from "./connect.js";

export const queryTimeArgs = z.strictObject({
  databaseUrlEnv: envNameArg,
  /** A query whose first column of the first row is a timestamp, e.g. SELECT max(updated_at) FROM feature_flags. */
  query: z.string({ error: "must be a SQL query returning a timestamp" }).min(1, "must not be empty"),
});

/**
 * A telemetry feed's "last modified" from a target database: one query in a READ ONLY transaction (so a
 * feed's query can never change anything), its first value read as a timestamp.
 */
export function createQueryTime(): AdapterAction {
  return adapterAction("postgres", "queryTime", {
    description: "Read a timestamp from a target database with a read-only query (a telemetry feed's last modified).",
    args: queryTimeArgs,
    risk: "read",
    credentialsFor: (args) => [
      { name: args.databaseUrlEnv, description: "the target database's connection URL (postgres://user:password@host:5432/db)" },
    ],
    async run(args, ctx) {
      return withDatabase(ctx, args.databaseUrlEnv, async (client, where) => {
        let value: unknown;
        try {
          await client.query("BEGIN READ ONLY");
          const { rows } = await client.query({ text: args.query, rowMode: "array" });
          value = (rows[0] as unknown[] | undefined)?.[0];
        } catch (err) {
          throw new AdapterError(
            "postgres",
            "queryTime",
            "POSTGRES_QUERY_FAILED",
            `${where}: ${ctx.scrub.text(sqlErrorText(err, args.query))}`,
            {
              hint: "The feed's query must be a read-only SELECT returning a timestamp.",
            },
          );
        } finally {
          await client.query("ROLLBACK").catch(() => undefined);
        }
        const at = value instanceof Date ? value : typeof value === "string" || typeof value === "number" ? new Date(value) : null;
        if (!at || Number.isNaN(at.getTime())) {
          throw new AdapterError(
            "postgres",
            "queryTime",
            "POSTGRES_NO_TIMESTAMP",
            value === null || value === undefined
              ? `${where}: the query returned no timestamp (no rows, or null).`
              : `${where}: the query returned ${JSON.stringify(String(value)).slice(0, 80)}, not a timestamp.`,
          );
        }
        const iso = at.toISOString();
        return { summary: `${where}: ${iso}`, data: { at: iso, value: iso, detail: where } };
      });
    },
  });
}
