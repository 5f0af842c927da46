import type { Change, Correlation, Suspect } from "./correlate.js";

/**
 * The way back from each suspect, as requests opsroom plans like any other: roll the deploy back, put
 * the flag back (off, or to its previous percentage), restart what is unhealthy. Each is a normal plan
 * with the approval policy; nothing here runs anything.
 *
 * @example { label: "Roll back payments in prod to a84d88e (v1.4.0)", text: "roll back payments in prod to a84d88e",
 *   runbook: "rollback", params: { service: "payments", env: "prod", ref: "a84d88e" }, because: "suspect 1" }
 */
export interface WayBack {
  readonly label: string;
  /** The same request typed in words (the console, or anyone who prefers typing). */
  readonly text: string;
  readonly runbook: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly because: string;
}

const MAX_WAYS = 4;

export function wayBack(correlation: Correlation, env: string, restartable: readonly string[]): WayBack[] {
  const ways: WayBack[] = [];
  correlation.suspects.slice(0, 3).forEach((suspect, i) => {
    const way = undo(suspect, correlation.changes, env);
    if (way) ways.push({ ...way, because: `suspect ${i + 1}` });
  });
  const down = new Set(correlation.onsets.filter((o) => o.kind === "health-drop" && o.service !== null).map((o) => o.service!));
  for (const service of down) {
    if (!restartable.includes(service)) continue;
    ways.push({
      label: `Restart ${service} in ${env}`,
      text: `restart ${service} in ${env}`,
      runbook: "restart",
      params: { service, env },
      because: `${service} is unhealthy`,
    });
  }
  const seen = new Set<string>();
  return ways.filter((w) => (seen.has(w.text) ? false : (seen.add(w.text), true))).slice(0, MAX_WAYS);
}

function undo(suspect: Suspect, changes: readonly Change[], env: string): Omit<WayBack, "because"> | undefined {
  const c = suspect.change;
  if ((c.kind === "deploy" || c.kind === "rollback") && c.service) {
    const before = previousDeploy(c, changes);
    // DigitalOcean and Vercel roll back to their previously live deployment; a ref is for GitHub deploys.
    const ref = c.provider === "digitalocean" || c.provider === "vercel" ? undefined : refOf(before);
    const shown = before
      ? ` to ${before.sha ? before.sha.slice(0, 7) : before.ref}${before.sha && before.ref && before.ref !== before.sha ? ` (${before.ref})` : ""}`
      : "";
    return {
      label: `Roll back ${c.service} in ${env}${shown}`,
      text: `roll back ${c.service} in ${env}${ref ? ` to ${ref}` : ""}`,
      runbook: "rollback",
      params: { service: c.service, env, ...(ref ? { ref } : {}) },
    };
  }
  if (c.kind === "flag" && c.flag) {
    const { key, previous } = c.flag;
    if (c.flag.enabled) {
      if (previous?.enabled && previous.rolloutPercentage < c.flag.rolloutPercentage) {
        return {
          label: `Put ${key} back to ${previous.rolloutPercentage}% in ${env}`,
          text: `roll out ${key} to ${previous.rolloutPercentage}% in ${env}`,
          runbook: "flag",
          params: { flag: key, action: "rollout", percent: previous.rolloutPercentage, env },
        };
      }
      return {
        label: `Turn ${key} off in ${env}`,
        text: `disable ${key} in ${env}`,
        runbook: "flag",
        params: { flag: key, action: "disable", env },
      };
    }
    if (previous?.enabled) {
      return {
        label: `Turn ${key} back on at ${previous.rolloutPercentage}% in ${env}`,
        text: `roll out ${key} to ${previous.rolloutPercentage}% in ${env}`,
        runbook: "flag",
        params: { flag: key, action: "rollout", percent: previous.rolloutPercentage, env },
      };
    }
  }
  return undefined;
}

/** The deploy of the same service that was live before this one. */
export function previousDeploy(c: Change, changes: readonly Change[]): Change | undefined {
  return changes.find(
    (o) =>
      o !== c &&
      (o.kind === "deploy" || o.kind === "rollback") &&
      o.service === c.service &&
      o.env === c.env &&
      o.reached &&
      Date.parse(o.at) < Date.parse(c.at) &&
      (!o.sha || o.sha !== c.sha),
  );
}

/** A commit is the exact thing to go back to; a branch name has moved on since. */
function refOf(before: Change | undefined): string | undefined {
  if (!before) return undefined;
  if (before.sha) return before.sha.slice(0, 12);
  return before.ref ?? undefined;
}
