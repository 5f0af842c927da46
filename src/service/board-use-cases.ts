import { currentChecklist } from "../../adapters/board/checklist.js";
import { checklistItem } from "../../adapters/report/board-items.js";
import { boardVerdicts, type BlockVerdict, type BoardItem } from "../../adapters/report/ops-board.js";
import { OpsError } from "../errors.js";
import type { ParamValue } from "../parser/intent.js";
import type { Runbook } from "../runbook/runbook-schema.js";
import { TERMINAL_STATUSES, type Run, type StoredArtifact } from "../store/types.js";
import type { OpsServiceDeps, Requester } from "./ops-service.js";

type PlanRun = (runbook: Runbook, params: Record<string, ParamValue>, requester: Requester) => Promise<{ run: Run }>;

export const BOARD_RUNBOOK = "ops-board";
export const BOARD_DATA_FILE = "ops-board.json";
/** The env a board run that names none reads (the runbook's default: where a cutover happens). */
export const DEFAULT_BOARD_ENV = "prod";
/** The runbook whose runs change checklist steps. */
export const CHECKLIST_RUNBOOK = "checklist";

/** A board as an ops-board run recorded it (its `ops-board.json` artifact), for the Slack board message and App Home. */
export interface OpsBoardView {
  env: string;
  verdict: BlockVerdict["verdict"];
  reasons: string[];
  missing: string[];
  blocks: BlockVerdict[];
  items: BoardItem[];
  /** When its run read the feeds. */
  generatedAt: string;
  /** The run that read it. */
  runId: string;
  /** The checklist is as it stands now (changed since the run read it, perhaps), not as the run read it. */
  checklistLive?: boolean;
}

/** The board for App Home when none is on record: read now, within a time limit. */
export type BoardReading =
  { kind: "read"; board: OpsBoardView } | { kind: "pending"; runId: string } | { kind: "failed"; runId: string; reason: string };

/** How far back a channel's latest board is looked for. */
const HISTORY_MS = 30 * 24 * 3600_000;
/** Openings of App Home within one such window share one board run when none is on record. */
const READ_BUCKET_MS = 10 * 60_000;

/** The board of a finished ops-board run, or undefined (another runbook, failed, or no board data). */
export function boardOf(run: Run, artifacts: readonly StoredArtifact[]): OpsBoardView | undefined {
  if (run.runbook !== BOARD_RUNBOOK || run.status !== "succeeded") return undefined;
  const json = artifacts.find((a) => a.kind === "json" && a.filename === BOARD_DATA_FILE)?.content;
  return json ? parseBoard(json, run.id) : undefined;
}

function parseBoard(json: string, runId: string): OpsBoardView | undefined {
  try {
    return { ...(JSON.parse(json) as Omit<OpsBoardView, "runId">), runId };
  } catch {
    return undefined;
  }
}

/**
 * The ops board outside its run: the newest reading on record, shown with the cut-over checklist as it stands
 * now (a step changed from chat shows at once, without reading every feed again), in each Slack channel's one
 * board message and in App Home. Where a channel's message is lives in the database (board_messages), so
 * several opsroom processes post it once.
 */
