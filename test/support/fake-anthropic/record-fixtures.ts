/**
 * Re-record test/fixtures/stream-json/*.jsonl from the REAL Claude Code CLI
 * running against the fake Anthropic API in temp dirs. Run it after upgrading
 * @anthropic-ai/claude-code:
 *
 *   npx node test/support/fake-anthropic/record-fixtures.ts
 *
 * Each scenario asserts what it expects (files created, result subtype…) and the
 * script exits non-zero if the CLI's behaviour changed. It also rewrites the
 * fixtures' README.md (with the CLI version).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  always,
  apiError,
  bash,
  edit,
  makeCheckout,
  projectDirName,
  removeDirs,
  runClaude,
  sequence,
  taskCreate,
  taskUpdate,
  tempDir,
  text,
  todoWrite,
  toolSearch,
  turn,
  write,
  CLAUDE_BIN,
  startFakeAnthropic,
  type FakeAnthropic,
  type RunClaudeResult,
} from "./index.ts";

const OUT_DIR = fileURLToPath(new URL("../../fixtures/stream-json/", import.meta.url));

/** Stable stand-ins for the volatile temp paths and port. */
export const PLACEHOLDER_CWD = "/tmp/fixture-repo";
export const PLACEHOLDER_HOME = "/tmp/fixture-home";
export const PLACEHOLDER_HOST = "127.0.0.1:PORT";

/** Env that turns the todo tool on: TodoWrite (ENABLE_TASKS=0) instead of TaskCreate/TaskUpdate. */
export const TODO_WRITE_ENV = { CLAUDE_CODE_ENABLE_TODO_TOOLS: "1", CLAUDE_CODE_ENABLE_TASKS: "0" };
/** Env that turns on the TaskCreate/TaskGet/TaskList/TaskUpdate tools. */
export const TASKS_ENV = { CLAUDE_CODE_ENABLE_TODO_TOOLS: "1" };

interface Ctx {
  fake: FakeAnthropic;
  cwd: string;
  home: string;
}

interface Scenario {
  file: string;
  describe: string;
  run(ctx: Ctx): Promise<RunClaudeResult>;
}

function normalize(stdout: string, ctx: Ctx): string {
  const port = new URL(ctx.fake.url).host;
  return stdout
    .split(projectDirName(ctx.cwd)).join(projectDirName(PLACEHOLDER_CWD))
    .split(ctx.cwd).join(PLACEHOLDER_CWD)
    .split(projectDirName(ctx.home)).join(projectDirName(PLACEHOLDER_HOME))
    .split(ctx.home).join(PLACEHOLDER_HOME)
    .split(port).join(PLACEHOLDER_HOST);
}

const HUGE_TEXT = Array.from(
  { length: 1600 },
  (_, i) => `${String(i + 1).padStart(4, "0")}: the quick brown fox jumps over the lazy dog, again and again.`,
).join("\n");

