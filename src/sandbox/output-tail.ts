/**
 * A command's output as the bot keeps it: the last `limit` characters, and how many were dropped
 * before them. A command may print gigabytes; the bot's memory must not follow.
 */

/** What a command result keeps of each stream (its last 64 KiB). */
export const OUTPUT_TAIL_CHARS = 64 * 1024;

export interface OutputTail {
  push(chunk: string): void;
  /** The kept tail, prefixed by a line saying how much was dropped (when anything was). */
  text(): string;
  readonly droppedChars: number;
}

export function createOutputTail(limit: number = OUTPUT_TAIL_CHARS): OutputTail {
  let kept = "";
  let dropped = 0;
  return {
    push(chunk) {
      if (chunk.length >= limit) {
        dropped += kept.length + chunk.length - limit;
        kept = chunk.slice(chunk.length - limit);
        return;
      }
      kept += chunk;
      // Trim in batches (at twice the limit) so each chunk does not copy the whole tail.
      if (kept.length > 2 * limit) {
        dropped += kept.length - limit;
        kept = kept.slice(kept.length - limit);
      }
    },
    text() {
      const over = kept.length > limit ? kept.length - limit : 0;
      const total = dropped + over;
      const tail = over ? kept.slice(over) : kept;
      return total > 0 ? `[sandbox] ${total} characters of earlier output dropped; the last ${tail.length} follow\n${tail}` : tail;
    },
    get droppedChars() {
      return dropped + (kept.length > limit ? kept.length - limit : 0);
    },
  };
}

/** A command result from its two tails; droppedChars only when something was dropped. */
export function commandResult(exitCode: number, stdout: OutputTail, stderr: OutputTail): { exitCode: number; stdout: string; stderr: string; droppedChars?: { stdout: number; stderr: number } } {
  const dropped = stdout.droppedChars + stderr.droppedChars;
  return { exitCode, stdout: stdout.text(), stderr: stderr.text(), ...(dropped > 0 ? { droppedChars: { stdout: stdout.droppedChars, stderr: stderr.droppedChars } } : {}) };
}
