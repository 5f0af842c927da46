import type { App } from "@slack/bolt";
import { InputError, OpsError } from "../../errors.js";
import type { ParamValue } from "../../parser/intent.js";
import { decodeFormMeta, decodeOverrideMeta, OVERRIDE_REASON_ACTION, OVERRIDE_REASON_BLOCK, VIEW, type FormMeta } from "../action-ids.js";
import { FORM_BLOCK_PREFIX, readFormValues } from "../render-plan-form.js";
import { postRunCard, replaceWithRunCard, userFacingError, type SlackContext } from "./slack-context.js";

/**
 * The params form. Its input is checked before the ack, so mistakes are shown in the form itself
 * (`response_action: errors`, within Slack's 3 s: parsing and planning are pure and fast); the plan
 * is then made after the ack. Saving an edit makes a new plan with a new hash, so approvals given to
 * the old one are void: the old card says it was cancelled and the new card follows in the thread.
 */
export function registerViewHandlers(app: App, ctx: SlackContext): void {
  // Approve with an override reason: the approval is recorded before the ack (one transaction, well
  // within Slack's 3 s), so a refusal (no reason, not an approver, the requester's own plan) shows in the
  // form itself and the form stays open.
  app.view(VIEW.overrideReason, async ({ ack, view, body }) => {
    const meta = decodeOverrideMeta(view.private_metadata);
    if (!meta) {
      await ack();
      return;
    }
    const values = view.state.values as Record<string, Record<string, { value?: string | null }>>;
    const reason = values[OVERRIDE_REASON_BLOCK]?.[OVERRIDE_REASON_ACTION]?.value ?? "";
    const log = ctx.log.child({ slack_user: body.user.id, ...(meta.channel ? { slack_channel: meta.channel } : {}) });
    try {
      const result = await ctx.service.approve(meta.runId, body.user.id, meta.planHash, reason);
      await ack();
      if (result.outcome !== "duplicate") ctx.reporter.nudge(meta.runId, { urgent: true });
    } catch (error) {
      const message = error instanceof OpsError ? [error.userMessage, error.hint].filter(Boolean).join(" ") : undefined;
      if (message) {
        await ack({ response_action: "errors", errors: { [OVERRIDE_REASON_BLOCK]: message.slice(0, 1900) } });
        return;
      }
      await ack();
      const reply = userFacingError(error, log);
      await (
        meta.channel
          ? ctx.poster.ephemeral(meta.channel, body.user.id, reply, meta.threadTs ? { threadTs: meta.threadTs } : {})
          : ctx.poster.post(body.user.id, reply)
      ).catch((e: unknown) => log.error({ err: e }, "could not report an override error"));
    }
  });

  app.view(VIEW.planForm, async ({ ack, view, body }) => {
    const meta = decodeFormMeta(view.private_metadata);
    const user = body.user.id;
    if (!meta) {
      await ack();
      return;
    }
    const { params, errors } = ctx.service.readParams(meta.runbook, readFormValues(view.state.values as never));
    if (Object.keys(errors).length === 0) {
      try {
        ctx.service.dryRun(meta.runbook, params);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        const first = Object.keys(params)[0] ?? Object.keys(readFormValues(view.state.values as never))[0];
        if (first) errors[first] = error.userMessage;
      }
    }
    if (Object.keys(errors).length > 0) {
      await ack({
        response_action: "errors",
        errors: Object.fromEntries(Object.entries(errors).map(([name, message]) => [`${FORM_BLOCK_PREFIX}${name}`, message])),
      });
      return;
    }
    await ack();
    const log = ctx.log.child({ slack_user: user, ...(meta.channel ? { slack_channel: meta.channel } : {}) });
    try {
      await submitForm(ctx, meta, params, user, view.id);
    } catch (error) {
      const message = userFacingError(error, log);
      await (
        meta.channel
          ? ctx.poster.ephemeral(meta.channel, user, message, meta.threadTs ? { threadTs: meta.threadTs } : {})
          : ctx.poster.post(user, message)
      ).catch((e: unknown) => log.error({ err: e }, "could not report a form error"));
    }
  });
}

async function submitForm(
  ctx: SlackContext,
  meta: FormMeta,
  params: Record<string, ParamValue>,
  user: string,
  viewId: string,
): Promise<void> {
  const place = { channel: meta.channel ?? user, ...(meta.threadTs ? { threadTs: meta.threadTs } : {}) };
  const requester = {
    user,
    source: "slack",
    deferPreflight: true,
    origin: { channel: place.channel, ...(place.threadTs ? { threadTs: place.threadTs } : {}) },
  };
  if (meta.runId) {
    const edited = await ctx.service.editPlan(meta.runId, params, requester);
    if (edited.unchanged || !edited.created) return;
    ctx.reporter.nudge(meta.runId, { urgent: true });
    await postRunCard(
      ctx,
      edited.run,
      place,
      `Edited by <@${user}> from plan \`${edited.previous.planHash.slice(0, 8)}\` — approvals of the earlier plan are void.`,
    );
    return;
  }
  const result = await ctx.service.submitParams(meta.runbook, params, { ...requester, idempotencyKey: `slack:form:${viewId}` });
  if (result.kind !== "planned" || !result.created) return;
  if (meta.messageTs && meta.channel)
    await replaceWithRunCard(ctx, result.run, {
      channel: meta.channel,
      messageTs: meta.messageTs,
      ...(meta.threadTs ? { threadTs: meta.threadTs } : {}),
    });
  else await postRunCard(ctx, result.run, place);
}
