import type { BoardItem, BoardStatus } from "../../adapters/report/ops-board.js";
import type { OpsBoardView } from "../service/board-use-cases.js";
import { context, divider, escapeMrkdwn, section, sectionsFromLines, timeAgo, type Block, type SlackMessage } from "./block-kit.js";

export const BOARD_MARK: Readonly<Record<BoardStatus, string>> = { Healthy: "🟢", Done: "✅", Warning: "🟡", Blocked: "🔴", Unknown: "⚪" };
export const BOARD_VERDICT: Readonly<Record<OpsBoardView["verdict"], string>> = { yes: "✅ yes", no: "⛔ no", unknown: "❔ unknown" };
/** Blocks per board section; the message stays under Slack's 50. */
const MAX_SECTION_BLOCKS = 4;

const e = escapeMrkdwn;
/** "updated 3 h ago by U0ALICE01" → a mention people can click. */
export const boardMention = (text: string) => e(text).replace(/\bby ([UW][A-Z0-9]{2,})$/, "by <@$1>");

function line(i: BoardItem): string {
  const parts = [`${BOARD_MARK[i.status]} *${e(i.name)}*`];
  if (i.lane) parts.push(e(i.lane));
  if (i.metric) parts.push(`${e(i.metric)}: ${e(i.value ?? i.detail)}`);
  else if (i.section !== "checklist" && i.detail) parts.push(e(i.detail));
  parts.push(`Owner: ${e(i.owner ?? "Unassigned")}`);
  const why = [...i.reasons, ...(i.notes && !i.reasons.some((r) => r.includes(i.notes!)) ? [i.notes] : [])].join("; ");
  return `${parts.join(" · ")}${why ? ` — ${e(why)}` : ""}${i.updated ? ` · _${boardMention(i.updated)}_` : ""}`;
}

/**
 * The channel's one ops board message (seed 000's board in Block Kit): the verdict, overall and per block,
 * then feature-flag telemetry, the cut-over checklist, telemetry feeds and the latest deploys, each item
 * with its status mark, owner and why.
 */
export function renderBoardMessage(board: OpsBoardView, options: { timeZone: string; now: Date }): SlackMessage {
  const headline = `Ops board · ${board.env} — safe to cut over: ${board.verdict}`;
  const blocks: Block[] = [
    section(`🛫 *Ops board · ${e(board.env)}* — safe to cut over: *${BOARD_VERDICT[board.verdict]}*`),
    context([
      `Read ${timeAgo(new Date(board.generatedAt), options.timeZone, options.now)} by run \`${board.runId.slice(0, 8)}\`${board.checklistLive ? " · checklist as it stands now" : ""} · ask "show me the ops board" to read the feeds again`,
    ]),
  ];
  if (board.reasons.length) blocks.push(section(board.reasons.map((r) => `• ${e(r)}`).join("\n")));
  blocks.push(context([board.blocks.map((b) => `${e(b.block)}: ${BOARD_VERDICT[b.verdict]}`).join("  ·  ")]));
  const part = (section: BoardItem["section"], heading: string) => {
    const items = board.items.filter((i) => i.section === section);
    if (!items.length) return;
    blocks.push(divider());
    blocks.push(
      ...sectionsFromLines(
        [`*${heading}*`, ...items.map(line)],
        MAX_SECTION_BLOCKS,
        (hidden) => `_…and ${hidden} more in the run's ops-board.md_`,
      ),
    );
  };
  part("flag", `Feature flag telemetry · ${board.items.filter((i) => i.section === "flag").length} tracked flags`);
  part("checklist", "Cut-over checklist");
  part("feed", "Telemetry feeds");
  part("deploy", "Latest deploys");
  return { text: headline, blocks };
}
