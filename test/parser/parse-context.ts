import path from "node:path";
import { DEFAULT_CONFIG_PATH, PROJECT_ROOT } from "../../src/config/load-config.js";
import { loadConfigFile } from "../../src/config/load-config.js";
import { buildCatalog, type ParseContext } from "../../src/parser/intent.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";

/** The example config and the repo's runbooks, loaded once for every parser test. */
const config = loadConfigFile(DEFAULT_CONFIG_PATH, {});
const runbooks = loadRunbooks(path.join(PROJECT_ROOT, "runbooks"));
const catalog = buildCatalog(config);

export const DEFAULT_NOW = "2026-03-10T12:00:00Z";

export function makeContext(now: string = DEFAULT_NOW, timeZone: string = config.timeZone): ParseContext {
  return { runbooks, catalog, now: new Date(now), timeZone };
}

export const MUTATING = new Set(runbooks.filter((r) => r.risk === "write").map((r) => r.id));
