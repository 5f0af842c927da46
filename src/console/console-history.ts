import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Lines kept across console sessions, like a shell's history. */
const KEEP = 1000;

/**
 * The console's history file (in the data folder): read once at start, newest first as readline
 * wants it, and appended to one line at a time so a crash loses nothing typed before it.
 * Readable by its owner only: people paste things into consoles.
 */
export interface ConsoleHistory {
  /** Newest first. */
  readonly lines: string[];
  add(line: string): void;
}

export function openConsoleHistory(file: string): ConsoleHistory {
  let stored: string[] = [];
  try {
    stored = readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    // No history yet.
  }
  if (stored.length > 2 * KEEP) {
    stored = stored.slice(-KEEP);
    writeFileSync(file, `${stored.join("\n")}\n`, { mode: 0o600 });
  }
  return {
    lines: stored.slice(-KEEP).reverse(),
    add(line) {
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        appendFileSync(file, `${line}\n`, { mode: 0o600 });
      } catch {
        // A read-only data folder costs the history, not the session.
      }
    },
  };
}
