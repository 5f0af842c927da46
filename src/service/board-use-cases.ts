import type { BlockVerdict, BoardItem } from "../../adapters/report/ops-board.js";
import type { Run, StoredArtifact } from "../store/types.js";
import type { OpsServiceDeps } from "./ops-service.js";

export const BOARD_RUNBOOK = "ops-board";
export const BOARD_DATA_FILE = "ops-board.json";

/** A board as an ops-board run recorded it (its `ops-board.json` artifact), for the Slack board message. */
export interface OpsBoardView {
  env: string;
  verdict: BlockVerdict["verdict"];
  reasons: string[];
  missing: string[];
  blocks: BlockVerdict[];
  items: BoardItem[];
  generatedAt: string;
  run: Run;
}

/** How far back a channel's latest board is looked for. */
const HISTORY_MS = 30 * 24 * 3600_000;

/** The board of a finished ops-board run, or undefined (another runbook, failed, or no board data). */
export function boardOf(run: Run, artifacts: readonly StoredArtifact[]): OpsBoardView | undefined {
  if (run.runbook !== BOARD_RUNBOOK || run.status !== "succeeded") return undefined;
  const json = artifacts.find((a) => a.kind === "json" && a.filename === BOARD_DATA_FILE)?.content;
  if (!json) return undefined;
  try {
    return { ...(JSON.parse(json) as Omit<OpsBoardView, "run">), run };
  } catch {
    return undefined;
  }
}

/**
 * The ops board in a Slack channel: one message kept up to date with the channel's latest board. Where the
 * message is lives in the database (board_messages), so several opsroom processes post it once.
 */
export function createBoardUseCases(deps: OpsServiceDeps) {
  const { store } = deps;
  return {
    /** The newest finished board shown in the channel; undefined before any. */
    async latestBoard(channel: string): Promise<OpsBoardView | undefined> {
      const since = new Date(deps.clock().getTime() - HISTORY_MS);
      const runs = await store.incidents.listRunsInChannel(channel, since, 500);
      for (const run of [...runs].reverse()) {
        const board = boardOf(run, run.runbook === BOARD_RUNBOOK && run.status === "succeeded" ? await store.listArtifacts(run.id) : []);
        if (board) return board;
      }
      return undefined;
    },
    /** Where the channel's board message is: `messageTs` null while another process is posting it. */
    boardMessage: (channel: string) => store.board.getBoardMessage(channel),
    claimBoardMessage: (channel: string) => store.board.claimBoardMessage(channel),
    recordBoardMessage: (channel: string, messageTs: string) => store.board.setBoardMessage(channel, messageTs),
    releaseBoardMessage: (channel: string) => store.board.releaseBoardMessage(channel),
  };
}
