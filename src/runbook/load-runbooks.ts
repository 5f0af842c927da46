import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { formatPath, parseYamlSource, validateYaml } from "../config/yaml-source.js";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { PHASES, RunbookSchema, type Runbook } from "./runbook-schema.js";

/** Checks a step's `uses` against the adapters that exist; given by the caller so runbook/ stays independent of adapters/. */
export type ActionCatalog = (uses: string) => { known: true } | { known: false; reason: string };

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
  const check = (uses: string, pathToStep: PropertyKey[]) => {
    const result = actions(uses);
    if (!result.known)
      issues.push({ file, line: lineOf([...pathToStep, "uses"]), field: formatPath([...pathToStep, "uses"]), message: result.reason });
  };
  for (const phase of PHASES) runbook.phases[phase].forEach((step, i) => check(step.uses, ["phases", phase, i]));
  runbook.rollback.forEach((step, i) => check(step.uses, ["rollback", i]));
  return issues;
}
