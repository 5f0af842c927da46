import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start servers and databases; two files at a time is what a 2-core machine takes well.
    maxWorkers: 2,
  },
});
