import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: CI machines are shared, and a test's own waits name what it waited for before this hits.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start servers and databases; two files at a time is what a 2-core machine takes well.
    maxWorkers: 2,
    // The faults reporter prints the `FAULTS survived=…` line whenever test/faults/ ran.
    reporters: ["default", "./test/faults/support/faults-reporter.ts"],
  },
});
