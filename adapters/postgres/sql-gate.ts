import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { envNameArg, intArg, optionalArg } from "../shared/args.js";
import { sqlErrorText, withDatabase } from "./connect.js";

/** How many of the rows that fail a gate are shown as its evidence. */
const EVIDENCE_ROWS = 5;

export const sqlGateArgs = z.strictObject({
  name: z.string({ error: "must be the gate's name" }).regex(/^[a-z][a-z0-9-]*$/, "must be lowercase letters, digits and dashes"),
  databaseUrlEnv: envNameArg,
  /** A SELECT that returns the rows that are wrong: no rows means the gate passes. */
  sql: z.string({ error: "must be a SQL query" }).min(1, "must not be empty"),
  /** Values for `{{ name }}` placeholders in the query ("stage.startedAt"), bound as parameters, never spliced. */
  vars: optionalArg(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  timeoutSeconds: optionalArg(intArg(1, 300)),
});

/**
 * A custom gate over a target database. **Rule: the gate passes when its query returns no rows**; each
 * row it returns is something wrong ("a user_migrations row with status failed since the stage started",
 * "a casfolio_* table that still has rows"), and the first rows are the evidence of a failed gate.
 *
 * The query runs inside a READ ONLY transaction with a statement timeout, always rolled back, and is
 * wrapped as a subquery (so it must be one SELECT: a second statement or a data-changing CTE is refused by
 * the server). `{{ stage.startedAt }}`-style placeholders become bind parameters from `vars`.
 */
export function createSqlGate(): AdapterAction {
  return adapterAction("postgres", "gate", {
    description: "A gate over a target database: passes when the read-only query returns no rows; the rows it returns are the evidence.",
    args: sqlGateArgs,
    risk: "read",
    credentialsFor: (args) => [
      { name: args.databaseUrlEnv, description: "the target database's connection URL (postgres://user:password@host:5432/db)" },
    ],
    async run(args, ctx) {
      const { text, values } = bindPlaceholders(args.sql, args.vars ?? {});
      const timeoutMs = (args.timeoutSeconds ?? 15) * 1000;
      return withDatabase(ctx, args.databaseUrlEnv, async (client, where) => {
        let rows: Record<string, unknown>[];
        try {
          await client.query("BEGIN READ ONLY");
          await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
          // One more row than is shown says "and more" without reading the whole result.
          ({ rows } = await client.query({
            text: `SELECT * FROM (\n${text}\n) AS gate_rows LIMIT ${EVIDENCE_ROWS + 1}`,
            values,
          }));
        } catch (err) {
          const timedOut = (err as { code?: string }).code === "57014";
          throw new AdapterError(
            "postgres",
            "gate",
            timedOut ? "POSTGRES_GATE_TIMEOUT" : "POSTGRES_QUERY_FAILED",
            timedOut
              ? `gate ${args.name}: the query ran past its ${args.timeoutSeconds ?? 15} s limit on ${where}, so the gate fails.`
              : `gate ${args.name} on ${where}: ${ctx.scrub.text(sqlErrorText(err))}`,
            { hint: "A SQL gate is one read-only SELECT returning the rows that are wrong (none: the gate passes)." },
          );
        } finally {
          await client.query("ROLLBACK").catch(() => undefined);
        }
        if (rows.length > 0) {
          const shown = rows.slice(0, EVIDENCE_ROWS).map(rowText);
          const more = rows.length > EVIDENCE_ROWS ? `, and more` : "";
          throw new AdapterError(
            "postgres",
            "gate",
            "GATE_FAILED",
            `gate ${args.name} failed on ${where}: ${rows.length > EVIDENCE_ROWS ? `more than ${EVIDENCE_ROWS}` : rows.length} row${rows.length === 1 ? "" : "s"} where none may be: ${shown.join("; ")}${more}`,
          );
        }
        return { summary: `gate ${args.name} passed on ${where}: no rows`, data: { gate: args.name, ok: true, rows: 0 } };
      });
    },
  });
}

/**
 * `{{ stage.startedAt }}` → `$1` with its value bound: the values come from opsroom (times of the run),
 * but binding keeps even those out of the SQL text. A placeholder without a value is a clear error.
 */
export function bindPlaceholders(sql: string, vars: Record<string, string | number | boolean>): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const index = new Map<string, number>();
  const text = sql
    .trim()
    .replace(/;\s*$/, "")
    .replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
      if (!(name in vars)) {
        throw new AdapterError("postgres", "gate", "GATE_UNKNOWN_PLACEHOLDER", `the query uses {{ ${name} }}, which has no value here.`, {
          hint: `Known here: ${Object.keys(vars).join(", ") || "none"}.`,
        });
      }
      if (!index.has(name)) {
        values.push(vars[name]);
        index.set(name, values.length);
      }
      return `$${index.get(name)}`;
    });
  return { text, values };
}

function rowText(row: Record<string, unknown>): string {
  return Object.entries(row)
    .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(", ")
    .slice(0, 200);
}
