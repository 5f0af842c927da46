import type { Logger } from "pino";
import type { OpsService } from "../service/ops-service.js";
import { renderTriageSummary } from "./render-triage-summary.js";
import type { SlackDirectory } from "./slack-directory.js";
import type { SlackPoster } from "./slack-poster.js";

/** Keeps each incident channel's one triage summary message up to date. */
export interface IncidentSummaries {
  /**
   * Something happened in `channel` (a run finished, a way back was asked for): post its summary the
   * first time a triage there has finished, update it in place afterwards. Nothing outside incident
   * channels or before the first triage.
   */
  refresh(channel: string): Promise<void>;
}

export interface IncidentSummaryDeps {
  service: OpsService;
  poster: SlackPoster;
  directory: Pick<SlackDirectory, "channelName">;
  log: Logger;
  timeZone: string;
  now: () => Date;
}

/**
 * One message per channel, across processes: the first poster claims the channel in the database, posts,
 * and records where the message is; everyone after updates that message. chat.update renders the state
 * when the call is made, so an update delayed by a rate limit never shows an older triage.
 */
export function createIncidentSummaries(deps: IncidentSummaryDeps): IncidentSummaries {
  const { service, poster } = deps;
  // In this process, one refresh per channel at a time; a request meanwhile runs once more after it.
  const running = new Map<string, Promise<void>>();
  const pending = new Set<string>();

  const render = async (channel: string) => {
    const summary = await service.incidentSummary(channel);
    if (!summary) throw new Error(`no triage in ${channel}`);
    return renderTriageSummary(summary, { timeZone: deps.timeZone, now: deps.now() });
  };

  const refreshNow = async (channel: string): Promise<void> => {
    const name = await deps.directory.channelName(channel);
    if (!name || !service.isIncidentChannel(name)) return;
    if (!(await service.incidentSummary(channel))) return;
    const where = await service.summaryMessage(channel);
    if (where?.messageTs) {
      await poster.update(channel, where.messageTs, () => render(channel));
      return;
    }
    // Another process is posting it: it records the message, then updates it to the latest state.
    if (where || !(await service.claimSummaryMessage(channel))) return;
    let ts: string;
    try {
      ts = (await poster.post(channel, await render(channel))).ts;
    } catch (error) {
      await service.releaseSummaryMessage(channel);
      throw error;
    }
    await service.recordSummaryMessage(channel, ts);
    // Runs that finished while it was being posted saw no message to update.
    await poster.update(channel, ts, () => render(channel));
  };

  const refresh = (channel: string): Promise<void> => {
    const current = running.get(channel);
    if (current) {
      pending.add(channel);
      return current;
    }
    const work = refreshNow(channel)
      .catch((error: unknown) => deps.log.warn({ err: error, slack_channel: channel }, "updating the incident summary failed"))
      .finally(() => {
        running.delete(channel);
        if (pending.delete(channel)) void refresh(channel);
      });
    running.set(channel, work);
    return work;
  };

  return { refresh };
}
