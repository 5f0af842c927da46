import type { Reporter, TestModule } from "vitest/node";
import "./skip-unless.js";

/**
 * After a run with skipped tests, prints why they were skipped, one line per reason:
 *   SKIPPED 41 tests: set TEST_DATABASE_URL (…) to run against real PostgreSQL (6 files)
 * Tests skipped without a reason (it.skip, a -t filter) are counted and named, so none goes unnoticed.
 */
export default class SkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, { tests: number; files: Set<string> }>();
    const unexplained: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== "skipped") continue;
        const reason = test.meta().skipReason ?? result.note;
        if (!reason) {
          unexplained.push(test.fullName);
          continue;
        }
        const entry = byReason.get(reason) ?? { tests: 0, files: new Set<string>() };
        entry.tests++;
        entry.files.add(module.moduleId);
        byReason.set(reason, entry);
      }
    }
    const lines = [...byReason].map(
      ([reason, { tests, files }]) =>
        `SKIPPED ${tests} test${tests === 1 ? "" : "s"}: ${reason} (${files.size} file${files.size === 1 ? "" : "s"})`,
    );
    if (unexplained.length > 0) {
      const shown = unexplained.slice(0, 5).join("; ");
      lines.push(`SKIPPED ${unexplained.length} without a reason: ${shown}${unexplained.length > 5 ? "; …" : ""}`);
    }
    if (lines.length > 0) process.stdout.write(`\n${lines.join("\n")}\n`);
  }
}
