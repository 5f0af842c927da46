import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

/** What the health endpoints answer from; main.ts wires it. */
export interface HealthChecks {
  /** /healthz: the process is up and its database answers. Details go into the answer. */
  check: () => Promise<Record<string, unknown>>;
  /**
   * /readyz: ready to do its job: database reachable, Slack connected when configured, workers
   * alive. Each check by name, true when it passes (or a reason).
   */
  ready: () => Promise<Record<string, true | string>>;
  /** /metrics: Prometheus text format. */
  metrics?: Registry;
}

/**
 * GET /healthz, /readyz and /metrics, for the health server below and for Slack's HTTP mode (which
 * owns PORT and serves these beside /slack/events).
 */
export function healthRoutes(
  checks: HealthChecks,
): { path: string; method: string[]; handler: (req: IncomingMessage, res: ServerResponse) => void }[] {
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const routes = [
    {
      path: "/healthz",
      handler: (res: ServerResponse) =>
        checks.check().then(
          (details) => json(res, 200, { status: "ok", ...details }),
          (error: unknown) => json(res, 503, { status: "unhealthy", error: (error as Error).message }),
        ),
    },
    {
      path: "/readyz",
      handler: (res: ServerResponse) =>
        checks.ready().then(
          (results) => {
            const ready = Object.values(results).every((r) => r === true);
            json(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks: results });
          },
          (error: unknown) => json(res, 503, { status: "not ready", error: (error as Error).message }),
        ),
    },
    ...(checks.metrics
      ? [
          {
            path: "/metrics",
            handler: (res: ServerResponse) => {
              const registry = checks.metrics!;
              return registry.metrics().then(
                (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
                (error: unknown) =>
                  res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${(error as Error).message}\n`),
              );
            },
          },
        ]
      : []),
  ];
  return routes.map((route) => ({
    path: route.path,
    method: ["GET"],
    handler: (_req: IncomingMessage, res: ServerResponse) => void route.handler(res),
  }));
}

/**
 * opsroom's own health endpoint (GET /healthz, and /readyz and /metrics). The example config's dev
 * environment points its health check here, so the first command a newcomer types checks something
 * real, offline.
 */
export async function startHealthServer(options: { port: number; log: Logger } & HealthChecks): Promise<Server | undefined> {
  const routes = new Map(healthRoutes(options).map((r) => [r.path, r.handler]));
  const server = createServer((req, res) => {
    const path = req.url === "/" ? "/healthz" : (req.url ?? "").split("?")[0]!;
    const route = routes.get(path);
    if (req.method !== "GET" || !route) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not found"}');
      return;
    }
    route(req, res);
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
