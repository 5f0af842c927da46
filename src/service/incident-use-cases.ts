import { slackMessageLink } from "../../adapters/shared/slack-link.js";
import type { Redactor } from "../redact.js";
import type { Run } from "../store/types.js";
import type { OpsServiceDeps } from "./ops-service.js";
import { renderPostmortem } from "./postmortem.js";
import { triageOutcome, TRIAGE_RUNBOOK, type TriageOutcome } from "./triage-results.js";

/** What an incident channel's summary message shows: the latest triage and every run since the first. */
export interface IncidentSummary {
  channel: string;
  latest: TriageOutcome;
  /** Runs started from the channel since its first triage (triages included), oldest first. */
  runs: Run[];
}

/** The console is one place: its runs have no channel. */
export const CONSOLE_PLACE = "console";

/** How far back an incident channel's history is read; an incident channel rarely lives longer. */
const HISTORY_MS = 7 * 24 * 3600_000;
const MAX_RUNS = 500;
const MAX_MESSAGES = 2000;

/**
 * "timeline", "postmortem", "write the postmortem", "draft a write-up": a request for the postmortem
 * draft (in an incident channel or the console), as opposed to a remark about one.
 */
const POSTMORTEM_REQUEST =
  /^(?:(?:please\s+)?(?:write|draft|make|create|generate|give\s+me|show(?:\s+me)?|start|prepare|build)\s+(?:the\s+|a\s+|an\s+|us\s+a\s+)?(?:incident\s+)?)?(?:post-?mortem|timeline|write-?up|incident\s+report)(?:\s+draft)?(?:\s+please)?[.!]?$/i;

export function isPostmortemRequest(text: string): boolean {
  return POSTMORTEM_REQUEST.test(text.trim());
}

/**
 * Incident channels: the messages opsroom saw there, the one triage summary message each keeps up to
 * date, and the postmortem draft. The decisions (what counts as the latest triage, which runs belong)
 * live here so Slack and the console share them.
 */
export function createIncidentUseCases(deps: OpsServiceDeps & { redactor?: Redactor }) {
  const { store, config } = deps;
  const incidents = store.incidents;
  const since = () => new Date(deps.clock().getTime() - HISTORY_MS);

  /** The latest finished triage among `runs` that recorded what it found. */
  const latestTriage = async (runs: readonly Run[]): Promise<TriageOutcome | undefined> => {
    for (const run of [...runs].reverse()) {
      if (run.runbook !== TRIAGE_RUNBOOK || run.status !== "succeeded") continue;
      const outcome = triageOutcome(run, await store.listArtifacts(run.id));
      if (outcome) return outcome;
    }
    return undefined;
  };

  const runsOf = async (place: string): Promise<Run[]> => {
    if (place !== CONSOLE_PLACE) return incidents.listRunsInChannel(place, since(), MAX_RUNS);
    const from = since().getTime();
    return (await store.listRuns({ limit: 200 })).filter((r) => r.source === "console" && r.createdAt.getTime() >= from).reverse();
  };

  return {
    isPostmortemRequest,

    /** Remembers a message seen in an incident channel, for the postmortem's timeline (secrets redacted). */
    async recordIncidentMessage(message: { channel: string; ts: string; user: string; text: string; at: Date }): Promise<void> {
      const text = deps.redactor ? deps.redactor.redactText(message.text) : message.text;
      await incidents.recordMessage({ channel: message.channel, ts: message.ts, userId: message.user, text, at: message.at });
    },

    /** The channel's summary: its latest finished triage and the runs since its first one; undefined before any triage. */
    async incidentSummary(channel: string): Promise<IncidentSummary | undefined> {
      const runs = await incidents.listRunsInChannel(channel, since(), MAX_RUNS);
      const latest = await latestTriage(runs);
      if (!latest) return undefined;
      const first = runs.findIndex((r) => r.runbook === TRIAGE_RUNBOOK);
      return { channel, latest, runs: runs.slice(Math.max(0, first)) };
    },

    /** Where the channel's summary message is: `messageTs` null while another process is posting it. */
    summaryMessage: (channel: string) => incidents.getSummary(channel),
    /** True for the one caller that may post the channel's first summary message. */
    claimSummaryMessage: (channel: string) => incidents.claimSummary(channel),
    recordSummaryMessage: (channel: string, messageTs: string) => incidents.setSummaryMessage(channel, messageTs),
    releaseSummaryMessage: (channel: string) => incidents.releaseSummary(channel),

    /**
     * The postmortem draft for an incident channel (or the console): its messages, runs, approvals and
     * outcomes, the latest triage, and the owners from the config and runbooks.
     */
    async writePostmortem(place: string): Promise<{ title: string; filename: string; markdown: string }> {
      const runs = await runsOf(place);
      const messages = place === CONSOLE_PLACE ? [] : await incidents.listMessages(place, since(), MAX_MESSAGES);
      const withApprovals = await Promise.all(runs.map(async (run) => ({ run, approvals: await store.listApprovals(run.id) })));
      const summary = place === CONSOLE_PLACE ? undefined : await incidents.getSummary(place);
      return renderPostmortem({
        place,
        now: deps.clock(),
        timeZone: config.timeZone,
        triage: await latestTriage(runs),
        runs: withApprovals,
        messages,
        owners: {
          services: Object.fromEntries(Object.entries(config.services).map(([name, s]) => [name, s.owner])),
          flags: Object.fromEntries(Object.entries(config.flags).map(([name, f]) => [name, f.owner])),
        },
        summaryLink: summary?.messageTs ? slackMessageLink(place, summary.messageTs) : null,
      });
    },
  };
}
