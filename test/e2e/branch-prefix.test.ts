import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/** The bot as `npm start` runs it, with BRANCH_PREFIX set: the PR's branch carries that prefix. */

function script(req: AgentRequest) {
  return planReply([() => [tool("Bash", { command: "echo done > done.txt", description: "write" })], () => [say("Wrote done.txt.")]], req);
}

describe("BRANCH_PREFIX names the branch of a new thread", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script, env: { BRANCH_PREFIX: "bots/" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it("a mention in an issue opens its PR from bots/issue-<n>", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Write done.txt", body: "", user: "alice" }, comment: { body: `${w.trigger} write done.txt`, user: "alice" } });
    await w.send(ev);
    const report = await w.waitForReport(ev.payload.issue.number);
    const pr = w.gh.state.pulls.find((p) => p.repo === w.repo.fullName);
    expect(pr?.head, report.body).toBe(`bots/issue-${ev.payload.issue.number}`);
    expect(await w.gh.git.readFile(w.repo.fullName, `bots/issue-${ev.payload.issue.number}`, "done.txt")).toBe("done\n");
  });
});
