import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPglite, openPostgres, type Db } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import { createStore, type Store } from "../../src/store/store.js";

/** The store backends a suite runs on: PGlite always, real PostgreSQL when TEST_DATABASE_URL is set. */
export const STORE_BACKENDS: readonly ("pglite" | "postgres")[] = process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export interface TestStore {
  store: Store;
  db: Db;
  /** Connection string of the scratch database (Postgres only), for other processes. */
  url: string | undefined;
  dispose(): Promise<void>;
}

/** A migrated store in a fresh database of its own (a scratch database on Postgres, in-memory PGlite). */
export async function openTestStore(backend: "pglite" | "postgres"): Promise<TestStore> {
  if (backend === "pglite") {
    const db = await openPglite(undefined);
    await migrate(db);
    return { store: createStore(db), db, url: undefined, dispose: () => db.close() };
  }
  const { url, drop } = await createScratchDatabase();
  const db = openPostgres(url);
  await migrate(db);
  return {
    store: createStore(db),
    db,
    url,
    async dispose() {
      await db.close();
      await drop();
    },
  };
}

/** Creates an empty database on the TEST_DATABASE_URL server and returns its URL and a dropper. */
export async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  const name = `opsroom_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
