import type { Logger } from "pino";
import type { OpsService } from "../service/ops-service.js";
import type { BoardMessages } from "./board-message.js";

/** Watches for changes to what the ops board shows and updates every channel's board message. */
export interface BoardFollower {
  /** Something may have changed the board (a checklist or board run finished here): look now. Resolves when looked. */
  check(): Promise<void>;
  stop(): Promise<void>;
}

export interface BoardFollowerDeps {
  service: OpsService;
  boards: BoardMessages;
  log: Logger;
  /** After a run event, how long to gather more before looking (one look a second at most). */
  settleMs?: number;
  /** Backstop for a missed notification. */
  pollMs?: number;
}

/**
 * Every channel's ops board message follows the board: when a checklist step changes (from chat, the console,
 * any process) or a board run finishes, each posted board message is updated in place (channel-message.ts
 * renders it when the call is made, so it shows the state of that moment).
 *
 * Which change is new is the store's board version (the newest checklist change and board run, by id). Every
 * process looks after run events (batched) and on a slow poll; the one that claims a version in the delivery
 * table updates the messages, so each change is sent once however many opsroom processes run.
 */
export async function followBoardChanges(deps: BoardFollowerDeps): Promise<BoardFollower> {
  const { service, log } = deps;
  const settleMs = deps.settleMs ?? 1000;
  let seen: string | undefined;
  let looking: Promise<void> | undefined;
  let settle: NodeJS.Timeout | undefined;
  let stopped = false;

  const lookOnce = async () => {
    const version = await service.boardVersion();
    if (version === seen) return;
    if (await service.deliveries.claim(`board-version:${version}`)) {
      const channels = await service.boardChannels();
      await Promise.all(channels.map((channel) => deps.boards.refresh(channel)));
    }
    seen = version;
  };

  // One look at a time; requests meanwhile share one more look after it.
  let queued: Promise<void> | undefined;
  const check = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (!looking) {
      looking = lookOnce()
        .catch((error: unknown) => log.warn({ err: error }, "looking for ops board changes failed"))
        .finally(() => (looking = undefined));
      return looking;
    }
    queued ??= looking.then(() => {
      queued = undefined;
      return check();
    });
    return queued;
  };

  const unlisten = await service.onRunEvent(() => {
    if (settle || stopped) return;
    settle = setTimeout(() => {
      settle = undefined;
      void check();
    }, settleMs);
  });
  const poll = setInterval(() => void check(), deps.pollMs ?? 30_000);
  void check();

  return {
    check,
    async stop() {
      stopped = true;
      clearInterval(poll);
      if (settle) clearTimeout(settle);
      await unlisten();
      await looking;
    },
  };
}
