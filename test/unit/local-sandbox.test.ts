import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createLocalProvider } from "../../src/sandbox/local.ts";

describe("local sandbox provider", () => {
  const root = mkdtempSync(join(tmpdir(), "csb-local-"));
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(line) });
  const provider = createLocalProvider({ root, log });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("warns loudly that nothing is isolated", () => {
    expect(warnings.join("")).toMatch(/NOTHING IS ISOLATED/);
  });

  it("gives each sandbox its own directory and HOME, and a clean environment", async () => {
    process.env.CSB_TEST_SECRET = "must-not-leak";
    const a = await provider.create({ metadata: { thread: "a" }, timeoutMs: 1000 });
    const b = await provider.create({ metadata: { thread: "b" }, timeoutMs: 1000 });
    expect(a.workdir).not.toBe(b.workdir);
    const env = await a.run(["sh", "-c", "echo $HOME; pwd; echo ${CSB_TEST_SECRET:-unset}; echo $ONLY_HERE"], { env: { ONLY_HERE: "per-command" } });
    expect(env.stdout.trim().split("\n")).toEqual([a.homeDir, a.workdir, "unset", "per-command"]);
    delete process.env.CSB_TEST_SECRET;
    await a.kill();
    await b.kill();
    expect(existsSync(a.workdir)).toBe(false);
  });

  it("keeps stdin open with onStdin: each write reaches the running command, end() is its EOF", async () => {
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const chunks: string[] = [];
    let stdin: import("../../src/sandbox/types.ts").StdinWriter | undefined;
    // The second line is written only after the first one's echo: the pipe is really open between them.
    const done = box.run(["sh", "-c", "while read -r line; do echo \"got $line\"; done; echo eof"], {
      onStdin: (s) => {
        stdin = s;
        void s.write("one\n");
      },
      onStdout: (c) => {
        chunks.push(c);
        if (chunks.join("").includes("got one") && !chunks.join("").includes("got two")) void stdin?.write("two\n").then(() => stdin?.end());
      },
    });
    const result = await done;
    expect(result).toMatchObject({ exitCode: 0, stdout: "got one\ngot two\neof\n" });
    await stdin?.write("after the end\n");
    await box.kill();
  });

  it("passes stdin from a file, streams stdout, and reports exit codes without throwing", async () => {
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    await box.writeFile(`${box.homeDir}/in/prompt.txt`, "it's $(not) `run`\n");
    const chunks: string[] = [];
    const cat = await box.run(["cat"], { stdinFile: `${box.homeDir}/in/prompt.txt`, onStdout: (c) => chunks.push(c) });
    expect(cat).toMatchObject({ exitCode: 0, stdout: "it's $(not) `run`\n" });
    expect(chunks.join("")).toBe(cat.stdout);
    expect((await box.run(["sh", "-c", "echo oops >&2; exit 3"])).exitCode).toBe(3);
    expect((await box.run(["definitely-not-a-command-xyz"])).exitCode).toBe(127);
    expect(await box.readFile(`${box.homeDir}/missing`)).toBeNull();
    await box.kill();
  });

  it("kills the whole process group on timeout and on abort", async () => {
    const box = await provider.create({ metadata: {}, timeoutMs: 60_000 });
    const started = Date.now();
    const timedOut = await box.run(["sh", "-c", "sleep 30 & sleep 30; echo never"], { timeoutMs: 300 });
    expect(timedOut.exitCode).not.toBe(0);
    expect(timedOut.stderr).toMatch(/timed out/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const aborted = await box.run(["sleep", "30"], { signal: controller.signal });
    expect(aborted.exitCode).not.toBe(0);
    expect(aborted.stderr).toMatch(/canceled/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await box.kill();
  });
});
