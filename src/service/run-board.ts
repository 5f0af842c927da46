import type { PeopleConfig } from "../config/config-schema.js";
import type { Config } from "../config/load-config.js";
import type { Store } from "../store/store.js";
import type { QueuePosition, Run, WorkerHealth } from "../store/types.js";

/** Where a run on the board stands. `scheduled` is queued for a later time. */
export type BoardState = "running" | "queued" | "scheduled" | "waiting";

/**
 * One run on the board, with what a person watching needs: its place in its lane's queue, or who may
 * approve it, how many approvals it has and when it expires.
 *
 * @example { run, state: "waiting", approval: { have: 0, need: 1, approvers: { users: ["U0BOB"], groups: [] }, anyone: false, expiresAt } }
 */
export interface BoardRun {
  run: Run;
  state: BoardState;
  position?: QueuePosition;
  approval?: { have: number; need: number; approvers: PeopleConfig; anyone: boolean; expiresAt: Date | null };
}

/** A lane: the runs of one lock key's service × env (one mutating run at a time runs in it). */
export interface BoardLane {
  key: string;
  service: string | null;
  env: string | null;
  runs: BoardRun[];
}

export interface Board {
  lanes: BoardLane[];
  workers: WorkerHealth[];
  at: Date;
}

const STATE_ORDER: Record<BoardState, number> = { running: 0, queued: 1, waiting: 2, scheduled: 3 };
/** More open runs than this is a backlog, not a board: the page says how many are not shown. */
export const BOARD_LIMIT = 300;

/** The runs now (running, queued, waiting for approval, scheduled) by lane, and the workers. */
export function createRunBoard(deps: { store: Store; config: Config; clock: () => Date }) {
  const { store, config } = deps;
  const isProtected = (run: Run) => run.env !== null && config.environments[run.env]?.protected === true;
  return {
    async board(): Promise<Board> {
      const [runs, workers] = await Promise.all([
        store.listRuns({ statuses: ["running", "queued", "pending_approval"], limit: BOARD_LIMIT }),
        store.listWorkerHealth(),
      ]);
      const entries = await Promise.all(runs.map((run) => boardRun(run)));
      const lanes = new Map<string, BoardLane>();
      for (const entry of entries) {
        const { service, env } = entry.run;
        const key = `${service ?? "—"} × ${env ?? "—"}`;
        const lane = lanes.get(key) ?? { key, service, env, runs: [] };
        lane.runs.push(entry);
        lanes.set(key, lane);
      }
      for (const lane of lanes.values()) {
        lane.runs.sort(
          (a, b) =>
            STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
            (a.position?.ahead ?? 0) - (b.position?.ahead ?? 0) ||
            a.run.createdAt.getTime() - b.run.createdAt.getTime(),
        );
      }
      return { lanes: [...lanes.values()].sort((a, b) => a.key.localeCompare(b.key)), workers, at: deps.clock() };
    },
  };

  async function boardRun(run: Run): Promise<BoardRun> {
    if (run.status === "running") return { run, state: "running" };
    if (run.status === "queued") {
      const position = await store.queuePosition(run.id);
      return { run, state: position && !position.due ? "scheduled" : "queued", ...(position ? { position } : {}) };
    }
    const approvals = await store.listApprovals(run.id);
    const approvers = run.plan.approval.approvers;
    return {
      run,
      state: "waiting",
      approval: {
        have: approvals.filter((a) => a.counts && a.decision === "approve").length,
        need: run.requiredApprovals,
        approvers,
        // The rule of run-permissions.ts: no approvers named means anyone, except in a protected env.
        anyone: approvers.users.length + approvers.groups.length === 0 && !isProtected(run),
        expiresAt: run.expiresAt,
      },
    };
  }
}
