/**
 * The ops board as the seed draws it (flag telemetry, the cut-over checklist, telemetry feeds), through the real
 * ops-board and checklist runbooks: verdicts per block, "unknown" naming the missing settings, feeds read from
 * files, GitHub (nock), SQL (real PostgreSQL) and HTTP, and checklist changes kept with who and when.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { BoardSchema } from "../../src/config/board-schema.js";
import type { ConfigFile } from "../../src/config/config-schema.js";
import { createBoardAdapter } from "../../adapters/board/index.js";
import { fakeClock, fixture, makeCtx } from "../adapters/helpers.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { createScratchDatabase } from "../support/test-stores.js";
import {
  CREDENTIALS,
  GH,
  NOW,
  flagRow,
  githubDeployments,
  plan,
  stepEvent,
  supabaseRest,
  testConfig,
  useRunbookHarness,
} from "./harness.js";

const h = useRunbookHarness();
const dir = mkdtempSync(path.join(tmpdir(), "opsroom-board-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in the temp folder last modified `hoursAgo` before NOW. */
function fileAged(name: string, hoursAgo: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, "-- sql\n");
  const at = new Date(NOW - hoursAgo * 3_600_000);
  utimesSync(file, at, at);
  return file;
}

const CHECKLIST = [
  { id: "adapter-interface", title: "Adapter interface", lane: "Local", status: "healthy", owner: "Platform pod" },
  {
    id: "write-through-mutations",
    title: "Write-through mutations",
    lane: "Convex",
    status: "warning",
    owner: "Platform pod",
    description: "Create mutations mirroring current store writes.",
    notes: "Use same types as Supabase for easy parity",
  },
  { id: "backfill", title: "Backfill & reconciliation", lane: "Supabase", status: "warning", owner: "Ops" },
];

function configWith(board: unknown): ConfigFile {
  const config = structuredClone(testConfig) as ConfigFile;
  config.board = BoardSchema.parse(board);
  return config;
}

interface Item {
  section: string;
  name: string;
  block: string;
  status: string;
  reasons: string[];
  missing: string[];
  value?: string;
  updated?: string | null;
  owner: string | null;
  notes?: string;
}
interface BoardData {
  verdict: string;
  missing: string[];
  blocks: Array<{ block: string; verdict: string; blocking: string[]; missing: string[] }>;
  items: Item[];
}

async function board(config: ConfigFile, credentials: Record<string, string> = CREDENTIALS) {
  const result = await h.run(plan("ops-board", {}, config), { credentials });
  expect(result.outcome.status).toBe("succeeded");
  const markdown = result.artifacts.find((a) => a.stepId === "board" && a.kind === "text")?.content ?? "";
  const json = result.artifacts.find((a) => a.stepId === "board" && a.kind === "json")?.content ?? "{}";
  return { ...result, board: JSON.parse(json) as BoardData, markdown };
}

const item = (b: BoardData, name: string) => b.items.find((i) => i.name === name);
const verdicts = (b: BoardData) => Object.fromEntries(b.blocks.map((v) => [v.block, v.verdict]));

