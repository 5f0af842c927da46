import type { Logger } from "pino";
import { isForPeople } from "../service/artifact-kinds.js";
import type { OpsService } from "../service/ops-service.js";
import { TERMINAL_STATUSES, type Run, type RunEvent, type StoredArtifact } from "../store/types.js";
import type { SlackMessage } from "./block-kit.js";
import { renderRunCard } from "./render-plan-card.js";
import { artifactNeedsFile, contactText, renderArtifact, renderSummary } from "./render-replies.js";
import { progressFromEvents } from "./render-run-status.js";
import type { SlackDirectory } from "./slack-directory.js";
import type { SlackPoster } from "./slack-poster.js";
import { yieldToEventLoop } from "./yield-to-event-loop.js";

/**
 * Keeps one status message per run up to date (the only place a failure's reason is stated) and posts
 * the run's thread replies: each artifact (excerpt inline, full content as a file) and the final
 * summary, broadcast to the channel when the config asks for it (prod outcomes by default).
 *
 * - Exactly one process reports a run: the one holding its lease (slack_run_reporters). A process that
 *   dies loses its runs after the lease and another adopts them on its next look.
 * - chat.update goes out at most once per `minUpdateIntervalMs` per run (Slack: ~1 update a second is
 *   safe); events arriving in between are merged into the next update. Nothing is sent when the
 *   rendering did not change. A person's click (`nudge(id, { urgent: true })`) is the exception: its
 *   card is updated at once, ahead of other runs' progress; the pacing resumes from that update.
 * - 429s are waited out in the outbox; the message is rendered again when the call is finally made.
 * - The final state is always delivered: a failed final update is retried with backoff.
 * - Replies are claimed in the database before posting, so two processes never post one twice.
 */
