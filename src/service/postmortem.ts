import { formatAge } from "../../adapters/report/evidence.js";
import { timeFormatter } from "../../adapters/report/timeline.js";
import type { IncidentMessage } from "../store/incident-records.js";
import type { Approval, Run } from "../store/types.js";
import { offersOf, type TriageOutcome } from "./triage-results.js";

/**
 * A postmortem draft in markdown, from what opsroom saw of an incident: the channel's messages, its runs
 * with their approvals and outcomes, the triage's timeline and suspects, and the owners and escalation
 * contacts from the config and runbooks (seed 004: named owners, escalation, rollback, communication).
 * A draft: people write the cause and the lessons.
 */
export interface PostmortemInput {
  /** The incident channel (a Slack channel id), or "console". */
  place: string;
  now: Date;
  timeZone: string;
  /** The latest triage, and the first (its onset and timeline reach furthest back). */
  triage: TriageOutcome | undefined;
  runs: readonly { run: Run; approvals: readonly Approval[] }[];
  messages: readonly IncidentMessage[];
  owners: {
    services: Readonly<Record<string, string | undefined>>;
    flags: Readonly<Record<string, string | undefined>>;
  };
  /** Where the channel's triage summary is, when it has one. */
  summaryLink: string | null;
}

/** Runbooks that undo a change: a success of one after the onset is the mitigation. */
const WAY_BACK_RUNBOOKS = new Set(["rollback", "flag", "restart", "revert-pr", "scale"]);

export const POSTMORTEM_SECTIONS = [
  "Summary",
  "Impact window",
  "Timeline",
  "Suspects",
  "Actions taken",
  "Owners and escalation",
  "Rollback",
  "Communication",
  "Open follow-ups",
] as const;

