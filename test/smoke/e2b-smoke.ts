/**
 * `npm run smoke:e2b`: the real E2B provider end to end, against a real sandbox. It checks what the
 * unit tests can only fake: networking, git, the pinned claude on PATH, our quoting through E2B's
 * bash, files, that abort and timeout really kill (with what the command left running in a session
 * of its own), the egress allow-list, pause → connect → list by metadata, a process kept across a
 * pause and taken up again (the warm Claude's path), a repository snapshot taken, started and
 * deleted, a binary round trip (the git bundle path) and, with ANTHROPIC_API_KEY, a warm CLI across a pause, `claude -p` stream-json, transcript restore into a
 * new sandbox and --resume, and the bot's own commit script (its prepare script too with
 * SMOKE_GITHUB_TOKEN, a token github.com accepts). Skips (exit 0) without E2B_API_KEY.
 */
import { createHash } from "node:crypto";
import { buildClaudeArgs, buildClaudeEnv, transcriptPath } from "../../src/agent/claude-args.ts";
import { startClaudeProcess, type ClaudeProcess } from "../../src/agent/claude-process.ts";
import { userMessageLine } from "../../src/agent/stream-input.ts";
import { runClaude } from "../../src/agent/run-claude.ts";
import { egressAllowList } from "../../src/config/egress.ts";
import { createE2bProvider } from "../../src/sandbox/e2b.ts";
import type { CommandResult, Sandbox } from "../../src/sandbox/types.ts";
import { commitLeftovers, prepareCheckout } from "../../src/workspace/sandbox-git.ts";
import { DEFAULT_TEMPLATE_ALIAS } from "../../template/template.ts";

const say = (line: string): void => void process.stdout.write(`${line}\n`);

const apiKey = process.env.E2B_API_KEY;
if (!apiKey) {
  say("E2B_API_KEY is not set: skipped the E2B smoke test");
  process.exit(0);
}

const template = process.env.E2B_TEMPLATE || DEFAULT_TEMPLATE_ALIAS;
const toStderr = (level: string) => (obj: object, msg: string) =>
  void process.stderr.write(`${JSON.stringify({ level, msg, ...obj })}\n`);
const log = { info: toStderr("info"), warn: toStderr("warn"), error: toStderr("error"), debug: () => {} };

