import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBot } from "../support/start-bot.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say } from "./script-helpers.ts";
import { botEnv, startWorld, type World } from "./harness.ts";

/**
 * A run started through the run API and left "received" by a process that died before queueing
 * it is recovered like a mention's, except that nobody asks GitHub whether "api" is a
 * collaborator: the admin token authorised it when it was created.
 */

const ADMIN_TOKEN = "admin-token-for-the-e2e-tests-0123456789";
const LEASE = { RUN_LEASE_SECONDS: "2", ADMIN_TOKEN };

function api(w: World, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return fetch(`${w.bot.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (res) => ({ status: res.status, body: await res.json().catch(() => null) }));
}

describe("recovery of a run API run", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script: (req) => planReply([() => [say("Nothing needs changing here.")]], req), env: LEASE });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("an API run left \"received\" by a killed bot is acknowledged by the next process and runs, without a collaborator check for \"api\"", async () => {
    const issue = w.gh.addIssue(w.repo.fullName, { title: "Recover me", body: "Anything to change?", user: "alice" });
    const commentsPath = `/repos/${w.repo.fullName}/issues/${issue.number}/comments`;
    // The progress comment stalls: the run is recorded ("received") but never queued.
    const gate = w.gh.hold("POST", new RegExp(`${commentsPath}$`));
    void api(w, "POST", "/api/runs", { repo: w.repo.fullName, prompt: "Check whether anything needs changing", issue: issue.number }).catch(() => undefined);
    await waitFor("the progress comment to reach GitHub", () => w.gh.requests.some((r) => r.method === "POST" && r.path === commentsPath));
    const listed = await api(w, "GET", `/api/runs?repo=${w.repo.fullName}`);
    const run = listed.body.runs.find((r: any) => r.threadKey === `${w.repo.fullName}#${issue.number}`);
    expect(run).toMatchObject({ state: "received" });
    await w.bot.kill("SIGKILL");
    gate.release();
    const since = w.gh.requests.length;
    w.bot = await startBot({ env: botEnv(w.gh, w.model.url, LEASE), dataDir: w.bot.dataDir });

    await waitFor("the bot to recover the run", () => w.bot.logs.join("\n").includes("acknowledging a run whose process died before it could"), 30_000);
    const finished = await waitFor(
      `run ${run.id} to finish or be discarded`,
      async () => {
        const got = await api(w, "GET", `/api/runs/${run.id}`);
        return got.status === 404 || ["succeeded", "failed", "canceled"].includes(got.body?.state) ? got : null;
      },
      90_000,
      200,
    );
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ state: "succeeded", outcome: "no_changes" });
    expect(w.gh.requests.slice(since).filter((r) => /\/collaborators\//.test(r.path))).toEqual([]);
  }, 120_000);
});