export interface RunReporter {
  /**
   * Starts reporting a run whose card this process just posted at `origin` (`rendered` is what it
   * posted). Takes the run's lease first, then records the card's place on the run.
   */
  track(runId: string, origin: CardOrigin, rendered?: SlackMessage, options?: { holdFirstUpdate?: boolean }): Promise<void>;
  /**
   * Something happened to a run; its message is refreshed soon. `urgent`: a person clicked one of its
   * buttons here and is looking at the card, so it is refreshed now rather than at the next paced turn.
   */
  nudge(runId: string, options?: { urgent?: boolean }): void;
  /** Runs this process is reporting right now. */
  readonly tracking: number;
  /**
   * Shutdown, before the outbox closes: each run's update still waiting for its paced turn is sent now, once,
   * ahead of the pace (a card must not keep showing an older state because the process stopped). Resolves
   * when they are sent or after `withinMs`, whichever comes first; nothing is scheduled after it.
   */
  flushPending(withinMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Where a run's card is: the channel, the thread it lives in, the card message itself. */
export interface CardOrigin {
  channel: string;
  threadTs: string;
  messageTs: string;
  [key: string]: unknown;
}

export interface RunReporterDeps {
  service: OpsService;
  poster: SlackPoster;
  directory: Pick<SlackDirectory, "mention" | "channelName">;
  log: Logger;
  /** This process, as the owner of its leases. */
  owner: string;
  timeZone: string;
  minUpdateIntervalMs?: number;
  leaseMs?: number;
  /** Backstop for missed notifications and adoption of orphaned runs. */
  pollMs?: number;
  now?: () => Date;
  /** A run's View run link on the Runboard, when it has a public URL. */
  runLink?: (run: Run) => string;
  /** A run's final state and summary were delivered (an incident channel's summary follows its runs). */
  onRunFinished?: (run: Run) => void;
}

interface Tracked {
  run: Run;
  channel: string;
  threadTs: string;
  messageTs: string;
  events: RunEvent[];
  lastRendered: string | undefined;
  lastUpdateAt: number;
  lastFlushAt: number;
  timer: NodeJS.Timeout | undefined;
  dirty: boolean;
  /** The next update answers a click: not paced. */
  urgent: boolean;
  flushing: Promise<void> | undefined;
  postedArtifacts: Set<number>;
  errors: number;
  done: boolean;
}

const TERMINAL_EVENTS = new Set<RunEvent["kind"]>(["run_succeeded", "run_failed", "run_cancelled", "run_expired", "run_rejected"]);
const MAX_FLUSH_ERRORS = 8;
const IDLE_RECHECK_MS = 60_000;
const GONE = new Set(["message_not_found", "channel_not_found", "not_in_channel", "is_archived", "cant_update_message"]);

export async function startRunReporter(deps: RunReporterDeps): Promise<RunReporter> {
  const { service, poster, log } = deps;
  const minInterval = deps.minUpdateIntervalMs ?? 1000;
  const leaseMs = deps.leaseMs ?? 30_000;
  const now = deps.now ?? (() => new Date());
  const tracked = new Map<string, Tracked>();
  // Runs another process reports: not asked about again until its lease could have run out.
  const foreign = new Map<string, number>();
  const adopting = new Set<string>();
  let stopping = false;

  const deliveries = service.deliveries;

  const schedule = (t: Tracked, delayMs?: number) => {
    if (t.urgent && t.timer && !t.flushing) {
      clearTimeout(t.timer);
      t.timer = undefined;
    }
    if (t.timer || t.flushing || t.done || stopping) return;
    const wait = t.urgent ? 0 : (delayMs ?? Math.max(0, t.lastUpdateAt + minInterval - Date.now()));
    t.timer = setTimeout(() => {
      t.timer = undefined;
      t.dirty = false;
      const urgent = t.urgent;
      t.urgent = false;
      t.flushing = flush(t, urgent)
        .catch(async (error: unknown) => {
          // The card is gone (deleted, channel archived, bot removed): nothing left to keep up to date.
          if (GONE.has((error as { data?: { error?: string } }).data?.error ?? "")) {
            log.warn({ err: error, run_id: t.run.id }, "a run's Slack card is gone; no longer reporting it");
            await deliveries.finishReporter(t.run.id, deps.owner).catch(() => {});
            release(t);
            return;
          }
          t.errors++;
          t.dirty = true;
          if (t.errors >= MAX_FLUSH_ERRORS) {
            log.error({ err: error, run_id: t.run.id }, "giving up on a run's Slack status");
            release(t);
            return;
          }
          log.warn({ err: error, run_id: t.run.id, attempt: t.errors }, "updating a run's Slack status failed; will retry");
          t.lastUpdateAt = Date.now() + Math.min(30_000, 500 * 2 ** t.errors) - minInterval;
        })
        .finally(() => {
          t.flushing = undefined;
          if (t.dirty) schedule(t);
        });
    }, wait);
  };

  const release = (t: Tracked) => {
    t.done = true;
    if (t.timer) clearTimeout(t.timer);
    tracked.delete(t.run.id);
  };

  const render = async (t: Tracked): Promise<SlackMessage> => {
    await yieldToEventLoop();
    const description = await service.describeRun(t.run.id);
    if (!description) throw new Error(`run ${t.run.id} disappeared`);
    t.run = description.run;
    await yieldToEventLoop();
    const artifacts = await service.listArtifacts(t.run.id);
    const lockAhead =
      t.run.status === "queued"
        ? aheadOf(await service.queuePosition(t.run.id))
        : t.run.status === "pending_approval" && t.run.lockKey
          ? await service.runsOnTarget(t.run)
          : undefined;
    return renderRunCard({
      description,
      events: t.events,
      artifacts,
      now: now(),
      timeZone: deps.timeZone,
      ...(lockAhead !== undefined ? { lockAhead } : {}),
      ...(deps.runLink ? { viewUrl: deps.runLink(t.run) } : {}),
    });
  };

  const flush = async (t: Tracked, urgent = false) => {
    await yieldToEventLoop();
    t.events.push(...(await service.listEvents(t.run.id, t.events.at(-1)?.id ?? 0)));
    const message = await render(t);
    const json = JSON.stringify(message.blocks);
    if (json !== t.lastRendered) {
      let sent = json;
      let first = true;
      await poster.update(
        t.channel,
        t.messageTs,
        async () => {
          // Rendered again when a 429 delayed the call: what goes out is the latest state.
          const latest = first ? message : await renderLatest(t);
          first = false;
          sent = JSON.stringify(latest.blocks);
          return latest;
        },
        { final: TERMINAL_STATUSES.includes(t.run.status), urgent },
      );
      t.lastRendered = sent;
      t.lastUpdateAt = Date.now();
      // A retry may have rendered a newer state than `message`; if it is not the final one, go again.
      if (sent !== json) t.dirty = true;
    }
    t.errors = 0;
    t.lastFlushAt = Date.now();
    await postReplies(t);
    if (TERMINAL_STATUSES.includes(t.run.status) && t.run.finishedAt && t.lastRendered === JSON.stringify((await render(t)).blocks)) {
      if (t.run.startedAt) {
        const run = t.run;
        await postOnce(`summary:${run.id}`, async () => {
          const artifacts = await service.listArtifacts(run.id);
          const links = artifacts.filter((a) => a.kind === "link" && a.url);
          const description = await service.describeRun(run.id);
          const escalation = contactText(run.plan.escalation, await deps.directory.mention(run.plan.escalation));
          const progress = progressFromEvents(t.events, run.plan);
          const broadcast = (await broadcastsIn(t.channel, run)).outcome;
          await poster.post(t.channel, renderSummary({ run, progress, links, escalation, canRetry: description?.canRetry ?? false }), {
            threadTs: t.threadTs,
            broadcast,
          });
        });
      }
      await deliveries.finishReporter(t.run.id, deps.owner);
      release(t);
      deps.onRunFinished?.(t.run);
      return;
    }
    // The executor writes its last event before the run row turns final, and that row change sends
    // no notification: look again shortly instead of waiting for the backstop poll.
    if (t.events.some((e) => TERMINAL_EVENTS.has(e.kind))) t.dirty = true;
  };

  const renderLatest = async (t: Tracked) => {
    t.events.push(...(await service.listEvents(t.run.id, t.events.at(-1)?.id ?? 0)));
    return render(t);
  };

  /**
   * Posts a thread reply once across every process: claimed first, and the claim given back when the
   * post fails, so the next flush (here or in the process that adopts the run) tries again.
   */
  const postOnce = async (key: string, post: () => Promise<unknown>) => {
    if (!(await deliveries.claim(key))) return;
    try {
      await post();
    } catch (error) {
      await deliveries.unclaim(key).catch(() => {});
      throw error;
    }
  };

  /** The config's broadcast rules for this run in this channel (its name looked up only when rules name channels). */
  const broadcastsIn = async (channel: string, run: Run) =>
    service.broadcasts(run, {
      id: channel,
      ...(service.broadcastsByChannel() ? { name: await deps.directory.channelName(channel) } : {}),
    });

  const postReplies = async (t: Tracked) => {
    const started = t.run.startedAt;
    if (!started) return;
    for (const artifact of await service.listArtifacts(t.run.id)) {
      if (t.postedArtifacts.has(artifact.id) || !isThreadArtifact(artifact, started)) continue;
      await postOnce(`artifact:${artifact.id}`, async () => {
        if (artifactNeedsFile(artifact)) {
          await poster.uploadFile({
            channel: t.channel,
            threadTs: t.threadTs,
            filename: artifact.filename ?? `${artifact.stepId ?? "artifact"}-${artifact.id}.txt`,
            title: artifact.title,
            content: artifact.content ?? "",
            message: renderArtifact(artifact, true, labelOf(t.run, artifact.stepId)),
          });
        } else {
          await poster.post(t.channel, renderArtifact(artifact, false, labelOf(t.run, artifact.stepId)), { threadTs: t.threadTs });
        }
      });
      t.postedArtifacts.add(artifact.id);
    }
  };

  const adopt = async (runId: string, origin?: CardOrigin, rendered?: SlackMessage, hold = false) => {
    if (tracked.has(runId)) return;
    if (stopping) {
      // Shutting down between posting a card and reporting it: say where the card is, so another
      // process adopts the run.
      if (origin) await service.attachOrigin(runId, origin);
      return;
    }
    // Adopting needs a card to update; the process that is posting one holds the lease before it
    // records where the card is, so nobody adopts a run in between.
    if (!origin) {
      const run = await service.getRun(runId);
      if (!run || run.source !== "slack" || typeof run.origin.channel !== "string" || typeof run.origin.messageTs !== "string") return;
    }
    const got = await deliveries.acquireReporter(runId, deps.owner, leaseMs);
    if (!got) {
      foreign.set(runId, Date.now() + leaseMs);
      return;
    }
    if (origin) await service.attachOrigin(runId, origin);
    const run = await service.getRun(runId);
    const where = run?.origin ?? {};
    if (!run || typeof where.channel !== "string" || typeof where.messageTs !== "string") {
      await deliveries.releaseReporter(runId, deps.owner);
      return;
    }
    foreign.delete(runId);
    const t: Tracked = {
      run,
      channel: where.channel,
      threadTs: typeof where.threadTs === "string" ? where.threadTs : where.messageTs,
      messageTs: where.messageTs,
      events: [],
      lastRendered: rendered ? JSON.stringify(rendered.blocks) : undefined,
      // A card just posted counts as this run's last update (one a second), unless its first update
      // is held for a nudge (a preview card gets its buttons as soon as the run exists).
      lastUpdateAt: rendered && !hold ? Date.now() : 0,
      lastFlushAt: Date.now(),
      timer: undefined,
      dirty: false,
      urgent: false,
      flushing: undefined,
      postedArtifacts: new Set(),
      errors: 0,
      done: false,
    };
    tracked.set(runId, t);
    if (!hold) schedule(t);
  };

  const nudge = (runId: string, options: { urgent?: boolean } = {}) => {
    const t = tracked.get(runId);
    if (t) {
      t.dirty = true;
      if (options.urgent) t.urgent = true;
      schedule(t);
      return;
    }
    if (stopping || adopting.has(runId) || (foreign.get(runId) ?? 0) > Date.now()) return;
    adopting.add(runId);
    adopt(runId)
      .catch((error: unknown) => log.warn({ err: error, run_id: runId }, "could not adopt a run's Slack status"))
      .finally(() => adopting.delete(runId));
  };

  // Notifications matter for the runs this process reports. A run it does not report is either being
  // reported by another process or orphaned, and orphans are found by the poll (listUnreportedRuns):
  // looking each one up on every event of every run would cost a query per event in every process.
  const unlisten = await service.onRunEvent((runId) => {
    if (tracked.has(runId)) nudge(runId);
  });

  /** Runs whose lease the database says is free (never taken, expired or released): try them all now. */
  const adoptOrphans = () => {
    deliveries
      .listUnreportedRuns(50)
      .then((ids) => {
        for (const id of ids) {
          if (tracked.has(id) || adopting.has(id)) continue;
          foreign.delete(id);
          nudge(id);
        }
      })
      .catch((error: unknown) => log.warn({ err: error }, "looking for unreported runs failed"));
  };

  // The backstop for a missed notification. Runs in progress are looked at every poll; a plan waiting
  // for approval changes only through events (or its preflight), so it is looked at once a minute:
  // a hundred open plan cards must not keep the database busy.
  const poll = setInterval(() => {
    const now = Date.now();
    for (const t of tracked.values()) {
      const active = t.run.status === "queued" || t.run.status === "running";
      const awaitingPreflight =
        t.run.status === "pending_approval" &&
        t.run.mutating &&
        (t.run.origin.preflight as { result?: unknown } | undefined)?.result === undefined;
      if (active || awaitingPreflight || now - t.lastFlushAt > IDLE_RECHECK_MS) {
        t.dirty = true;
        schedule(t);
      }
    }
    adoptOrphans();
  }, deps.pollMs ?? 5_000);

  const renew = setInterval(
    () => {
      deliveries
        .renewReporters(deps.owner, leaseMs)
        .catch((error: unknown) => log.warn({ err: error }, "renewing Slack status leases failed"));
      for (const [id, until] of foreign) if (until < Date.now()) foreign.delete(id);
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );

  // Runs a crashed or stopped process left behind: adopt them right away.
  adoptOrphans();

  return {
    track: (runId, origin, rendered, options) => adopt(runId, origin, rendered, options?.holdFirstUpdate === true),
    nudge,
    get tracking() {
      return tracked.size;
    },
    async flushPending(withinMs) {
      stopping = true;
      const finals = [...tracked.values()].map(async (t) => {
        const due = t.timer !== undefined;
        if (t.timer) clearTimeout(t.timer);
        t.timer = undefined;
        // An update on its way finishes first; what changed meanwhile left the run dirty.
        await t.flushing;
        if (t.done || !(due || t.dirty)) return;
        t.dirty = false;
        t.flushing = flush(t, true)
          .catch((error: unknown) => log.warn({ err: error, run_id: t.run.id }, "a run's last Slack update at shutdown failed"))
          .finally(() => (t.flushing = undefined));
        await t.flushing;
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(finals), new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))]);
      clearTimeout(timer);
    },
    async stop() {
      stopping = true;
      clearInterval(poll);
      clearInterval(renew);
      await unlisten();
      for (const t of tracked.values()) if (t.timer) clearTimeout(t.timer);
      await Promise.allSettled([...tracked.values()].map((t) => t.flushing));
      await deliveries.releaseReporters(deps.owner).catch(() => {});
    },
  };
}

/** The plan's words for the step that made an artifact. */
function labelOf(run: Run, stepId: string | null): string | undefined {
  return [...run.plan.steps, ...run.plan.rollback].find((s) => s.id === stepId)?.description;
}

/** Artifacts the run produced after it started (earlier ones were the preflight, shown on the card). */
function isThreadArtifact(artifact: StoredArtifact, startedAt: Date): boolean {
  return (
    artifact.kind !== "summary" && artifact.kind !== "link" && isForPeople(artifact) && artifact.createdAt.getTime() >= startedAt.getTime()
  );
}

/** The store's queue position has been a number and is becoming an object; read either. */
function aheadOf(position: unknown): number | undefined {
  if (typeof position === "number") return position;
  if (position && typeof position === "object" && "ahead" in position && typeof (position as { ahead: unknown }).ahead === "number")
    return (position as { ahead: number }).ahead;
  return undefined;
}
