import type { ConfigFile } from "../config/config-schema.js";
import type { ConfigIssue } from "../errors.js";
import { staticArgIssues } from "./check-static-args.js";
import type { ActionCatalog } from "./load-runbooks.js";
import type { Runbook } from "./runbook-schema.js";

/** The runbook that starts a release plan (runbooks/release.yml). */
const RELEASE_RUNBOOK = "release";

/**
 * The release plans of the config checked against what is loaded, at start (as runbooks are): a stage's
 * `runbook` must exist, and its own steps must use known actions with arguments they take, so a typo
 * is found before anyone approves a release, not when its third stage runs.
 */
export function releaseIssues(config: ConfigFile, configPath: string, runbooks: readonly Runbook[], actions: ActionCatalog): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // Without the runbook that starts them (a team's own runbooks folder), releases cannot run: nothing to check.
  if (!runbooks.some((r) => r.id === RELEASE_RUNBOOK)) return issues;
  const at = (field: string, message: string) => issues.push({ file: configPath, line: undefined, field, message });
  for (const [name, release] of Object.entries(config.releases)) {
    release.stages.forEach((stage, i) => {
      const where = `releases.${name}.stages.${i}`;
      if (stage.runbook && !runbooks.some((r) => r.id === stage.runbook)) {
        at(`${where}.runbook`, `unknown runbook "${stage.runbook}" (known: ${runbooks.map((r) => r.id).join(", ")})`);
      }
      for (const [list, steps] of [
        ["steps", stage.steps],
        ["rollback", stage.rollback],
      ] as const) {
        steps.forEach((step, j) => {
          const known = actions(step.uses);
          if (!known.known) return at(`${where}.${list}.${j}.uses`, known.reason);
          if (!known.args) return;
          for (const issue of staticArgIssues(step.with, step.uses, known.args))
            at(`${where}.${list}.${j}.with.${issue.path.map(String).join(".")}`, issue.message);
        });
      }
    });
  }
  return issues;
}