describe("the ops board with no credentials", () => {
  it('says "unknown" (never "no") and names every missing setting; deploys are listed, not dropped', async () => {
    const config = configWith({ checklist: [CHECKLIST[0]] });
    const { outcome, markdown, board: b } = await board(config, {});
    expect(outcome.summary).toContain(
      "Safe to cut over in prod: unknown: unknown until set: SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, PROD_DATABASE_URL, GITHUB_TOKEN [flags unknown, dual-write yes, migrations unknown, deploys unknown] (1 healthy, 0 warning, 0 blocked, 9 unknown)",
    );
    expect(b.verdict).toBe("unknown");
    expect(verdicts(b)).toEqual({ flags: "unknown", "dual-write": "yes", migrations: "unknown", deploys: "unknown" });
    // The migrations hint names the one thing missing: the example config already sets databaseUrlEnv and migrationsDir.
    expect(item(b, "Database migrations")).toMatchObject({ status: "Unknown", missing: ["PROD_DATABASE_URL"] });
    for (const service of ["api", "web", "payments", "worker"]) {
      expect(item(b, `Deploy of ${service}`)).toMatchObject({ status: "Unknown", reasons: ["unknown: set GITHUB_TOKEN"] });
    }
    expect(item(b, "featureMatrix")).toMatchObject({ status: "Unknown", missing: ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"] });
    expect(b.items.filter((i) => i.status === "Blocked")).toEqual([]);
    expect(markdown).toContain("**Safe to cut over: unknown**");
    expect(markdown).toContain("| migrations | unknown | set PROD_DATABASE_URL |");
  });
});

describe("telemetry feeds", () => {
  it("reads local files: fresh is Healthy, older than its limit Warning, missing Blocked with the reason", async () => {
    const config = configWith({
      feeds: {
        "supabase-migrations": {
          title: "Supabase migrations",
          kind: "file",
          path: fileAged("fresh.sql", 2),
          maxAge: "14d",
          owner: "Data pod",
          block: "migrations",
        },
        "supabase-seed-data": {
          title: "Supabase seed data",
          kind: "file",
          path: fileAged("stale.sql", 24 * 20),
          maxAge: "14d",
          owner: "Data pod",
          block: "seeds",
        },
        "convex-schema": { title: "Convex schema", kind: "file", path: path.join(dir, "nope.ts"), owner: "Platform pod", block: "schema" },
      },
    });
    const { board: b, markdown } = await board(config, {});
    expect(item(b, "Supabase migrations")).toMatchObject({
      status: "Healthy",
      value: new Date(NOW - 2 * 3_600_000).toISOString(),
      owner: "Data pod",
    });
    expect(item(b, "Supabase seed data")).toMatchObject({
      status: "Warning",
      reasons: ["stale: last modified 20 days ago, over its limit of 14d"],
    });
    expect(item(b, "Convex schema")?.status).toBe("Blocked");
    expect(item(b, "Convex schema")?.reasons[0]).toContain(`File not found: ${path.join(dir, "nope.ts")}`);
    // An unreadable feed is a real "no" for its block; the seeds block only warns.
    expect(verdicts(b)).toMatchObject({ seeds: "yes", schema: "no" });
    expect(markdown).toContain("| Feed | Metric | Value | Owner | Status | Notes |");
    expect(markdown).toMatch(/\| Convex schema \| Last modified \| Unknown \| Platform pod \| Blocked \| .*File not found/);
  });

  it("reads a repository path's last commit through GitHub's commits API", async () => {
    const commits = fixture<Array<Record<string, unknown>>>("github/commits.json");
    const at = (iso: string) =>
      commits.map((c) => ({ ...c, commit: { ...(c.commit as object), committer: { name: "octocat", date: iso } } }));
    nock(GH).get("/repos/acme/api/commits").query({ path: "convex/schema.ts", per_page: "1" }).reply(200, at("2026-01-07T07:00:00Z"));
    nock(GH)
      .get("/repos/acme/api/commits")
      .query({ path: "supabase/seed.sql", per_page: "1", sha: "main" })
      .reply(200, at("2025-11-01T00:00:00Z"));
    nock(GH).get("/repos/acme/api/commits").query({ path: "gone.sql", per_page: "1" }).reply(200, []);
    for (const repo of ["api", "web", "payments", "worker"]) githubDeployments(`acme/${repo}`, "prod", [], 3);
    const config = configWith({
      feeds: {
        "convex-schema": {
          title: "Convex schema",
          kind: "github",
          repository: "acme/api",
          path: "convex/schema.ts",
          maxAge: "30d",
          block: "schema",
        },
        "seed-data": {
          title: "Seed data",
          kind: "github",
          repository: "acme/api",
          path: "supabase/seed.sql",
          ref: "main",
          maxAge: "30d",
          block: "seeds",
        },
        gone: { title: "Gone", kind: "github", repository: "acme/api", path: "gone.sql", block: "seeds" },
      },
    });
    const { board: b } = await board(config, { GITHUB_TOKEN: CREDENTIALS.GITHUB_TOKEN! });
    expect(item(b, "Convex schema")).toMatchObject({ status: "Healthy", value: "2026-01-07T07:00:00.000Z" });
    expect(item(b, "Seed data")?.status).toBe("Warning");
    expect(item(b, "Gone")?.status).toBe("Blocked");
    expect(item(b, "Gone")?.reasons[0]).toContain("File not found: no commit touches gone.sql in acme/api");
  });

  it("reads a timestamp from an HTTP endpoint's JSON", async () => {
    nock("https://feeds.example.com")
      .get("/flags")
      .reply(200, { data: { updatedAt: "2026-01-07T09:00:00Z" } });
    const config = configWith({
      feeds: {
        "flags-config": {
          title: "Feature flags config",
          kind: "http",
          url: "https://feeds.example.com/flags",
          field: "data.updatedAt",
          maxAge: "1h",
          block: "flags",
        },
      },
    });
    const { board: b } = await board(config, {});
    expect(item(b, "Feature flags config")).toMatchObject({ status: "Healthy", value: "2026-01-07T09:00:00.000Z" });
  });

  it("reads a SQL feed's newest updated_at from real PostgreSQL, read-only", NEEDS_POSTGRES, async () => {
    const scratch = await createScratchDatabase();
    try {
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      await client.query("CREATE TABLE feature_flags (flag_key text PRIMARY KEY, updated_at timestamptz NOT NULL)");
      await client.query(
        "INSERT INTO feature_flags VALUES ('featureMatrix', '2026-01-07T04:00:00Z'), ('homeDemoVariant', '2025-12-01T00:00:00Z')",
      );
      await client.end();
      const config = configWith({
        feeds: {
          "feature-flags-config": {
            title: "Feature flags config",
            kind: "sql",
            databaseUrlEnv: "FLAGS_DATABASE_URL",
            query: "SELECT max(updated_at) FROM feature_flags",
            maxAge: "3h",
            owner: "Infra",
            block: "flags",
          },
          "writes-nothing": {
            title: "A feed that tries to write",
            kind: "sql",
            databaseUrlEnv: "FLAGS_DATABASE_URL",
            query: "UPDATE feature_flags SET updated_at = now() RETURNING updated_at",
            block: "flags",
          },
        },
      });
      const { board: b } = await board(config, { FLAGS_DATABASE_URL: scratch.url });
      expect(item(b, "Feature flags config")).toMatchObject({
        status: "Warning",
        value: "2026-01-07T04:00:00.000Z",
        reasons: ["stale: last modified 6 h 00 min ago, over its limit of 3h"],
      });
      expect(item(b, "A feed that tries to write")?.status).toBe("Blocked");
      expect(item(b, "A feed that tries to write")?.reasons[0]).toContain("read-only transaction");
      // Without the variable, the feed is unknown and names it.
      const { board: unknown } = await board(config, {});
      expect(item(unknown, "Feature flags config")).toMatchObject({ status: "Unknown", missing: ["FLAGS_DATABASE_URL"] });
    } finally {
      await scratch.drop();
    }
  });
});

describe("the cut-over checklist", () => {
  it("shows each step's lane, status, owner and notes, and a change from chat with who and when", async () => {
    const config = configWith({ checklist: CHECKLIST });
    const first = await board(config, {});
    expect(first.board.items.filter((i) => i.section === "checklist").map((i) => [i.name, i.status, i.owner])).toEqual([
      ["Adapter interface", "Healthy", "Platform pod"],
      ["Write-through mutations", "Warning", "Platform pod"],
      ["Backfill & reconciliation", "Warning", "Ops"],
    ]);
    expect(first.markdown).toContain(
      "| Write-through mutations | Convex | Warning | Platform pod | Create mutations mirroring current store writes. | Use same types as Supabase for easy parity | - |",
    );

    const blocked = await h.run(plan("checklist", { action: "set", step: "dual-write queue", status: "blocked" }, config));
    expect(blocked.outcome.status === "failed" && blocked.outcome.error).toContain(
      'No checklist step "dual-write queue"; the steps are adapter-interface (Adapter interface)',
    );

    const set = await h.run(plan("checklist", { action: "set", step: "write-through mutations done", status: "done" }, config));
    expect(set.outcome.status).toBe("succeeded");
    expect(stepEvent(set.events, "step_succeeded", "set")?.message).toBe("Write-through mutations: status warning → done (by U1)");
    const assign = await h.run(plan("checklist", { action: "set", step: "backfill", owner: "@dana", note: "waiting on API" }, config));
    expect(stepEvent(assign.events, "step_succeeded", "set")?.message).toBe(
      "Backfill & reconciliation: owner Ops → @dana; notes: waiting on API (by U1)",
    );

    const after = await board(config, {});
    expect(item(after.board, "Write-through mutations")).toMatchObject({ status: "Done", updated: "updated 0 min ago by U1" });
    expect(item(after.board, "Backfill & reconciliation")).toMatchObject({ status: "Warning", owner: "@dana", notes: "waiting on API" });
    expect(verdicts(after.board)["dual-write"]).toBe("yes");

    const history = await h.run(plan("checklist", { action: "show", step: "backfill" }, config));
    expect(stepEvent(history.events, "step_succeeded", "show")?.message).toBe("Backfill & reconciliation: warning, 1 change on record");
  });

  it("a step turning healthy or done needs another person's approval when the config says so; other changes do not", () => {
    const config = configWith({ checklist: CHECKLIST });
    config.approvals.rules = [
      { runbook: "checklist", required: 0 },
      { runbook: "checklist", params: { status: ["healthy", "done"] }, required: 1, selfApproval: false },
    ];
    const done = plan("checklist", { action: "set", step: "backfill", status: "done" }, config);
    expect(done.mutating).toBe(true);
    expect(done.approval).toMatchObject({ required: 1, selfApproval: false });
    expect(plan("checklist", { action: "set", step: "backfill", status: "blocked" }, config).approval.required).toBe(0);
    const show = plan("checklist", { action: "show" }, config);
    expect([show.mutating, show.approval.required]).toEqual([false, 0]);
  });
});

describe("the board with every source readable", () => {
  it("gives a verdict per block and overall: no, with the blocking items", async () => {
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(true)
      .reply(200, [
        flagRow("featureMatrix", true, 100, ["ops", "admin"]),
        flagRow("homeDemoVariant", false, 0, ["ops", "demo"]),
        flagRow("supabaseSnapshot", true, 100, ["all"]),
      ]);
    for (const repo of ["api", "web", "payments", "worker"]) {
      githubDeployments(
        `acme/${repo}`,
        "prod",
        [{ id: 1, sha: "1".repeat(40), ref: "main", state: "success", at: "2026-01-07T08:00:00Z" }],
        3,
      );
    }
    const config = configWith({
      checklist: [{ id: "queue", title: "Dual-write queue", lane: "Convex", status: "blocked", notes: "waiting on API" }],
    });
    delete config.environments.prod!.settings.migrationsDir;
    const { events, board: b } = await board(config);
    expect(b.verdict).toBe("no");
    expect(verdicts(b)).toEqual({ flags: "yes", "dual-write": "no", migrations: "unknown", deploys: "yes" });
    expect(stepEvent(events, "step_succeeded", "board")?.message).toBe(
      "Safe to cut over in prod: no: Dual-write queue: Convex: waiting on API; unknown until set: environments.prod.settings.migrationsDir [flags yes, dual-write no, migrations unknown, deploys yes] (8 healthy, 0 warning, 1 blocked, 1 unknown)",
    );
  });
});

describe("a change that depends on board blocks", () => {
  it("shows the latest board's verdict for those blocks in its preflight, and says when there is no board yet", async () => {
    const config = configWith({
      checklist: [{ id: "queue", title: "Dual-write queue", lane: "Convex", status: "blocked", notes: "waiting on API" }],
    });
    config.flags.supabaseSnapshot = { ...config.flags.supabaseSnapshot!, boardBlocks: ["dual-write", "migrations"] };
    const planned = plan("flag", { flag: "supabaseSnapshot", action: "enable", env: "prod" }, config);
    expect(planned.steps.find((s) => s.id === "board")).toMatchObject({
      phase: "preflight",
      uses: "board.blockVerdicts",
      args: { env: "prod", blocks: ["dual-write", "migrations"] },
    });

    await board(config, {}); // prod's board: the queue step blocks dual-write; migrations unknown (no PROD_DATABASE_URL)
    const verdicts = createBoardAdapter({ checklist: h.store().board, clock: fakeClock(NOW + 3_600_000) }).actions.blockVerdicts!;
    const prod = await verdicts.run(planned.steps.find((s) => s.id === "board")!.args, makeCtx());
    expect(prod.summary).toBe(
      "⛔ ops board of prod (1 h 00 min ago): dual-write: no — Dual-write queue: Convex: waiting on API; migrations: unknown (set PROD_DATABASE_URL)",
    );
    const staging = await verdicts.run({ env: "staging", blocks: ["migrations"] }, makeCtx());
    expect(staging.summary).toBe('no ops board of staging on record: migrations unknown (ask "show the ops board for staging")');
  });
});
