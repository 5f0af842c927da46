import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { AdapterError } from "../../src/errors.js";

export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/**
 * The *.sql files of a migrations folder in name order (timestamp or zero-padded prefixes sort right),
 * with a sha256 of each so an applied file that was edited afterwards is noticed.
 */
export async function readMigrations(baseDir: string, dir: string, action: string): Promise<{ path: string; files: MigrationFile[] }> {
  const path = isAbsolute(dir) ? dir : resolve(baseDir, dir);
  let names: string[];
  try {
    names = (await readdir(path)).filter((n) => n.endsWith(".sql")).sort();
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new AdapterError("postgres", action, "POSTGRES_MIGRATIONS_DIR", `cannot read migrations folder ${dir} (${code ?? "error"}).`, {
      hint: "Check migrationsDir in the config; relative paths are resolved from the bot's working directory.",
      cause: err,
    });
  }
  const files = await Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(path, name), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
  return { path, files };
}

/**
 * True when a file has its own transaction control (BEGIN, COMMIT, ROLLBACK, START TRANSACTION, END) at
 * top level. opsroom runs all pending files in one transaction, and a dry run rolls it back: a COMMIT
 * inside a file would make a dry run write for real, so such files are refused before anything runs.
 * Comments, quoted strings and dollar-quoted bodies (functions, DO blocks) are ignored.
 */
export function transactionControl(sql: string): string | undefined {
  const stripped = sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/(\$[A-Za-z_]*\$)[\s\S]*?\1/g, " ")
    .replace(/'(?:[^']|'')*'/g, "''");
  for (const statement of stripped.split(";")) {
    const match = /^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END|ABORT)\b(?!\s+ATOMIC)/i.exec(statement);
    if (match?.[1]) return match[1].toUpperCase().replace(/\s+/g, " ");
  }
  return undefined;
}