export function renderPostmortem(input: PostmortemInput): { title: string; filename: string; markdown: string } {
  const { triage } = input;
  const t = timeFormatter(input.timeZone, input.now.getTime());
  const at = (d: Date | string | null | undefined) => (d ? t(typeof d === "string" ? Date.parse(d) : d.getTime()) : "?");
  const who = triage
    ? `${triage.triage.service ?? "every service"} in ${triage.triage.env}`
    : input.place === "console"
      ? "the console"
      : "the incident";
  const date = new Intl.DateTimeFormat("en-CA", { timeZone: input.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    input.now,
  );
  const title = `Postmortem draft: ${who} (${date})`;
  const actions = input.runs.filter(({ run }) => run.mutating);
  const mitigation = mitigationOf(actions, triage);
  const started = startOf(input);
  const detected = firstOf([input.messages[0]?.at, input.runs[0]?.run.createdAt]);
  const sections: Record<(typeof POSTMORTEM_SECTIONS)[number], string[]> = {
    Summary: summary(input, mitigation, who),
    "Impact window": [
      `- Started: ${started ? `${at(started.at)} (${started.how})` : "not known"}`,
      `- Detected: ${detected ? `${at(detected)} (first message or run in ${placeName(input.place)})` : "not known"}`,
      `- Mitigated: ${mitigation ? `${at(mitigation.run.finishedAt)} — ${mitigation.run.title}${mitigation.run.service ? ` of ${mitigation.run.service}` : ""} succeeded` : "not yet: no change that undoes it has succeeded"}`,
      `- Duration: ${started && mitigation?.run.finishedAt ? formatAge(mitigation.run.finishedAt.getTime() - Date.parse(started.at)) : "ongoing or unknown"}`,
      `- Times are in ${input.timeZone}.`,
    ],
    Timeline: timeline(input, at),
    Suspects: suspects(triage),
    "Actions taken": actions.length
      ? actions.map(
          ({ run, approvals }) =>
            `- ${at(run.createdAt)} ${describeRun(run)} — asked by ${run.requestedBy}${approvedBy(approvals)}; ${outcome(run)}`,
        )
      : [`- No change was made from ${placeName(input.place)}.`],
    "Owners and escalation": owners(input),
    Rollback: rollback(input, mitigation),
    Communication: [
      `- Incident channel: ${placeName(input.place)}; ${input.messages.length} message${input.messages.length === 1 ? "" : "s"} seen by opsroom.`,
      input.summaryLink ? `- The triage summary, kept up to date as runs happen: ${input.summaryLink}` : "- No triage summary was posted.",
      `- Escalation contacts of the runbooks used: ${[...new Set(input.runs.map(({ run }) => run.plan.escalation))].join(", ") || "none"}.`,
      "- Who told customers and support, and when: _fill in_.",
    ],
    "Open follow-ups": followUps(input, mitigation),
  };
  const markdown = [
    `# ${title}`,
    "",
    `_Drafted by opsroom at ${at(input.now)} (${input.timeZone}) from ${placeName(input.place)}: what it saw, ran and found. Check it and write the cause and the lessons before sharing._`,
    ...POSTMORTEM_SECTIONS.flatMap((name) => ["", `## ${name}`, "", ...sections[name]]),
    "",
  ].join("\n");
  const slug = who
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
  return { title, filename: `postmortem-${slug}-${date}.md`, markdown };
}

function summary(input: PostmortemInput, mitigation: { run: Run } | undefined, who: string): string[] {
  const triage = input.triage?.triage;
  const top = triage?.suspects[0];
  return [
    `${triage?.symptom ? `${capitalise(triage.symptom)} in` : "Trouble with"} ${who}.`,
    top
      ? `Likely cause: ${top.summary} (${top.rule}).`
      : triage
        ? `No suspect was found: ${triage.noSuspect ?? "nothing fit the rule"}.`
        : "No triage was run.",
    mitigation ? `Mitigated by ${describeRun(mitigation.run)}.` : "Not mitigated yet.",
    "Root cause and impact on people: _fill in_.",
  ];
}

function startOf(input: PostmortemInput): { at: string; how: string } | undefined {
  const triage = input.triage?.triage;
  if (triage?.onset) return { at: triage.onset, how: "first new error or health drop in the evidence" };
  if (triage?.since) return { at: triage.since, how: "when people said it started" };
  const first = input.messages[0]?.at;
  return first ? { at: first.toISOString(), how: "first message in the channel" } : undefined;
}

function mitigationOf(actions: PostmortemInput["runs"], triage: TriageOutcome | undefined): { run: Run } | undefined {
  const onset = triage?.triage.onset ? Date.parse(triage.triage.onset) : -Infinity;
  return actions.find(
    ({ run }) => WAY_BACK_RUNBOOKS.has(run.runbook) && run.status === "succeeded" && (run.finishedAt?.getTime() ?? 0) >= onset,
  );
}

function timeline(input: PostmortemInput, at: (d: Date | string | null | undefined) => string): string[] {
  const entries: { at: number; text: string }[] = [];
  for (const e of input.triage?.triage.timeline ?? [])
    entries.push({ at: Date.parse(e.at), text: `${e.kind === "change" ? "Change" : "Symptom"}: ${e.text}` });
  for (const m of input.messages) entries.push({ at: m.at.getTime(), text: `${m.userId} wrote: “${oneLine(m.text, 200)}”` });
  for (const { run, approvals } of input.runs) {
    entries.push({ at: run.createdAt.getTime(), text: `${run.requestedBy} asked for ${describeRun(run)}` });
    for (const a of approvals)
      entries.push({ at: a.createdAt.getTime(), text: `${a.approver} ${a.decision === "approve" ? "approved" : "rejected"} ${run.title}` });
    if (run.finishedAt)
      entries.push({ at: run.finishedAt.getTime(), text: `${run.title}${run.service ? ` of ${run.service}` : ""} ${outcome(run)}` });
  }
  if (entries.length === 0) return ["- Nothing on record."];
  return entries.sort((a, b) => a.at - b.at).map((e) => `- ${at(new Date(e.at))} ${e.text}`);
}

function suspects(triage: TriageOutcome | undefined): string[] {
  if (!triage) return ["- No triage was run, so no suspect was named."];
  const { suspects: list, ruledOut, noSuspect } = triage.triage;
  const lines = list.length
    ? list.map((s) => `${s.rank}. ${s.summary}\n   - Why: ${s.rule}\n   - Evidence: ${s.evidence}${s.link ? `\n   - Link: ${s.link}` : ""}`)
    : [`- No suspect found: ${noSuspect ?? "nothing fit the rule"}.`];
  if (ruledOut.length) lines.push("", "Ruled out:", ...ruledOut.slice(0, 10).map((r) => `- ${r.summary}: ${r.reason}`));
  lines.push(
    "",
    `_Rule: a change counts only if it reached the environment, ended shortly before a new error signature or health drop, and touched the same service (triage run ${triage.run.id.slice(0, 8)})._`,
  );
  return lines;
}

function owners(input: PostmortemInput): string[] {
  const services = new Set<string>();
  const triage = input.triage?.triage;
  if (triage?.service) services.add(triage.service);
  for (const s of triage?.suspects ?? []) if (s.service) services.add(s.service);
  for (const { run } of input.runs) if (run.service) services.add(run.service);
  const flags = new Set(input.runs.map(({ run }) => run.params.flag).filter((f): f is string => typeof f === "string"));
  const runbooks = new Map(input.runs.map(({ run }) => [run.runbook, run.plan]));
  const lines = [
    ...[...services].map(
      (s) => `- Service ${s}: owner ${input.owners.services[s] ?? "not named in the config (set services." + s + ".owner)"}`,
    ),
    ...[...flags].map((f) => `- Flag ${f}: owner ${input.owners.flags[f] ?? "not named in the config"}`),
    ...[...runbooks].map(([id, plan]) => `- Runbook ${id}: owner ${plan.owner}, escalation ${plan.escalation}`),
  ];
  return lines.length ? lines : ["- No service, flag or runbook was involved."];
}

function rollback(input: PostmortemInput, mitigation: { run: Run } | undefined): string[] {
  const offers = input.triage ? offersOf(input.triage) : [];
  const taken = input.runs.filter(({ run }) => WAY_BACK_RUNBOOKS.has(run.runbook));
  const lines = taken.map(({ run }) => `- ${describeRun(run)}: ${outcome(run)}${mitigation?.run.id === run.id ? " (the mitigation)" : ""}`);
  const left = offers.filter((o) => !taken.some(({ run }) => run.runbook === o.runbook && sameParams(run.params, o.params)));
  if (left.length) lines.push(...left.map((o) => `- Offered, not taken: ${o.label} (\`${o.text}\`)`));
  return lines.length ? lines : ["- No way back was offered or taken."];
}

function followUps(input: PostmortemInput, mitigation: { run: Run } | undefined): string[] {
  const items: string[] = [];
  const triage = input.triage;
  if (!mitigation && triage) {
    const first = offersOf(triage)[0];
    items.push(
      first ? `Take the way back, or decide not to: ${first.label} (\`${first.text}\`)` : "Find the way back: triage named nothing to undo",
    );
  }
  for (const { run } of input.runs) {
    if (run.status === "failed")
      items.push(
        `${run.title}${run.service ? ` of ${run.service}` : ""} failed${run.failedStep ? ` at ${run.failedStep}` : ""}: retry it or fix the cause (run ${run.id.slice(0, 8)})`,
      );
    if (run.status === "pending_approval")
      items.push(`${run.title}${run.service ? ` of ${run.service}` : ""} is waiting for approval (run ${run.id.slice(0, 8)})`);
    if (run.runbook === "revert-pr" && run.status === "succeeded")
      items.push(`Review and merge the revert pull request (run ${run.id.slice(0, 8)})`);
  }
  if (triage?.fix?.proposed && !input.runs.some(({ run }) => run.runbook === "revert-pr")) {
    items.push(
      `Fix the code: ${triage.fix.file}:${triage.fix.line} changed in ${triage.fix.sha?.slice(0, 7) ?? "the suspect deploy"} (a revert PR was offered)`,
    );
  }
  for (const n of triage?.triage.notChecked ?? []) items.push(`Let triage read ${n.what}: ${n.why}`);
  items.push("Write the root cause and what changes so it does not happen again");
  return items.map((i) => `- [ ] ${i}`);
}

function describeRun(run: Run): string {
  const params = Object.entries(run.params)
    .filter(([k]) => k !== "env" && k !== "service")
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
    .join(" ");
  return `${run.title}${run.service ? ` of ${run.service}` : ""}${run.env ? ` in ${run.env}` : ""}${params ? ` (${params})` : ""}`;
}

function outcome(run: Run): string {
  switch (run.status) {
    case "succeeded":
      return "succeeded";
    case "failed":
      return `failed${run.failedStep ? ` at ${run.failedStep}` : ""}${run.error ? `: ${oneLine(run.error, 160)}` : ""}`;
    default:
      return run.status.replace("_", " ");
  }
}

function approvedBy(approvals: readonly Approval[]): string {
  const yes = approvals.filter((a) => a.decision === "approve").map((a) => a.approver);
  return yes.length ? `, approved by ${yes.join(", ")}` : "";
}

function sameParams(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(b).every(([k, v]) => String(a[k]) === String(v));
}

function firstOf(dates: (Date | undefined)[]): Date | undefined {
  return dates.filter((d): d is Date => d !== undefined).sort((x, y) => x.getTime() - y.getTime())[0];
}

function placeName(place: string): string {
  return place === "console" ? "the console" : `<#${place}>`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
