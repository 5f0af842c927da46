/**
 * Every runbook in the dev environment through the local console, with no credential and no network: the
 * same adapters, runbooks and executor as remote environments, acting on the processes and databases the
 * dev environment runs under the data folder. Each step checks the real state it changed (processes,
 * rows, HTTP answers), not only what opsroom printed. The tests run in order: each starts where the
 * one before left the environment, like a person following the README's tour.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, consoleSession, requestApi, startDevApp, until, type DevApp } from "./support/dev-app.js";

const DONE = /[✔✘] (succeeded|failed):.*\n/;
const PLAN = /needs 1 approval/;

describe("the dev environment through the console", () => {
  let dev: DevApp;
  let session: ReturnType<typeof consoleSession>;
  let api: string;

  beforeAll(async () => {
    dev = await startDevApp();
    session = consoleSession(dev.app);
    api = dev.variable("DEV_API_URL");
  }, 180_000);

  afterAll(async () => {
    await session?.end();
    await dev?.close();
  }, 60_000);

  it("checks dev status: opsroom itself and the sample api answer", async () => {
    const out = await session.send("check dev status", DONE);
    expect(out).toMatch(/✓ check — 2 of 2 healthy in dev: dev 200 OK in \d+ ms; api 200 OK in \d+ ms/);
    expect(out).toMatch(/✔ succeeded: Health check.*→ dev/);
  });

  it("deploys a ref from the sample repository: the plan shows the commits, verify finds the new commit answering", async () => {
    const plan = await session.send("deploy api@v1.1.0 to dev", PLAN);
    expect(plan).toMatch(/Deploy api v1\.1\.0 → dev/);
    expect(plan).toMatch(/what changes: .*from v1\.2\.0 \(\w{7}\) to v1\.1\.0 \(\w{7}\)/);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✓ shell-deploy — api in dev: v1\.1\.0 \(\w{7}\) is live on 1 instance \(was v1\.2\.0/);
    expect(out).toMatch(/✓ version — api version: 200 OK/);
    expect(out).toMatch(/✔ succeeded: Deploy.*→ dev/);
    // The preflight ran for the plan and again for the run: its commit list is shown once here.
    expect(out.match(/📎 Commits about to ship/g)).toHaveLength(1);
    const health = (await (await fetch(new URL("/healthz", api))).json()) as { version: string };
    expect(health.version).toBe("1.1.0");
  });

  it("rolls back to what was live before", async () => {
    await session.send("roll back api in dev", PLAN);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✓ shell-deploy — api in dev: v1\.2\.0 \(\w{7}\) is live .*\(was v1\.1\.0/);
    expect(out).toMatch(/✔ succeeded: Roll back.*→ dev/);
    expect(((await (await fetch(new URL("/healthz", api))).json()) as { version: string }).version).toBe("1.2.0");
  });

  it("a deploy whose health check fails rolls itself back", async () => {
    await session.send("deploy api@v1.4.0-rc.1 to dev", PLAN);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✗ health — api: .* answered 503/);
    expect(out).toMatch(/✓ shell-redeploy-previous — api in dev: v1\.2\.0 \(\w{7}\) is live .*\(was v1\.4\.0-rc\.1/);
    expect(out).toMatch(/✘ failed: Deploy api .*→ dev failed at .*Rolled back\./);
    expect((await fetch(new URL("/healthz", api))).status).toBe(200);
    expect((await dev.status()).version).toBe("v1.2.0");
  });

  it("changes a flag in the dev database and reads it back", async () => {
    const plan = await session.send("enable timelineParallax for students at 10% in dev", PLAN);
    // What changes is the flag's own diff, not the list of every flag read to check dependencies.
    expect(plan).toMatch(/│ what changes: timelineParallax in dev: off → on, 0% → 10%/);
    expect(plan).not.toContain("ENABLE_USAGE_METRICS");
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✓ check — timelineParallax in dev after the change: .* as expected/);
    const [row] = await dev.query<{
      is_enabled: boolean;
      rollout_percentage: number;
      metadata: { cohorts: string[] };
      environment: string;
    }>(
      "DEV_DATABASE_URL",
      "SELECT is_enabled, rollout_percentage, metadata, environment FROM feature_flags WHERE flag_key = 'timelineParallax'",
    );
    expect(row).toEqual({ is_enabled: true, rollout_percentage: 10, metadata: { cohorts: ["students"] }, environment: "development" });
  });

  it("shows the board from real local state: the pending migration blocks the cutover", async () => {
    const out = await session.send("show the ops board for dev", DONE);
    expect(out).toMatch(/✓ flags — 13 flags in dev \(development\), 6 on/);
    expect(out).toMatch(/✓ shell-deploys-of-api — \d+ deployments of api in dev; live: v1\.2\.0/);
    expect(out).toMatch(/✓ board — Safe to cut over in dev: no: Database migrations: 1 pending: 20260107090000_create_file_rpcs\.sql/);
  });

  it("rehearses the pending migration (rolled back), then applies it", async () => {
    const dry = await session.send("migrate dev as a dry run", DONE);
    expect(dry).toMatch(
      /✓ apply — dry run \(rolled back\): would apply 1 migration to DEV_DATABASE_URL: \+column public\.project_files\.deleted_at/,
    );
    const column = "SELECT column_name FROM information_schema.columns WHERE table_name = 'project_files' AND column_name = 'deleted_at'";
    expect(await dev.query("DEV_DATABASE_URL", column)).toEqual([]);

    await session.send("migrate dev", PLAN);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✓ apply — applied 1 migration to DEV_DATABASE_URL/);
    expect(out).toMatch(/✓ nothing-pending — pending migrations on dev: \[\] as expected/);
    expect(await dev.query("DEV_DATABASE_URL", column)).toEqual([{ column_name: "deleted_at" }]);
  });

  it("compares dev's schema with the local staging stand-in: the SQL that brings staging in line", async () => {
    const out = await session.send("diff schemas dev vs staging", DONE);
    expect(out).toMatch(/✓ diff — 4 differences from STAGING_DATABASE_URL to DEV_DATABASE_URL: \+column public\.project_files\.deleted_at/);
    expect(out).toContain("✔ succeeded: Schema sync plan");
    const [run] = await dev.app.service.listRuns({ limit: 1 });
    const sql = (await dev.app.service.listArtifacts(run!.id)).find((a) => a.title.startsWith("Migration SQL"));
    expect(sql?.content).toMatch(/ALTER TABLE public\.project_files ADD COLUMN deleted_at timestamp with time zone/);
    // Reading both databases changed neither.
    expect(
      await dev.query(
        "STAGING_DATABASE_URL",
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'project_files' AND column_name = 'deleted_at'",
      ),
    ).toEqual([]);
  });

  it("the migrations block turns safe once the migration is in; deploys on GitHub stay unknown without a token", async () => {
    const out = await session.send("show the ops board for dev", DONE);
    expect(out).toMatch(/✓ migrations — DEV_DATABASE_URL: up to date/);
    // No credential here: the GitHub-deployed services' latest deploys cannot be read, which is "unknown", never "no".
    expect(out).toMatch(/✓ board — Safe to cut over in dev: unknown: unknown until set: GITHUB_TOKEN \[[^\]]*migrations yes[^\]]*\]/);
  });

  it("scales to three real processes and back to one", async () => {
    await session.send("scale api in dev to 3", PLAN);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✓ shell-scale — api in dev: 1 → 3 instances/);
    expect(out).toMatch(/✓ shell-check — instances of api in dev: 3 as expected/);
    const { instances } = await dev.status();
    expect(instances).toHaveLength(3);
    expect(instances.every((i) => alive(i.pid))).toBe(true);

    await session.send("scale api in dev to 1", PLAN);
    await session.send("approve", /✔ succeeded: Scale/);
    expect((await dev.status()).instances).toHaveLength(1);
    for (const i of instances.slice(1)) await until(`instance ${i.pid} to exit`, () => !alive(i.pid));
  });

  it("restarts: a new process replaces the running one", async () => {
    const before = (await dev.status()).instances.map((i) => i.pid);
    await session.send("restart api in dev", PLAN);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/✔ succeeded: Restart.*→ dev/);
    const after = (await dev.status()).instances.map((i) => i.pid);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    await until(`the old instance ${before[0]} to exit`, () => !alive(before[0]!));
  });

  it("a bad release starts failing requests; triage names its deploy; the suggested rollback fixes it", async () => {
    await session.send("deploy api@v1.3.0 to dev", PLAN);
    await session.send("approve", /✔ succeeded: Deploy/);
    // Users hit /timeline: v1.3.0 answers every second request with a 500 (its health check still passes).
    // Every 2nd /timeline request fails; the dev traffic interleaves with these, so ask a dozen times.
    expect(await requestApi(api, "/timeline", 12)).toContain(500);

    const logs = await session.send("error logs for api in dev", DONE);
    expect(logs).toMatch(/✓ fetch-command — api in dev: \d+ error log lines? since .*, \d+ errors? \(first at/);
    expect(logs).toMatch(/ERROR 1\.3\.0 pid \d+ GET \/timeline 500/);

    const triage = await session.send("why is api throwing 500s in dev?", DONE);
    expect(triage).toMatch(
      /✓ suspect — Likely suspect: Deploy of api to v1\.3\.0 in dev \(opsroom run \w{8} .*`GET \/timeline → HTTP 500` first seen .* Way back: roll back api in dev\./,
    );

    await session.send("roll back api in dev", PLAN);
    const out = await session.send("approve", DONE);
    expect(out).toMatch(/is live .*\(was v1\.3\.0/);
    expect(await requestApi(api, "/timeline", 6)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it("leaves no process behind when opsroom stops", async () => {
    await dev.status();
    const pids = dev.pids();
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids.every(alive)).toBe(true);
    await session.end();
    await dev.close();
    for (const pid of pids) await until(`process ${pid} to exit`, () => !alive(pid), 20_000);
  });
});
