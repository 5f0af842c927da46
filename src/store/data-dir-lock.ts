import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StoreError } from "../errors.js";

/**
 * PGlite is one in-process database: two processes opening the same folder would corrupt it. The
 * first process writes its pid to `opsroom.pid`; a second one is refused with a clear message while
 * that process lives. A pid file left by a crashed process is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "opsroom.pid");
  const holder = readHolder(file);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new StoreError(
      "STORE_DATA_DIR_IN_USE",
      `Another opsroom (pid ${holder}) is using the embedded database in ${path.resolve(dataDir)}.`,
      {
        hint: "Stop it, set OPSROOM_DATA_DIR to another folder, or set DATABASE_URL to share a Postgres database between processes.",
      },
    );
  }
  writeFileSync(file, String(process.pid));
  return () => {
    if (readHolder(file) === process.pid) rmSync(file, { force: true });
  };
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
