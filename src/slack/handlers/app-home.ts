import type { App } from "@slack/bolt";
import { renderAppHome } from "../render-app-home.js";
import type { SlackContext } from "./slack-context.js";

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

export async function publishHome(ctx: SlackContext, user: string): Promise<void> {
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
  await ctx.poster.publishHome(user, renderAppHome(snapshot, ctx.now(), ctx.timeZone, links));
}
