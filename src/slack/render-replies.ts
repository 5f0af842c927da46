import type { DryRunStep } from "../executor/dry-run.js";
import type { Question, TriageOffer } from "../service/chat-use-cases.js";
import type { ParamValue } from "../parser/intent.js";
import { argsLine } from "../service/plan-words.js";
import { formatDuration } from "../service/time-text.js";
import type { Run, StoredArtifact } from "../store/types.js";
import { ACTION, encodeDraft, encodeRunRef } from "./action-ids.js";
import {
  actions,
  button,
  clamp,
  context,
  escapeMrkdwn,
  excerpt,
  LIMITS,
  section,
  sectionsFromLines,
  type Block,
  type SlackMessage,
} from "./block-kit.js";
import { plainIntent } from "./render-plan-card.js";
import type { RunProgress } from "./render-run-status.js";

/** Choices shown as buttons; the form lists every one. */
const MAX_CHOICE_BUTTONS = 20;
const ARTIFACT_EXCERPT_LINES = 10;
const ARTIFACT_EXCERPT_CHARS = 2400;

/** Plain text from the service (help, "not a command") as a message; its `code` spans stay code. */
export function renderText(text: string): SlackMessage {
  const escaped = escapeMrkdwn(text);
  return { text: clamp(escaped, LIMITS.fallbackText), blocks: sectionsFromLines(escaped.split("\n"), 10, (n) => `_… ${n} more lines_`) };
}

/**
 * A user-safe error: the message and hint of an OpsError, or "Something went wrong (ref …)". Escaped,
 * except that user and group mentions (`<@U…>`, `<!subteam^S…>`, how the service names approvers)
 * stay mentions.
 */
export function renderError(message: string, hint?: string): SlackMessage {
  const escape = (part: string) => escapeMrkdwn(part).replace(/&lt;(@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+)&gt;/g, "<$1>");
  const text = `⚠️ ${escape(message)}${hint ? `\n${escape(hint)}` : ""}`;
  return { text: clamp(text, LIMITS.fallbackText), blocks: [section(text)] };
}

/** Params as `name=value`, sorted by name (a plan read back from the database has its keys in another order). */
export function formatParams(params: Record<string, ParamValue>): string {
  const names = Object.keys(params).sort();
  if (names.length === 0) return "—";
  return names
    .map((k) => {
      const v = params[k];
      return `${escapeMrkdwn(k)}=\`${escapeMrkdwn(clamp(Array.isArray(v) ? v.join(",") : String(v), 120))}\``;
    })
    .join(" ");
}

/** A missing param with its choices as buttons (or a menu), plus "Did you mean …" and a form. */
export function renderQuestion(question: Question): SlackMessage {
  const blocks: Block[] = [section(`❓ ${escapeMrkdwn(question.text)}`)];
  if (question.runbook && Object.keys(question.params).length > 0) blocks.push(context([`So far: ${formatParams(question.params)}`]));
  const field = question.field;
  if (question.runbook && field?.choices && field.choices.length > 0) {
    const draft = { runbook: question.runbook, params: question.params };
    // One actions block holds 25 elements; a longer list is still complete in the form.
    blocks.push(
      actions(
        field.choices
          .slice(0, MAX_CHOICE_BUTTONS)
          .map((choice, i) =>
            button(choice, `${ACTION.pick}.${i}`, { value: encodeDraft({ ...draft, set: { name: field.name, value: choice } }) }),
          ),
        "question_choices",
      ),
    );
    if (field.choices.length > MAX_CHOICE_BUTTONS)
      blocks.push(context([`${field.choices.length - MAX_CHOICE_BUTTONS} more choices in the form.`]));
  }
  const more: Record<string, unknown>[] = [];
  question.alternatives.slice(0, 5).forEach((alt, i) => {
    more.push(
      button(`Did you mean ${alt.title}?`, `${ACTION.alternative}.${i}`, {
        value: encodeDraft({ runbook: alt.runbook, params: question.params }),
      }),
    );
  });
  if (question.runbook)
    more.push(button("Fill in a form…", ACTION.askForm, { value: encodeDraft({ runbook: question.runbook, params: question.params }) }));
  if (more.length > 0) blocks.push(actions(more, "question_more"));
  return { text: clamp(question.text, LIMITS.fallbackText), blocks };
}

/** The read-only triage runbooks, as buttons, for a message that reads like an incident report. */
export function renderTriageOffer(offer: TriageOffer): SlackMessage {
  const text = "This reads like an incident. I can collect facts — read-only, nothing changes:";
  const buttons = offer.options.map((o, i) => {
    const target = [o.params.service, o.params.env].filter((v) => typeof v === "string").join(" in ");
    return button(`${o.title}${target ? ` · ${target}` : ""}`, `${ACTION.triage}.${i}`, {
      value: encodeDraft({ runbook: o.runbook, params: o.params }),
      ...(i === 0 ? { style: "primary" as const } : {}),
    });
  });
  return { text, blocks: [section(`🩺 ${text}`), actions(buttons, "triage_offer")] };
}

/** Every call a real run would make (the dry run), none of them made. */
export function renderDryRun(run: Run, steps: readonly DryRunStep[]): SlackMessage {
  const lines = [
    `🧪 *Dry run* · ${escapeMrkdwn(run.title)}${run.env ? ` → ${escapeMrkdwn(run.env)}` : ""} · plan \`${run.planHash.slice(0, 8)}\` · nothing was called`,
  ];
  const source =
    steps.length > 0
      ? steps
      : run.plan.steps.concat(run.plan.rollback).map((s) => ({
          phase: s.phase,
          id: s.id,
          uses: s.uses,
          args: s.args,
          requests: [] as string[],
          note: undefined as string | undefined,
        }));
  source.forEach((s, i) => {
    lines.push(
      `${i + 1}. *${s.phase}* \`${escapeMrkdwn(s.id)}\` \`${escapeMrkdwn(s.uses)}\` ${escapeMrkdwn(clamp(argsLine(s.args, run.plan), 600))}`,
    );
    for (const request of s.requests) lines.push(`      → \`${escapeMrkdwn(clamp(request, 400))}\``);
    if (s.note) lines.push(`      _(${escapeMrkdwn(s.note)})_`);
  });
  return { text: `Dry run of ${run.title}`, blocks: sectionsFromLines(lines, 40, (n) => `_… ${n} more lines_`) };
}

