import { defineConfig } from "vitest/config";

// Node's strict mode: an unhandled rejection is an uncaught exception even where a library listens for
// 'unhandledRejection', so none can slip through. Through NODE_OPTIONS it reaches the test workers and
// every process a test starts (opsroom itself included; tests that build a child's env pass it on).
const STRICT = "--unhandled-rejections=strict";
if (!process.env.NODE_OPTIONS?.includes(STRICT)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} ${STRICT}`.trim();

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: CI machines are shared, and a test's own waits name what it waited for before this hits.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start servers and databases; two files at a time is what a 2-core machine takes well.
    maxWorkers: 2,
    // The faults reporter prints the `FAULTS survived=…` line whenever test/faults/ ran; the skips reporter
    // says why tests were skipped (skipUnless in test/support/skip-unless.ts).
    reporters: ["default", "./test/faults/support/faults-reporter.ts", "./test/support/skips-reporter.ts"],
  },
});