const scenarios: Scenario[] = [
  {
    file: "success-with-todos.jsonl",
    describe:
      "Success. Env CLAUDE_CODE_ENABLE_TODO_TOOLS=1 CLAUDE_CODE_ENABLE_TASKS=0 (TodoWrite). The model loads TodoWrite via ToolSearch, " +
      "writes a 3-item todo list (with a text block in the same message), runs Bash `echo hi > a.txt`, Writes notes.md, Edits it, " +
      "marks all todos completed and ends with a summary. Exit code 0, result subtype `success`.",
    async run({ fake, cwd, home }) {
      const notes = join(cwd, "notes.md");
      const todos = (done: number) =>
        [
          ["Create a.txt", "Creating a.txt"],
          ["Write notes.md", "Writing notes.md"],
          ["Polish notes.md", "Polishing notes.md"],
        ].map(([content, activeForm], i) => ({
          content: content!,
          activeForm: activeForm!,
          status: i < done ? ("completed" as const) : i === done ? ("in_progress" as const) : ("pending" as const),
        }));
      fake.setScript(
        sequence(
          toolSearch("select:TodoWrite"),
          turn(text("I'll track the work in a todo list."), todoWrite(todos(0))),
          bash("echo hi > a.txt", "Create a.txt"),
          write(notes, "# Notes\n\nhello world\n"),
          edit(notes, "hello world", "hello there"),
          todoWrite(todos(3)),
          text("## Summary\n\n- Created `a.txt` with `hi`.\n- Wrote `notes.md` and changed its greeting to *hello there*."),
        ),
      );
      const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Create a.txt and notes.md.", env: TODO_WRITE_ENV });
      assert.equal(readFileSync(join(cwd, "a.txt"), "utf8"), "hi\n");
      assert.equal(readFileSync(notes, "utf8"), "# Notes\n\nhello there\n");
      assert.equal(r.result?.subtype, "success");
      assert.equal(r.result?.is_error, false);
      return r;
    },
  },
  {
    file: "success-with-tasks.jsonl",
    describe:
      "Success. Env CLAUDE_CODE_ENABLE_TODO_TOOLS=1 (the default TaskCreate/TaskUpdate flavour of the todo tool). " +
      "ToolSearch `select:TaskCreate,TaskUpdate`, two TaskCreate calls (ids \"1\", \"2\"), TaskUpdate 1→in_progress + Bash, TaskUpdate 1→completed, " +
      "Write, TaskUpdate 2→completed, final text.",
    async run({ fake, cwd, home }) {
      fake.setScript(
        sequence(
          toolSearch("select:TaskCreate,TaskUpdate"),
          turn(
            taskCreate("Create a.txt", "Write hi into a.txt", "Creating a.txt"),
            taskCreate("Write b.txt", "Write b.txt with a greeting", "Writing b.txt"),
          ),
          turn(taskUpdate("1", "in_progress"), bash("echo hi > a.txt", "Create a.txt")),
          taskUpdate("1", "completed"),
          write(join(cwd, "b.txt"), "hello\n"),
          taskUpdate("2", "completed"),
          text("Both files are in place."),
        ),
      );
      const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Create a.txt and b.txt.", env: TASKS_ENV });
      assert.equal(readFileSync(join(cwd, "a.txt"), "utf8"), "hi\n");
      assert.equal(readFileSync(join(cwd, "b.txt"), "utf8"), "hello\n");
      assert.equal(r.result?.subtype, "success");
      return r;
    },
  },
  {
    file: "error-max-turns.jsonl",
    describe:
      "`--max-turns 1` while the model keeps calling Bash. The one tool call still runs; then the CLI stops with " +
      "result subtype `error_max_turns`, is_error true, no `result` text, `errors: [\"Reached maximum number of turns (1)\"]`, " +
      "num_turns 2, exit code 1.",
    async run({ fake, cwd, home }) {
      fake.setScript(always(bash("echo again >> loop.txt")));
      const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Loop forever.", maxTurns: 1 });
      assert.equal(r.code, 1);
      assert.equal(r.result?.subtype, "error_max_turns");
      assert.equal(fake.agentRequests().length, 1);
      return r;
    },
  },
  {
    file: "api-error.jsonl",
    describe:
      "Every agent request answered with HTTP 500 `api_error` (CLAUDE_CODE_MAX_RETRIES=0, so exactly one request). " +
      "A synthetic assistant message (model `<synthetic>`, `is_api_error_message: true`, `api_error_status: 500`) then a result " +
      "with subtype `success` (!) but is_error true, terminal_reason `api_error`, api_error_status 500, result \"API Error: 500 …\". Exit code 1.",
    async run({ fake, cwd, home }) {
      fake.setScript(always(apiError(500, "api_error", "Internal server error")));
      const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Do something." });
      assert.equal(r.code, 1);
      assert.equal(r.result?.is_error, true);
      assert.equal(r.result?.api_error_status, 500);
      assert.equal(fake.agentRequests().length, 1);
      return r;
    },
  },
  {
    file: "auth-error.jsonl",
    describe:
      "The fake was started with an apiKey the CLI does not send, so it answers 401 `authentication_error` " +
      "(message \"invalid x-api-key\", CLAUDE_CODE_MAX_RETRIES=0). Result subtype `success` but is_error true, api_error_status 401, " +
      "result \"Invalid API key · Fix external API key\" (other 401 messages give \"Failed to authenticate. API Error: 401 …\"). Exit code 1.",
    async run({ cwd, home }) {
      const fake = await startFakeAnthropic({ apiKey: "sk-ant-the-right-key" });
      try {
        const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Do something." });
        assert.equal(r.code, 1);
        assert.equal(r.result?.api_error_status, 401);
        return { ...r, stdout: r.stdout.split(new URL(fake.url).host).join(PLACEHOLDER_HOST) };
      } finally {
        await fake.close();
      }
    },
  },
  {
    file: "huge-final-text.jsonl",
    describe: `Success whose final assistant text is ${HUGE_TEXT.length} characters (1600 lines); it appears whole both in the assistant event and in result.result, each on one stdout line.`,
    async run({ fake, cwd, home }) {
      fake.setScript(sequence(text(HUGE_TEXT)));
      const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Write a lot." });
      assert.equal(r.result?.subtype, "success");
      assert.equal(r.result?.result, HUGE_TEXT);
      return r;
    },
  },
  {
    file: "resumed.jsonl",
    describe:
      "The SECOND run of a resume: a first run (Bash `echo hi > a.txt`, text) then `--resume <session_id>` in the same HOME and cwd " +
      "with a new prompt; the model Writes b.txt and answers. The session_id stays the same as the first run's; the first " +
      "agent request of this run carried the whole first conversation.",
    async run({ fake, cwd, home }) {
      fake.setScript(sequence(bash("echo hi > a.txt"), text("Created a.txt.")));
      const first = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Create a.txt." });
      assert.equal(first.result?.subtype, "success");
      const before = fake.requests.length;
      fake.setScript(sequence(write(join(cwd, "b.txt"), "second\n"), text("Created b.txt as well.")));
      const r = await runClaude({ baseUrl: fake.url, cwd, home, prompt: "Now create b.txt.", resume: first.sessionId });
      assert.equal(r.result?.subtype, "success");
      assert.equal(r.sessionId, first.sessionId);
      const resumedReq = fake.requests.slice(before).find((q) => q.kind === "agent");
      assert.ok(JSON.stringify(resumedReq?.body.messages).includes("Created a.txt."));
      assert.equal(readFileSync(join(cwd, "b.txt"), "utf8"), "second\n");
      return r;
    },
  },
];

