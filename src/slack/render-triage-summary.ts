import { timeFormatter } from "../../adapters/report/timeline.js";
import { slackMessageLink } from "../../adapters/shared/slack-link.js";
import type { IncidentSummary } from "../service/incident-use-cases.js";
import { offersOf } from "../service/triage-results.js";
import type { Run } from "../store/types.js";
import { ACTION, encodeDraft } from "./action-ids.js";
import { actions, button, clamp, context, escapeMrkdwn, excerpt, LIMITS, section, type Block, type SlackMessage } from "./block-kit.js";

const MAX_RUNS_LISTED = 15;
const STATUS_MARK: Readonly<Record<Run["status"], string>> = {
  pending_approval: "⏸️",
  queued: "⏳",
  running: "▶️",
  succeeded: "✅",
  failed: "❌",
  cancelled: "⏹️",
  rejected: "🚫",
  expired: "⌛",
};

/**
 * The incident channel's one triage message, kept up to date: the latest triage's suspect (or why there
 * is none) with its evidence, the errors and health it saw, what it could not check, the proposed fix,
 * the way back as buttons (each a plan that still needs its approvals), and every later run in the
 * channel with a link to its card.
 */
export function renderTriageSummary(summary: IncidentSummary, options: { timeZone: string; now: Date }): SlackMessage {
  const { latest } = summary;
  const { triage, fix } = latest;
  const t = timeFormatter(options.timeZone, options.now.getTime());
  const at = (iso: string | null | undefined) => (iso ? t(Date.parse(iso)) : "?");
  const who = `${triage.service ?? "every service"} in ${triage.env}`;
  const top = triage.suspects[0];
  const headline = top ? `Likely suspect: ${top.summary}` : `No suspect found`;
  const blocks: Block[] = [
    section(`🧯 *Incident triage · ${escapeMrkdwn(who)}*${triage.symptom ? ` — ${escapeMrkdwn(triage.symptom)}` : ""}`),
    context([`Updated ${at(options.now.toISOString())} (${options.timeZone}) from triage run \`${latest.run.id.slice(0, 8)}\``]),
  ];
  if (top) {
    blocks.push(
      section(
        clamp(
          [
            `*Likely suspect:* ${escapeMrkdwn(top.summary)}${top.link ? ` (<${top.link}|link>)` : ""}`,
            `*Evidence:* ${escapeMrkdwn(top.evidence)}`,
            `*Why it counts:* ${escapeMrkdwn(top.rule)}`,
            ...triage.suspects.slice(1).map((s) => `*Also:* ${escapeMrkdwn(s.evidence)}`),
          ].join("\n"),
          LIMITS.sectionText,
        ),
      ),
    );
  } else {
    blocks.push(section(clamp(`*No suspect found:* ${escapeMrkdwn(triage.noSuspect ?? "nothing fit the rule")}`, LIMITS.sectionText)));
  }
  const seen = [
    ...triage.signatures
      .slice(0, 3)
      .map(
        (s) =>
          `${s.isNew ? "🆕" : "•"} \`${escapeMrkdwn(clamp(s.signature, 140))}\` ×${s.count}, first ${at(s.firstSeen)}${s.service ? ` (${escapeMrkdwn(s.service)})` : ""}`,
      ),
    ...triage.health.map(
      (h) =>
        `${h.healthy ? "🟢" : h.healthy === false ? "🔴" : "⚪"} ${escapeMrkdwn(h.service ?? "environment")}: ${escapeMrkdwn(h.detail)}`,
    ),
  ];
  if (seen.length) blocks.push(section(clamp(`*Seen:*\n${seen.join("\n")}`, LIMITS.sectionText)));
  if (triage.notChecked.length) {
    blocks.push(context([clamp(`Not checked: ${triage.notChecked.map((n) => `${n.what} — ${n.why}`).join("; ")}`, 2000)]));
  }
  if (fix?.proposed && fix.file && fix.excerpt) {
    const cut = excerpt(fix.excerpt.join("\n"), 12, 1500);
    blocks.push(
      section(
        `*Proposed fix:* the top error has a stack frame at \`${escapeMrkdwn(`${fix.file}:${fix.line}`)}\`, changed by the suspect deploy:\n\`\`\`${cut.text}\`\`\``,
      ),
    );
  }
  const offers = offersOf(latest);
  // The action id names the triage the buttons came from (see handlers/actions.ts).
  const id = (i: number) => `${ACTION.wayBack}.${i}.${latest.run.id.replace(/-/g, "").slice(0, 8)}`;
  const buttons = offers.map((o, i) =>
    button(o.label, id(i), {
      value: encodeDraft({ runbook: o.runbook, params: o.params }),
      ...(i === 0 ? { style: "primary" as const } : {}),
    }),
  );
  const params = {
    env: triage.env,
    ...(triage.service ? { service: triage.service } : {}),
    ...(triage.symptom ? { symptom: triage.symptom } : {}),
  };
  buttons.push(button("Run triage again", id(offers.length), { value: encodeDraft({ runbook: latest.run.runbook, params }) }));
  blocks.push(actions(buttons, "triage_way_back"));
  blocks.push(
    context([
      offers.length
        ? "Each button plans the change for approval; nothing runs until it is approved."
        : "Nothing to undo was found; triage can run again.",
    ]),
  );
  const later = summary.runs.filter((r) => r.id !== latest.run.id);
  if (later.length) {
    const lines = later.slice(-MAX_RUNS_LISTED).map((r) => {
      const link =
        typeof r.origin.channel === "string" && typeof r.origin.messageTs === "string"
          ? slackMessageLink(r.origin.channel, r.origin.messageTs)
          : null;
      const label = `${r.title}${r.service ? ` of ${r.service}` : ""}${r.env ? ` in ${r.env}` : ""}`;
      return `${STATUS_MARK[r.status]} ${at(r.createdAt.toISOString())} ${link ? `<${link}|${escapeMrkdwn(label)}>` : escapeMrkdwn(label)} — ${r.status.replace("_", " ")}`;
    });
    blocks.push(section(clamp(`*Runs in this channel since the first triage:*\n${lines.join("\n")}`, LIMITS.sectionText)));
  }
  return { text: clamp(`Incident triage of ${who}: ${headline}`, LIMITS.fallbackText), blocks };
}

/** The note with an uploaded postmortem draft. */
export function renderPostmortemNote(title: string): SlackMessage {
  const text = `📝 ${title} — a draft from what opsroom saw and ran here. Check it, then write the cause and the lessons.`;
  return { text, blocks: [section(escapeMrkdwn(text))] };
}
