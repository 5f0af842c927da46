import type { App, BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { Logger } from "pino";
import { OpsError } from "../../errors.js";
import type { Redactor } from "../../redact.js";
import type { Requester } from "../../service/ops-service.js";
import { timeOfDay } from "../../service/time-text.js";
import { ACTION, decodeDraft, decodeRunRef, type DraftRef, type FormMeta } from "../action-ids.js";
import type { SlackMessage } from "../block-kit.js";
import { renderBoardModal } from "../render-board-modal.js";
import { renderPlanDetails } from "../render-plan-details.js";
import { renderOverrideForm } from "../render-override-form.js";
import { renderPlanForm } from "../render-plan-form.js";
import { renderScheduleReply } from "../schedule-notifier.js";
import { renderDryRun, renderError, renderQuestion, renderText } from "../render-replies.js";
import { postRunCard, replaceWithRunCard, replyOnce, runDeferredPreflight, userFacingError, type SlackContext } from "./slack-context.js";
import { ephemeralResponder } from "./slash-command.js";
import { createRolloutMessages } from "../rollout-messages.js";
import type { RolloutControl } from "../../service/rollout-use-cases.js";

type Click = BlockAction<ButtonAction>;

/** Where a click happened: a message (in a channel, maybe ephemeral, maybe in a thread) or a view (App Home). */
interface Surface {
  user: string;
  channel: string | undefined;
  messageTs: string | undefined;
  /** The thread the clicked message belongs to (its own ts when it is a top-level message). */
  threadTs: string | undefined;
  ephemeral: boolean;
}

function surfaceOf(body: Click): Surface {
  const container = body.container as { channel_id?: string; message_ts?: string; is_ephemeral?: boolean };
  const channel = body.channel?.id ?? container.channel_id;
  const messageTs = body.message?.ts ?? container.message_ts;
  const threadTs = (body.message?.thread_ts as string | undefined) ?? messageTs;
  return { user: body.user.id, channel, messageTs, threadTs, ephemeral: container.is_ephemeral === true };
}

/**
 * Button clicks on cards, questions, triage offers, summaries and App Home. Each acknowledges first
 * (Slack shows an error to the clicker after 3 s), then calls the service. Double clicks are safe: an
 * approval is stored once per approver (the second is a "duplicate" and answered with nothing), and
 * every click that creates a run passes a key naming the message it came from.
 */
export function registerActionHandlers(app: App, ctx: SlackContext, redactor: Redactor): void {
  /** Tells only the clicker: through response_url on a message, as a DM on App Home. */
  const tellClicker = async (body: Click, respond: RespondFn, message: SlackMessage) => {
    if (body.response_url) await ephemeralResponder(respond, redactor)(message);
    else await ctx.poster.post(body.user.id, message);
  };
  const onClick = (
    actionId: string | RegExp,
    work: (body: Click, action: ButtonAction, log: Logger, respond: RespondFn) => Promise<void>,
  ) => {
    app.action<Click>(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const surface = surfaceOf(body);
      const log = ctx.log.child({ slack_user: surface.user, ...(surface.channel ? { slack_channel: surface.channel } : {}) });
      try {
        await work(body, action, log, respond);
      } catch (error) {
        await tellClicker(body, respond, userFacingError(error, log)).catch((e: unknown) =>
          log.error({ err: e }, "could not answer a click"),
        );
      }
    });
  };
  const requester = (surface: Surface): Requester => ({
    user: surface.user,
    source: "slack",
    deferPreflight: true,
    ...(surface.channel ? { origin: { channel: surface.channel, ...(surface.threadTs ? { threadTs: surface.threadTs } : {}) } } : {}),
  });

  const decide = async (decision: "approve" | "reject", body: Click, action: ButtonAction) => {
    const ref = decodeRunRef(action.value);
    if (!ref) return;
    // A second click of a double click is a "duplicate": that person's decision is already on record.
    const result =
      decision === "approve"
        ? await ctx.service.approve(ref.runId, body.user.id, ref.planHash)
        : await ctx.service.reject(ref.runId, body.user.id, ref.planHash);
    if (result.outcome !== "duplicate") ctx.reporter.nudge(ref.runId, { urgent: true });
  };
  onClick(ACTION.approve, async (body, action) => {
    const ref = decodeRunRef(action.value);
    if (!ref) return;
    // A plan whose preflight reported something against it is approved with a reason: Approve asks for it
    // (the service refuses an approval without one anyway, whatever the card showed when it was clicked).
    const overrides = await ctx.service.overridesToApprove(ref.runId, body.user.id);
    if (overrides.length === 0) return decide("approve", body, action);
    const run = await ctx.service.getRun(ref.runId);
    if (!run) return;
    const surface = surfaceOf(body);
    await ctx.poster.openView(
      body.trigger_id,
      renderOverrideForm({ ...run, planHash: ref.planHash }, overrides, {
        ...(surface.channel ? { channel: surface.channel } : {}),
        ...(surface.threadTs ? { threadTs: surface.threadTs } : {}),
      }),
    );
  });

  // A rollout's controls: the service decides who may (skip needs an approver); the status message follows.
  const rolloutMessages = createRolloutMessages(ctx);
  const controls: Array<[string, RolloutControl]> = [
    [ACTION.rolloutPause, "pause"],
    [ACTION.rolloutResume, "resume"],
    [ACTION.rolloutSkip, "skip"],
    [ACTION.rolloutAbort, "abort"],
  ];
  for (const [actionId, control] of controls) {
    onClick(actionId, async (body, action) => {
      if (!action.value) return;
      await ctx.service.controlRollout(action.value, control, body.user.id);
      await rolloutMessages.refresh(action.value);
    });
  }
  onClick(ACTION.reject, (body, action) => decide("reject", body, action));

  onClick(ACTION.cancel, async (body, action, _log, respond) => {
    const ref = decodeRunRef(action.value);
    if (!ref) return;
    try {
      await ctx.service.cancel(ref.runId, body.user.id);
      ctx.reporter.nudge(ref.runId, { urgent: true });
    } catch (error) {
      // A second click on Cancel after the run stopped says nothing new.
      const run = await ctx.service.getRun(ref.runId);
      if (error instanceof OpsError && error.code === "POLICY_NOT_CANCELLABLE" && run?.cancelRequestedBy === body.user.id) return;
      await tellClicker(body, respond, userFacingError(error, ctx.log));
    }
  });

  onClick(ACTION.recheck, async (body, action, _log, respond) => {
    const ref = decodeRunRef(action.value);
    if (!ref) return;
    const run = await ctx.service.getRun(ref.runId);
    if (!run || run.status !== "pending_approval") {
      await tellClicker(
        body,
        respond,
        renderError(`This plan is ${run?.status.replace("_", " ") ?? "gone"}; there is nothing to re-check.`),
      );
      return;
    }
    // One re-check per plan at a time: a double click, or two people clicking, run the checks once.
    const bucket = Math.floor(Date.now() / 10_000);
    if (!(await ctx.service.deliveries.claim(`slack:recheck:${ref.runId}:${bucket}`))) return;
    await runDeferredPreflight(ctx, run);
  });

  // App Home's "Show full board": the board on record (with the checklist as it stands) in a modal.
  onClick(ACTION.showBoard, async (body, action, _log, respond) => {
    const env = action.value ?? ctx.service.homeBoardEnv();
    const board = env ? await ctx.service.currentBoard(env) : undefined;
    if (!board) {
      await tellClicker(
        body,
        respond,
        renderError(`There is no ops board of ${action.value ?? "this env"} on record yet.`, 'Ask "show me the ops board".'),
      );
      return;
    }
    await ctx.poster.openView(body.trigger_id, renderBoardModal(board, { timeZone: ctx.timeZone, now: ctx.now() }));
  });

  onClick(ACTION.details, async (body, action) => {
    const ref = decodeRunRef(action.value);
    const run = ref ? await ctx.service.getRun(ref.runId) : undefined;
    if (!run) return;
    await ctx.poster.openView(body.trigger_id, renderPlanDetails(run, ctx.timeZone, ctx.now()));
  });

  onClick(ACTION.dryRun, async (body, action, _log, respond) => {
    const ref = decodeRunRef(action.value);
    if (!ref) return;
    // One dry run per person and plan every ten seconds: a double click shows it once.
    const bucket = Math.floor(Date.now() / 10_000);
    if (!(await ctx.service.deliveries.claim(`slack:dryrun:${ref.runId}:${ref.planHash}:${body.user.id}:${bucket}`))) return;
    const { run, steps } = await ctx.service.dryRunOf(ref.runId);
    await tellClicker(body, respond, renderDryRun(run, steps));
  });

  onClick(ACTION.edit, async (body, action) => {
    const ref = decodeRunRef(action.value);
    if (!ref) return;
    // Refused (only to the clicker) unless the plan waits for approval and they requested it or may approve it.
    const run = await ctx.service.runToEdit(ref.runId, body.user.id);
    const surface = surfaceOf(body);
    const { runbook, fields } = ctx.service.paramFields(run.runbook, run.params);
    const meta: FormMeta = {
      runbook: runbook.id,
      runId: ref.runId,
      ...(surface.channel ? { channel: surface.channel } : {}),
      ...(surface.threadTs ? { threadTs: surface.threadTs } : {}),
    };
    await ctx.poster.openView(body.trigger_id, renderPlanForm({ title: runbook.title, fields, meta, editing: true }));
  });

  onClick(ACTION.retry, async (body, action) => {
    const ref = decodeRunRef(action.value);
    const surface = surfaceOf(body);
    if (!ref || !surface.channel) return;
    const result = await ctx.service.retryRun(ref.runId, requester(surface));
    if (result.created)
      await postRunCard(
        ctx,
        result.run,
        { channel: surface.channel, ...(surface.threadTs ? { threadTs: surface.threadTs } : {}) },
        `Retry of run \`${ref.runId.slice(0, 8)}\`, asked by <@${surface.user}>.`,
      );
  });

  const submitDraft = async (body: Click, draft: DraftRef, respond: RespondFn, keyPrefix: string) => {
    const surface = surfaceOf(body);
    if (!surface.channel || !surface.messageTs) return;
    const params = draft.set ? { ...draft.params, [draft.set.name]: draft.set.value } : draft.params;
    const key = `slack:${keyPrefix}:${surface.channel}:${surface.messageTs}`;
    const result = await ctx.service.submitParams(draft.runbook, params, { ...requester(surface), idempotencyKey: key });
    const reply = ephemeralResponder(respond, redactor);
    if (result.kind === "ask") {
      // The next question replaces this one (the same content twice is harmless).
      if (surface.ephemeral) await reply(renderQuestion(result.question), { replaceOriginal: true });
      else if (keyPrefix === "ask") await ctx.poster.update(surface.channel, surface.messageTs, renderQuestion(result.question));
      else
        await replyOnce(
          ctx,
          `${key}:ask`,
          { channel: surface.channel, ...(surface.threadTs ? { threadTs: surface.threadTs } : {}) },
          renderQuestion(result.question),
        );
      return;
    }
    if (!result.created) return;
    if (surface.ephemeral) {
      await postRunCard(ctx, result.run, { channel: surface.channel });
      await reply(renderText(`Planned ${result.run.title} — the card is in the channel.`), { replaceOriginal: true });
    } else if (keyPrefix === "ask") {
      await replaceWithRunCard(ctx, result.run, {
        channel: surface.channel,
        messageTs: surface.messageTs,
        ...(surface.threadTs ? { threadTs: surface.threadTs } : {}),
      });
    } else {
      await postRunCard(
        ctx,
        result.run,
        { channel: surface.channel, ...(surface.threadTs ? { threadTs: surface.threadTs } : {}) },
        `Asked by <@${surface.user}>.`,
      );
    }
  };

  onClick(new RegExp(`^${escapeRe(ACTION.pick)}\\.\\d+$`), async (body, action, _log, respond) => {
    const draft = decodeDraft(action.value);
    if (draft) await submitDraft(body, draft, respond, "ask");
  });

  onClick(new RegExp(`^${escapeRe(ACTION.alternative)}\\.\\d+$`), async (body, action, _log, respond) => {
    const draft = decodeDraft(action.value);
    if (draft) await submitDraft(body, draft, respond, "ask");
  });

  onClick(new RegExp(`^${escapeRe(ACTION.triage)}\\.\\d+$`), async (body, action, _log, respond) => {
    const draft = decodeDraft(action.value);
    if (draft) await submitDraft(body, draft, respond, `triage:${draft.runbook}`);
  });

  // A way back (or a re-run) on an incident channel's triage summary: a normal plan, with its approvals,
  // in the summary's thread; the summary then lists it. The action id names the triage the button came
  // from, so a double click plans once and the next triage's buttons plan again.
  onClick(new RegExp(`^${escapeRe(ACTION.wayBack)}\\.\\d+\\.[0-9a-f]{8}$`), async (body, action, _log, respond) => {
    const draft = decodeDraft(action.value);
    if (!draft) return;
    await submitDraft(body, draft, respond, `wayback:${action.action_id.slice(ACTION.wayBack.length + 1)}`);
    const channel = surfaceOf(body).channel;
    if (channel) await ctx.incidents.refresh(channel);
  });

  // A schedule's approval: the same approvers as a run of its plan; the answer goes into the thread.
  onClick(ACTION.approveSchedule, async (body, action) => {
    const surface = surfaceOf(body);
    if (!action.value || !surface.channel) return;
    const reply = await ctx.service.approveSchedule(action.value, surface.user);
    const place = { channel: surface.channel, ...(surface.threadTs ? { threadTs: surface.threadTs } : {}) };
    await replyOnce(
      ctx,
      `slack:approve-schedule:${action.value}:${surface.user}`,
      place,
      renderScheduleReply(reply, ctx.timeZone, ctx.now()),
    );
  });

  // Silence a watch: its alerts are held back (it keeps reading); said once in the alert's thread.
  onClick(ACTION.silenceWatch, async (body, action) => {
    const surface = surfaceOf(body);
    if (!action.value || !surface.channel || !surface.messageTs) return;
    const schedule = await ctx.service.silenceWatch(action.value);
    const until = schedule.silencedUntil ? timeOfDay(schedule.silencedUntil, ctx.timeZone, ctx.now()) : "later";
    await replyOnce(
      ctx,
      `slack:silence:${surface.channel}:${surface.messageTs}`,
      { channel: surface.channel, threadTs: surface.threadTs ?? surface.messageTs },
      renderText(`🔕 <@${surface.user}> silenced this watch until ${until}; it keeps checking and posts what changed after that.`),
    );
  });

  onClick(ACTION.askForm, async (body, action) => {
    const draft = decodeDraft(action.value);
    if (!draft) return;
    const surface = surfaceOf(body);
    const { runbook, fields } = ctx.service.paramFields(draft.runbook, draft.params);
    const meta: FormMeta = {
      runbook: runbook.id,
      ...(surface.channel ? { channel: surface.channel } : {}),
      ...(surface.threadTs && surface.threadTs !== surface.messageTs ? { threadTs: surface.threadTs } : {}),
      ...(surface.messageTs && !surface.ephemeral ? { messageTs: surface.messageTs } : {}),
    };
    await ctx.poster.openView(body.trigger_id, renderPlanForm({ title: runbook.title, fields, meta, editing: false }));
  });
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
