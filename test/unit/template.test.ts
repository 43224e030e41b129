import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Template } from "e2b";
import { describe, expect, it } from "vitest";
import { E2B_WORKDIR } from "../../src/sandbox/e2b.ts";
import {
  APT_PACKAGES,
  BASE_IMAGE,
  NODE_MAJOR,
  CLAUDE_CODE_VERSION,
  CPU_COUNT,
  DEFAULT_TEMPLATE_ALIAS,
  MEMORY_MB,
  template,
  VERIFY_TOOLS_SCRIPT,
} from "../../template/template.ts";

interface Step {
  type: string;
  args: string[];
}

/** The SDK's own serialization of the template: the request body `Template.build` sends, minus file hashes. */
async function serialized(): Promise<{ fromTemplate?: string; fromImage?: string; steps: Step[] }> {
  return JSON.parse(await Template.toJSON(template, false));
}

describe("E2B template", () => {
  it("has the alias and size the bot expects", () => {
    expect(DEFAULT_TEMPLATE_ALIAS).toBe("claude-sandbox-bot");
    expect(CPU_COUNT).toBe(2);
    expect(MEMORY_MB).toBe(4096);
  });

  it("builds on the official Node 24 image, not on a template whose contents we do not control", async () => {
    const built = await serialized();
    expect(NODE_MAJOR).toBe("24");
    expect(BASE_IMAGE).toBe("node:24");
    expect(built.fromImage).toBe("node:24");
    expect(built.fromTemplate).toBeUndefined();
  });

  it("installs setsid (util-linux) and ps (procps) for ending what the agent leaves running", async () => {
    expect(APT_PACKAGES).toEqual(expect.arrayContaining(["git", "util-linux", "procps"]));
    const apt = (await serialized()).steps.find((s) => s.type === "RUN" && s.args[0]?.includes("apt-get install"));
    expect(apt?.args[0]).toMatch(/\butil-linux\b/);
    expect(apt?.args[0]).toMatch(/\bprocps\b/);
  });

  it("installs git and CA certificates as root", async () => {
    const { steps } = await serialized();
    const apt = steps.find((s) => s.type === "RUN" && s.args[0]?.includes("apt-get install"));
    expect(apt?.args[0]).toMatch(/apt-get install .*\bgit\b/);
    expect(apt?.args[0]).toMatch(/\bca-certificates\b/);
    expect(apt?.args[1]).toBe("root");
  });

  it("installs the pinned Claude Code globally and disables its auto-updater", async () => {
    const runs = (await serialized()).steps.filter((s) => s.type === "RUN").map((s) => s.args[0]);
    expect(runs).toContain(`npm install -g @anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`);
    expect(runs.some((cmd) => cmd?.includes("DISABLE_AUTOUPDATER=1") && cmd.includes("/etc/profile.d/"))).toBe(true);
  });

  it("pins the CLI version the test suite runs against", () => {
    const installed = JSON.parse(readFileSync("node_modules/@anthropic-ai/claude-code/package.json", "utf8")).version;
    expect(CLAUDE_CODE_VERSION, "bump CLAUDE_CODE_VERSION with the devDependency, then npm run template:build").toBe(installed);
  });

  it("ends as `user` in the provider's workdir, after creating it and checking the tools as that user", async () => {
    const { steps } = await serialized();
    const lastUser = steps.findLastIndex((s) => s.type === "USER");
    expect(steps[lastUser]?.args).toEqual(["user"]);
    const after = steps.slice(lastUser + 1);
    expect(after.map((s) => s.args[0])).toContain(`mkdir -p ${E2B_WORKDIR}`);
    expect(after.some((s) => s.type === "RUN" && s.args[0]?.startsWith("bash -lc ") && s.args[0].includes("claude --version"))).toBe(true);
    expect(steps.at(-1)).toMatchObject({ type: "WORKDIR", args: [E2B_WORKDIR] });
  });

  describe("the tool check", () => {
    function check(claudeVersionOutput: string, nodeVersionOutput = `v${NODE_MAJOR}.11.0`) {
      const bin = mkdtempSync(join(tmpdir(), "fake-claude-"));
      writeFileSync(join(bin, "claude"), `#!/bin/sh\necho '${claudeVersionOutput}'\n`);
      chmodSync(join(bin, "claude"), 0o755);
      writeFileSync(join(bin, "node"), `#!/bin/sh\necho '${nodeVersionOutput}'\n`);
      chmodSync(join(bin, "node"), 0o755);
      // Not a login shell here: the host's profile would reset PATH and hide the fake claude.
      return spawnSync("bash", ["-c", VERIFY_TOOLS_SCRIPT], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` },
      });
    }

    it("passes when the pinned claude is first on PATH", () => {
      const result = check(`${CLAUDE_CODE_VERSION} (Claude Code)`);
      expect(result.status, result.stderr).toBe(0);
    });

    it("fails the build when the node on PATH is not Node 24", () => {
      const result = check(`${CLAUDE_CODE_VERSION} (Claude Code)`, "v20.19.0");
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(`expected Node ${NODE_MAJOR} on PATH, found: v20.19.0`);
    });

    it("checks that setsid is there", () => {
      expect(VERIFY_TOOLS_SCRIPT).toContain("command -v setsid");
    });

    it("fails the build when another claude shadows it", () => {
      const result = check("1.0.0 (Claude Code)");
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(`expected Claude Code ${CLAUDE_CODE_VERSION}`);
    });
  });
});
