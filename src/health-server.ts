import { createServer, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { INSTANCE_ID } from "./config/instance.js";

/**
 * opsroom's own health endpoint (GET /healthz). The example config's dev environment points its
 * health check here, so the first command a newcomer types checks something real, offline.
 */
export async function startHealthServer(options: {
  port: number;
  check: () => Promise<Record<string, unknown>>;
  log: Logger;
}): Promise<Server | undefined> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url !== "/healthz" && req.url !== "/")) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not found"}');
      return;
    }
    answerHealth(res, options.check);
  });
  return new Promise((resolve) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const { port } = options;
      const why = error.code === "EADDRINUSE" ? `port ${port} is in use by another process` : `port ${port}: ${error.message}`;
      options.log.warn(
        { port, code: error.code },
        `health endpoint not started: ${why}, so this opsroom serves no /healthz (and \`check dev status\` fails rather than check that process); set PORT to a free port`,
      );
      resolve(undefined);
    });
    server.listen(options.port, "127.0.0.1", () => resolve(server));
  });
}

/**
 * GET /healthz's answer, here and in Slack HTTP mode: 200 with `status`, which opsroom answered (`service`,
 * `instance`, see INSTANCE_ID) and the check's details; 503 when the check fails.
 */
export function answerHealth(res: ServerResponse, check: () => Promise<Record<string, unknown>>): void {
  const identity = { service: "opsroom", instance: INSTANCE_ID };
  check().then(
    (details) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", ...identity, ...details })),
    (error: unknown) =>
      res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ status: "unhealthy", ...identity, error: (error as Error).message })),
  );
}