/**
 * An artifact as a thread reply: its excerpt inline; `withFile` when the full content is attached.
 * `stepLabel` names the step that made it in plain words.
 */
export function renderArtifact(artifact: StoredArtifact, withFile: boolean, stepLabel?: string): SlackMessage {
  const lines = [`📎 *${escapeMrkdwn(clamp(artifact.title, 200))}*${stepLabel ? ` · from “${escapeMrkdwn(clamp(stepLabel, 120))}”` : ""}`];
  if (artifact.url) lines.push(`<${artifact.url}|${escapeMrkdwn(clamp(artifact.url, 200))}>`);
  let truncated = false;
  if (artifact.content) {
    const cut = excerpt(artifact.content, ARTIFACT_EXCERPT_LINES, ARTIFACT_EXCERPT_CHARS);
    truncated = cut.truncated;
    lines.push(`\`\`\`${cut.text}\`\`\``);
  }
  if (truncated) lines.push(withFile ? "_Excerpt — the full content is attached._" : "_Excerpt._");
  return {
    text: clamp(`Artifact: ${artifact.title}`, LIMITS.fallbackText),
    blocks: [section(clamp(lines.join("\n"), LIMITS.sectionText))],
  };
}

/** Whether an artifact's content is longer than the excerpt a reply shows. */
export function artifactNeedsFile(artifact: StoredArtifact): boolean {
  return artifact.content !== null && excerpt(artifact.content, ARTIFACT_EXCERPT_LINES, ARTIFACT_EXCERPT_CHARS).truncated;
}

export interface SummaryInput {
  run: Run;
  progress: RunProgress;
  links: readonly StoredArtifact[];
  /** The runbook's escalation contact: a resolved `<!subteam^…>` mention, or plain words. */
  escalation: string;
  canRetry: boolean;
}

const MAX_SUMMARY_LINES = 5;

/**
 * The final word, short: the outcome and how long it took, what it did or found, what was rolled
 * back, the links, and on failure the escalation contact, mentioned for real. The failure's reason
 * is not repeated here: the status message above states it, once.
 */
export function renderSummary(input: SummaryInput): SlackMessage {
  const { run, progress } = input;
  const took = run.startedAt && run.finishedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : undefined;
  const what = `*${escapeMrkdwn(plainIntent(run.plan))}*`;
  const failedAt = progress.failure ? ` at *${escapeMrkdwn(clamp(progress.failure.label, 120))}*` : "";
  const head =
    run.status === "succeeded"
      ? `✅ ${what} succeeded${took ? ` in ${took}` : ""}.`
      : run.outcomeUnknown
        ? `❓ ${what}: outcome unknown${failedAt} — check what it changed before running it again.`
        : run.status === "failed"
          ? `❌ ${what} failed${failedAt}${took ? ` after ${took}` : ""}.`
          : `⏹️ ${what} ${run.status}${took ? ` after ${took}` : ""}.`;
  const lines = [head];
  if (run.status === "succeeded") {
    const said = progress.steps.filter((s) => s.state === "done" && s.detail);
    const findings = run.plan.steps.some((s) => s.phase === "summarize")
      ? said.filter((s) => run.plan.steps.find((p) => p.id === s.id)?.phase === "summarize")
      : said;
    lines.push(...findings.slice(-MAX_SUMMARY_LINES).map((s) => `• ${escapeMrkdwn(clamp(s.detail ?? "", 600))}`));
  }
  if (progress.rollback) {
    const failed = progress.rollback.steps.find((s) => s.state === "failed");
    lines.push(
      failed
        ? `⚠️ The rollback failed at *${escapeMrkdwn(failed.label)}*: what was live before may not be back.`
        : `↩️ Rolled back: ${progress.rollback.steps.map((s) => escapeMrkdwn(s.label)).join(", ")}.`,
    );
  } else if (run.status === "failed" && run.mutationStarted) lines.push("Nothing was rolled back (the runbook has no rollback steps).");
  if (input.links.length > 0)
    lines.push(
      input.links
        .slice(0, 8)
        .map((l) => `<${l.url}|${escapeMrkdwn(clamp(l.title, 100))}>`)
        .join(" · "),
    );
  if (run.status === "failed") lines.push(`📣 ${input.escalation} · owner ${escapeMrkdwn(run.plan.owner)}`);
  const blocks: Block[] = [section(clamp(lines.join("\n"), LIMITS.sectionText))];
  if (run.status === "failed" && input.canRetry) {
    blocks.push(
      actions(
        [button("Plan it again", ACTION.retry, { value: encodeRunRef({ runId: run.id, planHash: run.planHash }) })],
        "summary_actions",
      ),
    );
  }
  return { text: clamp(head.replace(/[*`]/g, ""), LIMITS.fallbackText), blocks };
}

/** A contact as Slack shows it: a `<!subteam^…>` mention when one was resolved, otherwise plain words (no dead "@handle"). */
export function contactText(contact: string, resolved?: string): string {
  if (resolved && resolved.startsWith("<!subteam^")) return resolved;
  return escapeMrkdwn(contact.replace(/^@/, ""));
}
