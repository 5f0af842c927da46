import { describeError } from "../executor/run-step.js";
import { InputError } from "../errors.js";
import type { Intent } from "../parser/intent.js";
import type { Runbook } from "../runbook/runbook-schema.js";

/** How many instances of `service` run in `env` now (see executor/read-replicas.ts); throws when it cannot tell. */
export type CurrentReplicas = (service: string, env: string) => Promise<number>;

/**
 * Turns a relative request ("add 2 more replicas to api in prod") into the absolute one the runbook takes,
 * from the count running now: the intent comes back with `replicas` filled and no longer missing. When the
 * count cannot be read, it comes back still asking for it, saying why; a change that would leave the count
 * outside the param's range is refused. Anything else (no relative change, other params still missing, a
 * param with no reader) comes back as it was.
 *
 * @example await resolveRelative({ …, params: { service: "api", env: "prod" }, missing: ["replicas"], relative: { replicas: 2 } }, scale, read)
 * // → { …, params: { service: "api", env: "prod", replicas: 5 }, missing: [], clarify: null } when api runs 3
 */
export async function resolveRelative(intent: Intent, runbook: Runbook, currentReplicas: CurrentReplicas | undefined): Promise<Intent> {
  const change = intent.relative?.replicas;
  const { service, env } = intent.params;
  if (change === undefined || !currentReplicas || typeof service !== "string" || typeof env !== "string") return intent;
  if (intent.missing.some((name) => name !== "replicas")) return intent;
  let current: number;
  try {
    current = await currentReplicas(service, env);
  } catch (error) {
    const why = `I couldn't read ${service}'s current count in ${env}: ${describeError(error).replace(/\.$/, "")}.`;
    return { ...intent, clarify: intent.clarify ? `${why} ${intent.clarify}` : why };
  }
  const replicas = current + change;
  const { min = 0, max } = runbook.params.replicas ?? {};
  if (replicas < min || (max !== undefined && replicas > max)) {
    const doing = change > 0 ? `adding ${change}` : `removing ${-change}`;
    throw new InputError(
      "PLAN_RELATIVE_OUT_OF_RANGE",
      `${service} in ${env} runs ${current}; ${doing} would leave ${replicas} (replicas must be ${min}–${max ?? "any"}).`,
      { hint: `Say the count you want, like \`scale ${service} to ${Math.min(Math.max(replicas, min), max ?? replicas)} in ${env}\`.` },
    );
  }
  return { ...intent, params: { ...intent.params, replicas }, missing: [], clarify: null };
}

/** Where a resolved relative value came from, for the plan card: "replicas: 5 (3 now + 2)". */
export function relativeNote(intent: Intent): string | undefined {
  const notes = Object.entries(intent.relative ?? {}).flatMap(([name, change]) => {
    const value = intent.params[name];
    if (typeof value !== "number") return [];
    return [`${name}: ${value} (${value - change} now ${change < 0 ? "-" : "+"} ${Math.abs(change)})`];
  });
  return notes.length > 0 ? notes.join(", ") : undefined;
}
