import path from "node:path";
import { createAdapters } from "../../adapters/index.js";
import { loadConfig } from "../config/load-config.js";
import { ConfigError, formatConfigIssue } from "../errors.js";
import { createActionLookup } from "../executor/action-catalog.js";
import type { Io } from "../main.js";
import { releaseIssues } from "../runbook/check-releases.js";
import { loadRunbooks } from "../runbook/load-runbooks.js";

/** `opsroom runbooks validate [DIR]`: the same checks as at start, reported file:line: field: reason. */
export async function validateRunbooksCommand(args: string[], io: Io): Promise<number> {
  try {
    // A folder given: those runbooks alone. Otherwise the config's, and its release plans, which name runbooks and actions too.
    const config = args[0] ? undefined : loadConfig(io.env);
    const dir = args[0] ? path.resolve(args[0]) : config!.runbooksDir;
    const catalog = createActionLookup(createAdapters()).catalog;
    const runbooks = loadRunbooks(dir, catalog);
    const releaseProblems = config ? releaseIssues(config, config.configPath, runbooks, catalog) : [];
    if (releaseProblems.length > 0) throw new ConfigError(releaseProblems);
    io.stdout.write(
      `${runbooks.length} runbook${runbooks.length === 1 ? "" : "s"} OK in ${dir}: ${runbooks.map((r) => r.id).join(", ")}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) io.stderr.write(`${formatConfigIssue(issue)}\n`);
    io.stderr.write(`${error.issues.length} problem${error.issues.length === 1 ? "" : "s"} found\n`);
    return 1;
  }
}
