import type { OpsBoardView } from "../service/board-use-cases.js";
import { VIEW } from "./action-ids.js";
import { clamp, LIMITS } from "./block-kit.js";
import { renderBoardMessage } from "./render-board-message.js";

/** The whole ops board in a modal (App Home's "Show full board"): the board message's content, read-only. */
export function renderBoardModal(board: OpsBoardView, options: { timeZone: string; now: Date }): Record<string, unknown> {
  const { blocks } = renderBoardMessage(board, options);
  return {
    type: "modal",
    callback_id: VIEW.opsBoard,
    // A modal's title is at most 24 characters.
    title: { type: "plain_text", text: clamp(`Ops board · ${board.env}`, 24) },
    close: { type: "plain_text", text: "Close" },
    blocks: blocks.slice(0, LIMITS.viewBlocks),
  };
}
