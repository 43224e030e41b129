import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLAUDE_BIN } from "../../test/support/start-bot.ts";
import { claudeArgs, claudeEnv, runClaude, tempDir } from "../../test/support/fake-anthropic/run-claude.ts";
import { gitAuthEnv } from "../../test/support/fake-github/index.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { FOLLOW_UP_WORD, threadScript } from "../lib/scripts.ts";
import { latency, type Latency } from "../lib/stats.ts";
import { waitForReport } from "../lib/threads.ts";
import { MODEL_KEY, startBenchWorld, WRITE_USER, type BenchWorld } from "../lib/world.ts";

/**
 * Figure 4: follow-up start. In a thread whose first run opened a PR, a follow-up mention is sent;
 * measured from just before its POST to (a) the Claude process being exec'd (CLAUDE_COMMAND is a
 * wrapper that logs the time and execs the real CLI) and (b) the fake model receiving that run's
 * first agent request — the CLI's own start-up included. Live: the thread's sandbox directory is
 * still there (the fast path). Restored: it was deleted before the mention, so the bot starts a
 * new sandbox, clones and writes the saved transcript back (the slow path). Baseline: the CLI
 * alone, `--resume` of a session in a prepared checkout, spawn → first agent request.
 */

export interface FollowUpOptions {
  reps: number;
  /** Extra bot env (experiments: NODE_OPTIONS). */
  botEnv?: Record<string, string>;
}

export interface FollowUpResult {
  live: { toExec: Latency; toFirstRequest: Latency; samples: Array<{ exec: number; first: number }> };
  restored: { toExec: Latency; toFirstRequest: Latency; samples: Array<{ exec: number; first: number }> };
  cliAlone: { toFirstRequest: Latency; samples: number[] };
}

function wrapper(dir: string): { command: string; log: string } {
  const log = join(dir, "claude-exec.log");
  writeFileSync(log, "");
  const command = join(dir, "claude-timed.sh");
  // date +%s%3N: epoch ms (GNU date); exec keeps the PID, so the bot's child is the CLI itself.
  writeFileSync(command, `#!/bin/sh\necho "$(date +%s%3N) $PWD" >> '${log}'\nexec '${CLAUDE_BIN}' "$@"\n`);
  chmodSync(command, 0o755);
  return { command, log };
}

function execTimes(log: string): number[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.split(" ")[0]));
}

async function mention(w: BenchWorld, bot: { webhookUrl: string; secret: string }, issue: number | { title: string; body: string; user: string }, text: string) {
  const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} ${text}`, user: WRITE_USER } });
  const d = prepareDelivery(ev, bot.secret);
  const sentAt = Date.now();
  const status = await postDelivery(bot.webhookUrl, d);
  if (status !== 200) throw new Error(`mention answered ${status}`);
  return { issue: ev.payload.issue.number, sentAt };
}

/** A clone of the repository (the kind of checkout the bot's CLI starts in), on a branch of its own. */
async function cloneOf(w: BenchWorld): Promise<string> {
  const cwd = tempDir("csb-cli-repo-");
  const token = w.gh.issueToken({ repositories: [w.repo.fullName], permissions: { contents: "read" } }).token;
  const git = (args: string[], env: Record<string, string> = {}) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn("git", args, { cwd, env: { ...process.env, ...env }, stdio: "ignore" });
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited with ${code}`))));
    });
  await git(["clone", "--quiet", "--no-tags", w.repo.cloneUrl, "."], gitAuthEnv(token));
  await git(["checkout", "--quiet", "-b", "cli/alone"]);
  return cwd;
}

/** The local provider's directory for the thread's sandbox (metadata.json names the thread). */
function removeSandboxOf(root: string, threadKey: string): number {
  let removed = 0;
  for (const id of readdirSync(root)) {
    try {
      const meta = JSON.parse(readFileSync(join(root, id, "metadata.json"), "utf8")) as { metadata?: { thread?: string } };
      if (meta.metadata?.thread === threadKey) {
        rmSync(join(root, id), { recursive: true, force: true });
        removed++;
      }
    } catch {
      // not a sandbox directory
    }
  }
  return removed;
}

