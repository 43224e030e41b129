import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { planReply, say, tool, type Plan } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/** Where the bot's git goes: the configured GitHub host, whatever a (signed) payload names. */

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** Another host on loopback that records every request (a relay an attacker would run). */
async function startRecorder(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    req.resume();
    res.writeHead(401, { "www-authenticate": 'Basic realm="relay"' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const EDIT: Plan = [() => [tool("Bash", { command: "echo 42 > answer.txt", description: "edit" })], () => [say("Wrote answer.txt.")]];

function script(req: AgentRequest): Reply {
  return planReply(EDIT, req);
}

describe("the clone URL comes from GHE_HOST and the repository's name, never from the payload", () => {
  let w: World;
  let relay: Awaited<ReturnType<typeof startRecorder>>;
  beforeAll(async () => {
    relay = await startRecorder();
    // Pushed, not made through the API (signedCommits: false): this test follows git's own traffic.
    w = await startWorld({ script, files: { ".github/claude-sandbox-bot.yml": "signedCommits: false\n" } });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
    await relay?.close();
  });

  it("a signed webhook whose clone_url names another host sends that host nothing; the run clones and pushes on the configured host", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "Relay", body: "x", user: "alice" }, comment: { body: `${w.trigger} answer`, user: "alice" } });
    const repository = ev.payload.repository as unknown as Record<string, unknown>;
    repository["clone_url"] = `${relay.url}/acme/widgets.git`;
    repository["git_url"] = `${relay.url.replace("http:", "git:")}/acme/widgets.git`;
    repository["ssh_url"] = `ssh://git@127.0.0.1:1/acme/widgets.git`;
    const n = ev.payload.issue.number;
    await w.send(ev);
    const report = await w.waitForReport(n);

    expect(relay.seen).toEqual([]);
    expect(report.body).toMatch(/^### ✅ Done — opened #\d+/m);
    expect(await w.gh.git.readFile(w.repo.fullName, `claude/issue-${n}`, "answer.txt")).toBe("42\n");
    // The clone (a read token) and the push (a write token) both went to the configured host.
    const gitCalls = w.gh.gitRequests.filter((r) => r.repo === w.repo.fullName);
    expect(gitCalls.some((r) => r.service === "git-upload-pack")).toBe(true);
    expect(gitCalls.some((r) => r.service === "git-receive-pack")).toBe(true);
  });
});
