import pino, { type Logger } from "pino";
import type { Redactor } from "./redact.js";

/**
 * The root logger. Known secret fields are removed by path, and every message and field is passed
 * through the redactor, so a token inside an error message never reaches the log either.
 */
export function createLogger(options: {
  level: string;
  redactor: Redactor;
  destination?: pino.DestinationStream | NodeJS.WritableStream;
}): Logger {
  const { redactor } = options;
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: {
        paths: [
          "token",
          "*.token",
          "authorization",
          "*.authorization",
          "headers.authorization",
          "*.headers.authorization",
          "password",
          "*.password",
          "credentials",
          "*.credentials",
        ],
        censor: "[REDACTED]",
      },
      formatters: { log: (object) => redactor.redact(object) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === "string" ? redactor.redactText(arg) : arg)) as Parameters<typeof method>);
        },
      },
      serializers: { err: (err: unknown) => redactor.redact(pino.stdSerializers.err(err as Error)) },
    },
    (options.destination ?? pino.destination({ dest: 2, sync: true })) as pino.DestinationStream,
  );
}
