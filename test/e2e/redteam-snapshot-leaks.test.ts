import { filesWithBytesUnder } from "../support/files-under.ts";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../support/fake-anthropic/types.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { waitFor } from "../support/wait-for.ts";
import { planReply, say, tool } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Red team (issue 19): what of one thread can reach another through a repository snapshot, beyond
 * what snapshots.test.ts checks (the agent's files, the branch, the transcript, tokens).
 *
 * - The thread's pictures. The bot downloads the thread's images (a private upload too) into
 *   `~/.claude-sandbox-bot/images` while the workspace is prepared, which is before the setup step
 *   takes the snapshot; the local snapshot copies the whole home directory. A later thread with no
 *   pictures of its own never clears that directory, so its agent can read another thread's
 *   private screenshot. (Was a defect; fixed: images are placed after the setup step, and a
 *   sandbox from a snapshot starts without the bot's files.)
 * - Another installation's repository of the same name with the very same setup (same setup hash):
 *   it must take its own snapshot, never start from the first one. (Holds.)
 */

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4ab0000000049454e44ae426082", "hex");
const PRIVATE_PNG = Buffer.concat([PNG, Buffer.from("thread-one-private-screenshot-4242")]);
const CONFIG = 'setup:\n  - "mkdir -p node_modules/dep && cp package-lock.json node_modules/dep/lock-copy"\n';
const FILES = { ".gitignore": "node_modules/\n", "package-lock.json": '{"lockfileVersion":3}\n', ".github/claude-sandbox-bot.yml": CONFIG };

/** What each run's agent saw of the bot's image directory, by the issue title in its prompt. */
const listings = new Map<string, string>();
const PROBE = 'ls -la "$HOME/.claude-sandbox-bot/images" 2>&1; echo probe-end';

function script(req: AgentRequest) {
  for (const r of req.toolResults) {
    if (!r.content.includes("probe-end")) continue;
    const title = /Title-(\w+)/.exec(JSON.stringify(req.body.messages?.[0] ?? ""))?.[1] ?? "?";
    listings.set(title, r.content);
  }
  return planReply([() => [tool("Bash", { command: PROBE, description: "look around" })], () => [say("Looked around; nothing to change.")]], req);
}

describe("red team: a repository snapshot carries nothing of the thread that took it", () => {
  let w: World;
  const snapshotsDir = () => join(w.bot.dataDir, "sandboxes", ".snapshots");
  const snapshotIds = () => readdirSync(snapshotsDir()).filter((n) => n.startsWith("snap-"));
  const mention = async (repo: RepoInfo, title: string, body: string) => {
    const ev = w.hooks.issueCommentCreated({ repo, issue: { title: `Title-${title}`, body, user: "alice" }, comment: { body: `${w.trigger} have a look`, user: "alice" } });
    await w.send(ev);
    const n = ev.payload.issue.number;
    return waitFor(`the report on ${repo.fullName}#${n}`, () => w.gh.state.comments.find((c) => c.repo === repo.fullName && c.issueNumber === n && c.user.login === w.gh.botUser.login && /^### (✅|⚪|❌|⏹️)/m.test(c.body)), 60_000, 100);
  };

  beforeAll(async () => {
    w = await startWorld({ script, files: FILES });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  let firstReport = "";
  it("setup: the first thread, with a private screenshot in its issue, sees it and leaves a snapshot", async () => {
    const shot = w.gh.images.add(PRIVATE_PNG, { private: true });
    firstReport = (await mention(w.repo, "one", `It breaks here:\n\n![private screenshot](${shot.markdownUrl})`)).body;
    expect(firstReport).toContain("snapshot taken for the next threads");
    // The picture did reach its own thread's agent (so the attack below is not vacuous).
    expect(listings.get("one")).toContain("1.png");
    expect(snapshotIds()).toHaveLength(1);
  }, 90_000);

  // Was a defect: the thread's images were placed before setUp, which takes the snapshot of the
  // home directory as it is. Now they are placed after it (workspace-step.ts).
  it("the snapshot holds none of the thread's pictures", () => {
    const files = filesWithBytesUnder(join(snapshotsDir(), snapshotIds()[0]!));
    const leaked = files.filter((f) => f.bytes.includes(PRIVATE_PNG)).map((f) => f.path);
    expect(leaked).toEqual([]);
  });

  // Was the same defect as the next thread's agent saw it (a thread with no pictures never cleared
  // the directory). Now a sandbox from a snapshot starts without the bot's files (clearBotFiles).
  it(
    "the next thread, started from the snapshot, cannot see the first thread's pictures",
    async () => {
      const second = await mention(w.repo, "two", "No pictures here.");
      expect(second.body).toContain("from the repository's snapshot");
      expect(listings.get("two")).toBeDefined();
      expect(listings.get("two")).not.toContain("1.png");
    },
    90_000,
  );

  it("another installation's repository of the same name and the same setup takes its own snapshot, never this one's", async () => {
    w.gh.addInstallation({ account: "evil" });
    const twin = await w.gh.createRepo({ owner: "evil", name: "widgets", files: FILES });
    w.gh.setPermission(twin.fullName, "alice", "write");
    expect(w.gh.installationOf(twin.fullName)).not.toBe(w.gh.installationOf(w.repo.fullName));
    const before = snapshotIds().length;
    const report = await mention(twin, "twin", "Nothing to see.");
    expect(report.body).toMatch(/^### (✅|⚪)/m);
    expect(report.body).not.toContain("from the repository's snapshot");
    expect(report.body).toContain("snapshot taken for the next threads");
    expect(snapshotIds()).toHaveLength(before + 1);
    const started = w.bot.logRecords().filter((r) => r.msg === "started the sandbox from the repository's snapshot");
    expect(started.every((r) => r.repo === w.repo.fullName)).toBe(true);
    // Nor did the twin's agent see anything of acme's threads.
    expect(listings.get("twin") ?? "").not.toContain("1.png");
  }, 90_000);
});
