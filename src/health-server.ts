import { createServer, type Server } from "node:http";
import type { Logger } from "pino";

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
    options.check().then(
      (details) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", ...details })),
      (error: unknown) =>
        res
          .writeHead(503, { "content-type": "application/json" })
          .end(JSON.stringify({ status: "unhealthy", error: (error as Error).message })),
    );
  });
  return new Promise((resolve) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      // Another opsroom on this machine already serves the port; its endpoint answers the same way.
      options.log.warn({ err: error, port: options.port }, "health endpoint not started");
      resolve(undefined);
    });
    server.listen(options.port, "127.0.0.1", () => resolve(server));
  });
}
