import type { SocketModeReceiver } from "@slack/bolt";
import type { Logger } from "pino";
import { slackRefusal, tokenRejected, unreachableReason, type Backoff } from "./verify-slack-token.js";

/**
 * @slack/socket-mode reconnects after a lost connection by calling `start()` again and never observes
 * that promise (slackapi/node-slack-sdk#2656): a reconnect Slack refuses, or a stop while one is under
 * way, is an unhandled rejection, which ends the process. Every `start()` after the first goes through
 * here instead: a failure is logged and tried again with back-off until it connects or the app stops.
 */
export function observeReconnects(receiver: SocketModeReceiver, options: { log: Logger; backoff: Backoff }): { stop(): void } {
  const { client } = receiver;
  const start = client.start.bind(client);
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const reconnect = async (): Promise<unknown> => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        return await start();
      } catch (error) {
        if (stopped) break;
        const waitMs = Math.min(options.backoff.firstMs * 2 ** (attempt - 1), options.backoff.maxMs);
        options.log.error({ attempt, retry_in_ms: waitMs }, `Socket Mode could not reconnect: ${why(error)}; trying again`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, waitMs);
        });
      }
    }
    return undefined;
  };

  let first = true;
  client.start = () => {
    if (!first) return reconnect() as ReturnType<typeof start>;
    first = false;
    return start();
  };
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    },
  };
}

function why(error: unknown): string {
  const refused = slackRefusal(error);
  return refused ? tokenRejected("SLACK_APP_TOKEN", refused, error).userMessage : unreachableReason(error);
}
