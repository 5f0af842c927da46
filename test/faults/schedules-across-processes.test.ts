/**
 * Schedules run by three real scheduler processes on one PostgreSQL, their clock driven by the test
 * (no waits): every look happens in all of them at once, one process is killed with SIGKILL right after
 * claiming an occurrence (before its run exists) and started again later, and then every process is
 * "down" for three hours. Counted from the database and from what the processes printed: each occurrence
 * ran exactly once or was skipped and reported exactly once; a schedule waiting for approval ran nothing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { createOpsService } from "../../src/service/ops-service.js";
import { exampleRunbooks } from "../support/fixtures.js";
import { isAlive } from "../support/processes.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { recordFaultTally } from "./support/fault-tally.js";

const ENTRY = fileURLToPath(new URL("./support/scheduler-process.ts", import.meta.url));
const MIN = 60_000;

interface SchedulerProcess {
  child: ChildProcess;
  lines: string[];
  /** Sends one look at `at`; resolves with the process's answer, or undefined when it died instead. */
  tick(at: Date): Promise<string | undefined>;
}

async function spawnScheduler(url: string, dieAfterClaim = false): Promise<SchedulerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    env: { ...process.env, SCHED_DB_URL: url, ...(dieAfterClaim ? { SCHED_DIE_AFTER_CLAIM: "1" } : {}) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: Array<(line: string | undefined) => void> = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    if (line.startsWith("ready") || line.startsWith("ticked")) waiters.shift()?.(line);
  });
  child.once("exit", () => {
    for (const w of waiters.splice(0)) w(undefined);
  });
  const next = () => new Promise<string | undefined>((resolve) => waiters.push(resolve));
  const ready = await Promise.race([next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
  if (!ready) throw new Error("scheduler process did not start");
  return {
    child,
    lines,
    tick(at) {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(undefined);
      const answer = next();
      child.stdin!.write(`tick ${at.toISOString()}\n`);
      return answer;
    },
  };
}

describe("schedules across scheduler processes on PostgreSQL", NEEDS_POSTGRES, () => {
  let t: TestStore;
  const processes: SchedulerProcess[] = [];
  const retired: SchedulerProcess[] = [];

  beforeAll(async () => {
    t = await openTestStore("postgres");
  });
  afterAll(async () => {
    for (const p of [...processes, ...retired]) p.child.kill("SIGKILL");
    await t?.dispose();
  });

  it("runs each occurrence once, skips and reports the missed ones once, and runs nothing unapproved, with a process killed mid-claim", async (ctx) => {
    const config = { ...loadConfig({}), watches: {} };
    const service = createOpsService({
      store: t.store,
      config,
      runbooks: exampleRunbooks,
      parseContext: { runbooks: exampleRunbooks, catalog: buildCatalog(config), timeZone: "UTC" },
      clock: () => new Date("2026-03-02T08:50:00Z"),
      log: pino({ level: "silent" }),
    });
    const user = { user: "U0DAVE001", source: "faults" };
    const scheduleIds: string[] = [];
    for (const text of [
      "check prod status every 15 minutes",
      "check staging status every 15 minutes",
      "every 30 minutes check dev status",
    ]) {
      const reply = await service.scheduleText(text, user);
      if (reply?.kind !== "created") throw new Error(`not created: ${text}`);
      scheduleIds.push(reply.schedule.id);
    }
    const unapproved = await service.scheduleText("every 15 minutes restart api in prod", user);
    if (unapproved?.kind !== "created" || unapproved.schedule.status !== "pending_approval") throw new Error("expected a schedule waiting");

    processes.push(await spawnScheduler(t.url!), await spawnScheduler(t.url!), await spawnScheduler(t.url!, true));
    const tickAll = (at: Date) => Promise.all(processes.map((p) => p.tick(at)));

    // Eight looks 15 minutes apart, each a few seconds after an occurrence; the third process dies on its
    // first claim and is started again (without the fault) before the fifth look.
    const start = Date.parse("2026-03-02T09:00:04Z");
    let diedMidClaim = false;
    for (let k = 0; k < 8; k++) {
      if (k === 4) {
        // Over four looks at three schedules it claims one first (the claims race; it is one of three).
        diedMidClaim = processes[2]!.child.signalCode === "SIGKILL";
        processes[2]!.child.kill("SIGKILL");
        retired.push(processes[2]!);
        processes[2] = await spawnScheduler(t.url!);
      }
      await tickAll(new Date(start + k * 15 * MIN));
    }
    // Then every process is down from 10:45 until 13:50:30: 11:00 … 13:45 are missed, none runs late.
    await tickAll(new Date("2026-03-02T13:50:30Z"));
    await tickAll(new Date("2026-03-02T14:00:03Z"));
    await tickAll(new Date("2026-03-02T14:00:05Z"));

    const runs = await t.store.listRuns({ limit: 500 });
    const byOccurrence = new Map<string, number>();
    for (const r of runs) {
      const origin = r.origin.schedule as { id: string; occurrenceAt: string } | undefined;
      if (!origin) continue;
      const key = `${origin.id} ${origin.occurrenceAt}`;
      byOccurrence.set(key, (byOccurrence.get(key) ?? 0) + 1);
    }
    const duplicatedRuns = [...byOccurrence.values()].reduce((n, count) => n + count - 1, 0);

    // What should have run: 9:00 … 10:45 and 14:00 for the 15-minute schedules, 9:00 … 10:30 and 14:00 for the 30-minute one.
    const expectFired = (id: string, everyMin: number) => {
      const expected: string[] = [];
      for (let at = Date.parse("2026-03-02T09:00:00Z"); at <= Date.parse("2026-03-02T10:45:00Z"); at += everyMin * MIN)
        expected.push(`${id} ${new Date(at).toISOString()}`);
      expected.push(`${id} 2026-03-02T14:00:00.000Z`);
      return expected;
    };
    const expected = [...expectFired(scheduleIds[0]!, 15), ...expectFired(scheduleIds[1]!, 15), ...expectFired(scheduleIds[2]!, 30)];
    const lostRuns = expected.filter((key) => !byOccurrence.has(key)).length;
    const unexpectedRuns = [...byOccurrence.keys()].filter((key) => !expected.includes(key)).length;

    // Missed: 11:00 … 13:45 (12 for each 15-minute schedule, 6 for the 30-minute one), reported once each.
    const { rows: skippedRows } = await t.db.query<{ schedule_id: string; skipped: number }>(
      "SELECT schedule_id, skipped FROM schedule_occurrences WHERE skipped > 0",
    );
    const skippedBy = new Map(skippedRows.map((r) => [r.schedule_id, Number(r.skipped)]));
    const expectedSkips = new Map([
      [scheduleIds[0]!, 12],
      [scheduleIds[1]!, 12],
      [scheduleIds[2]!, 6],
    ]);
    const notices = [...processes, ...retired].flatMap((p) => p.lines.filter((l) => l.startsWith("skipped ")));
    const lostSkips = [...expectedSkips].filter(([id, n]) => skippedBy.get(id) !== n).length;
    const duplicatedNotices = notices.length - new Set(notices.map((l) => l.split(" ")[1])).size;
    const missingNotices = [...expectedSkips.keys()].filter((id) => !notices.some((l) => l.startsWith(`skipped ${id} `))).length;

    const bypasses = runs.filter((r) => (r.origin.schedule as { id?: string } | undefined)?.id === unapproved.schedule.id).length;

    for (const p of processes) p.child.stdin!.end();
    await Promise.all(
      processes.map((p) => new Promise((resolve) => (p.child.exitCode !== null ? resolve(null) : p.child.once("exit", resolve)))),
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // SIGKILL is delivered asynchronously
    const orphans = [...processes, ...retired].filter((p) => p.child.pid !== undefined && isAlive(p.child.pid)).length;

    expect(diedMidClaim).toBe(true);
    expect(byOccurrence.size).toBe(expected.length);
    recordFaultTally(ctx, {
      lost: lostRuns + lostSkips + missingNotices,
      duplicated: duplicatedRuns + duplicatedNotices,
      falseRecords: unexpectedRuns,
      orphans,
      bypasses,
    });
  });
});
