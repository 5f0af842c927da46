import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { INSTANCE_ID } from "./config/instance.js";

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
  /** The Runboard's pages, served under /runboard (src/runboard). */
  runboard?: (req: IncomingMessage, res: ServerResponse) => void;
}

const RUNBOARD_PREFIX = "/runboard";

const IDENTITY = { service: "opsroom", instance: INSTANCE_ID };

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
      // Which opsroom answered (`service`, `instance`: see INSTANCE_ID), so dev's health check can tell
      // this process from another one holding the port.
      handler: (res: ServerResponse) =>
        checks.check().then(
          (details) => json(res, 200, { status: "ok", ...IDENTITY, ...details }),
          (error: unknown) => json(res, 503, { status: "unhealthy", ...IDENTITY, error: (error as Error).message }),
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
  const runboard = checks.runboard;
  return [
    ...routes.map((route) => ({
      path: route.path,
      method: ["GET"],
      handler: (_req: IncomingMessage, res: ServerResponse) => void route.handler(res),
    })),
    // Bolt matches custom routes with path-to-regexp: the Runboard's own router takes it from there.
    ...(runboard
      ? [RUNBOARD_PREFIX, `${RUNBOARD_PREFIX}/*rest`].map((path) => ({ path, method: ["GET", "HEAD"], handler: runboard }))
      : []),
  ];
}

/**
 * opsroom's own health endpoint (GET /healthz, and /readyz and /metrics). The example config's dev
 * environment points its health check here, so the first command a newcomer types checks something
 * real, offline.
 */
export async function startHealthServer(options: { port: number; log: Logger } & HealthChecks): Promise<Server | undefined> {
  const routes = new Map(healthRoutes({ ...options, runboard: undefined }).map((r) => [r.path, r.handler]));
  const server = createServer((req, res) => {
    const path = req.url === "/" ? "/healthz" : (req.url ?? "").split("?")[0]!;
    if (options.runboard && (path === RUNBOARD_PREFIX || path.startsWith(`${RUNBOARD_PREFIX}/`))) return options.runboard(req, res);
    const route = routes.get(path);
    if (req.method !== "GET" || !route) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not found"}');
      return;
    }
    route(req, res);
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