export function createBoardUseCases(deps: OpsServiceDeps, planRun: PlanRun) {
  const { store, config } = deps;

  /** `board` with its checklist items and verdicts from the checklist's stored states, when it shows the checklist. */
  const withLiveChecklist = async (board: OpsBoardView): Promise<OpsBoardView> => {
    const steps = config.board.checklist;
    if (steps.length === 0 || !board.items.some((i) => i.section === "checklist")) return board;
    const now = deps.clock().getTime();
    const live = (await currentChecklist(steps, store.board)).map((step) =>
      checklistItem(
        {
          ...step,
          ...(step.updatedAt ? { updatedAt: step.updatedAt } : {}),
          ...(step.updatedBy ? { updatedBy: step.updatedBy } : {}),
        } as Parameters<typeof checklistItem>[0],
        now,
      ),
    );
    // The checklist keeps its place among the sections.
    const at = board.items.findIndex((i) => i.section === "checklist");
    const others = board.items.filter((i) => i.section !== "checklist");
    const items = [...others.slice(0, at), ...live, ...others.slice(at)];
    const { blocks, overall, reasons } = boardVerdicts(items);
    return { ...board, items, blocks, verdict: overall.verdict, reasons, missing: overall.missing, checklistLive: true };
  };

  /** The newest board of `env` on record, with the checklist as it stands; undefined before any. */
  const currentBoard = async (env: string): Promise<OpsBoardView | undefined> => {
    const latest = await store.board.latestBoardData(env);
    const board = latest ? parseBoard(latest.content, latest.runId) : undefined;
    return board ? withLiveChecklist(board) : undefined;
  };

  /** Resolves when the run is final or `timeoutMs` passed; the run as it then is. */
  const awaitRun = async (runId: string, timeoutMs: number): Promise<Run | undefined> => {
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    const unlisten = await store.onRunEvent((id) => id === runId && wake?.());
    try {
      for (;;) {
        const run = await store.getRun(runId);
        if (!run || (TERMINAL_STATUSES.includes(run.status) && run.finishedAt) || Date.now() >= deadline) return run;
        await new Promise<void>((resolve) => {
          // A run's last event comes just before its row turns final: look again shortly, not only on events.
          const timer = setTimeout(resolve, Math.min(250, Math.max(1, deadline - Date.now())));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      wake = undefined;
      await unlisten();
    }
  };

  return {
    currentBoard,

    /**
     * The board a channel shows: the env of the newest board shown there, at its newest reading on record
     * (from any channel, schedule or the console), with the checklist as it stands; undefined before any.
     */
    async latestBoard(channel: string): Promise<OpsBoardView | undefined> {
      const since = new Date(deps.clock().getTime() - HISTORY_MS);
      const runs = await store.incidents.listRunsInChannel(channel, since, 500);
      for (const run of [...runs].reverse()) {
        if (run.runbook !== BOARD_RUNBOOK || run.status !== "succeeded") continue;
        const shown = boardOf(run, await store.listArtifacts(run.id));
        if (!shown) continue;
        return (await currentBoard(shown.env)) ?? withLiveChecklist(shown);
      }
      return undefined;
    },

    /**
     * The env whose board App Home shows: the first of the config's board.envs, else prod; undefined when the
     * ops board runbook is not loaded or the config has no such env (App Home then shows no board).
     */
    homeBoardEnv(): string | undefined {
      const env = config.board.envs?.[0] ?? DEFAULT_BOARD_ENV;
      return deps.runbooks.some((r) => r.id === BOARD_RUNBOOK) && env in config.environments ? env : undefined;
    },

    /**
     * For App Home when no board is on record: reads one now (an ops-board run, the one already on its way
     * or a new one shared by everyone opening App Home in the next minutes) and waits up to `timeoutMs`.
     */
    async readBoardNow(user: string, timeoutMs: number, env: string): Promise<BoardReading> {
      const open = await store.listRuns({ statuses: ["queued", "running"], limit: 40 });
      let run = open.find((r) => r.runbook === BOARD_RUNBOOK && (r.env ?? DEFAULT_BOARD_ENV) === env);
      const runbook = deps.runbooks.find((r) => r.id === BOARD_RUNBOOK);
      if (!run && runbook) {
        const bucket = Math.floor(deps.clock().getTime() / READ_BUCKET_MS);
        const requester = { user, source: "slack", idempotencyKey: `app-home:ops-board:${env}:${bucket}`, request: { text: "ops board" } };
        try {
          run = (await planRun(runbook, { env }, requester)).run;
        } catch (error) {
          const reason = error instanceof OpsError ? error.userMessage : "it could not be planned";
          deps.log.warn({ err: error, env }, "reading the ops board for App Home could not be planned");
          return { kind: "failed", runId: "", reason };
        }
      }
      if (!run) return { kind: "failed", runId: "", reason: `no ${BOARD_RUNBOOK} runbook is loaded` };
      if (run.status === "pending_approval") return { kind: "failed", runId: run.id, reason: "reading the board waits for an approval" };
      const done = await awaitRun(run.id, timeoutMs);
      if (done?.status === "succeeded") {
        const board = boardOf(done, await store.listArtifacts(done.id));
        if (board) return { kind: "read", board: await withLiveChecklist(board) };
      }
      if (done && TERMINAL_STATUSES.includes(done.status))
        return { kind: "failed", runId: done.id, reason: done.error ?? `the board run ${done.status.replace("_", " ")}` };
      return { kind: "pending", runId: run.id };
    },

    /** Changes when what a board shows changes (a checklist step, a newer reading): see BoardRecords.boardVersion. */
    boardVersion: () => store.board.boardVersion(),
    /** Channels with a board message posted. */
    boardChannels: () => store.board.listBoardMessageChannels(),
    /** Where the channel's board message is: `messageTs` null while another process is posting it. */
    boardMessage: (channel: string) => store.board.getBoardMessage(channel),
    claimBoardMessage: (channel: string) => store.board.claimBoardMessage(channel),
    recordBoardMessage: (channel: string, messageTs: string) => store.board.setBoardMessage(channel, messageTs),
    releaseBoardMessage: (channel: string) => store.board.releaseBoardMessage(channel),
  };
}
