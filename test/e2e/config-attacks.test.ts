import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { say } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/**
 * Issue 13 items 2 and 3, attacked through the real bot against the fake GitHub: a config file
 * built to freeze the bot, a read-only sender whose mention must not make the bot read the config,
 * and `_extends` pointed at another repository to have the bot quote it.
 */
const CONFIG = ".github/claude-sandbox-bot.yml";

/**
 * Not a performance figure (those live in `npm run bench`): the attacked code blocked the event
 * loop for 107 s, so anything near that is the freeze coming back.
 */
const FREEZE_MS = 15_000;

describe("hostile repository config files", () => {
  let w: World;
  let n = 0;
  beforeAll(async () => {
    w = await startWorld({ script: () => ({ content: [say("should never be asked")] }) });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  /** A fresh repository (the bot caches a config a minute per repository); alice has write. */
  async function repoWith(files: Record<string, string>, name = `cfg-${++n}`): Promise<RepoInfo> {
    const repo = await w.gh.createRepo({ owner: "acme", name, files: { "README.md": "# x\n", ...files } });
    w.gh.setPermission(repo.fullName, "alice", "write");
    return repo;
  }

  function mention(repo: RepoInfo, user: string, issue?: number) {
    return w.hooks.issueCommentCreated({ repo, issue: issue ?? { title: "t", body: "b", user }, comment: { body: `${w.trigger} do it`, user } });
  }

  function botReplies(repo: RepoInfo) {
    return w.gh.state.comments.filter((c) => c.repo === repo.fullName && c.user.login === w.gh.botUser.login).map((c) => c.body);
  }

  const contentsRequests = (repo: string) => w.gh.requests.filter((r) => r.path.startsWith(`/repos/${repo}/contents/`)).length;

  /** Sends while timing /healthz every 50 ms: the event loop must stay free. */
  async function sendWhileProbing(ev: { event: string; payload: unknown }) {
    let worst = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t = Date.now();
        expect((await fetch(`${w.bot.url}/healthz`)).status).toBe(200);
        worst = Math.max(worst, Date.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const response = await w.send(ev);
    probing = false;
    await probe;
    return { response, worstHealthzMs: worst };
  }

  it("refuses a 692 KB file of 60,000 unknown keys at once, in a bounded reply, while /healthz answers", async () => {
    const huge = Array.from({ length: 60_000 }, (_, i) => `unknownKey${String(i).padStart(5, "0")}: 1`).join("\n");
    expect(huge.length).toBeGreaterThan(690_000);
    const repo = await repoWith({ [CONFIG]: huge });
    const { response, worstHealthzMs } = await sendWhileProbing(mention(repo, "alice"));
    expect(response.status).toBe(200);
    // Bounds far above a loaded CI machine's noise and far below the freeze this reproduces (107 s).
    expect(response.ms).toBeLessThan(FREEZE_MS);
    expect(worstHealthzMs).toBeLessThan(FREEZE_MS);
    const [reply, ...more] = botReplies(repo);
    expect(more).toEqual([]);
    expect(reply).toContain("is larger than 64 KB");
    expect(reply!.length).toBeLessThan(1_000);
    expect(w.model.agentRequests()).toEqual([]);
  });

  it("refuses a file of thousands of keys, or of very long keys, without working each one out", async () => {
    const many = await repoWith({ [CONFIG]: `{${Array.from({ length: 6_000 }, (_, i) => `k${i}: 1`).join(", ")}}\n` });
    // In flow style: YAML itself refuses a block mapping's key over 1024 characters.
    const longKeys = await repoWith({ [CONFIG]: `{ "${"x".repeat(50_000)}": 1 }\n` });
    // 500 unknown keys of 110 characters: within every bound, so zod sees them all; 20 are worked out.
    const wide = await repoWith({ [CONFIG]: Array.from({ length: 500 }, (_, i) => `${"labls".repeat(21)}${String(i).padStart(5, "0")}: 1`).join("\n") });
    for (const repo of [many, longKeys, wide]) {
      const { response, worstHealthzMs } = await sendWhileProbing(mention(repo, "alice"));
      expect(response.ms).toBeLessThan(FREEZE_MS);
      expect(worstHealthzMs).toBeLessThan(FREEZE_MS);
    }
    expect(botReplies(many)[0]).toContain("has more than 2000 keys and list items");
    expect(botReplies(longKeys)[0]).toContain("has a key longer than 128 characters");
    const wideReply = botReplies(wide)[0]!;
    expect(wideReply).toContain("has 500 problems");
    expect(wideReply).toContain("… and 480 more");
    expect(wideReply.length).toBeLessThan(10_000);
  });

  it("does not read the config at all for a read-only or unknown sender's mention", async () => {
    const repo = await repoWith({ [CONFIG]: "labels:\n  fix: ai-fix\n" });
    w.gh.setPermission(repo.fullName, "reader", "read");
    w.gh.clearLogs();
    for (const user of ["reader", "stranger"]) expect((await w.send(mention(repo, user))).status).toBe(200);
    expect(contentsRequests(repo.fullName)).toBe(0);
    expect(contentsRequests("acme/.github")).toBe(0);
    expect(botReplies(repo)).toEqual([
      "@reader I only take requests from people with write access or higher to this repository, so I did not start anything.",
      "@stranger I only take requests from people with write access or higher to this repository, so I did not start anything.",
    ]);
    // Someone who may run makes the bot read it (the count above is not vacuous).
    await w.send(mention(repo, "alice"));
    expect(contentsRequests(repo.fullName)).toBeGreaterThan(0);
  });

  it("refuses `_extends` into another repository without reading or quoting it", async () => {
    const secret = await w.gh.createRepo({ owner: "acme", name: "secret-infra", files: { "deploy/values.yaml": "db:\n  password: hunter2-private\n   oops: [\n" } });
    const repo = await repoWith({ [CONFIG]: "_extends: secret-infra:deploy/values.yaml\n" });
    const other = await repoWith({ [CONFIG]: "_extends: evil-corp/.github\n" });
    w.gh.clearLogs();
    await w.send(mention(repo, "alice"));
    await w.send(mention(other, "alice"));
    expect(contentsRequests(secret.fullName)).toBe(0);
    expect(contentsRequests("evil-corp/.github")).toBe(0);
    const [reply] = botReplies(repo);
    expect(reply).toContain("`_extends`: `secret-infra:deploy/values.yaml` is not allowed: `_extends` may only name this owner's `.github` repository");
    expect(reply).not.toContain("hunter2");
    expect(botReplies(other)[0]).toContain("names another owner's repository");
  });

  it("names a broken file of the owner's .github repository without quoting a line of it", async () => {
    await w.gh.createRepo({ owner: "acme", name: ".github", files: { [CONFIG]: "model: sonnet\n", "shared/bad.yml": "token: ghp_secretline\n  nested: [\n", "shared/keys.yml": "internalHostname: db.corp\n" } });
    const badYaml = await repoWith({ [CONFIG]: "_extends: .github:shared/bad.yml\n" });
    const badKeys = await repoWith({ [CONFIG]: "_extends: acme/.github:shared/keys.yml\nmodel: opus\n" });
    const good = await repoWith({ [CONFIG]: "_extends: .github\nmaxTurns: 3\n" });
    for (const repo of [badYaml, badKeys, good]) await w.send(mention(repo, "alice"));
    expect(botReplies(badYaml)[0]).toContain("`acme/.github:shared/bad.yml`, which this repository's configuration uses, is not valid YAML");
    expect(botReplies(badKeys)[0]).toContain("`acme/.github:shared/keys.yml`, which this repository's configuration uses, has a problem");
    for (const body of [...botReplies(badYaml), ...botReplies(badKeys)]) {
      expect(body).not.toMatch(/ghp_secretline|nested|internalHostname|db\.corp/);
    }
    // The allowed form works: the run starts (👀), merged from the .github repository's file.
    expect(w.gh.state.reactions.some((r) => r.repo === good.fullName)).toBe(true);
  });

  it("answers config problems only to people allowed to run, and the same problems once an hour", async () => {
    const repo = await repoWith({ [CONFIG]: "lables: {}\n" });
    w.gh.setPermission(repo.fullName, "triager", "triage");
    const first = mention(repo, "alice");
    await w.send(first);
    await w.send(mention(repo, "alice", first.payload.issue.number));
    await w.send(mention(repo, "triager"));
    const replies = botReplies(repo);
    expect(replies.filter((b) => b.includes("`lables`: unknown key (did you mean `labels`?)"))).toHaveLength(1);
    expect(replies).toContain("@triager I only take requests from people with write access or higher to this repository, so I did not start anything.");
    expect(replies).toHaveLength(2);
  });
});
