/**
 * Approve with an override reason, through the real service, runbooks, executor and store:
 * - migrations promoted from staging to prod, on real PostgreSQL (two scratch databases as staging and prod):
 *   a file that never succeeded on staging asks for an override, an edited file is flagged, a dry run's
 *   result shows in the next plan, and the override is recorded with the approval and as a run event;
 * - a prod deploy whose ops board block says Blocked, in the console: refused without a reason, run with one;
 *   "unknown" only shows.
 * An override is no side door: a requester's reason does not make their own approval count, and a run
 * whose approvals gave no reason stops before it changes anything.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapters, createBoardAdapter, systemClock, type ChecklistStore } from "../../adapters/index.js";
import type { StepResult } from "../../adapters/types.js";
import { renderChainText } from "../../src/cli/render-run-chain.js";
import { DEFAULT_RUNBOOKS_DIR, loadConfig, type Config } from "../../src/config/load-config.js";
import { createConsoleCommands } from "../../src/console/console-commands.js";
import { renderPlanText } from "../../src/console/render-text.js";
import { createActionLookup, type ActionLookup } from "../../src/executor/action-catalog.js";
import { createRedactor } from "../../src/redact.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import type { OpsService } from "../../src/service/ops-service.js";
import type { Store } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { wireService } from "../../src/wire-service.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { drainRuns } from "../support/drain-runs.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

const CONFIG = path.resolve(import.meta.dirname, "../fixtures/promotion/opsroom.yml");
const USERS = { alice: "U0ALICE01", bob: "U0BOB0001", dave: "U0DAVE001" } as const;
const log = pino({ level: "silent" });

/** The fixture config with every environment's migrationsDir set to `dir` (the loaded config is frozen). */
function withMigrationsDir(dir: string): Config {
  const config = loadConfig({ OPSROOM_CONFIG: CONFIG, OPSROOM_RUNBOOKS_DIR: DEFAULT_RUNBOOKS_DIR });
  const environments = Object.fromEntries(
    Object.entries(config.environments).map(([name, env]) => [name, { ...env, settings: { ...env.settings, migrationsDir: dir } }]),
  );
  return { ...config, environments };
}

interface Rig {
  config: Config;
  service: OpsService;
  /** Runs every queued run to its end, as a worker would. */
  drain(): Promise<Run[]>;
}

function createRig(store: Store, actions: ActionLookup, credentials: Record<string, string>, config: Config): Rig {
  const runbooks = loadRunbooks(DEFAULT_RUNBOOKS_DIR, actions.catalog);
  const redactor = createRedactor(Object.values(credentials));
  const service = wireService({ store, config, runbooks, actions, credentials, redactor, log });
  return {
    config,
    service,
    drain: () => drainRuns(store, { actions, credentials, redactor, log }),
  };
}

