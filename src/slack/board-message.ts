import type { Logger } from "pino";
import type { OpsService } from "../service/ops-service.js";
import { createChannelMessage } from "./channel-message.js";
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

/** One board message per channel, across processes, updated in place (channel-message.ts). */
export function createBoardMessages(deps: BoardMessageDeps): BoardMessages {
  const { service } = deps;
  const refresh = createChannelMessage(
    { poster: deps.poster, log: deps.log, what: "board message" },
    {
      hasContent: async (channel) => !!(await service.latestBoard(channel)),
      render: async (channel) => {
        const board = await service.latestBoard(channel);
        if (!board) throw new Error(`no board in ${channel}`);
        return renderBoardMessage(board, { timeZone: deps.timeZone, now: deps.now() });
      },
      where: (channel) => service.boardMessage(channel),
      claim: (channel) => service.claimBoardMessage(channel),
      release: (channel) => service.releaseBoardMessage(channel),
      record: (channel, ts) => service.recordBoardMessage(channel, ts),
    },
  );
  return { refresh };
}
