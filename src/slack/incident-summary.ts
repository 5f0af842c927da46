import type { Logger } from "pino";
import type { OpsService } from "../service/ops-service.js";
import { createChannelMessage } from "./channel-message.js";
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

/** One summary message per incident channel, across processes, updated in place (channel-message.ts). */
export function createIncidentSummaries(deps: IncidentSummaryDeps): IncidentSummaries {
  const { service } = deps;
  const refresh = createChannelMessage(
    { poster: deps.poster, log: deps.log, what: "incident summary" },
    {
      hasContent: async (channel) => {
        const name = await deps.directory.channelName(channel);
        return !!name && service.isIncidentChannel(name) && !!(await service.incidentSummary(channel));
      },
      render: async (channel) => {
        const summary = await service.incidentSummary(channel);
        if (!summary) throw new Error(`no triage in ${channel}`);
        return renderTriageSummary(summary, { timeZone: deps.timeZone, now: deps.now() });
      },
      where: (channel) => service.summaryMessage(channel),
      claim: (channel) => service.claimSummaryMessage(channel),
      release: (channel) => service.releaseSummaryMessage(channel),
      record: (channel, ts) => service.recordSummaryMessage(channel, ts),
    },
  );
  return { refresh };
}