describe("migrations promoted from staging to prod", NEEDS_POSTGRES, () => {
  const BASE_URL = process.env.TEST_DATABASE_URL!;
  const databases: string[] = [];
  let admin: pg.Client;
  let t: TestStore;
  const dirs: string[] = [];
  /** A scratch migrations folder, removed after the suite. */
  const folder = () => {
    const made = mkdtempSync(path.join(tmpdir(), "opsroom-promo-"));
    dirs.push(made);
    return made;
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
    t = await openTestStore("postgres");
  });
  afterAll(async () => {
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await t.dispose();
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
  });

  async function database(role: "stg" | "prod"): Promise<string> {
    const name = `opsroom_promo_${role}_${randomBytes(4).toString("hex")}`;
    await admin.query(`CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(BASE_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }

  /** Plans as dave, approved by alice (with `reason` when given), and runs it. */
  async function migrate(rig: Rig, params: Record<string, string | boolean>, reason?: string): Promise<Run> {
    const planned = await rig.service.submitPlan("migrate", params, { user: USERS.dave, source: "test" });
    if (planned.run.status === "pending_approval") await rig.service.approve(planned.run.id, USERS.alice, undefined, reason);
    const [run] = await rig.drain();
    return run!;
  }

  it("a file never run on staging blocks the prod plan until an approver overrides with a reason; the dry run shows; edits are flagged", async () => {
    const dir = folder();
    const staging = await database("stg");
    const prod = await database("prod");
    const config = withMigrationsDir(dir);
    const credentials = { STAGING_DATABASE_URL: staging, PROD_DATABASE_URL: prod };
    const actions = createActionLookup(createAdapters({ migrationHistory: t.store.migrations, checklist: t.store.board }));
    const rig = createRig(t.store, actions, credentials, config);

    // Staging gets 001 for real; then 002 is written and only dry-run on prod.
    writeFileSync(path.join(dir, "001_create_widgets.sql"), "CREATE TABLE widgets (id int PRIMARY KEY);\n");
    expect((await migrate(rig, { env: "staging" })).status).toBe("succeeded");
    writeFileSync(path.join(dir, "002_widget_names.sql"), "ALTER TABLE widgets ADD COLUMN name text;\n");
    const dry = await migrate(rig, { env: "prod", dryRun: true });
    expect(dry.status).toBe("succeeded");
    expect(await query(prod, "SELECT to_regclass('public.widgets') AS t")).toEqual([{ t: null }]);

    // The prod plan: 002 never ran on staging, so approving it needs a reason; the dry run is on the plan.
    const planned = await rig.service.submitPlan("migrate", { env: "prod" }, { user: USERS.dave, source: "test" });
    const description = (await rig.service.describeRun(planned.run.id))!;
    const promotion = description.preflight.checks.find((c) => c.stepId === "promotion")!;
    expect(promotion.detail).toMatch(
      /^1 of 2 pending files never succeeded on staging: 002_widget_names\.sql; dry-run on prod at \d\d:\d\d UTC: ok, 2 files, \d+\.\d s$/,
    );
    expect(description.preflight.overrides.map((c) => c.override)).toEqual([
      "a migration file never succeeded on staging: 002_widget_names.sql",
    ]);
    const artifacts = await rig.service.listArtifacts(planned.run.id);
    const perFile = artifacts.find((a) => a.title === "Pending migrations before prod")?.content ?? "";
    expect(perFile).toMatch(/^001_create_widgets\.sql \([0-9a-f]{8}\) — staging: ok at \d\d:\d\d UTC$/m);
    expect(perFile).toMatch(/^002_widget_names\.sql \([0-9a-f]{8}\) — staging: never run$/m);
    const text = renderPlanText(description, artifacts, "UTC", new Date());
    expect(text).toMatch(
      /^│ what changes: PROD_DATABASE_URL: 2 of 2 migrations pending: 001_create_widgets\.sql, 002_widget_names\.sql · 1 of 2 pending files never succeeded on staging: 002_widget_names\.sql; dry-run on prod at \d\d:\d\d UTC: ok, 2 files, \d+\.\d s$/m,
    );
    expect(text).toContain(
      "│ checks: ✓ 3 passed (Check the config names the database and migrations, List pending migrations, Migrations proven on the environment before this one)",
    );
    expect(text).toContain("│ ⛔ needs an override: a migration file never succeeded on staging: 002_widget_names.sql");
    expect(text).toContain(`approve ${planned.run.id.slice(0, 8)} because <reason>`);

    await expect(rig.service.approve(planned.run.id, USERS.alice)).rejects.toThrow(
      "Approving Database migrations in prod needs an override reason: a migration file never succeeded on staging: 002_widget_names.sql.",
    );
    // A reason does not make someone an approver.
    await expect(rig.service.approve(planned.run.id, USERS.dave, undefined, "I tested it locally")).rejects.toThrow(
      "You can't approve Database migrations in prod. Approvers: <@U0ALICE01>, <@U0BOB0001>.",
    );
    expect(await rig.service.listApprovals(planned.run.id)).toEqual([]);

    const reason = "hotfix for INC-42; staging is being rebuilt";
    expect((await rig.service.approve(planned.run.id, USERS.alice, undefined, reason)).outcome).toBe("queued");
    const [ran] = await rig.drain();
    expect(ran!.status).toBe("succeeded");
    expect(await query(prod, "SELECT count(*)::int AS n FROM opsroom_target_migrations")).toEqual([{ n: 2 }]);
    expect(await rig.service.listApprovals(planned.run.id)).toMatchObject([
      { approver: USERS.alice, counts: true, overrideReason: reason },
    ]);
    const override = (await rig.service.listEvents(planned.run.id)).find((e) => e.kind === "approval_override");
    expect(override?.message).toBe(
      `${USERS.alice} overrode: a migration file never succeeded on staging: 002_widget_names.sql — because ${reason}`,
    );
    expect(override?.data).toMatchObject({ approver: USERS.alice, reason });
    const chain = (await rig.service.runChain(planned.run.id))!;
    expect(renderChainText(chain)).toContain(`approve ${USERS.alice}  plan ${ran!.planHash.slice(0, 8)}  override: ${reason}`);

    // An edited file: 003 is dry-run on staging, then changed; its prod plan says so.
    writeFileSync(path.join(dir, "003_widget_index.sql"), "CREATE INDEX widgets_name ON widgets (name);\n");
    expect((await migrate(rig, { env: "staging", dryRun: true })).status).toBe("succeeded");
    writeFileSync(path.join(dir, "003_widget_index.sql"), "CREATE INDEX widgets_name_idx ON widgets (name);\n");
    const edited = await rig.service.submitPlan("migrate", { env: "prod" }, { user: USERS.dave, source: "test" });
    const check = (await rig.service.describeRun(edited.run.id))!.preflight.checks.find((c) => c.stepId === "promotion")!;
    expect(check.detail).toContain(
      "1 of 1 pending file never succeeded on staging: 003_widget_index.sql; ⚠ edited since it ran: 003_widget_index.sql",
    );
    // The last dry run on prod tried other files, and says so.
    expect(check.detail).toMatch(
      /dry-run on prod at \d\d:\d\d UTC: ok, 2 files, \d+\.\d s \(it did not try 003_widget_index\.sql as they are now\)$/,
    );
    const perFileEdited = (await rig.service.listArtifacts(edited.run.id)).find(
      (a) => a.title === "Pending migrations before prod",
    )?.content;
    expect(perFileEdited).toMatch(
      /^003_widget_index\.sql \([0-9a-f]{8}\) — staging: never run — ⚠ edited: ran on staging \(dry run\) at \d\d:\d\d UTC as [0-9a-f]{8}$/,
    );
    await rig.service.reject(edited.run.id, USERS.alice);
  });

  it("a file that failed on staging shows its error, and the file rolled back with it is no success either", async () => {
    const staging = await database("stg");
    const prod = await database("prod");
    const dir = folder();
    writeFileSync(path.join(dir, "001_create_gizmos.sql"), "CREATE TABLE gizmos (id int);\n");
    writeFileSync(path.join(dir, "002_gizmo_kind.sql"), "ALTER TABLE gizmos ADD COLUMN kind no_such_type;\n");
    const credentials = { STAGING_DATABASE_URL: staging, PROD_DATABASE_URL: prod };
    const actions = createActionLookup(createAdapters({ migrationHistory: t.store.migrations }));
    const rig = createRig(t.store, actions, credentials, withMigrationsDir(dir));
    expect((await migrate(rig, { env: "staging" })).status).toBe("failed");

    const planned = await rig.service.submitPlan("migrate", { env: "prod" }, { user: USERS.dave, source: "test" });
    const description = (await rig.service.describeRun(planned.run.id))!;
    expect(description.preflight.overrides.map((c) => c.override)).toEqual([
      "2 migration files never succeeded on staging: 001_create_gizmos.sql, 002_gizmo_kind.sql",
    ]);
    const perFile = (await rig.service.listArtifacts(planned.run.id)).find((a) => a.title === "Pending migrations before prod")?.content;
    expect(perFile).toMatch(/^001_create_gizmos\.sql \([0-9a-f]{8}\) — staging: rolled back at \d\d:\d\d UTC; never succeeded$/m);
    expect(perFile).toMatch(
      /^002_gizmo_kind\.sql \([0-9a-f]{8}\) — staging: failed at \d\d:\d\d UTC \(002_gizmo_kind\.sql failed on STAGING_DATABASE_URL .*type "no_such_type" does not exist.*\); never succeeded$/m,
    );
    await rig.service.reject(planned.run.id, USERS.alice);
  });

  it("a run whose approvals gave no reason stops before changing anything when its checks ask for one", async () => {
    const staging = await database("stg");
    const prod = await database("prod");
    const dir = folder();
    writeFileSync(path.join(dir, "001_create_gadgets.sql"), "CREATE TABLE gadgets (id int);\n");
    const config = withMigrationsDir(dir);
    const credentials = { STAGING_DATABASE_URL: staging, PROD_DATABASE_URL: prod };
    const actions = createActionLookup(createAdapters({ migrationHistory: t.store.migrations }));
    const rig = createRig(t.store, actions, credentials, config);
    // Queued without the plan-time preflight (as when it never reported back, or a policy needs no approval).
    const plan = rig.service.dryRun("migrate", { env: "prod" });
    await t.store.createRun({ plan, status: "queued", requestedBy: USERS.dave, source: "test" });
    const [run] = await rig.drain();
    expect(run).toMatchObject({ status: "failed", failedStep: "promotion" });
    expect(run!.error).toBe(
      "a migration file never succeeded on staging: 001_create_gadgets.sql — going ahead needs an approver's override reason, and no approval of this run gave one. Nothing was changed; ask again and approve with a reason.",
    );
    expect(await query(prod, "SELECT to_regclass('public.gadgets') AS t")).toEqual([{ t: null }]);
  });
});

describe("a prod deploy whose ops board block is Blocked, in the console", () => {
  let t: TestStore;
  let board: { blocks: unknown[]; generatedAt: string };
  let rig: Rig;
  beforeAll(async () => {
    t = await openTestStore("pglite");
    const boardSource: ChecklistStore = {
      listChecklistStates: async () => [],
      updateChecklistStep: () => Promise.reject(new Error("not in this test")),
      listChecklistHistory: async () => [],
      latestBoardData: async () => ({ content: JSON.stringify(board), finishedAt: new Date() }),
    };
    // The board's verdicts are the real adapter's; every other step a fake that answers ok (no network).
    const real = createActionLookup(createAdapters({ checklist: boardSource }));
    const blockVerdicts = createBoardAdapter({ checklist: boardSource, clock: systemClock }).actions.blockVerdicts!;
    const actions: ActionLookup = {
      catalog: real.catalog,
      find: (uses) =>
        uses === "board.blockVerdicts"
          ? blockVerdicts
          : {
              description: `fake ${uses}`,
              args: z.record(z.string(), z.unknown()),
              risk: real.find(uses)?.risk ?? "read",
              credentials: [],
              run: async (): Promise<StepResult> => ({ summary: `${uses} ok`, data: {} }),
            },
    };
    rig = createRig(t.store, actions, {}, loadConfig({ OPSROOM_CONFIG: CONFIG, OPSROOM_RUNBOOKS_DIR: DEFAULT_RUNBOOKS_DIR }));
  });
  afterAll(() => t.dispose());

  const consoleOf = (user: string) => {
    const printed: string[] = [];
    const run = createConsoleCommands({
      service: rig.service,
      user,
      print: (text) => printed.push(text),
      follow: async () => {},
      timeZone: "UTC",
      sessionId: `${user}-${randomBytes(3).toString("hex")}`,
    });
    return { run, last: () => printed.at(-1) ?? "" };
  };
  const blocked = {
    block: "dual-write",
    verdict: "no",
    blocking: ["Dual-write queue: Convex: waiting on API"],
  };
  const unknown = { block: "migrations", verdict: "unknown", missing: ["PROD_DATABASE_URL"] };

  it("says what blocks and that approving needs a reason; refuses without one and runs with one, recorded", async () => {
    board = { blocks: [blocked, unknown], generatedAt: new Date().toISOString() };
    // Alice may approve prod deploys, but this one is her own request.
    const requester = consoleOf(USERS.alice);
    await requester.run("deploy api to prod");
    const plan = requester.last();
    expect(plan).toContain(
      "│ ⛔ needs an override: the ops board of prod says Blocked: dual-write: no — Dual-write queue: Convex: waiting on API",
    );
    expect(plan).toContain("migrations: unknown (set PROD_DATABASE_URL)");
    const runId = /run ([0-9a-f]{8})/.exec(plan)![1]!;
    expect(plan).toContain(
      `└ needs 1 approval from someone other than you, each with a reason for the override. Type \`approve ${runId} because <reason>\``,
    );

    const bob = consoleOf(USERS.bob);
    await bob.run(`approve ${runId}`);
    expect(bob.last()).toBe(
      `⚠ Approving Deploy in prod needs an override reason: the ops board of prod says Blocked: dual-write: no — Dual-write queue: Convex: waiting on API. Say why it should go ahead anyway, e.g. \`approve ${runId} because <reason>\` (in Slack, Approve asks for the reason).`,
    );
    await bob.run(`approve ${runId} because`);
    expect(bob.last()).toContain("needs an override reason");
    // The requester cannot override their own two-person rule: the reason is refused with the approval, and nothing is kept.
    await requester.run(`approve ${runId} because I checked the queue myself`);
    expect(requester.last()).toBe("⚠ You requested this prod plan, so someone else has to approve it.");
    expect(await rig.service.listApprovals((await rig.service.listRuns({ idPrefix: runId }))[0]!.id)).toEqual([]);

    await bob.run(`approve ${runId} because the queue is drained by hand until the API lands`);
    expect(bob.last()).toBe(
      `Approved by ${USERS.bob} with an override (because the queue is drained by hand until the API lands). Running Deploy…`,
    );
    const [run] = await rig.drain();
    expect(run!.status).toBe("succeeded");
    expect(await rig.service.listApprovals(run!.id)).toMatchObject([
      { approver: USERS.bob, overrideReason: "the queue is drained by hand until the API lands" },
    ]);
    const events = await rig.service.listEvents(run!.id);
    expect(events.map((e) => e.kind)).toContain("approval_override");
    expect(events.find((e) => e.kind === "approval_override")?.data).toMatchObject({
      overrides: ["the ops board of prod says Blocked: dual-write: no — Dual-write queue: Convex: waiting on API"],
    });
  });

  it("an unknown verdict (inputs missing) is shown and never asks for an override", async () => {
    board = { blocks: [unknown], generatedAt: new Date().toISOString() };
    const dave = consoleOf(USERS.dave);
    await dave.run("deploy web to prod");
    expect(dave.last()).toContain("migrations: unknown (set PROD_DATABASE_URL)");
    expect(dave.last()).not.toContain("needs an override");
    const runId = /run ([0-9a-f]{8})/.exec(dave.last())![1]!;
    const bob = consoleOf(USERS.bob);
    await bob.run(`approve ${runId}`);
    expect(bob.last()).toBe(`Approved by ${USERS.bob}. Running Deploy…`);
    const [run] = await rig.drain();
    expect(run!.status).toBe("succeeded");
    expect(await rig.service.listApprovals(run!.id)).toMatchObject([{ approver: USERS.bob, overrideReason: null }]);
  });
});