function check(what: string, ok: boolean, result?: CommandResult): void {
  say(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (result && (!ok || result.stdout.trim())) say(indent(`exit ${result.exitCode}\n${result.stdout}${result.stderr}`));
  if (!ok) throw new Error(`smoke check failed: ${what}`);
}
const indent = (text: string) => text.trimEnd().replace(/^/gm, "     ");

async function smoke(sbx: Sandbox): Promise<void> {
  const clone = await sbx.run(["git", "clone", "--depth", "1", "https://github.com/octocat/Hello-World.git", sbx.workdir], {
    cwd: sbx.homeDir,
    timeoutMs: 120_000,
  });
  check("git clone --depth 1 octocat/Hello-World into the workdir", clone.exitCode === 0, clone);
  const head = await sbx.run(["git", "log", "-1", "--oneline"]);
  check("git log in the workdir (the default cwd)", head.exitCode === 0 && head.stdout.trim() !== "", head);

  const claude = await sbx.run(["claude", "--version"], { timeoutMs: 60_000 });
  check("claude --version", claude.exitCode === 0 && /Claude Code/.test(claude.stdout), claude);

  const args = ["it's", "$(echo pwned)", "a b\nc"];
  const echo = await sbx.run(["printf", "%s|", ...args]);
  check("arguments survive E2B's bash -l -c unchanged", echo.stdout === `${args.join("|")}|`, echo);

  const prompt = `${sbx.homeDir}/smoke prompt.md`;
  await sbx.writeFile(prompt, "hello from stdin\n");
  const cat = await sbx.run(["cat"], { stdinFile: prompt });
  check("writeFile + stdinFile", cat.stdout === "hello from stdin\n", cat);
  check("readFile", (await sbx.readFile(prompt)) === "hello from stdin\n");
  check("readFile of a missing file is null", (await sbx.readFile(`${sbx.homeDir}/nope`)) === null);

  const failing = await sbx.run(["git", "rev-parse", "no-such-ref"]);
  check("a failing command resolves with its exit code", failing.exitCode !== 0);

  // The git bundle path: bytes of every value both ways, checked by sha256 inside the sandbox.
  const bytes = new Uint8Array(256 * 1024).map((_, i) => (i * 7919) % 256);
  await sbx.writeFile(`${sbx.homeDir}/round.bin`, bytes);
  const sum = await sbx.run(["sha256sum", `${sbx.homeDir}/round.bin`]);
  check("binary writeFile arrives intact", sum.stdout.startsWith(createHash("sha256").update(bytes).digest("hex")), sum);
  const back = await sbx.readBytes(`${sbx.homeDir}/round.bin`);
  check("readBytes returns the same bytes", back !== null && Buffer.from(back).equals(Buffer.from(bytes)));
  const bundle = await sbx.run(["git", "bundle", "create", `${sbx.homeDir}/head.bundle`, "HEAD"]);
  const bundled = await sbx.readBytes(`${sbx.homeDir}/head.bundle`);
  check("a git bundle comes back as bytes with its header", bundle.exitCode === 0 && bundled !== null && Buffer.from(bundled.subarray(0, 20)).toString("latin1").startsWith("# v"), bundle);

  // Egress: the allow-list lets the git host through (the clone above) and nothing else.
  const blocked = await sbx.run(["bash", "-c", "timeout 20 bash -c 'exec 3<>/dev/tcp/example.com/443' && echo open || echo blocked"], { timeoutMs: 30_000 });
  check("a host outside SANDBOX_ALLOW_OUT is blocked", blocked.stdout.trim() === "blocked", blocked);

  const timed = Date.now();
  const slow = await sbx.run(["bash", "-c", "setsid sleep 61 >/dev/null 2>&1 & sleep 62"], { timeoutMs: 2_000 });
  check(`a command timeout ends it with 124 (after ${Date.now() - timed} ms)`, slow.exitCode === 124 && Date.now() - timed < 20_000, slow);
  const leftAfterTimeout = await sbx.run(["bash", "-c", "cat /proc/[0-9]*/comm 2>/dev/null | grep -cx sleep || true"]);
  check("nothing it started is left, its own-session child included", leftAfterTimeout.stdout.trim() === "0", leftAfterTimeout);

  const started = Date.now();
  const aborted = await sbx.run(["sleep", "60"], { signal: AbortSignal.timeout(2_000) });
  check(`abort kills the command (exit ${aborted.exitCode} after ${Date.now() - started} ms)`, aborted.exitCode !== 0 && Date.now() - started < 20_000);
  // /proc rather than pgrep: procps is not guaranteed in the image.
  const leftover = await sbx.run(["bash", "-c", "cat /proc/[0-9]*/comm 2>/dev/null | grep -cx sleep"]);
  check("no sleep process left behind", leftover.stdout.trim() === "0", leftover);
}

/** The bot's own commit script on the smoke clone, and (with SMOKE_GITHUB_TOKEN) its prepare script. */
async function botScripts(sbx: Sandbox): Promise<void> {
  const identity = { name: "claude-sandbox-bot smoke", email: "smoke@example.invalid" };
  await sbx.run(["git", "config", "user.name", identity.name]);
  await sbx.run(["git", "config", "user.email", identity.email]);
  const startSha = (await sbx.run(["git", "rev-parse", "HEAD"])).stdout.trim();
  await sbx.writeFile(`${sbx.workdir}/SMOKE.md`, "written by the smoke test\n");
  const bundlePath = `${sbx.homeDir}/run.bundle`;
  const commit = await commitLeftovers(sbx, startSha, "smoke: the bot's commit script", bundlePath);
  check(`the commit script commits and bundles (${commit.newCommits} commit, ${commit.files.map((f) => f.path).join(", ")})`, commit.newCommits === 1 && commit.files.some((f) => f.path === "SMOKE.md"));
  const bundle = await sbx.readBytes(bundlePath);
  check("its bundle comes back as bytes", bundle !== null && Buffer.from(bundle.subarray(0, 20)).toString("latin1").startsWith("# v"));

  const token = process.env.SMOKE_GITHUB_TOKEN;
  if (!token) return say("SMOKE_GITHUB_TOKEN is not set: skipped the prepare (clone) script, which needs a token GitHub accepts");
  const fresh = await provider.create({ metadata: { app: "claude-sandbox-bot", purpose: "smoke" }, timeoutMs: 5 * 60_000 });
  try {
    const prepared = await prepareCheckout({ sandbox: fresh, cloneUrl: "https://github.com/octocat/Hello-World.git", token, branch: "smoke-branch", base: "master", identity });
    check(`the prepare script clones and checks out a new branch (${prepared.startSha.slice(0, 7)})`, /^[0-9a-f]{40}$/.test(prepared.startSha) && !prepared.branchExisted);
  } finally {
    await fresh.kill();
  }
}

/** pause → list (paused, by our metadata) → connect: the checkout is still there. */
async function pauseAndResume(sbx: Sandbox): Promise<Sandbox> {
  await sbx.pause();
  const listed = (await provider.list()).find((s) => s.id === sbx.id);
  check(`list finds the paused sandbox by metadata (state ${listed?.state})`, listed?.state === "paused" && listed.metadata.purpose === "smoke");
  const back = await provider.connect(sbx.id, 5 * 60_000);
  check("connect resumes it", back !== null);
  const head = await back!.run(["git", "log", "-1", "--oneline"]);
  check("the checkout survived the pause", head.exitCode === 0 && head.stdout.trim() !== "", head);
  return back!;
}

/**
 * The warm Claude's path with a stand-in (a shell reading lines): kept on streaming input, let go
 * of at the pause, taken up by the next connection: the same process answers the next line.
 */
async function keptAcrossPause(sbx: Sandbox): Promise<Sandbox> {
  const proc = startClaudeProcess(sbx, ["bash", "-c", 'while read -r line; do echo "pid $$ $line"; done'], { cwd: sbx.workdir, env: {} });
  const answer = async (p: ClaudeProcess, text: string) => {
    let out = "";
    p.route((chunk) => (out += chunk));
    await (await p.stdin).write(`${text}\n`);
    for (let i = 0; i < 100 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
    return /pid (\d+) /.exec(out)?.[1] ?? null;
  };
  const before = await answer(proc, "one");
  check(`a process on streaming input answers (pid ${before})`, before !== null);
  await sbx.pause();
  check("the pause lets go of it without ending it", !proc.gone && proc.detachedAs !== null);
  const back = await provider.connect(sbx.id, 5 * 60_000);
  check("connect resumes the sandbox", back !== null);
  check("the new connection takes the process up again", await proc.adopt(back!));
  const after = await answer(proc, "two");
  check(`the same process answers after the pause (pid ${after})`, after === before);
  proc.kill();
  const exit = await proc.exited;
  check(`killing it ends it (exit ${exit.exitCode})`, exit.exitCode !== 0);
  return back!;
}

/** A snapshot of the sandbox, a new sandbox from it holding the checkout, and the snapshot deleted. */
async function snapshotRoundTrip(sbx: Sandbox): Promise<void> {
  const snapshots = provider.snapshots!;
  await sbx.writeFile(`${sbx.workdir}/.snapshot-marker`, "from the snapshot\n");
  const taken = await snapshots.create(sbx, { installationId: 1, repoFullName: "octocat/hello-world", setupHash: "smoke" });
  check(`a snapshot is taken (${taken.id}, name ${taken.name})`, taken.id !== "");
  try {
    const listed = await snapshots.list();
    check("the snapshot is listed by its name", listed.some((s) => s.id === taken.id));
    const child = await snapshots.start(taken.id, { metadata: { app: "claude-sandbox-bot", purpose: "smoke" }, timeoutMs: 5 * 60_000 });
    try {
      check("a sandbox started from it has the checkout", (await child.readFile(`${child.workdir}/.snapshot-marker`)) === "from the snapshot\n");
    } finally {
      await child.kill();
    }
  } finally {
    await snapshots.delete(taken.id);
  }
  check("the snapshot is deleted", !(await snapshots.list()).some((s) => s.id === taken.id));
}

/**
 * The warm Claude for real: the CLI on streaming input answers, the sandbox pauses with it
 * running, the next connection takes it up, and the same process answers a second message (its
 * connections to the model API were dropped by the pause, so this checks it reconnects).
 */
async function warmClaude(sbx: Sandbox, anthropicApiKey: string): Promise<Sandbox> {
  const argv = buildClaudeArgs({ command: "claude", maxTurns: 2, streamInput: true });
  const proc = startClaudeProcess(sbx, argv, { cwd: sbx.workdir, env: buildClaudeEnv({ homeDir: sbx.homeDir, anthropicApiKey }) });
  const ask = async (p: ClaudeProcess, text: string) => {
    let out = "";
    p.route((chunk) => (out += chunk));
    await (await p.stdin).write(userMessageLine(text).line);
    for (let i = 0; i < 1800 && !/"type":"result"/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    return out;
  };
  const first = await ask(proc, "Reply with the single word: mango");
  check("the CLI on streaming input answers", /mango/i.test(first));
  await sbx.pause();
  const back = await provider.connect(sbx.id, 5 * 60_000);
  check("the running CLI is taken up after the pause", back !== null && (await proc.adopt(back)));
  const second = await ask(proc, "Which word did you reply with before? Answer with that word only.");
  check("the same CLI answers after the pause (its model connection re-made)", /mango/i.test(second) && !proc.gone);
  proc.kill();
  return back!;
}

/** claude -p stream-json, then the transcript restored into a new sandbox and --resume. */
async function claudeRoundTrip(first: Sandbox, anthropicApiKey: string): Promise<void> {
  const env = (box: Sandbox) => buildClaudeEnv({ homeDir: box.homeDir, anthropicApiKey });
  const one = await runClaude({ sandbox: first, argv: buildClaudeArgs({ command: "claude", maxTurns: 2 }), env: env(first), prompt: "Reply with the single word: pineapple", cwd: first.workdir, timeoutMs: 180_000 });
  check(`claude -p stream-json gives a result and a session (exit ${one.exitCode})`, one.result !== null && one.sessionId !== null);
  const transcript = await first.readFile(transcriptPath(first.homeDir, first.workdir, one.sessionId!));
  check("the transcript is where transcriptPath says", transcript !== null && transcript.includes("pineapple"));
  const second = await provider.create({ metadata: { app: "claude-sandbox-bot", purpose: "smoke" }, timeoutMs: 5 * 60_000 });
  try {
    await second.run(["git", "init", "-q", second.workdir]);
    await second.writeFile(transcriptPath(second.homeDir, second.workdir, one.sessionId!), transcript!);
    const two = await runClaude({ sandbox: second, argv: buildClaudeArgs({ command: "claude", maxTurns: 2, resumeSessionId: one.sessionId }), env: env(second), prompt: "Which word did you reply with before? Answer with that word only.", cwd: second.workdir, timeoutMs: 180_000 });
    check("--resume in a new sandbox continues the conversation", two.result !== null && /pineapple/i.test(JSON.stringify(two.result)));
  } finally {
    await second.kill();
  }
}

// The default allow-list, as the bot computes it (the model API, the git host, the registries).
const allowOut = egressAllowList({ allowOut: process.env.SANDBOX_ALLOW_OUT, anthropicBaseUrl: process.env.ANTHROPIC_BASE_URL, gheHost: process.env.GHE_HOST });
const provider = createE2bProvider({ apiKey, template, log, ...(allowOut ? { allowOut } : {}) });
say(`Creating an E2B sandbox from template '${template}'…`);
let sbx: Sandbox | undefined;
try {
  sbx = await provider.create({ metadata: { app: "claude-sandbox-bot", purpose: "smoke" }, timeoutMs: 5 * 60_000 });
  say(`Sandbox ${sbx.id} is up (workdir ${sbx.workdir})`);
  await smoke(sbx);
  await botScripts(sbx);
  sbx = await pauseAndResume(sbx);
  sbx = await keptAcrossPause(sbx);
  await snapshotRoundTrip(sbx);
  const anthropicApiKey = process.env.ANTHROPIC_API_KEY;
  if (anthropicApiKey) {
    await claudeRoundTrip(sbx, anthropicApiKey);
    sbx = await warmClaude(sbx, anthropicApiKey);
  }
  else say("ANTHROPIC_API_KEY is not set: skipped claude -p, transcript restore and --resume");
  say("E2B smoke test passed");
} catch (err) {
  say(`E2B smoke test failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await sbx?.kill();
}
