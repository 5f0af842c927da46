import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { formatPath, parseYamlSource, validateYaml } from "../config/yaml-source.js";
import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { staticArgIssues } from "./check-static-args.js";
import { PHASES, RunbookSchema, type Runbook, type RunbookStep } from "./runbook-schema.js";

/**
 * Checks a step's `uses` against the adapters that exist, and gives the action's argument schema;
 * given by the caller so runbook/ stays independent of adapters/.
 */
export type ActionCatalog = (uses: string) => { known: true; args?: z.ZodType } | { known: false; reason: string };

/** Loads and validates every runbooks/*.yml; throws one ConfigError with every problem in every file. */
export function loadRunbooks(dir: string, actions?: ActionCatalog): Runbook[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (cause) {
    throw new ConfigError(
      [{ file: dir, line: undefined, field: "", message: `cannot read runbooks folder: ${(cause as Error).message}` }],
      { cause },
    );
  }
  const runbooks: Runbook[] = [];
  const issues: ConfigIssue[] = [];
  const ids = new Map<string, string>();
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      const source = parseYamlSource(readFileSync(file, "utf8"), file);
      const runbook = validateYaml(source, RunbookSchema);
      const previous = ids.get(runbook.id);
      if (previous)
        issues.push({
          file,
          line: source.lineOf(["id"]),
          field: "id",
          message: `duplicate runbook id "${runbook.id}" (also in ${previous})`,
        });
      ids.set(runbook.id, file);
      if (actions) issues.push(...checkActions(runbook, actions, file, source.lineOf));
      runbooks.push(runbook);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return runbooks;
}

function checkActions(
  runbook: Runbook,
  actions: ActionCatalog,
  file: string,
  lineOf: (p: PropertyKey[]) => number | undefined,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (step: RunbookStep, pathToStep: PropertyKey[]) => {
    const result = actions(step.uses);
    if (!result.known) {
      const path = [...pathToStep, "uses"];
      issues.push({ file, line: lineOf(path), field: formatPath(path), message: result.reason });
      return;
    }
    if (!result.args) return;
    for (const issue of staticArgIssues(step.with, step.uses, result.args)) {
      const path = [...pathToStep, "with", ...issue.path];
      issues.push({ file, line: lineOf(path), field: formatPath(path), message: issue.message });
    }
  };
  for (const phase of PHASES) runbook.phases[phase].forEach((step, i) => check(step, ["phases", phase, i]));
  runbook.rollback.forEach((step, i) => check(step, ["rollback", i]));
  return issues;
}
