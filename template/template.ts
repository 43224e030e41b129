/**
 * The E2B sandbox template every job runs in. Built with `npm run template:build` (build.ts);
 * see README.md for when to rebuild.
 */
import { Template } from "e2b";
import { E2B_WORKDIR } from "../src/sandbox/e2b.ts";
import { shellQuote } from "../src/sandbox/shell-quote.ts";

/** The name the bot creates sandboxes from unless E2B_TEMPLATE says otherwise. */
export const DEFAULT_TEMPLATE_ALIAS = "claude-sandbox-bot";
/**
 * The base is the official Node image at this major version (what E2B's own Claude Code example
 * starts from), not E2B's public `claude` template: we do not control what that one ships, and a
 * native `claude` on its PATH would shadow the pinned CLI. Everything else is added below.
 */
export const NODE_MAJOR = "24";
/** What the build log names as the base. */
export const BASE_IMAGE = `node:${NODE_MAJOR}`;
export const CPU_COUNT = 2;
export const MEMORY_MB = 4096;
/**
 * Pinned so every sandbox runs the CLI version our stream-json parsing was tested against
 * (the @anthropic-ai/claude-code devDependency); bump both together, then rebuild.
 */
export const CLAUDE_CODE_VERSION = "2.1.330";
/**
 * The runner needs these; the base image has most, listing them makes the template self-describing.
 * util-linux brings `setsid`, procps `ps`/`pkill`: both for ending what the agent left running.
 */
export const APT_PACKAGES = ["git", "ca-certificates", "bash", "coreutils", "util-linux", "procps"];

/** Run as the sandbox user in a login shell, exactly how E2B will run `claude` for a job. */
export const VERIFY_TOOLS_SCRIPT = [
  "git --version",
  "command -v setsid >/dev/null || { echo 'setsid is missing (util-linux)' >&2; exit 1; }",
  `case "$(node --version)" in v${NODE_MAJOR}.*) ;; *) echo "expected Node ${NODE_MAJOR} on PATH, found: $(node --version)" >&2; exit 1 ;; esac`,
  'v="$(claude --version)"',
  `case "$v" in "${CLAUDE_CODE_VERSION} "*) echo "claude $v" ;; *) echo "expected Claude Code ${CLAUDE_CODE_VERSION} on PATH, found: $v" >&2; exit 1 ;; esac`,
].join(" && ");

export const template = Template()
  .fromNodeImage(NODE_MAJOR)
  // aptInstall and npmInstall -g run as root by themselves.
  .aptInstall(APT_PACKAGES, { noInstallRecommends: true })
  .npmInstall(`@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`, { g: true })
  // E2B runs commands in a login shell, which reads /etc/profile.d: keeps the pinned CLI pinned.
  .runCmd("echo 'export DISABLE_AUTOUPDATER=1' > /etc/profile.d/claude-sandbox-bot.sh", { user: "root" })
  // The last user and workdir become the sandbox defaults; the provider assumes `user`.
  .setUser("user")
  .makeDir(E2B_WORKDIR)
  // Fails the build, rather than the first job, if another `claude` shadows the pinned one on PATH.
  .runCmd(`bash -lc ${shellQuote(VERIFY_TOOLS_SCRIPT)}`)
  .setWorkdir(E2B_WORKDIR);
