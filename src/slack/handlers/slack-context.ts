import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { OpsError } from "../../errors.js";
import type { Redactor } from "../../redact.js";
import type { OpsService } from "../../service/ops-service.js";
import type { Run } from "../../store/types.js";
import type { SlackMessage } from "../block-kit.js";
import type { Intent, ParamValue } from "../../parser/intent.js";
import type { Plan } from "../../planner/plan.js";
import { previewRunOf, renderRunCard } from "../render-plan-card.js";
import { renderError } from "../render-replies.js";
import type { IncidentSummaries } from "../incident-summary.js";
import type { RunReporter } from "../run-reporter.js";
import type { SlackDirectory } from "../slack-directory.js";
import type { SlackPoster } from "../slack-poster.js";
import { yieldToEventLoop } from "../yield-to-event-loop.js";

/** What every handler gets: the service to call and the ways to answer. Built once in create-slack-app.ts. */
export interface SlackContext {
  service: OpsService;
  redactor: Redactor;
  poster: SlackPoster;
  reporter: RunReporter;
  /** Each incident channel's triage summary message. */
  incidents: IncidentSummaries;
  directory: SlackDirectory;
  log: Logger;
  timeZone: string;
  now: () => Date;
  /** A run's View run link on the Runboard, when it has a public URL. */
  runLink?: (run: Run) => string;
  /** App Home: how long an opening waits for the ops board to be read when none is on record. */
  homeBoardReadMs?: number;
}

/** Where a reply goes: a channel, and the thread in it (absent: a new top-level message). */
export interface Place {
  channel: string;
  threadTs?: string;
}

/**
 * An error as a person should read it: an OpsError's own message and hint; anything else is logged in
 * full and shown as "Something went wrong (ref …)" with a reference to find it in the logs.
 */
export function userFacingError(error: unknown, log: Logger, ref?: string): SlackMessage {
  if (error instanceof OpsError) return renderError(error.userMessage, error.hint);
  const reference = ref ?? randomBytes(4).toString("hex");
  log.error({ err: error, ref: reference }, "slack handler failed");
  return renderError(`Something went wrong (ref \`${reference}\`). The details are in opsroom's log.`);
}

/** A new run's card, from the run in hand: nothing to read back yet (no approvals, no progress). */
function renderNewCard(ctx: SlackContext, run: Run, note?: string): SlackMessage {
  return renderRunCard({
    description: ctx.service.describeNewRun(run),
    events: [],
    artifacts: [],
    now: ctx.now(),
    timeZone: ctx.timeZone,
    ...(note ? { note } : {}),
    ...(ctx.runLink ? { viewUrl: ctx.runLink(run) } : {}),
  });
}

/**
 * Runs a plan's preflight after its card is up (Slack plans with `deferPreflight`, so the card appears
 * at once), or again on Re-check; the service records the result on the run for every process to
 * render, and the card is refreshed: the checks and the Approve button appear together.
 */
export async function runDeferredPreflight(ctx: SlackContext, run: Run): Promise<void> {
  if (run.status !== "pending_approval" || !run.mutating) return;
  try {
    await ctx.service.preflight(run.id);
  } catch (error) {
    ctx.log.warn({ err: error, run_id: run.id }, "preflight failed to run");
  }
  ctx.reporter.nudge(run.id);
}

/**
 * Posts a new run's card (a thread reply, or a top-level message that then holds the run's thread)
 * and hands the run to the reporter, which keeps that message up to date from then on.
 */
export async function postRunCard(ctx: SlackContext, run: Run, place: Place, note?: string): Promise<string> {
  const message = renderNewCard(ctx, run, note);
  const posted = await ctx.poster.post(place.channel, message, await cardPlacement(ctx, run, place));
  await ctx.reporter.track(
    run.id,
    { channel: posted.channel, threadTs: place.threadTs ?? posted.ts, messageTs: posted.ts, ...(note ? { note } : {}) },
    message,
  );
  await runDeferredPreflight(ctx, run);
  return posted.ts;
}

