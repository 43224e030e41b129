import { defineConfig } from "vitest/config";

// The start-up tests time what a newcomer sees in the first seconds (GET /app answered or not
// within 3.5 s): next to the scale-out suite's dozen processes on two cores, a bot's own start
// takes longer than that. So they run after everything else, on a machine that is quiet again.
const STARTUP = ["test/e2e/startup.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e suites start real servers and the real Claude CLI; two cores, so keep parallelism modest.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: ["test/**/*.test.ts"],
          exclude: STARTUP,
          // PostgreSQL and Chromium from npm packages, once per run (test/support/global-setup.ts).
          globalSetup: ["test/support/global-setup.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: "startup", include: STARTUP, sequence: { groupOrder: 1 } } },
    ],
  },
});
