import type { RunChain } from "../service/run-chain.js";
import type { Run } from "../store/types.js";
import { clamp, context, escapeMrkdwn, fields, header, sectionsFromLines, slackDate, type SlackMessage } from "./block-kit.js";

/** `/ops runs`: the latest runs, one line each, with the id to ask `/ops run <id>` about. */
export function renderRunList(runs: readonly Run[]): SlackMessage {
  if (runs.length === 0) return { text: "No runs yet.", blocks: sectionsFromLines(["No runs yet."], 1, () => "") };
  const lines = runs.map(
    (r) =>
      `\`${r.id.slice(0, 8)}\` ${escapeMrkdwn(r.title)}${r.env ? ` → ${escapeMrkdwn(r.env)}` : ""} · *${r.status.replace("_", " ")}* · <@${r.requestedBy}> · ${slackDate(r.createdAt, "{date_short_pretty} {time}", r.createdAt.toISOString())}`,
  );
  return {
    text: clamp(`Latest ${runs.length} runs`, 3000),
    blocks: [...sectionsFromLines(lines, 45, (n) => `_… ${n} more_`), context(["`/ops run <id>` shows a run's whole record."])],
  };
}

/** `/ops run <id>`: the run's audit trail, as `opsroom runs show` prints it. */
export function renderRunChain(chain: RunChain): SlackMessage {
  const { run } = chain;
  const when = (d: Date) => slackDate(d, "{date_short_pretty} {time}", d.toISOString());
  const lines = [
    chain.request ? `*Asked:* “${escapeMrkdwn(chain.request.text)}”` : "*Asked:* from a button or form",
    ...(chain.parse ? [`*Understood as:* ${chain.parse.runbook ?? "nothing"} ${escapeMrkdwn(JSON.stringify(chain.parse.params))}`] : []),
    `*Plan* \`${chain.planHash.slice(0, 12)}\`: ${chain.plan.steps.map((s) => `${s.phase}/${escapeMrkdwn(s.id)}`).join(", ")}`,
    `*Approvals:* ${chain.approvals.length === 0 ? "none" : chain.approvals.map((a) => `${a.decision === "approve" ? "✅" : "❌"} <@${a.approver}> ${when(a.createdAt)}${a.overrideReason ? ` (override: “${escapeMrkdwn(a.overrideReason)}”)` : ""}`).join(", ")}`,
    "*Events:*",
    ...chain.events.map(
      (e) => `${when(e.at)} ${e.kind}${e.stepId ? ` ${escapeMrkdwn(e.stepId)}` : ""}${e.message ? ` — ${escapeMrkdwn(e.message)}` : ""}`,
    ),
    `*Artifacts:* ${chain.artifacts.length === 0 ? "none" : chain.artifacts.map((a) => escapeMrkdwn(a.title)).join(", ")}`,
    `*Outcome:* ${run.status.replace("_", " ")}${run.summary ? ` — ${escapeMrkdwn(run.summary.split("\n")[0]!)}` : ""}`,
  ];
  return {
    text: clamp(`Run ${run.id.slice(0, 8)} · ${run.title} · ${run.status}`, 3000),
    blocks: [
      header(clamp(`Run ${run.id.slice(0, 8)} · ${run.title}${run.env ? ` → ${run.env}` : ""}`, 150)),
      fields([`*Status*\n${run.status.replace("_", " ")}`, `*Requested by*\n<@${run.requestedBy}> via ${run.source}`]),
      ...sectionsFromLines(lines, 40, (n) => `_… ${n} more lines: \`npx opsroom runs show ${run.id}\` has all of it_`),
    ],
  };
}
