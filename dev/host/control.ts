import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { LocalService } from "./local-service.ts";
import { readLogs } from "./read-logs.ts";
import type { SampleRepo } from "./sample-repo.ts";

/** What a command prints for opsroom's shell.run with stepResult: a one-line summary, data, artifacts. */
interface StepResult {
  summary: string;
  data?: unknown;
  artifacts?: Array<{ kind: "text" | "diff"; title: string; content: string; filename?: string }>;
}

class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The dev host's control API on a loopback port (DEV_HOST_URL), which dev/devctl.ts calls for the commands
 * of the dev environment's config: deploy, changes, deployments, status, restart, scale, logs. Answers are
 * step results, so what a runbook shows is written here, next to what it describes.
 */
export async function startControl(services: Map<string, LocalService>, repo: SampleRepo) {
  const server = createServer((req, res) => {
    void route(req, services, repo).then(
      (result) => reply(res, 200, result),
      (err: Error) => reply(res, err instanceof HttpError ? err.status : 500, { error: err.message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function route(req: IncomingMessage, services: Map<string, LocalService>, repo: SampleRepo): Promise<StepResult> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const [, kind, name, verb] = url.pathname.split("/");
  const service = kind === "services" && name ? services.get(name) : undefined;
  if (!service) throw new HttpError(404, `no service ${name ?? ""} in the dev environment (it has ${[...services.keys()].join(", ")})`);
  const body = req.method === "POST" ? await readJson(req) : {};
  const where = `${service.name} in ${service.env}`;
  switch (`${req.method} ${verb}`) {
    case "POST deploy": {
      const ref = text(body.ref, "ref");
      const { deployment, previous } = await service.deploy(ref, typeof body.by === "string" ? body.by : "opsroom").catch((err: Error) => {
        throw new HttpError(409, `deploy of ${ref} to ${where} failed: ${err.message}`);
      });
      const commits = await repo.commitsBetween(previous?.sha, deployment.sha);
      // A rollback ships nothing new: it takes back what the live release had beyond the target.
      const takenBack = previous?.sha ? await repo.commitsBetween(deployment.sha, previous.sha) : [];
      const shipped = [...commits.map((c) => `+ ${commitLine(c)}`), ...takenBack.map((c) => `- ${commitLine(c)}`)];
      return {
        summary: `${where}: ${deployment.description} is live on ${service.status().replicas} instance${service.status().replicas === 1 ? "" : "s"}${previous ? ` (was ${previous.description})` : ""}`,
        data: { ...deployment, previous: previous ?? null, url: service.url },
        artifacts: [{ kind: "text", title: "Commits shipped", content: shipped.join("\n") || "(none: same commit)" }],
      };
    }
    case "GET changes": {
      const ref = text(url.searchParams.get("ref"), "ref");
      const head = await repo.resolve(ref).catch((err: Error) => {
        throw new HttpError(404, err.message);
      });
      const live = service.status();
      const commits = await repo.commitsBetween(live.sha ?? undefined, head);
      const behind = live.sha ? await repo.commitsBetween(head, live.sha) : [];
      const to = `${(await repo.tagOf(head)) ?? ref} (${head.slice(0, 7)})`;
      const same = head === live.sha;
      return {
        summary: same
          ? `${to} is already live: nothing to ship (a redeploy of the same commit)`
          : `${commits.length} commit${commits.length === 1 ? "" : "s"} to ship from ${live.version ?? "nothing"} (${live.sha?.slice(0, 7) ?? "-"}) to ${to}${behind.length ? `; ${behind.length} live commit${behind.length === 1 ? "" : "s"} would be taken back` : ""}`,
        data: { base: live.sha, head, commits, behind },
        artifacts: [
          {
            kind: "diff",
            title: "Commits about to ship",
            content:
              [...commits.map((c) => `+ ${commitLine(c)}`), ...behind.map((c) => `- ${commitLine(c)}`)].join("\n") || "(none: same commit)",
          },
        ],
      };
    }
    case "GET deployments": {
      const deployments = service.deployments();
      const live = service.live();
      return {
        summary: `${deployments.length} deployment${deployments.length === 1 ? "" : "s"} of ${where}${live ? `; live: ${live.description} since ${live.createdAt} by ${live.creator}` : ""}`,
        data: { deployments },
        artifacts: [
          {
            kind: "text",
            title: `Deployments of ${where}`,
            content: deployments.map((d) => `${d.createdAt}  ${d.state.padEnd(7)} ${d.description} by ${d.creator}`).join("\n"),
          },
        ],
      };
    }
    case "GET status": {
      const status = service.status();
      return {
        summary: `${where}: ${status.version ?? "nothing"} (${status.sha?.slice(0, 7) ?? "-"}) on ${status.replicas} instance${status.replicas === 1 ? "" : "s"} at ${status.url}${status.previous ? `; before it: ${status.previous.version} (${status.previous.sha.slice(0, 7)})` : ""}`,
        data: status,
      };
    }
    case "POST restart": {
      const before = service.status().instances.map((i) => i.pid);
      await service.restart();
      const after = service.status();
      return {
        summary: `${where}: ${after.replicas} new instance${after.replicas === 1 ? "" : "s"} of ${after.version} (pid ${after.instances.map((i) => i.pid).join(", ")}) replaced pid ${before.join(", ")}`,
        data: { ...after, replacedPids: before },
      };
    }
    case "POST scale": {
      const replicas = Number(body.replicas);
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > 10)
        throw new HttpError(400, `replicas must be a whole number from 0 to 10 (got ${String(body.replicas)})`);
      const { before, after } = await service.scale(replicas);
      return { summary: `${where}: ${before} → ${after} instance${after === 1 ? "" : "s"}`, data: { ...service.status(), before } };
    }
    case "GET logs": {
      const query = {
        ...optional("since", url.searchParams.get("since")),
        ...optional("until", url.searchParams.get("until")),
        ...optional("level", url.searchParams.get("level")),
      };
      const { shown, ...logs } = await readLogs(service.logFile, query);
      return {
        summary: `${where}: ${logs.lines} ${query.level === "error" ? "error " : ""}log line${logs.lines === 1 ? "" : "s"} since ${logs.since}${logs.errorLines ? `, ${logs.errorLines} error${logs.errorLines === 1 ? "" : "s"} (first at ${logs.firstErrorAt})` : ", no errors"}`,
        data: { service: service.name, env: service.env, ...logs },
        artifacts: [
          { kind: "text", title: `Log of ${where}`, filename: `${service.name}.log`, content: shown || "(no lines in this window)" },
        ],
      };
    }
    default:
      throw new HttpError(404, `unknown request ${req.method} ${url.pathname}`);
  }
}

function commitLine(c: { sha: string; subject: string }): string {
  return `${c.sha.slice(0, 7)} ${c.subject}`;
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${name} is required`);
  return value.trim();
}

function optional(name: string, value: string | null): Record<string, string> {
  return value && value.trim() ? { [name]: value.trim() } : {};
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = "";
  for await (const chunk of req) raw += String(chunk);
  try {
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  } catch {
    throw new HttpError(400, "the request body is not JSON");
  }
}
