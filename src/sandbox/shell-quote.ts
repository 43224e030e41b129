/**
 * E2B runs every command as `bash -l -c <string>`, while our Sandbox contract takes argv. These
 * helpers turn argv into a shell line in which no argument is ever interpreted by the shell.
 */

/** Single quotes keep everything literal except `'` itself, which becomes `'\''`. */
export function shellQuote(arg: string): string {
  // A NUL byte cannot be passed in any argv; failing here beats a silently truncated argument.
  if (arg.includes("\0")) throw new Error("a command argument cannot contain a NUL byte");
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * One shell line that runs argv, optionally with stdin from a file. `exec` replaces the wrapping
 * shell, so the pid E2B reports (and kills on abort) is the command itself, and the line behaves
 * like a spawn without a shell: builtins, aliases and functions are not available.
 */
export function toShellCommand(argv: readonly string[], stdinFile?: string): string {
  if (argv.length === 0) throw new Error("cannot run an empty argv");
  const line = `exec ${argv.map(shellQuote).join(" ")}`;
  return stdinFile === undefined ? line : `${line} < ${shellQuote(stdinFile)}`;
}
