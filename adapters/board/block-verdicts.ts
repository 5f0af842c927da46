import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { listArg } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { formatAge } from "../report/evidence.js";
import type { ChecklistStore } from "./checklist.js";

export const blockVerdictsArgs = z.strictObject({
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** The board blocks the deploy or flag change depends on (its config's boardBlocks). */
  blocks: listArg(z.string().min(1), "must be a list of board blocks, like [migrations, flags]"),
});

interface StoredBlock {
  block: string;
  verdict: string;
  blocking?: string[];
  missing?: string[];
}

/**
 * For a deploy's or flag change's preflight: the latest ops board of the env, read for the blocks the config
 * names, so approvers see "migrations: no — 2 pending" before they decide. It never fails the step (a board
 * may be hours old): a "no" asks for an override instead, so approving over it is the approvers' call, made
 * with it in sight and a reason on record. "unknown" is only shown.
 */
export function createBlockVerdicts(store: ChecklistStore | undefined, clock: Clock): AdapterAction {
  return adapterAction("board", "blockVerdicts", {
    description: "Show the latest ops board's verdict for the blocks a change depends on (preflight of deploys and flag changes).",
    args: blockVerdictsArgs,
    risk: "read",
    async run(args) {
      if (!store)
        throw new AdapterError("board", "blockVerdicts", "BOARD_UNAVAILABLE", "The ops board's store is not open in this process.");
      const latest = await store.latestBoardData(args.env);
      if (!latest) {
        return {
          summary: `no ops board of ${args.env} on record: ${args.blocks.join(", ")} unknown (ask "show the ops board for ${args.env}")`,
          data: { env: args.env, verdicts: args.blocks.map((block) => ({ block, verdict: "unknown" })), boardAt: null },
        };
      }
      const board = JSON.parse(latest.content) as { blocks?: StoredBlock[]; generatedAt?: string };
      // When the board was read (its own clock), else when its run finished.
      const readAt = Date.parse(board.generatedAt ?? "") || latest.finishedAt.getTime();
      const verdicts = args.blocks.map(
        (block) => board.blocks?.find((b) => b.block === block) ?? { block, verdict: "unknown", blocking: [], missing: [] },
      );
      const age = formatAge(clock.now() - readAt);
      const text = verdicts.map((v) =>
        v.verdict === "no"
          ? `${v.block}: no — ${(v.blocking ?? []).join("; ")}`
          : v.verdict === "unknown" && v.missing?.length
            ? `${v.block}: unknown (set ${v.missing.join(", ")})`
            : `${v.block}: ${v.verdict}`,
      );
      const blocked = verdicts.some((v) => v.verdict === "no");
      // Only a "no" asks the approver for a reason; "unknown" (inputs or credentials missing) is shown, never blocks.
      const noes = text.filter((_, i) => verdicts[i]!.verdict === "no");
      return {
        summary: `${blocked ? "⛔ " : ""}ops board of ${args.env} (${age} ago): ${text.join("; ")}`,
        data: { env: args.env, verdicts, boardAt: new Date(readAt).toISOString(), blocked },
        ...(blocked ? { override: `the ops board of ${args.env} says Blocked: ${noes.join("; ")}` } : {}),
      };
    },
  });
}
