import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import path from "node:path";
import { startInstance, type Instance } from "./instances.ts";
import type { SampleRepo } from "./sample-repo.ts";

/** A deployment as opsroom's deploy evidence reads it (the shape of github.listDeployments' rows). */
export interface Deployment {
  id: string;
  ref: string;
  sha: string;
  version: string;
  /** success: live now; inactive: replaced by a later deploy; rolled_back: replaced by going back to the one before it; failure: never started. */
  state: "success" | "inactive" | "rolled_back" | "failure";
  createdAt: string;
  creator: string;
  environment: string;
  description: string;
}

interface State {
  deployments: Deployment[];
  replicas: number;
}

/** Logs past this size are moved to api.log.1 at the next deploy. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

/**
 * A service of the dev environment: its releases (exported from the sample repository), the instances of
 * the live release, and a front door on one loopback port that spreads requests over them (the service's
 * URL: it stays the same while instances come and go). Deployments and the instance count are kept in
 * state.json, so the next start brings back what was live.
 */
export class LocalService {
  private instances: Instance[] = [];
  private next = 0;
  private busy: Promise<unknown> = Promise.resolve();

  readonly name: string;
  readonly env: string;
  private readonly dir: string;
  private readonly repo: SampleRepo;
  private readonly front: Server;
  private state: State;

  private constructor(options: { name: string; env: string; dir: string; repo: SampleRepo }, front: Server, state: State) {
    this.name = options.name;
    this.env = options.env;
    this.dir = options.dir;
    this.repo = options.repo;
    this.front = front;
    this.state = state;
  }