/**
 * The plan card for a typed request, fast: the plan is shown first (a preview without buttons), then
 * its run is recorded with the card's place, then the preflight runs and the card gets its result
 * and its buttons in one update.
 *
 * Once per request, across processes: the card is claimed by the delivery's key. Slack redelivers
 * an event only when the first delivery was not acknowledged in time, so a redelivery (`firstDelivery`
 * false) claims before posting, while a first delivery posts first and claims right after, keeping a
 * database write off the path to the card; should its claim lose (the process that got the first
 * delivery was stuck for seconds and a redelivery went elsewhere), it takes its card back. The run's
 * idempotency key is the same key, so there is never a second run either way.
 */
export async function postPlanThenRecord(
  ctx: SlackContext,
  plan: Plan,
  params: Record<string, ParamValue>,
  user: string,
  place: Place,
  key: string,
  options: { firstDelivery?: boolean; request?: { text: string; intent: Intent } } = {},
): Promise<void> {
  const claimKey = `${key}:card`;
  const deliveries = ctx.service.deliveries;
  if (!options.firstDelivery && !(await deliveries.claim(claimKey))) return;
  const preview = renderRunCard({
    description: ctx.service.describeNewRun(previewRunOf(plan, user, ctx.now())),
    events: [],
    artifacts: [],
    now: ctx.now(),
    timeZone: ctx.timeZone,
    preview: true,
  });
  let posted: { ts: string; channel: string };
  try {
    posted = await ctx.poster.post(place.channel, preview, await cardPlacement(ctx, previewRunOf(plan, user, ctx.now()), place));
  } catch (error) {
    if (!options.firstDelivery) await deliveries.unclaim(claimKey).catch(() => {});
    throw error;
  }
  if (options.firstDelivery && !(await deliveries.claim(claimKey))) {
    await ctx.poster.remove(posted.channel, posted.ts);
    return;
  }
  const origin = { channel: posted.channel, threadTs: place.threadTs ?? posted.ts, messageTs: posted.ts };
  await yieldToEventLoop();
  let created: { run: Run; created: boolean };
  try {
    created = await ctx.service.submitPlan(plan.runbook, params, {
      user,
      source: "slack",
      origin,
      idempotencyKey: key,
      deferPreflight: true,
      ...(options.request ? { request: options.request } : {}),
    });
  } catch (error) {
    await ctx.poster.update(origin.channel, origin.messageTs, userFacingError(error, ctx.log, key));
    return;
  }
  if (!created.created) return;
  await ctx.reporter.track(created.run.id, origin, preview, { holdFirstUpdate: true });
  await yieldToEventLoop();
  await runDeferredPreflight(ctx, created.run);
  ctx.reporter.nudge(created.run.id);
}

/**
 * Where a new card goes: in the thread, and also in the channel when it waits for approval and the
 * config broadcasts that (people watching the channel see a decision waiting; read-only runs never).
 */
async function cardPlacement(ctx: SlackContext, run: Run, place: Place): Promise<{ threadTs?: string; broadcast?: boolean }> {
  if (!place.threadTs) return {};
  if (run.status !== "pending_approval") return { threadTs: place.threadTs };
  const name = ctx.service.broadcastsByChannel() ? await ctx.directory.channelName(place.channel) : undefined;
  const { waitingForApproval } = ctx.service.broadcasts(run, { id: place.channel, ...(name ? { name } : {}) });
  return { threadTs: place.threadTs, ...(waitingForApproval ? { broadcast: true } : {}) };
}

/** Turns an existing bot message (a question) into the run's card, in place. */
export async function replaceWithRunCard(ctx: SlackContext, run: Run, place: Place & { messageTs: string }, note?: string): Promise<void> {
  const message = renderNewCard(ctx, run, note);
  await ctx.poster.update(place.channel, place.messageTs, message);
  await ctx.reporter.track(
    run.id,
    { channel: place.channel, threadTs: place.threadTs ?? place.messageTs, messageTs: place.messageTs, ...(note ? { note } : {}) },
    message,
  );
  await runDeferredPreflight(ctx, run);
}

/** Posts `message` unless another delivery of the same request (a Slack retry, another process) already did. */
export async function replyOnce(ctx: SlackContext, key: string, place: Place, message: SlackMessage): Promise<void> {
  if (!(await ctx.service.deliveries.claim(key))) return;
  try {
    await ctx.poster.post(place.channel, message, place.threadTs ? { threadTs: place.threadTs } : {});
  } catch (error) {
    // Let a redelivery of the same request try again.
    await ctx.service.deliveries.unclaim(key).catch(() => {});
    throw error;
  }
}
