import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalArg, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";

/** A list of names, or a map whose keys are the names (the config's flag catalog, `{{ flags }}`). */
const names = optionalArg(
  z.preprocess(
    (v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : v),
    z.array(z.string(), { error: "must be a list of names" }),
  ),
);

export const specDraftArgs = z.strictObject({
  topic: z
    .string({ error: "must be what the spec is about" })
    .trim()
    .min(3, "must be at least 3 characters")
    .max(200, "must be at most 200 characters"),
  /** Who owns the runbook, and whom to page: the spec's default owner and escalation. */
  owner: optionalText(),
  escalation: optionalText(),
  /** Services and flags from the config, listed as context the author can keep or delete. */
  services: names,
  flags: names,
});

export function slugOf(topic: string): string {
  return (
    topic
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "spec"
  );
}

/**
 * Drafts a short technical spec on a topic as a markdown file, in the shape of a launch-readiness spec:
 * problem, context, options, plan, rollout and rollback, owners and escalation, open questions. It is a
 * skeleton with the topic and the team's catalog filled in, for people to complete; it writes nothing
 * anywhere (see runbooks/spec.yml for why it does not open a pull request).
 */
export function createSpecDraft(clock: Clock): AdapterAction {
  return adapterAction("report", "specDraft", {
    description: "Draft a technical spec (problem, context, options, plan, rollout and rollback, owners) on a topic as a markdown file.",
    args: specDraftArgs,
    risk: "read",
    async run(args) {
      const slug = slugOf(args.topic);
      const date = new Date(clock.now()).toISOString().slice(0, 10);
      const title = args.topic.charAt(0).toUpperCase() + args.topic.slice(1);
      const owner = args.owner ?? "TBD";
      const sections = [
        `# Spec: ${title}`,
        "",
        `Status: draft · Date: ${date} · Owner: ${owner}${args.escalation ? ` · Escalation: ${args.escalation}` : ""}`,
        "",
        "## Problem",
        `What is wrong or missing today around ${args.topic}, who feels it, and how we would notice it getting worse.`,
        "",
        "## Context",
        `- Where ${args.topic} touches the system today (code, data, other teams).`,
        ...(args.services?.length ? [`- Services that may be affected: ${args.services.join(", ")}.`] : []),
        ...(args.flags?.length ? [`- Feature flags in the catalog that could gate it: ${args.flags.join(", ")}.`] : []),
        "- Constraints: deadlines, compliance, compatibility.",
        "",
        "## Possible solutions",
        "- A: the smallest change that could work, and what it leaves unsolved.",
        "- B (recommended): …, and why it beats A and C.",
        "- C: the thorough option, and what it costs.",
        "",
        "## Plan",
        "1. Schema and migrations (dry run first: `dry run the migrations on staging`).",
        "2. Implementation behind a feature flag, off by default.",
        "3. Tests, metrics and alerts for the new path.",
        "4. Staging rollout, then a percentage rollout in prod.",
        "",
        "## Rollout and rollback",
        "- Rollout: enable in staging, then prod at 5% → 25% → 100%, watching errors and latency at each step.",
        "- Rollback: disable the flag; roll back the deploy; restore data from backups if a migration lost any.",
        "",
        "## Owners and escalation",
        `- Owner: ${owner}`,
        `- Escalation: ${args.escalation ?? "TBD"}`,
        "- Support: who answers users, and where.",
        "",
        "## Open questions",
        "- …",
        "",
        "## Review",
        "- [ ] Review cleared",
        "",
      ];
      const content = sections.join("\n");
      return {
        summary: `drafted spec-${slug}.md for "${args.topic}" (${sections.filter((l) => l.startsWith("## ")).length} sections to complete)`,
        data: { topic: args.topic, filename: `spec-${slug}.md`, suggestedPath: `docs/specs/${slug}.md`, bytes: Buffer.byteLength(content) },
        artifacts: [{ kind: "file", title: `Spec draft: ${title}`, filename: `spec-${slug}.md`, content }],
      };
    },
  });
}