function cliVersion(): string {
  return execFileSync(CLAUDE_BIN, ["--version"], { encoding: "utf8" }).replace("(Claude Code)", "").trim();
}

function readme(version: string): string {
  const lines = [
    "# stream-json fixtures",
    "",
    `Real stdout of \`claude -p --output-format stream-json --verbose --dangerously-skip-permissions\` (Claude Code **${version}**),`,
    "recorded against the scripted fake Anthropic API in `test/support/fake-anthropic/`.",
    "",
    "Regenerate (e.g. after upgrading the CLI) with:",
    "",
    "```sh",
    "npx node test/support/fake-anthropic/record-fixtures.ts",
    "```",
    "",
    "That script also rewrites this README. Volatile values are normalised: the temp checkout is",
    `\`${PLACEHOLDER_CWD}\` (and \`${projectDirName(PLACEHOLDER_CWD)}\` in project-dir form), the temp HOME is \`${PLACEHOLDER_HOME}\`,`,
    `the fake server is \`${PLACEHOLDER_HOST}\`. Session ids, uuids, message/tool ids, timestamps and durations are left as recorded.`,
    "",
    "Env for every run: ANTHROPIC_API_KEY (fake), ANTHROPIC_BASE_URL (the fake), HOME (temp), IS_SANDBOX=1,",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, DISABLE_AUTOUPDATER=1, CLAUDE_CODE_MAX_RETRIES=0, CLAUDE_CODE_TMPDIR=$HOME/tmp, PATH",
    "(plus the per-fixture env named below); the prompt is on stdin",
    "and cwd is a fresh one-commit git checkout. The default model is `claude-opus-5-5`.",
    "",
    "The todo tool: in -p mode with the default model this CLI offers NO todo tool. CLAUDE_CODE_ENABLE_TODO_TOOLS=1 adds",
    "TaskCreate/TaskGet/TaskList/TaskUpdate; with CLAUDE_CODE_ENABLE_TASKS=0 as well you get the classic TodoWrite instead.",
    "Either way they are *deferred* tools (named in a system message, schema loaded with ToolSearch `select:<name>`).",
    "",
    "Things to know when parsing (true of all fixtures):",
    "",
    "- The first line is `{\"type\":\"system\",\"subtype\":\"init\",…}` (cwd, session_id, tools, model, claude_code_version…).",
    "- The last line is the result event, but `\"type\":\"result\"` is usually NOT its first key (it starts with",
    "  `{\"duration_api_ms\":…`): parse each line as JSON, never prefix-match. Only early failures (e.g. `--resume` of an",
    "  unknown session → subtype `error_during_execution`) print a result line that starts with `{\"type\":\"result\"`.",
    "- An assistant message with several content blocks is printed as one `assistant` event per block, all with the same",
    "  `message.id`. In these events `message.stop_reason` is null and `message.usage.output_tokens` is the streaming",
    "  placeholder; the real totals are in the result's `usage` / `modelUsage` / `total_cost_usd`.",
    "- Tool results come back as `user` events with a `tool_use_result` field holding the structured result",
    "  (TodoWrite: `{oldTodos,newTodos}`, TaskCreate: `{task:{id,subject,description}}`, Write: `{type:\"create\",filePath,content,…}`…).",
    "- `result.subtype` is `success` even for API errors; look at `is_error`, `terminal_reason` (`completed` | `max_turns` |",
    "  `api_error`) and `api_error_status`. error_max_turns results have `errors` and no `result` text.",
    "- A resumed run keeps the same session_id and prints only its own events (the earlier conversation is not replayed);",
    "  its num_turns counts only the new turns.",
    "",
    "| file | what happened |",
    "| --- | --- |",
    ...scenarios.map((s) => `| \`${s.file}\` | ${s.describe.replace(/\|/g, "\\|")} |`),
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  mkdirSync(OUT_DIR, { recursive: true });
  const version = cliVersion();
  process.stdout.write(`Recording with ${version}\n`);
  let failed = 0;
  for (const scenario of scenarios) {
    if (only.length > 0 && !only.includes(scenario.file)) continue;
    const fake = await startFakeAnthropic();
    const ctx: Ctx = { fake, cwd: makeCheckout("fake-anthropic-fixture-"), home: tempDir("fake-anthropic-home-") };
    try {
      const r = await scenario.run(ctx);
      assert.ok(r.result, "no result line");
      assert.equal(r.timedOut, false, "CLI timed out");
      writeFileSync(join(OUT_DIR, scenario.file), normalize(r.stdout, ctx));
      process.stdout.write(`  ok  ${scenario.file} (${r.events.length} lines, exit ${r.code}, ${r.durationMs} ms)\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`  FAIL ${scenario.file}: ${err instanceof Error ? err.stack : String(err)}\n`);
    } finally {
      await fake.close();
      removeDirs(ctx.cwd, ctx.home);
    }
  }
  if (only.length === 0 || !existsSync(join(OUT_DIR, "README.md"))) {
    writeFileSync(join(OUT_DIR, "README.md"), readme(version));
  }
  if (failed > 0) process.exitCode = 1;
}

if (import.meta.main) await main();
