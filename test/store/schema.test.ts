import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openPglite, openPostgres } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import { createScratchDatabase } from "../support/test-stores.js";
import { skipUnless } from "../support/skip-unless.js";

// src/store/schema.sql is the schema as the migrations leave it (pg_dump --schema-only), committed so
// that a migration shows up in review as a diff of the whole schema. When a migration changes it:
//   UPDATE_SCHEMA=1 TEST_DATABASE_URL=postgres://… npx vitest run test/store/schema.test.ts
const SCHEMA_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../src/store/schema.sql");
const HEADER = `-- The full opsroom schema as src/store/migrations/*.sql leave it, from pg_dump --schema-only.
-- Generated, not applied: migrations are the source of truth. test/store/schema.test.ts checks that this
-- file matches them; regenerate with UPDATE_SCHEMA=1 (see that test).
`;

/** pg_dump output without its comments, SET lines and per-run \restrict keys. */
function normalize(sql: string): string {
  return sql
    .split("\n")
    .filter((line) => !/^(--|SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)/.test(line))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function hasPgDump(): boolean {
  try {
    execFileSync("pg_dump", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("committed schema.sql", () => {
  it(
    "matches what the migrations create on Postgres (pg_dump)",
    skipUnless(!!process.env.TEST_DATABASE_URL && hasPgDump(), "needs TEST_DATABASE_URL and pg_dump on PATH"),
    async () => {
      const scratch = await createScratchDatabase();
      const db = openPostgres(scratch.url, { max: 1 });
      try {
        await migrate(db);
        const dump = normalize(
          execFileSync("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", "--dbname", scratch.url], { encoding: "utf8" }),
        );
        if (process.env.UPDATE_SCHEMA) writeFileSync(SCHEMA_FILE, `${HEADER}\n${dump}\n`);
        expect(normalize(readFileSync(SCHEMA_FILE, "utf8")), "src/store/schema.sql is out of date; regenerate it (see this test)").toBe(
          dump,
        );
      } finally {
        await db.close();
        await scratch.drop();
      }
    },
  );

  it("names every table, index, trigger and function the migrations create on PGlite, and nothing else", async () => {
    const db = await openPglite(undefined);
    try {
      await migrate(db);
      const { rows } = await db.query<{ kind: string; name: string }>(
        `SELECT 'TABLE' AS kind, relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'
         UNION ALL SELECT 'INDEX', relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index i ON i.indexrelid = c.oid
           WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
         UNION ALL SELECT 'TRIGGER', tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND NOT t.tgisinternal
         UNION ALL SELECT 'FUNCTION', proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
      );
      const inCatalog = new Set(rows.map((r) => `${r.kind} ${r.name}`));
      const schema = readFileSync(SCHEMA_FILE, "utf8");
      const inFile = new Set(
        [...schema.matchAll(/^CREATE (?:UNIQUE )?(TABLE|INDEX|TRIGGER|FUNCTION) (?:public\.)?(\w+)/gm)].map((m) => `${m[1]} ${m[2]}`),
      );
      expect([...inFile].sort()).toEqual([...inCatalog].sort());
    } finally {
      await db.close();
    }
  });
});
