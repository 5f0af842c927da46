import { appendFileSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";

/**
 * The sample service ("api") that the dev environment deploys: a small HTTP app with /healthz, a version, and
 * request logs (JSON lines) written to LOG_FILE. Each release of it is a commit of this folder in the sample's
 * git repository; release.json is what changes between releases (its version and its behaviour).
 *
 * It listens on a free loopback port, prints `listening <port>` once it does, and exits when its standard
 * input closes, so it never outlives the process that started it.
 */
interface Release {
  version: string;
  /** Every nth /timeline request answers 500 (the v1.3.0 regression). 0: never. */
  timelineFailEvery?: number;
  /** Extra time /timeline takes, in ms (the v1.3.0 regression). */
  timelineDelayMs?: number;
  /** A setting the release needs; /healthz answers 503 while it is not set (the v1.4.0-rc.1 mistake). */
  requiresEnv?: string;
}

const release = JSON.parse(readFileSync(path.join(import.meta.dirname, "release.json"), "utf8")) as Release;
const commit = process.env.RELEASE_COMMIT ?? "unknown";
const logFile = process.env.LOG_FILE;
let timelineRequests = 0;

function log(entry: Record<string, unknown>): void {
  const line = JSON.stringify({ time: new Date().toISOString(), service: "api", version: release.version, pid: process.pid, ...entry });
  if (logFile) appendFileSync(logFile, `${line}\n`);
}

function send(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
  return status;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
  const url = new URL(req.url ?? "/", "http://localhost");
  switch (url.pathname) {
    case "/healthz":
      if (release.requiresEnv && !process.env[release.requiresEnv]) {
        return send(res, 503, { status: "degraded", version: release.version, commit, error: `${release.requiresEnv} is not set` });
      }
      return send(res, 200, { status: "ok", service: "api", version: release.version, commit });
    case "/timeline": {
      timelineRequests++;
      if (release.timelineDelayMs) await new Promise((resolve) => setTimeout(resolve, release.timelineDelayMs));
      if (release.timelineFailEvery && timelineRequests % release.timelineFailEvery === 0) {
        return send(res, 500, { error: "timeline cache miss: cohort key was undefined" });
      }
      const cohort = url.searchParams.get("cohort") ?? "students";
      return send(res, 200, { cohort, rails: 3, today: new Date().toISOString().slice(0, 10) });
    }
    case "/projects":
      return send(res, 200, [{ name: "timeline-redesign", files: 1 }]);
    default:
      return send(res, 404, { error: `no route ${url.pathname}` });
  }
}

const server = createServer((req, res) => {
  const started = performance.now();
  void handle(req, res).then(
    (status) => {
      const ms = Math.round(performance.now() - started);
      log({ level: status >= 500 ? "error" : "info", method: req.method, path: req.url, status, ms });
    },
    (err: Error) => {
      log({ level: "error", method: req.method, path: req.url, status: 500, error: err.message });
      send(res, 500, { error: "internal error" });
    },
  );
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  log({ level: "info", message: `api ${release.version} (${commit.slice(0, 7)}) started on port ${port}` });
  process.stdout.write(`listening ${port}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