export async function measureFollowUp(o: FollowUpOptions): Promise<FollowUpResult> {
  const w = await startBenchWorld(threadScript);
  const dir = mkdtempSync(join(tmpdir(), "csb-followup-"));
  const sandboxRoot = join(dir, "sandboxes");
  const { command, log } = wrapper(dir);
  const scratch: string[] = [];
  try {
    const bot = await w.startBot({ CLAUDE_COMMAND: command, LOCAL_SANDBOX_ROOT: sandboxRoot, ...o.botEnv });
    // Two threads, each with a first run that opened a PR.
    const live = await mention(w, bot, { title: "Live thread", body: "Add the bench file.", user: WRITE_USER }, "add BENCH.md");
    await waitForReport(w, live.issue, 1);
    const restored = await mention(w, bot, { title: "Restored thread", body: "Add the bench file.", user: WRITE_USER }, "add BENCH.md");
    await waitForReport(w, restored.issue, 1);
    const threadKey = (n: number) => `${w.repo.fullName}#${n}`;

    // The CLI alone: a session in a checkout, resumed each time.
    const home = tempDir("csb-cli-home-");
    const cwd = await cloneOf(w);
    scratch.push(home, cwd);
    const first = await runClaude({ baseUrl: w.model.url, cwd, home, prompt: `${FOLLOW_UP_WORD}: hello`, apiKey: MODEL_KEY, env: { CLAUDE_CODE_MAX_RETRIES: undefined, CI: "true", CLAUDE_CODE_ENABLE_TODO_TOOLS: "1" } });
    const session = first.sessionId;
    if (!session) throw new Error(`the CLI gave no session: ${first.stderr}`);

    const liveSamples: Array<{ exec: number; first: number }> = [];
    const restoredSamples: Array<{ exec: number; first: number }> = [];
    const cliSamples: number[] = [];
    const firstAgentAfter = (t: number) =>
      waitFor("the run's first agent request", () => w.model.requests.find((r) => r.kind === "agent" && r.receivedAt >= t)?.receivedAt, 120_000, 5);

    for (let rep = 0; rep < o.reps; rep++) {
      for (const which of rep % 2 === 0 ? ["live", "restored", "cli"] : ["cli", "restored", "live"]) {
        await sleep(500);
        if (which === "cli") {
          const t0 = Date.now();
          const child = spawn(CLAUDE_BIN, claudeArgs({ resume: session }), {
            cwd,
            env: claudeEnv({ baseUrl: w.model.url, home, apiKey: MODEL_KEY, extra: { CI: "true", CLAUDE_CODE_ENABLE_TODO_TOOLS: "1", CLAUDE_CODE_MAX_RETRIES: undefined } }),
            stdio: ["pipe", "ignore", "ignore"],
          });
          child.stdin.end(`${FOLLOW_UP_WORD}: again ${rep}`);
          const exited = new Promise((r) => child.once("exit", r));
          cliSamples.push((await firstAgentAfter(t0)) - t0);
          await exited;
          continue;
        }
        const thread = which === "live" ? live : restored;
        if (which === "restored" && removeSandboxOf(sandboxRoot, threadKey(thread.issue)) === 0) throw new Error("no sandbox to remove for the restored thread");
        const execsBefore = execTimes(log).length;
        const m = await mention(w, bot, thread.issue, `${FOLLOW_UP_WORD} ${rep}: anything else?`);
        const firstAt = await firstAgentAfter(m.sentAt);
        const execAt = execTimes(log)[execsBefore];
        if (execAt === undefined) throw new Error("the Claude wrapper logged no start");
        const report = await waitForReport(w, thread.issue, rep + 2);
        const how = /resumed in the live sandbox/.test(report.body) ? "live" : /resumed from the saved transcript/.test(report.body) ? "restored" : "other";
        if (how !== which) throw new Error(`expected the ${which} path, the report says ${how}:\n${report.body.slice(0, 800)}`);
        (which === "live" ? liveSamples : restoredSamples).push({ exec: execAt - m.sentAt, first: firstAt - m.sentAt });
      }
      progress(`  follow-up rep ${rep + 1}/${o.reps}: live exec ${liveSamples.at(-1)?.exec} ms / first request ${liveSamples.at(-1)?.first} ms; restored ${restoredSamples.at(-1)?.exec} / ${restoredSamples.at(-1)?.first} ms; CLI alone ${cliSamples.at(-1)} ms`);
    }
    const sum = (s: Array<{ exec: number; first: number }>) => ({ toExec: latency(s.map((x) => x.exec)), toFirstRequest: latency(s.map((x) => x.first)), samples: s });
    return { live: sum(liveSamples), restored: sum(restoredSamples), cliAlone: { toFirstRequest: latency(cliSamples), samples: cliSamples } };
  } finally {
    await w.close();
    for (const d of [dir, ...scratch]) rmSync(d, { recursive: true, force: true });
  }
}
