import { StoreUnavailableError } from "../../errors.js";
import { renderScheduleReply } from "../schedule-notifier.js";
import { channelMentions, stripSlackMarkup } from "../strip-slack-markup.js";
import { renderQuestion, renderText } from "../render-replies.js";
import { rolloutRollbackRequest } from "../../service/rollout-use-cases.js";
import { postPlanThenRecord, postRunCard, replyOnce, userFacingError, type Place, type SlackContext } from "./slack-context.js";

/** A message addressed to the bot (a mention or a DM), as the handlers hand it over. */
export interface IncomingRequest {
  /** Raw Slack text, markup and the bot's own mention included. */
  text: string;
  user: string;
  /** Where the answer goes: the request's thread. */
  place: Place & { threadTs: string };
  /** Slack's event_id: the same for every redelivery of this message, so it names the request. */
  deliveryKey: string;
  /** Slack's retry number (absent on the first delivery, 1–3 on redeliveries). */
  retryNum?: number | undefined;
}

/**
 * The shared path of mentions and DMs: text → service → card, question or answer, in the thread.
 * Every answer is claimed by the delivery's key in the database before it is posted, and the run
 * carries the same key as its idempotency key, so a Slack retry, or the same event reaching a second
 * bot process, answers nothing twice and creates no second run. Nothing addressed to the bot goes
 * unanswered.
 */
export async function handleRequest(ctx: SlackContext, request: IncomingRequest): Promise<void> {
  const log = ctx.log.child({ slack_user: request.user, slack_channel: request.place.channel });
  const text = stripSlackMarkup(request.text);
  const key = `slack:${request.deliveryKey}`;
  try {
    if (text === "") {
      await replyOnce(ctx, `${key}:reply`, request.place, renderText(ctx.service.helpText()));
      return;
    }
    // "roll back the FSYNC_USE_RPC rollout": the exact reverse of a recorded staged run, as a plan of its own.
    const rollbackOf = rolloutRollbackRequest(text);
    if (rollbackOf) {
      const planned = await ctx.service.planRolloutRollback(rollbackOf, {
        user: request.user,
        source: "slack",
        origin: { channel: request.place.channel, threadTs: request.place.threadTs },
        idempotencyKey: key,
        deferPreflight: true,
        request: { text },
      });
      if (planned.created) await postRunCard(ctx, planned.run, request.place);
      return;
    }
    const scheduled = await ctx.service.scheduleText(text, {
      user: request.user,
      source: "slack",
      channel: request.place.channel,
      mentionedChannels: channelMentions(request.text),
      idempotencyKey: key,
    });
    if (scheduled) {
      await replyOnce(ctx, `${key}:reply`, request.place, renderScheduleReply(scheduled, ctx.timeZone, ctx.now()));
      return;
    }
    const result = await ctx.service.previewText(text);
    switch (result.kind) {
      case "plan":
        await postPlanThenRecord(ctx, result.plan, result.intent.params, request.user, request.place, key, {
          firstDelivery: !request.retryNum,
          request: { text, intent: result.intent },
        });
        return;
      case "clarify":
        await replyOnce(ctx, `${key}:reply`, request.place, renderQuestion(ctx.service.questionFor(result.intent, result.question)));
        return;
      case "help":
        await replyOnce(ctx, `${key}:reply`, request.place, renderText(result.text));
        return;
      case "not-command":
        await replyOnce(ctx, `${key}:reply`, request.place, renderText(result.reply));
        return;
    }
  } catch (error) {
    const message = userFacingError(error, log, request.deliveryKey);
    await replyOnce(ctx, `${key}:error`, request.place, message).catch(async (replyError: unknown) => {
      // The database that failed the request also holds the reply's once-only record: answer anyway
      // (a Slack retry may then get the same answer twice, which beats silence).
      if (replyError instanceof StoreUnavailableError) {
        const thread = request.place.threadTs ? { threadTs: request.place.threadTs } : {};
        await ctx.poster.post(request.place.channel, message, thread).catch(() => {});
      } else log.error({ err: replyError }, "could not tell the user about an error");
    });
  }
}
