import type { Logger } from "pino";
import type { OpsService } from "../service/ops-service.js";
import { renderBoardMessage } from "./render-board-message.js";
import type { SlackPoster } from "./slack-poster.js";

/** Keeps each channel's one ops board message up to date. */
export interface BoardMessages {
  /** A board was shown in `channel`: post the board message the first time, update it in place afterwards. */
  refresh(channel: string): Promise<void>;
}

export interface BoardMessageDeps {
  service: OpsService;
  poster: SlackPoster;
  log: Logger;
  timeZone: string;
  now: () => Date;
}

/**
 * One board message per channel, across processes (as the incident summary): the first poster claims the
 * channel in the database, posts and records where the message is; everyone after updates that message,
 * rendered when chat.update is actually called so a rate-limited update never shows an older board.
 */
export function createBoardMessages(deps: BoardMessageDeps): BoardMessages {
  const { service, poster } = deps;
  const running = new Map<string, Promise<void>>();
  const pending = new Set<string>();

  const render = async (channel: string) => {
    const board = await service.latestBoard(channel);
    if (!board) throw new Error(`no board in ${channel}`);
    return renderBoardMessage(board, { timeZone: deps.timeZone, now: deps.now() });
  };

  const refreshNow = async (channel: string): Promise<void> => {
    if (!(await service.latestBoard(channel))) return;
    const where = await service.boardMessage(channel);
    if (where?.messageTs) {
      await poster.update(channel, where.messageTs, () => render(channel));
      return;
    }
    if (where || !(await service.claimBoardMessage(channel))) return;
    let ts: string;
    try {
      ts = (await poster.post(channel, await render(channel))).ts;
    } catch (error) {
      await service.releaseBoardMessage(channel);
      throw error;
    }
    await service.recordBoardMessage(channel, ts);
    // A board that finished while it was being posted saw no message to update.
    await poster.update(channel, ts, () => render(channel));
  };

  const refresh = (channel: string): Promise<void> => {
    const current = running.get(channel);
    if (current) {
      pending.add(channel);
      return current;
    }
    const work = refreshNow(channel)
      .catch((error: unknown) => deps.log.warn({ err: error, slack_channel: channel }, "updating the board message failed"))
      .finally(() => {
        running.delete(channel);
        if (pending.delete(channel)) void refresh(channel);
      });
    running.set(channel, work);
    return work;
  };

  return { refresh };
}
