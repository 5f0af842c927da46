import type { App } from "@slack/bolt";
import type { OpsBoardView } from "../../service/board-use-cases.js";
import { renderAppHome } from "../render-app-home.js";
import type { HomeBoard } from "../render-home-board.js";
import type { SlackContext } from "./slack-context.js";

/** How long an opening of App Home waits for a board to be read when none is on record. */
export const HOME_BOARD_READ_MS = 10_000;

/** App Home: published fresh each time someone opens the Home tab. */
export function registerAppHome(app: App, ctx: SlackContext): void {
  app.event("app_home_opened", async ({ event }) => {
    if (event.tab !== "home") return;
    try {
      await publishHome(ctx, event.user);
    } catch (error) {
      ctx.log.warn({ err: error, slack_user: event.user }, "publishing App Home failed");
    }
  });
}

/**
 * Publishes `user`'s App Home. Its first section is the ops board as last read (never read again for an
 * opening); with none on record, the Home is published at once saying the board is being read, and again
 * when it is read or the wait (`boardReadMs`) is over.
 */
export async function publishHome(ctx: SlackContext, user: string, boardReadMs = ctx.homeBoardReadMs ?? HOME_BOARD_READ_MS): Promise<void> {
  const { service } = ctx;
  const env = service.homeBoardEnv();
  const stored: OpsBoardView | undefined = env ? await service.currentBoard(env) : undefined;
  if (!env || stored) {
    await publish(ctx, user, stored ? { kind: "board", board: stored } : undefined);
    return;
  }
  await publish(ctx, user, { kind: "reading", env });
  const reading = await service.readBoardNow(user, boardReadMs, env);
  await publish(
    ctx,
    user,
    reading.kind === "read"
      ? { kind: "board", board: reading.board }
      : reading.kind === "pending"
        ? { kind: "pending", env, runId: reading.runId }
        : { kind: "failed", env, runId: reading.runId, reason: reading.reason },
  );
}

async function publish(ctx: SlackContext, user: string, board: HomeBoard | undefined): Promise<void> {
  const snapshot = await ctx.service.appHomeSnapshot(user);
  const runs = [
    ...snapshot.pendingForMe.map((d) => d.run),
    ...snapshot.mine,
    ...snapshot.running,
    ...snapshot.queued,
    ...snapshot.scheduled,
    ...snapshot.recent,
  ];
  const links = new Map<string, string>();
  for (const run of runs) {
    const { channel, messageTs, threadTs } = run.origin;
    if (typeof channel !== "string" || typeof messageTs !== "string") continue;
    const url = await ctx.directory.permalink(channel, messageTs, typeof threadTs === "string" ? threadTs : undefined);
    if (url) links.set(run.id, url);
  }
  await ctx.poster.publishHome(user, renderAppHome(snapshot, ctx.now(), ctx.timeZone, links, board));
}
