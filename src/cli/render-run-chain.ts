import type { RunChain } from "../service/run-chain.js";
import type { Run } from "../store/types.js";

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : "");

/** One line per run for `opsroom runs list`. */
export function renderRunLine(run: Run): string {
  return [
    run.id.slice(0, 8),
    iso(run.createdAt).slice(0, 19).replace("T", " "),
    run.status.padEnd(16),
    `${run.runbook}${run.env ? `→${run.env}` : ""}`.padEnd(24),
    run.requestedBy,
  ].join("  ");
}

/** The whole chain as text, for `opsroom runs show`. */
export function renderChainText(chain: RunChain): string {
  const { run } = chain;
  const lines = [
    `Run ${run.id} · ${run.title}${run.env ? ` → ${run.env}` : ""} · ${run.status}`,
    `requested by ${run.requestedBy} via ${run.source} at ${iso(run.createdAt)}`,
    chain.request
      ? `message: ${JSON.stringify(chain.request.text)}${chain.request.channel ? ` (channel ${chain.request.channel})` : ""}`
      : "message: (not kept: made from a button or form)",
    chain.parse
      ? `parse: ${chain.parse.runbook ?? "no runbook"} ${JSON.stringify(chain.parse.params)} confidence ${chain.parse.confidence.toFixed(2)}`
      : "parse: (none)",
    `plan ${chain.planHash}: ${chain.plan.steps.map((s) => `${s.phase}/${s.id} ${s.uses}`).join(", ")}`,
    "approvals:",
    ...(chain.approvals.length === 0
      ? ["  (none)"]
      : chain.approvals.map(
          (a) =>
            `  ${iso(a.createdAt)}  ${a.decision.padEnd(7)} ${a.approver}  plan ${a.planHash.slice(0, 8)}${a.overrideReason ? `  override: ${a.overrideReason}` : ""}`,
        )),
    "events:",
    ...chain.events.map(
      (e) =>
        `  ${iso(e.at)}  ${e.kind}${e.phase ? ` ${e.phase}` : ""}${e.stepId ? `/${e.stepId}` : ""}${e.message ? ` — ${e.message}` : ""}`,
    ),
    "artifacts:",
    ...(chain.artifacts.length === 0
      ? ["  (none)"]
      : chain.artifacts.map(
          (a) => `  #${a.id} ${a.kind} ${a.title}${a.url ? ` ${a.url}` : ""}${a.content ? ` (${a.content.length} chars)` : ""}`,
        )),
    `outcome: ${chain.outcome.status}${chain.outcome.failedStep ? ` at ${chain.outcome.failedStep}` : ""}${chain.outcome.finishedAt ? ` at ${iso(chain.outcome.finishedAt)}` : ""}`,
    ...(chain.outcome.summary ? chain.outcome.summary.split("\n").map((l) => `  ${l}`) : []),
  ];
  return lines.join("\n");
}
