import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "./project-root.js";

/**
 * Parsed YAML kept by content hash. Parsing the config and the runbooks with positions (60 KB through
 * `yaml`'s document model) costs every start a quarter of a second; reading the same values back as
 * JSON costs a millisecond. Only plain JSON values are kept, so what comes back is exactly what the
 * parser gave, and a changed file has another hash. Kept in the project's node_modules/.cache, like
 * other tools' caches; a folder that cannot be written costs the speed, nothing else.
 */
const CACHE_DIR = path.join(PROJECT_ROOT, "node_modules/.cache/opsroom-yaml");
/** Bumped when what is stored changes meaning. */
const FORMAT = "1";
const MAX_ENTRIES = 1000;

export function cachedYaml(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(readFileSync(entryFile(text), "utf8")) as unknown };
  } catch {
    return undefined;
  }
}

export function rememberYaml(text: string, value: unknown): void {
  if (!isPlainJson(value)) return;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const entries = readdirSync(CACHE_DIR);
    if (entries.length > MAX_ENTRIES) for (const entry of entries) rmSync(path.join(CACHE_DIR, entry), { force: true });
    const file = entryFile(text);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(value));
    renameSync(temporary, file);
  } catch {
    // A read-only checkout: every start parses.
  }
}

function entryFile(text: string): string {
  return path.join(CACHE_DIR, `${createHash("sha256").update(FORMAT).update("\0").update(text).digest("hex")}.json`);
}

/** Strings, finite numbers, booleans, null, arrays and plain objects: what JSON gives back unchanged. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlainJson);
}
