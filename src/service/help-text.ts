import type { Runbook } from "../runbook/runbook-schema.js";

/**
 * What the bot can do, one line per runbook with an example people can copy. Runbooks opsroom only runs
 * itself (a staged rollout's stage, the reverse of a staged run) are left out.
 */
export function helpText(runbooks: readonly Runbook[]): string {
  const lines = runbooks
    .filter((r) => r.id !== "help" && r.id !== "rollout-stage" && r.id !== "release-reverse")
    .map((r) => `• ${r.title}${r.risk === "write" ? " (needs approval)" : ""} — e.g. \`${r.examples[0] ?? r.triggers.verbs[0]}\``);
  return [
    "Here's what I can do:",
    ...lines,
    "• Any of these on a cadence — e.g. `every weekday at 9am post the ops board in #ops`, `watch prod status every 5 minutes`, `list schedules`, `stop the 9am board`",
    "Type `help` any time to see this again.",
  ].join("\n");
}

/** A short, helpful answer for a message that is not a command. */
export function notACommandReply(runbooks: readonly Runbook[]): string {
  const examples = runbooks
    .filter((r) => r.id !== "help" && r.examples[0])
    .slice(0, 3)
    .map((r) => `\`${r.examples[0]}\``);
  return `I didn't find a command in that. Try ${examples.join(", ")} — or \`help\` for everything I can do.`;
}
