import type { App } from "@slack/bolt";
import { stripSlackMarkup } from "../strip-slack-markup.js";
import { renderTriageOffer } from "../render-replies.js";
import { renderPostmortemNote } from "../render-triage-summary.js";
import { handleRequest } from "./handle-request.js";
import { replyOnce, userFacingError, type SlackContext } from "./slack-context.js";

/** A message event's fields opsroom reads (GenericMessageEvent, minus what it ignores). */
interface MessageFields {
  type: string;
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

// One triage offer per incident channel per ten minutes: an incident channel is busy, and the
// buttons stay usable in the thread they were offered in.
const TRIAGE_OFFER_WINDOW_MS = 10 * 60_000;

/**
 * Mentions, DMs and incident channels (where every message is kept for the postmortem, "timeline" or
 * "write the postmortem" gets the draft, and an incident report gets triage offered). Bolt acknowledges events before these run (its
 * autoAcknowledge), so Slack's 3 seconds are never at stake here; the work happens after.
 */
export function registerMessageHandlers(app: App, ctx: SlackContext): void {
  app.event("app_mention", async ({ event, body, context }) => {
    // A mention inside a DM also arrives as a message.im event, handled below.
    if (event.channel.startsWith("D") || !event.user || event.bot_id) return;
    const place = { channel: event.channel, threadTs: event.thread_ts ?? event.ts };
    if (ctx.service.isPostmortemRequest(stripSlackMarkup(event.text)) && (await isIncidentChannel(ctx, event.channel))) {
      await postPostmortem(ctx, place, `slack:${body.event_id}:postmortem`);
      return;
    }
    await handleRequest(ctx, {
      text: event.text,
      user: event.user,
      place: { channel: event.channel, threadTs: event.thread_ts ?? event.ts },
      deliveryKey: body.event_id,
      retryNum: context.retryNum,
    });
  });

  app.event("message", async ({ event, body, context }) => {
    const message = event as unknown as MessageFields;
    // Edits, deletions, joins and other bots' posts are not requests (Bolt already drops our own).
    if (message.subtype !== undefined || message.bot_id || !message.user) return;
    if (message.channel_type === "im") {
      await handleRequest(ctx, {
        text: message.text ?? "",
        user: message.user,
        place: { channel: message.channel, threadTs: message.thread_ts ?? message.ts },
        deliveryKey: body.event_id,
        retryNum: context.retryNum,
      });
      return;
    }
    if (!(await isIncidentChannel(ctx, message.channel))) return;
    await recordIncidentMessage(ctx, message);
    // A mention arrives twice (app_mention and message.channels); the app_mention handler answers it.
    if (context.botUserId && (message.text ?? "").includes(`<@${context.botUserId}>`)) return;
    if (ctx.service.isPostmortemRequest(stripSlackMarkup(message.text ?? ""))) {
      await postPostmortem(
        ctx,
        { channel: message.channel, threadTs: message.thread_ts ?? message.ts },
        `slack:${body.event_id}:postmortem`,
      );
      return;
    }
    if (message.thread_ts && message.thread_ts !== message.ts) return;
    await offerTriage(ctx, message);
  });
}

async function isIncidentChannel(ctx: SlackContext, channel: string): Promise<boolean> {
  const name = await ctx.directory.channelName(channel);
  return name !== undefined && ctx.service.isIncidentChannel(name);
}

/** What people say in an incident channel goes into its postmortem's timeline. */
async function recordIncidentMessage(ctx: SlackContext, message: MessageFields): Promise<void> {
  try {
    await ctx.service.recordIncidentMessage({
      channel: message.channel,
      ts: message.ts,
      user: message.user!,
      text: stripSlackMarkup(message.text ?? ""),
      at: new Date(Number(message.ts) * 1000),
    });
  } catch (error) {
    ctx.log.warn({ err: error, slack_channel: message.channel }, "recording an incident message failed");
  }
}

/** The postmortem draft as a markdown file in the thread it was asked in, once per request. */
async function postPostmortem(ctx: SlackContext, place: { channel: string; threadTs: string }, key: string): Promise<void> {
  try {
    if (!(await ctx.service.deliveries.claim(key))) return;
    const draft = await ctx.service.writePostmortem(place.channel);
    await ctx.poster
      .uploadFile({
        ...place,
        filename: draft.filename,
        title: draft.title,
        content: draft.markdown,
        message: renderPostmortemNote(draft.title),
      })
      .catch(async (error: unknown) => {
        await ctx.service.deliveries.unclaim(key).catch(() => {});
        throw error;
      });
  } catch (error) {
    await replyOnce(ctx, `${key}:error`, place, userFacingError(error, ctx.log)).catch(() => {});
  }
}

/** A message in an incident channel that reads like an incident report gets the read-only triage runbooks as buttons. */
async function offerTriage(ctx: SlackContext, message: MessageFields): Promise<void> {
  const log = ctx.log.child({ slack_user: message.user, slack_channel: message.channel });
  try {
    const offer = ctx.service.triageOffer(stripSlackMarkup(message.text ?? ""));
    if (!offer) return;
    const window = Math.floor(ctx.now().getTime() / TRIAGE_OFFER_WINDOW_MS);
    await replyOnce(
      ctx,
      `slack:triage:${message.channel}:${window}`,
      { channel: message.channel, threadTs: message.ts },
      renderTriageOffer(offer),
    );
  } catch (error) {
    log.warn({ err: error }, "triage offer failed");
  }
}
