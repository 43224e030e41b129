import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest, Reply } from "../support/fake-anthropic/types.ts";
import { startFakeAnthropic } from "../support/fake-anthropic/index.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { dropSchemas, freshSchema, requirePostgres, TEST_DATABASE_URL, withSchema } from "../support/postgres.ts";
import { startBot, type BotProcess } from "../support/start-bot.ts";
import { waitFor } from "../support/wait-for.ts";
import { createWebhookFactory, sendWebhook } from "../support/webhooks.ts";
import { botEnv, MODEL_KEY } from "./harness.ts";

/**
 * Two bot processes (web + worker each) on one PostgreSQL: 100 mentions across 20 threads, sent
 * to either process. Every mention gets exactly one answer, each thread's runs happen one at a
 * time in the order the mentions arrived, and each run continues the thread's session even when
 * the other process ran the previous one.
 */
const THREADS = 20;
const PER_THREAD = 5;

function script(req: AgentRequest): Reply {
  const mention = [...req.lastUserText.matchAll(/mention (\d+-\d+)/g)].at(-1)?.[1] ?? "?";
  return { content: [{ type: "text", text: `answered ${mention}` }] };
}

describe("scale-out on PostgreSQL", () => {
  let gh: FakeGitHub;
  let model: Awaited<ReturnType<typeof startFakeAnthropic>>;
  let bots: BotProcess[] = [];
  let repo: RepoInfo;
  const schema = freshSchema("csb_e2e");

  beforeAll(async () => {
    await requirePostgres();
    gh = await startFakeGitHub();
    model = await startFakeAnthropic({ apiKey: MODEL_KEY, script });
    repo = await gh.createRepo({ owner: "acme", name: "busy" });
    gh.setPermission(repo.fullName, "alice", "write");
    // Every mention a run of its own (no steering into the run before it): one answer per mention.
    const env = botEnv(gh, model.url, { DATABASE_URL: withSchema(TEST_DATABASE_URL, schema), WORKER_CONCURRENCY: "3", PROGRESS_INTERVAL_MS: "5000", LOG_LEVEL: "info", STEERING: "off" });
    // One after the other: both run the migrations under the same lock.
    bots = [await startBot({ env }), await startBot({ env })];
  }, 90_000);

  afterAll(async () => {
    await Promise.all(bots.map((b) => b.stop()));
    await model?.close();
    await gh?.close();
    await dropSchemas([schema, `${schema}_pgboss`]);
  });

  it("answers 100 mentions across 20 threads exactly once each, in order per thread", async () => {
    const hooks = createWebhookFactory(gh);
    const issues = Array.from({ length: THREADS }, (_, t) => gh.addIssue(repo.fullName, { title: `Thread ${t}`, body: "x", user: "alice" }).number);
    // Per thread the mentions go out one after another (that is their order); threads interleave.
    await Promise.all(
      issues.map(async (issue, t) => {
        for (let k = 1; k <= PER_THREAD; k++) {
          const ev = hooks.issueCommentCreated({ repo, issue, comment: { body: `@${gh.appSlug} mention ${t}-${k}`, user: "alice" } });
          const bot = bots[(t + k) % 2]!;
          const res = await sendWebhook(bot.webhookUrl, { ...ev, secret: bot.secret });
          expect(res.status).toBe(200);
        }
      }),
    );

    const botLogin = gh.botUser.login;
    const reports = () => gh.state.comments.filter((c) => c.user.login === botLogin && /^### /m.test(c.body) && !/Working on it/.test(c.body));
    await waitFor("100 reports", () => reports().length >= THREADS * PER_THREAD, 300_000, 500);
    await new Promise((r) => setTimeout(r, 2000));

    // Exactly one answer per mention: 100 bot comments, all finished.
    const botComments = gh.state.comments.filter((c) => c.user.login === botLogin);
    expect(botComments).toHaveLength(THREADS * PER_THREAD);
    expect(botComments.filter((c) => /Working on it/.test(c.body))).toEqual([]);

    // Each mention reached the model once (one request per run: the model answers in one turn),
    // per thread in the order the mentions arrived.
    const order = new Map<number, string[]>();
    for (const r of model.agentRequests()) {
      const mention = [...JSON.stringify(r.body.messages).matchAll(/mention (\d+)-(\d+)/g)].at(-1);
      if (!mention) continue;
      const list = order.get(Number(mention[1])) ?? [];
      list.push(mention[2]!);
      order.set(Number(mention[1]), list);
    }
    for (let t = 0; t < THREADS; t++) expect(order.get(t), `thread ${t}`).toEqual(["1", "2", "3", "4", "5"]);
    for (const r of model.agentRequests()) {
      const text = JSON.stringify(r.body.messages);
      const k = Number([...text.matchAll(/mention \d+-(\d+)/g)].at(-1)?.[1]);
      // The k-th run of a thread sees the answers to the k-1 before it: the session resumed across processes.
      for (let j = 1; j < k; j++) expect(text).toMatch(new RegExp(`answered \\d+-${j}\\b`));
    }
    expect(gh.unexpected).toEqual([]);
  }, 400_000);
});
