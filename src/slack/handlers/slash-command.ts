import type { App, RespondFn } from "@slack/bolt";
import type { Redactor } from "../../redact.js";
import type { SlackMessage } from "../block-kit.js";
import { renderError, renderQuestion, renderText } from "../render-replies.js";
import { renderRunChain, renderRunList } from "../render-run-chain.js";
import { renderScheduleReply } from "../schedule-notifier.js";
import { channelMentions, stripSlackMarkup } from "../strip-slack-markup.js";
import { postPlanThenRecord, userFacingError, type SlackContext } from "./slack-context.js";

/** Sends an ephemeral answer through the command's response_url (no Web API call, no rate limit). */
export function ephemeralResponder(respond: RespondFn, redactor: Redactor) {
  return async (message: SlackMessage, options: { replaceOriginal?: boolean } = {}) => {
    const body = redactor.redact({ text: message.text, blocks: message.blocks });
    await respond({
      response_type: "ephemeral",
      ...(options.replaceOriginal ? { replace_original: true } : {}),
      text: body.text,
      blocks: body.blocks as never,
    });
  };
}

/**
 * `/ops <request>`. Acknowledged at once (an empty ack shows nothing); the plan card is then posted
 * in the channel, where it starts the run's thread. Questions, help and errors go only to the person
 * who typed the command (ephemeral, through response_url).
 */
export function registerSlashCommand(app: App, ctx: SlackContext, redactor: Redactor, command = "/ops"): void {
  app.command(command, async ({ ack, command: body, respond }) => {
    await ack();
    const log = ctx.log.child({ slack_user: body.user_id, slack_channel: body.channel_id });
    const reply = ephemeralResponder(respond, redactor);
    // A slash command is delivered once, but may reach any of several bot processes: its trigger_id names it.
    const key = `slack:cmd:${body.trigger_id}`;
    if (!(await ctx.service.deliveries.claim(key))) return;
    try {
      const text = stripSlackMarkup(body.text ?? "");
      if (text === "") {
        await reply(renderText(ctx.service.helpText()));
        return;
      }
      // `/ops runs` and `/ops run <id>`: the audit trail, only to the person asking. ("run migrations" is a request.)
      if (/^runs$/i.test(text)) {
        await reply(renderRunList(await ctx.service.listRuns({ limit: 15 })));
        return;
      }
      const show = /^run\s+([0-9a-f]{8}[0-9a-f-]*)$/i.exec(text);
      if (show) {
        const chain = await ctx.service.runChain(show[1]!);
        await reply(
          chain ? renderRunChain(chain) : renderError(`No single run starts with \`${show[1]}\`.`, "`/ops runs` lists the latest ones."),
        );
        return;
      }
      const scheduled = await ctx.service.scheduleText(text, {
        user: body.user_id,
        source: "slack",
        channel: body.channel_id,
        mentionedChannels: channelMentions(body.text ?? ""),
        idempotencyKey: key,
      });
      if (scheduled) {
        await reply(renderScheduleReply(scheduled, ctx.timeZone, ctx.now()));
        return;
      }
      const result = await ctx.service.previewText(text);
      switch (result.kind) {
        case "plan":
          try {
            // The command itself was claimed above (a slash command is delivered once): no second claim first.
            await postPlanThenRecord(ctx, result.plan, result.intent.params, body.user_id, { channel: body.channel_id }, key, {
              firstDelivery: true,
              request: { text, intent: result.intent },
            });
          } catch (error) {
            // Most likely the bot is not in this channel; nothing was recorded.
            const code = (error as { data?: { error?: string } }).data?.error;
            await reply(
              code === "not_in_channel" || code === "channel_not_found"
                ? renderError(
                    "I can't post in this channel yet, so there is no plan.",
                    "Invite me with `/invite @opsroom`, or DM me the request.",
                  )
                : userFacingError(error, log),
            );
          }
          return;
        case "clarify":
          await reply(renderQuestion(ctx.service.questionFor(result.intent, result.question)));
          return;
        case "help":
          await reply(renderText(result.text));
          return;
        case "not-command":
          await reply(renderText(result.reply));
          return;
      }
    } catch (error) {
      await reply(userFacingError(error, log)).catch((postError: unknown) =>
        log.error({ err: postError }, "could not answer a slash command"),
      );
    }
  });
}
