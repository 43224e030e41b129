import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLAUDE_BIN, PROJECT_ROOT } from "../../test/support/start-bot.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { countByEndpoint, type EndpointCount } from "../lib/endpoints.ts";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { BENCH_FILE, createFileThenAnswer } from "../lib/scripts.ts";
import { median } from "../lib/stats.ts";
import { waitForReport } from "../lib/threads.ts";
import { MODEL_KEY, startBenchWorld, WRITE_USER, type BenchWorld } from "../lib/world.ts";

/**
 * Figure 3: orchestration overhead, issue → PR wall time. The bot: from just before the signed
 * mention is POSTed to the moment the draft PR exists at the fake GitHub (polled every 10 ms),
 * with BENCH.md committed on its branch. The baseline: bench/baselines/plain-run.sh doing only the
 * necessary steps with the same Claude command and the same scripted model, timed the same way
 * from its spawn. Repetitions interleave the two, alternating which goes first.
 *
 * Figure 5: the GitHub API requests of each bot run, webhook handling and run together (from the
 * POST of the webhook until the report is final), by endpoint.
 */

export interface E2eOptions {
  reps: number;
  /** One more bot run with each model reply delayed this long (progress edits scale with run time). */
  slowModelDelayMs?: number;
  /** Extra bot env (experiments: NODE_OPTIONS). */
  botEnv?: Record<string, string>;
  /** More bots, each run in every repetition beside the first and the script (experiments). */
  variants?: Array<{ name: string; env: Record<string, string> }>;
}

export interface E2eResult {
  botMs: number[];
  plainMs: number[];
  botMedianMs: number;
  plainMedianMs: number;
  ratio: number;
  /** Median over repetitions of (bot − plain) in the same repetition: the bot's added time. */
  overheadMs: number;
  /** The extra bots: their times, median, ratio to the script's median, paired added time. */
  variants: Record<string, { ms: number[]; medianMs: number; ratio: number; overheadMs: number }>;
  /** Bot: webhook → report final (the run's whole life, past the PR). */
  botToReportMs: number[];
  api: {
    perRun: number[];
    /** The first run after start (Probot's token and the config cache are cold). */
    coldRun: EndpointCount[];
    /** A later run (the median one by count). */
    warmRun: EndpointCount[];
    /** A run whose model replies were each delayed by slowModelDelayMs. */
    slowRun?: { modelDelayMs: number; durationMs: number; total: number; byEndpoint: EndpointCount[] };
  };
}

const POLL_MS = 10;

async function waitForPull(w: BenchWorld, branch: string): Promise<number> {
  await waitFor(`a PR from ${branch}`, () => w.gh.state.pulls.some((p) => p.repo === w.repo.fullName && p.head === branch), 180_000, POLL_MS);
  return Date.now();
}

async function assertCommitted(w: BenchWorld, branch: string): Promise<void> {
  const content = await w.gh.git.readFile(w.repo.fullName, branch, BENCH_FILE);
  if (!content?.includes("Created by the scripted model")) throw new Error(`${branch} has no ${BENCH_FILE} from Claude`);
}

async function botRun(w: BenchWorld, bot: { webhookUrl: string; secret: string }, rep: number) {
  const ev = w.hooks.issueCommentCreated({
    repo: w.repo,
    issue: { title: `Add ${BENCH_FILE} (${rep})`, body: "We need a bench file.", user: WRITE_USER },
    comment: { body: `${w.trigger} add ${BENCH_FILE}`, user: WRITE_USER },
  });
  const issue = ev.payload.issue.number;
  const branch = `claude/issue-${issue}`;
  const delivery = prepareDelivery(ev, bot.secret);
  const before = w.gh.requests.length;
  const t0 = Date.now();
  const status = await postDelivery(bot.webhookUrl, delivery);
  if (status !== 200) throw new Error(`the bot answered the mention with ${status}`);
  const prAt = await waitForPull(w, branch);
  await waitForReport(w, issue);
  const reportAt = Date.now();
  await sleep(300);
  await assertCommitted(w, branch);
  return { ms: prAt - t0, toReportMs: reportAt - t0, requests: w.gh.requests.slice(before) };
}