  static async start(options: { name: string; env: string; dir: string; repo: SampleRepo }): Promise<LocalService> {
    const file = path.join(options.dir, "state.json");
    const state: State = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as State) : { deployments: [], replicas: 1 };
    await mkdir(path.join(options.dir, "logs"), { recursive: true });
    const front = createServer();
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    const service = new LocalService(options, front, state);
    front.on("request", (req, res) => {
      const instance = service.pick();
      if (!instance) {
        res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `${service.name} has no running instances (scaled to 0)` }));
        return;
      }
      const upstream = request(
        { host: "127.0.0.1", port: instance.port, method: req.method, path: req.url, headers: req.headers },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      upstream.on("error", () => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `instance on port ${instance.port} did not answer` }));
      });
      req.pipe(upstream);
    });
    const live = service.live();
    if (live) await service.launch(live.sha, state.replicas);
    else await service.deploy("main", "dev environment setup");
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.front.address() as { port: number }).port}`;
  }

  get logFile(): string {
    return path.join(this.dir, "logs", `${this.name}.log`);
  }

  /** Newest first. */
  deployments(): Deployment[] {
    return this.state.deployments;
  }

  /** The live deployment, if any. */
  live(): Deployment | undefined {
    return this.state.deployments.find((d) => d.state === "success");
  }

  /**
   * The release that was live before the live one: the newest earlier deployment of another commit that was
   * not itself rolled back. What "roll back api in dev" goes back to.
   */
  previous(): Deployment | undefined {
    const live = this.live();
    return this.state.deployments.find((d) => d !== live && (d.state === "inactive" || d.state === "success") && d.sha !== live?.sha);
  }

  status() {
    const live = this.live();
    const previous = this.previous();
    return {
      service: this.name,
      env: this.env,
      url: this.url,
      ref: live?.ref ?? null,
      sha: live?.sha ?? null,
      version: live?.version ?? null,
      previous: previous ? { ref: previous.ref, sha: previous.sha, version: previous.version } : null,
      replicas: this.instances.length,
      instances: this.instances.map((i) => ({ pid: i.pid, port: i.port })),
    };
  }

  /** Starts the ref's release on as many instances as run now, then moves traffic to them and stops the old ones. */
  deploy(ref: string, creator: string): Promise<{ deployment: Deployment; previous: Deployment | undefined }> {
    return this.serially(async () => {
      const sha = await this.repo.resolve(ref);
      const version = (await this.repo.tagOf(sha)) ?? sha.slice(0, 7);
      const previous = this.live();
      const goingBack = sha === this.previous()?.sha;
      const deployment: Deployment = {
        id: String(this.state.deployments.length + 1),
        ref,
        sha,
        version,
        state: "success",
        createdAt: new Date().toISOString(),
        creator,
        environment: this.env,
        description: `${version} (${sha.slice(0, 7)})`,
      };
      await this.rotateLog();
      try {
        await this.launch(sha, Math.max(1, this.state.replicas));
      } catch (err) {
        await this.record({ ...deployment, state: "failure", description: (err as Error).message });
        throw err;
      }
      if (previous) previous.state = goingBack ? "rolled_back" : "inactive";
      await this.record(deployment);
      return { deployment, previous };
    });
  }

  /** New instances of the live release replace the running ones, one set for another. */
  restart(): Promise<number> {
    return this.serially(async () => {
      const sha = this.instances[0]?.sha ?? this.live()?.sha;
      if (!sha) throw new Error(`${this.name} has nothing deployed to restart`);
      await this.launch(sha, Math.max(1, this.state.replicas));
      return this.instances.length;
    });
  }

  /** Starts or stops instances of the live release until `count` run. */
  scale(count: number): Promise<{ before: number; after: number }> {
    return this.serially(async () => {
      const before = this.instances.length;
      const sha = this.instances[0]?.sha ?? this.live()?.sha;
      if (!sha && count > 0) throw new Error(`${this.name} has nothing deployed to scale`);
      const added: Instance[] = [];
      while (this.instances.length + added.length < count)
        added.push(await startInstance(await this.release(sha!), sha!, this.instanceEnv()));
      const removed = this.instances.slice(count);
      this.instances = [...this.instances.slice(0, count), ...added];
      await Promise.all(removed.map((i) => i.stop()));
      this.state.replicas = count;
      await this.save();
      return { before, after: this.instances.length };
    });
  }

  async stop(): Promise<void> {
    await this.busy.catch(() => undefined);
    this.front.closeAllConnections();
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
    await Promise.all(this.instances.map((i) => i.stop()));
    this.instances = [];
  }

  private async launch(sha: string, count: number): Promise<void> {
    const release = await this.release(sha);
    const started: Instance[] = [];
    try {
      for (let i = 0; i < count; i++) started.push(await startInstance(release, sha, this.instanceEnv()));
    } catch (err) {
      await Promise.all(started.map((s) => s.stop()));
      throw err;
    }
    const old = this.instances;
    this.instances = started;
    this.state.replicas = count;
    await this.save();
    await Promise.all(old.map((i) => i.stop()));
  }

  private async release(sha: string): Promise<string> {
    const dir = path.join(this.dir, "releases", sha);
    if (!existsSync(path.join(dir, "server.ts"))) await this.repo.export(sha, dir);
    return dir;
  }

  private instanceEnv(): Record<string, string> {
    return { LOG_FILE: this.logFile };
  }

  private pick(): Instance | undefined {
    if (this.instances.length === 0) return undefined;
    return this.instances[this.next++ % this.instances.length];
  }

  private async record(deployment: Deployment): Promise<void> {
    this.state.deployments = [deployment, ...this.state.deployments].slice(0, 50);
    await this.save();
  }

  private async rotateLog(): Promise<void> {
    const size = await stat(this.logFile).then(
      (s) => s.size,
      () => 0,
    );
    if (size > MAX_LOG_BYTES) await rename(this.logFile, `${this.logFile}.1`);
  }

  private async save(): Promise<void> {
    await writeFile(path.join(this.dir, "state.json"), `${JSON.stringify(this.state, null, 2)}\n`);
  }

  /** One change at a time: a deploy, restart or scale waits for the one before it. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.busy.then(work, work);
    this.busy = result.catch(() => undefined);
    return result;
  }
}
