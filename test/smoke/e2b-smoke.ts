/**
 * `npm run smoke:e2b`: the real E2B provider end to end, against a real sandbox. It checks what the
 * unit tests can only fake: networking, git, the pinned claude on PATH, our quoting through E2B's
 * bash, files, and that abort really kills. Skips (exit 0) without E2B_API_KEY.
 */
import { createE2bProvider } from "../../src/sandbox/e2b.ts";
import type { CommandResult, Sandbox } from "../../src/sandbox/types.ts";
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

  const started = Date.now();
  const aborted = await sbx.run(["sleep", "60"], { signal: AbortSignal.timeout(2_000) });
  check(`abort kills the command (exit ${aborted.exitCode} after ${Date.now() - started} ms)`, aborted.exitCode !== 0 && Date.now() - started < 20_000);
  // /proc rather than pgrep: procps is not guaranteed in the image.
  const leftover = await sbx.run(["bash", "-c", "cat /proc/[0-9]*/comm 2>/dev/null | grep -cx sleep"]);
  check("no sleep process left behind", leftover.stdout.trim() === "0", leftover);
}

const provider = createE2bProvider({ apiKey, template, log });
say(`Creating an E2B sandbox from template '${template}'…`);
let sbx: Sandbox | undefined;
try {
  sbx = await provider.create({ metadata: { app: "claude-sandbox-bot", purpose: "smoke" }, timeoutMs: 5 * 60_000 });
  say(`Sandbox ${sbx.id} is up (workdir ${sbx.workdir})`);
  await smoke(sbx);
  say("E2B smoke test passed");
} catch (err) {
  say(`E2B smoke test failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await sbx?.kill();
}