async function plainRun(w: BenchWorld, rep: number): Promise<number> {
  const workdir = mkdtempSync(join(tmpdir(), "csb-plain-"));
  const branch = `plain/run-${rep}`;
  const token = w.gh.issueToken({ repositories: [w.repo.fullName], permissions: { contents: "write", pull_requests: "write", metadata: "read" } }).token;
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    WORKDIR: workdir,
    CLONE_URL: w.repo.cloneUrl,
    TOKEN: token,
    API_URL: `${w.gh.url}/api/v3`,
    REPO: w.repo.fullName,
    BRANCH: branch,
    BASE: w.repo.defaultBranch,
    TITLE: `Add ${BENCH_FILE} (plain ${rep})`,
    BODY: `Opened by plain-run.sh (${rep}).`,
    PROMPT: `Add ${BENCH_FILE}.`,
    CLAUDE: CLAUDE_BIN,
    ANTHROPIC_BASE_URL: w.model.url,
    ANTHROPIC_API_KEY: MODEL_KEY,
  };
  const t0 = Date.now();
  const child = spawn("sh", [join(PROJECT_ROOT, "bench/baselines/plain-run.sh")], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  const prAt = await Promise.race([waitForPull(w, branch), exited.then((code) => Promise.reject(new Error(`plain-run.sh exited with ${code} before the PR existed:\n${stderr}`)))]);
  const code = await exited;
  if (code !== 0) throw new Error(`plain-run.sh exited with ${code}:\n${stderr}`);
  await assertCommitted(w, branch);
  rmSync(workdir, { recursive: true, force: true });
  return prAt - t0;
}

export async function measureE2e(o: E2eOptions): Promise<E2eResult> {
  const w = await startBenchWorld(createFileThenAnswer);
  try {
    const bot = await w.startBot(o.botEnv);
    const extra: Array<{ name: string; bot: { webhookUrl: string; secret: string }; ms: number[] }> = [];
    for (const v of o.variants ?? []) extra.push({ name: v.name, bot: await w.startBot(v.env), ms: [] });
    const botMs: number[] = [];
    const plainMs: number[] = [];
    const botToReportMs: number[] = [];
    const requests: Array<ReturnType<typeof countByEndpoint>> = [];
    const perRun: number[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const names = ["bot", "plain", ...extra.map((x) => x.name)];
      const order = names.map((_, k) => names[(rep + k) % names.length]!);
      for (const which of order) {
        const variant = extra.find((x) => x.name === which);
        if (variant) {
          variant.ms.push((await botRun(w, variant.bot, rep)).ms);
        } else if (which === "bot") {
          const r = await botRun(w, bot, rep);
          botMs.push(r.ms);
          botToReportMs.push(r.toReportMs);
          requests.push(countByEndpoint(r.requests));
          perRun.push(r.requests.length);
        } else {
          plainMs.push(await plainRun(w, rep));
        }
        await sleep(500);
      }
      progress(`  e2e rep ${rep + 1}/${o.reps}: bot ${botMs.at(-1)} ms (report at ${botToReportMs.at(-1)} ms, ${perRun.at(-1)} API requests), plain ${plainMs.at(-1)} ms${extra.map((x) => `, ${x.name} ${x.ms.at(-1)} ms`).join("")}`);
    }
    let slowRun: E2eResult["api"]["slowRun"];
    if (o.slowModelDelayMs) {
      const delayMs = o.slowModelDelayMs;
      w.model.setScript((req) => ({ ...createFileThenAnswer(req), delayMs }));
      const r = await botRun(w, bot, o.reps);
      w.model.setScript(createFileThenAnswer);
      slowRun = { modelDelayMs: delayMs, durationMs: r.toReportMs, total: r.requests.length, byEndpoint: countByEndpoint(r.requests) };
      progress(`  e2e with every model reply delayed ${delayMs} ms: report at ${r.toReportMs} ms, ${r.requests.length} API requests`);
    }
    const warmCounts = perRun.slice(1);
    const warmMedian = warmCounts.length ? [...warmCounts].sort((a, b) => a - b)[Math.floor(warmCounts.length / 2)]! : perRun[0]!;
    const warmIndex = Math.max(1, perRun.indexOf(warmMedian, 1));
    const botMedianMs = median(botMs);
    const plainMedianMs = median(plainMs);
    return {
      botMs,
      plainMs,
      botMedianMs,
      plainMedianMs,
      ratio: botMedianMs / plainMedianMs,
      overheadMs: median(botMs.map((b, i) => b - plainMs[i]!)),
      variants: Object.fromEntries(extra.map((x) => [x.name, { ms: x.ms, medianMs: median(x.ms), ratio: median(x.ms) / plainMedianMs, overheadMs: median(x.ms.map((b, i) => b - plainMs[i]!)) }])),
      botToReportMs,
      api: { perRun, coldRun: requests[0]!, warmRun: requests[warmIndex] ?? requests[0]!, ...(slowRun ? { slowRun } : {}) },
    };
  } finally {
    await w.close();
  }
}
