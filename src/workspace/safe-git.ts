/**
 * How the bot runs its own git, in a sandbox and on its own machine: nothing the agent could have
 * configured may run code. Hooks are only one way; git also runs commands named in its config
 * (core.fsmonitor, filters, diff drivers, gpg.program, credential helpers, core.sshCommand, …),
 * from the repository's .git/config, from files that config includes, from ~/.gitconfig and
 * /etc/gitconfig, and runs filters chosen by .gitattributes in the checkout.
 *
 * - Global and system config (and system attributes) are not read at all (the environment below).
 * - The repository's own config cannot be skipped, so every key of it that runs a command, or
 *   could make a command run, is overridden on the command line (`-c` beats every config file,
 *   included ones too).
 * - Filters are chosen per path by attributes with driver names of the agent's choosing, so the
 *   bot writes `* -filter` into $GIT_DIR/info/attributes (which beats every .gitattributes) for the
 *   duration of its command and puts the agent's own file back afterwards (sandboxGitPrelude).
 * - Diff drivers and textconv are off with --no-ext-diff --no-textconv on every diff and log.
 * - No transport but http(s) (and, on the bot's machine, the bundle file it imports).
 * - Replace refs are ignored, so what the bot reads is what the objects say.
 * Pure constants; the callers put them on their commands.
 */

export const SAFE_GIT_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["core.attributesFile", "/dev/null"],
  ["core.pager", "cat"],
  ["core.editor", "true"],
  ["core.askPass", "/bin/true"],
  ["core.sshCommand", "false"],
  // An empty value empties the list of helpers gathered so far.
  ["credential.helper", ""],
  ["commit.gpgSign", "false"],
  ["tag.gpgSign", "false"],
  ["push.gpgSign", "false"],
  ["log.showSignature", "false"],
  ["gpg.program", "false"],
  ["submodule.recurse", "false"],
  ["fetch.recurseSubmodules", "false"],
  ["protocol.allow", "never"],
  ["protocol.https.allow", "always"],
  ["protocol.http.allow", "always"],
  ["gc.auto", "0"],
  ["maintenance.auto", "false"],
];

/** The environment every bot git command runs with (on top of no prompt). */
export const SAFE_GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_ATTR_NOSYSTEM: "1",
  GIT_NO_REPLACE_OBJECTS: "1",
  GIT_PAGER: "cat",
  GIT_EDITOR: "true",
  GIT_TERMINAL_PROMPT: "0",
  GIT_ASKPASS: "/bin/true",
};

/** `--no-pager -c key=value …`: goes right after `git`. */
export function safeGitArgs(): string[] {
  return ["--no-pager", ...SAFE_GIT_CONFIG.flatMap(([key, value]) => ["-c", `${key}=${value}`])];
}

/** The same as a shell word list (every value is a constant without quotes or spaces). */
export function safeGitShellArgs(): string {
  return safeGitArgs()
    .map((arg) => `'${arg}'`)
    .join(" ");
}

/** What info/attributes holds while the bot's git runs: no path has a filter. */
export const NEUTRAL_ATTRIBUTES = "# claude-sandbox-bot: no filter runs while the bot runs git\n* -filter\n";

/**
 * Shell functions for a sandbox script: `g` is the bot's git; `neutralise` (call it once a
 * checkout exists) sets the attributes aside and writes the bot's; they come back when the script
 * exits, so the agent's own git keeps its filters (git-lfs, say). `g` also pins the work tree to
 * the script's directory (the sandbox's checkout): a core.worktree the agent set elsewhere would
 * have the bot's add, reset and clean work on another directory.
 */
export function sandboxGitPrelude(): string {
  if (NEUTRAL_ATTRIBUTES.includes("'")) throw new Error("NEUTRAL_ATTRIBUTES must not contain a quote");
  const env = Object.entries(SAFE_GIT_ENV)
    .map(([name, value]) => `${name}='${value}'`)
    .join(" ");
  return `set -u
export ${env}
g() { GIT_WORK_TREE="$PWD" git ${safeGitShellArgs()} "$@"; }
csb_attr=""
csb_restore() { if [ -n "$csb_attr" ]; then rm -f "$csb_attr"; if [ -e "$csb_attr.csb-agent" ] || [ -L "$csb_attr.csb-agent" ]; then mv -f "$csb_attr.csb-agent" "$csb_attr"; fi; fi; }
trap csb_restore EXIT
neutralise() {
  csb_attr=$(g rev-parse --git-path info/attributes 2>/dev/null) || { csb_attr=""; return 0; }
  mkdir -p "$(dirname "$csb_attr")" || return 1
  if [ -e "$csb_attr.csb-agent" ] || [ -L "$csb_attr.csb-agent" ]; then rm -f "$csb_attr"
  elif [ -e "$csb_attr" ] || [ -L "$csb_attr" ]; then mv -f "$csb_attr" "$csb_attr.csb-agent" || return 1
  fi
  printf '%s' '${NEUTRAL_ATTRIBUTES}' > "$csb_attr"
}
`;
}
