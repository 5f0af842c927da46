import { openPglite, openPostgres } from "./db.js";
import { migrate } from "./migrate.js";
import { createStore, type Store } from "./store.js";

/** Opens the store named by the settings and brings its schema up to date. */
export async function openStore(options: { databaseUrl?: string | undefined; dataDir?: string | undefined }): Promise<Store> {
  const db = options.databaseUrl ? openPostgres(options.databaseUrl) : await openPglite(options.dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return createStore(db);
}
