import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { say } from "./script-helpers.ts";
import { startWorld, type World } from "./harness.ts";

/** Deliveries that must start nothing: no 👀, no comment, no clone, no model call, nothing pushed. */
describe("deliveries that start no run", () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ script: () => ({ content: [say("should never be asked")] }) });
    w.gh.setPermission(w.repo.fullName, "reader", "read");
    w.gh.setPermission(w.repo.fullName, "triager", "triage");
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  function expectNothingHappened() {
    expect(w.gh.state.reactions).toEqual([]);
    expect(w.gh.state.comments.filter((c) => c.user.login === w.gh.botUser.login)).toEqual([]);
    expect(w.gh.state.pulls).toEqual([]);
    expect(w.gh.gitRequests).toEqual([]);
    expect(w.model.agentRequests()).toEqual([]);
  }

  async function settle() {
    // Give a wrongly started run every chance to show itself before asserting nothing happened.
    await new Promise((r) => setTimeout(r, 1500));
  }

  it("answers a mention by a user with read or triage permission once, briefly, and starts nothing", async () => {
    const issues: number[] = [];
    for (const user of ["reader", "triager", "stranger"]) {
      const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "t", body: "b", user }, comment: { body: `${w.trigger} delete everything`, user } });
      issues.push(ev.payload.issue.number);
      expect((await w.send(ev)).status).toBe(200);
      // The same user again in the same thread within the hour: no second reply.
      const again = w.hooks.issueCommentCreated({ repo: w.repo, issue: ev.payload.issue.number, comment: { body: `${w.trigger} please!`, user } });
      expect((await w.send(again)).status).toBe(200);
    }
    await settle();
    const replies = w.gh.state.comments.filter((c) => c.user.login === w.gh.botUser.login);
    expect(replies.map((c) => [c.issueNumber, c.body])).toEqual([
      [issues[0], "@reader I only take requests from people with write access or higher to this repository, so I did not start anything."],
      [issues[1], "@triager I only take requests from people with write access or higher to this repository, so I did not start anything."],
      [issues[2], "@stranger I only take requests from people with write access or higher to this repository, so I did not start anything."],
    ]);
    w.gh.state.comments.splice(0);
    expectNothingHappened();
    // One lookup per delivery; the triager's first also before the config is read (intake's pre-filter: triage or more).
    expect(w.gh.requests.filter((r) => r.path.includes("/collaborators/")).map((r) => r.path.split("/")[5])).toEqual(["reader", "reader", "triager", "triager", "triager", "stranger", "stranger"]);
  });

  it("ignores mentions by bots, the app itself included", async () => {
    const fromBot = w.hooks.issueCommentCreated({
      repo: w.repo,
      issue: { title: "t", body: "b", user: "alice" },
      comment: { body: `${w.trigger} do it`, user: { login: "renovate[bot]", type: "Bot" } },
    });
    const fromSelf = w.hooks.issueCommentCreated({
      repo: w.repo,
      issue: { title: "t", body: "b", user: "alice" },
      comment: { body: `${w.trigger} do it`, user: { login: w.gh.botUser.login, type: "Bot" } },
    });
    expect((await w.send(fromBot)).status).toBe(200);
    expect((await w.send(fromSelf)).status).toBe(200);
    await settle();
    // Not even a permission lookup: the payload alone decides.
    expect(w.gh.requests.filter((r) => r.path.includes("renovate") || r.path.includes("%5Bbot%5D") || r.path.includes("[bot]"))).toEqual([]);
    w.gh.state.comments.splice(0); // the seeded bot comments are not the bot's output
    expectNothingHappened();
  });

  it("refuses unsigned and wrongly signed deliveries", async () => {
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "t", body: "b", user: "alice" }, comment: { body: `${w.trigger} do it`, user: "alice" } });
    const before = w.bot.logs.length;
    const unsigned = await w.send(ev, { signature: "missing", deliveryId: "unsigned-delivery" });
    const forged = await w.send(ev, { signature: "invalid", deliveryId: "forged-delivery" });
    expect(unsigned.status).toBe(400);
    expect(forged.status).toBe(400);
    expect(JSON.parse(forged.body).error).toMatch(/signature/i);
    await settle();
    expectNothingHappened();
    // Each refusal is one warning line naming the delivery and what to check: no error, no stack, no payload.
    // (The HTTP server's one access line per request aside.)
    const lines = w.bot.logs
      .slice(before)
      .map((line) => JSON.parse(line) as { level: number; msg: string; delivery?: string; stack?: unknown })
      .filter((l) => !/^(GET|POST) \S+ \d{3} /.test(l.msg));
    const about = (id: string) => lines.filter((l) => JSON.stringify(l).includes(id));
    for (const id of ["unsigned-delivery", "forged-delivery"]) {
      expect(about(id), id).toHaveLength(1);
      expect(about(id)[0]!.level, id).toBe(40);
    }
    expect(about("forged-delivery")[0]!.msg).toMatch(/WEBHOOK_SECRET/);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const text = w.bot.logs.slice(before).join("\n");
    expect(text).not.toContain(ev.payload.comment.body);
    expect(text).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("ignores comments without the trigger phrase, edited comments, and look-alike mentions", async () => {
    const plain = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "t", body: "b", user: "alice" }, comment: { body: "just a comment", user: "alice" } });
    const lookAlike = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "t", body: "b", user: "alice" }, comment: { body: `${w.trigger}-other do it`, user: "alice" } });
    const quoted = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: "t", body: "b", user: "alice" }, comment: { body: `> ${w.trigger} do it\n\nI disagree`, user: "alice" } });
    const edited = w.hooks.issueCommentEdited({ repo: w.repo, commentId: plain.comment.id, body: `${w.trigger} do it`, sender: "alice" });
    for (const ev of [plain, lookAlike, quoted, edited]) expect((await w.send(ev)).status).toBe(200);
    await settle();
    expectNothingHappened();
    expect(w.gh.unexpected).toEqual([]);
  });
});
