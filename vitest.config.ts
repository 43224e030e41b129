import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // PostgreSQL and Chromium from npm packages, once per run (test/support/global-setup.ts).
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e suites start real servers and the real Claude CLI; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
