import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { envNameArg } from "../shared/args.js";
import { schemasArg, snapshotSchema } from "./catalog.js";
import { withDatabase } from "./connect.js";
import { erDiagram } from "./er-diagram.js";
import { describeChanges, diffSchemas } from "./schema-diff-sql.js";

export const schemaDiffArgs = z.strictObject({
  /** Credential holding the URL of the database as it is (e.g. PROD_DATABASE_URL). */
  fromUrlEnv: envNameArg,
  /** Credential holding the URL of the database as it should become (e.g. STAGING_DATABASE_URL). */
  toUrlEnv: envNameArg,
  schemas: schemasArg,
});

const NOT_COVERED = "views, sequences, enum and other types, triggers, RLS policies, grants and partitions";

/** Compares two databases' schemas and writes the SQL that would turn `from` into `to`. Read-only on both. */
export function createSchemaDiff(): AdapterAction {
  return adapterAction("postgres", "schemaDiff", {
    description: "Compare two databases' tables, columns, indexes, constraints and functions; SQL diff and ER diagram of what differs.",
    args: schemaDiffArgs,
    risk: "read",
    credentialsFor: (args) => [
      { name: args.fromUrlEnv, description: "connection URL of the database to compare from" },
      { name: args.toUrlEnv, description: "connection URL of the database to compare to" },
    ],
    async run(args, ctx) {
      const [from, to] = await Promise.all([
        withDatabase(ctx, args.fromUrlEnv, (client) => snapshotSchema(client, args.schemas)),
        withDatabase(ctx, args.toUrlEnv, (client) => snapshotSchema(client, args.schemas)),
      ]);
      const diff = diffSchemas(from, to);
      const header = [
        `-- From ${args.fromUrlEnv} to ${args.toUrlEnv}, schemas: ${args.schemas.join(", ")}`,
        `-- Not compared: ${NOT_COVERED}. Review before applying; a renamed column shows as drop + add.`,
      ].join("\n");
      const count = diff.changes.length;
      return {
        summary:
          count === 0
            ? `${args.fromUrlEnv} and ${args.toUrlEnv} have the same schema (${args.schemas.join(", ")})`
            : `${count} difference${count === 1 ? "" : "s"} from ${args.fromUrlEnv} to ${args.toUrlEnv}: ${describeChanges(diff.changes)}`,
        data: { changes: diff.changes, changedTables: [...diff.changedTables], statements: diff.statements.length },
        artifacts: [
          {
            kind: "diff",
            title: `Migration SQL ${args.fromUrlEnv} → ${args.toUrlEnv}`,
            filename: "schema-diff.sql",
            content: `${header}\n\n${diff.statements.join("\n\n") || "-- no differences"}\n`,
          },
          {
            kind: "text",
            title: "Changed tables (Mermaid erDiagram)",
            filename: "changed-tables.mmd",
            content: erDiagram(from, to, diff.changes, diff.changedTables),
          },
        ],
      };
    },
  });
}
