import type { BoardItem } from "../../adapters/report/ops-board.js";
import type { OpsBoardView } from "../service/board-use-cases.js";
import { ACTION } from "./action-ids.js";
import { button, context, divider, escapeMrkdwn, section, sectionsFromLines, timeAgo, type Block } from "./block-kit.js";
import { BOARD_MARK, BOARD_VERDICT, boardMention } from "./render-board-message.js";

/** What App Home's first section shows: the board on record, or why there is none yet. */
export type HomeBoard =
  | { kind: "board"; board: OpsBoardView }
  /** None on record: being read now (the Home is published again when it is read or the wait is over). */
  | { kind: "reading"; env: string }
  | { kind: "pending"; env: string; runId: string }
  | { kind: "failed"; env: string; runId: string; reason: string };

/** Sections per list (blocks, the checklist, the feeds): App Home has room for 100 blocks, the board takes at most 9. */
const MAX_LIST_BLOCKS = 2;
const e = escapeMrkdwn;

/**
 * App Home's first section, the ops board at a glance: the verdict overall and per block (with what blocks it,
 * or which settings are missing), each checklist step with its status, owner and last change, and each feed's
 * age; "Show full board" opens all of it.
 */
export function renderHomeBoard(home: HomeBoard, options: { timeZone: string; now: Date }): Block[] {
  if (home.kind !== "board") {
    const title = `🛫 *Ops board · ${e(home.env)}*`;
    const text =
      home.kind === "reading"
        ? `${title} — no board on record yet; reading it now…`
        : home.kind === "pending"
          ? `${title} — no board on record yet; its reading (run \`${home.runId.slice(0, 8)}\`) is taking longer than App Home waits. Open App Home again in a minute.`
          : `${title} — no board on record, and reading one failed${home.runId ? ` (run \`${home.runId.slice(0, 8)}\`)` : ""}: ${e(home.reason)}`;
    return [section(text), divider()];
  }
  const { board } = home;
  const blocks: Block[] = [
    section(`🛫 *Ops board · ${e(board.env)}* — safe to cut over: *${BOARD_VERDICT[board.verdict]}*`, {
      accessory: button("Show full board", ACTION.showBoard, { value: board.env }),
    }),
    context([
      `Read ${timeAgo(new Date(board.generatedAt), options.timeZone, options.now)} by run \`${board.runId.slice(0, 8)}\`${board.checklistLive ? " · checklist as it stands now" : ""}`,
    ]),
  ];
  if (board.blocks.length)
    blocks.push(
      ...sectionsFromLines(board.blocks.map(blockLine), MAX_LIST_BLOCKS, (hidden) => `_…and ${hidden} more blocks: Show full board_`),
    );
  const list = (heading: string, items: readonly BoardItem[], line: (i: BoardItem) => string) => {
    if (!items.length) return;
    blocks.push(
      ...sectionsFromLines([`*${heading}*`, ...items.map(line)], MAX_LIST_BLOCKS, (hidden) => `_…and ${hidden} more: Show full board_`),
    );
  };
  list(
    "Cut-over checklist",
    board.items.filter((i) => i.section === "checklist"),
    stepLine,
  );
  list(
    "Telemetry feeds",
    board.items.filter((i) => i.section === "feed"),
    feedLine,
  );
  blocks.push(divider());
  return blocks;
}

function blockLine(b: OpsBoardView["blocks"][number]): string {
  const why =
    b.verdict === "no" && b.blocking.length
      ? ` — ${e(b.blocking.join("; "))}`
      : b.verdict === "unknown" && b.missing.length
        ? ` — set ${e(b.missing.join(", "))}`
        : "";
  return `${BOARD_VERDICT[b.verdict]} *${e(b.block)}*${why}`;
}

function stepLine(i: BoardItem): string {
  const parts = [`${BOARD_MARK[i.status]} *${e(i.name)}*`, i.status, `Owner: ${e(i.owner ?? "Unassigned")}`];
  if (i.notes) parts.push(e(i.notes));
  return `${parts.join(" · ")}${i.updated ? ` · _${boardMention(i.updated)}_` : ""}`;
}

function feedLine(i: BoardItem): string {
  const age = i.status === "Unknown" || i.status === "Blocked" ? i.reasons.join("; ") || i.detail : i.detail;
  const stale = i.status === "Warning" && i.reasons.length ? ` — ${i.reasons.join("; ")}` : "";
  return `${BOARD_MARK[i.status]} *${e(i.name)}* · ${e(age)}${e(stale)}${i.owner ? ` · Owner: ${e(i.owner)}` : ""}`;
}
