import { LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import type { Logger } from "pino";

/**
 * Bolt, web-api and socket-mode log through this: into opsroom's pino logger (and so through its
 * redactor), as short messages under `component: "slack-sdk"`.
 */
export function createBoltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: "slack-sdk" });
  let level: LogLevel = LogLevel.INFO;
  const one = (m: unknown): string => {
    if (typeof m === "string") return m;
    if (m instanceof Error) return m.message;
    try {
      return JSON.stringify(m) ?? String(m);
    } catch {
      return String(m);
    }
  };
  const text = (msg: unknown[]) => msg.map(one).join(" ");
  return {
    debug: (...msg: unknown[]) => child.debug(text(msg)),
    info: (...msg: unknown[]) => child.info(text(msg)),
    warn: (...msg: unknown[]) => child.warn(text(msg)),
    error: (...msg: unknown[]) => child.error(text(msg)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
