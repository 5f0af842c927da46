import type { Reporter, TestModule } from "vitest/node";
import type { FaultTally } from "./fault-tally.js";

/**
 * Prints one line after any run that included the fault suite (test/faults/):
 *   FAULTS survived=<n>/<n> lost=0 duplicated=0 false_records=0 orphans=0 bypasses=0
 * A scenario survived when its test passed and recorded a tally of zeros (recordFaultTally). A skipped
 * scenario (e.g. no TEST_DATABASE_URL) counts in the total, not as survived, and is named below the line.
 */
export default class FaultsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const sums: FaultTally = { lost: 0, duplicated: 0, falseRecords: 0, orphans: 0, bypasses: 0 };
    let total = 0;
    let survived = 0;
    const notes: string[] = [];
    for (const module of testModules) {
      if (!module.moduleId.replace(/\\/g, "/").includes("/test/faults/")) continue;
      for (const test of module.children.allTests()) {
        total++;
        const state = test.result().state;
        const tally = test.meta().faultTally;
        if (tally) for (const key of Object.keys(sums) as (keyof FaultTally)[]) sums[key] += tally[key];
        const zero = tally !== undefined && Object.values(tally).every((n) => n === 0);
        if (state === "passed" && zero) survived++;
        else if (state === "skipped") notes.push(`  skipped: ${test.fullName}`);
        else if (state === "passed") notes.push(`  no tally recorded: ${test.fullName}`);
        else notes.push(`  ${state}: ${test.fullName}`);
      }
    }
    if (total === 0) return;
    process.stdout.write(
      `\nFAULTS survived=${survived}/${total} lost=${sums.lost} duplicated=${sums.duplicated} false_records=${sums.falseRecords} orphans=${sums.orphans} bypasses=${sums.bypasses}\n`,
    );
    if (notes.length > 0) process.stdout.write(`${notes.join("\n")}\n`);
  }
}
