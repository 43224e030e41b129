import { cut } from "./cut.ts";

/**
 * Text from outside (file names, YAML, logs) placed in the bot's comments without being read as
 * markdown: no way out of its code span or fence, so an @mention, a heading or HTML in it stays
 * inert. Pure.
 */

/** A code fence longer than any run of backticks inside the text, so the text cannot close it. */
export function fence(text: string, lang = ""): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

/**
 * Inline code that survives backticks in the text. Line breaks and other control characters
 * become spaces (a blank line would end the span's paragraph); past maxChars the text is cut with
 * an ellipsis.
 */
export function inlineCode(text: string, options: { maxChars?: number } = {}): string {
  const maxChars = options.maxChars ?? Infinity;
  // eslint-disable-next-line no-control-regex
  let clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ");
  clean = cut(clean, maxChars);
  const longest = Math.max(0, ...Array.from(clean.matchAll(/`+/g), (m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = longest > 0 || clean.startsWith("`") || clean.endsWith("`") ? " " : "";
  return `${ticks}${pad}${clean}${pad}${ticks}`;
}

/** The agent's words on one line of their own, at most maxChars, their @mentions inert (progress steps, todo items). */
export function agentLine(text: string, maxChars: number): string {
  return inertMentions(cut(text.replace(/\s+/g, " ").trim(), maxChars));
}

/** Where GitHub would see a mention: @ after a start or a non-word character, then a login or org/team. */
const MENTION = /(^|[^A-Za-z0-9_`/.\-])@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9_.-]+)?)/g;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

/**
 * The agent's prose as the bot posts it (a PR body, a review, a plan): every @mention outside code
 * gets a zero-width space after its @, so GitHub neither links nor notifies it — a prompt-injected
 * agent cannot page a team through the bot. Fenced code blocks and code spans are left as they
 * are (mentions do not notify there, and code must stay copyable). E-mail addresses stay whole.
 */
export function inertMentions(markdown: string): string {
  let open: string | null = null;
  return markdown
    .split("\n")
    .map((line) => {
      const fenceMark = FENCE_OPEN.exec(line)?.[1];
      if (open) {
        if (fenceMark && fenceMark[0] === open[0] && fenceMark.length >= open.length && line.trim() === fenceMark) open = null;
        return line;
      }
      if (fenceMark) {
        open = fenceMark;
        return line;
      }
      return outsideCodeSpans(line, (prose) => prose.replace(MENTION, "$1@\u200b$2"));
    })
    .join("\n");
}

/**
 * Applies f to the parts of a line outside its code spans (a run of n backticks closed by the next
 * run of exactly n). Linear in the line: each run length's later runs are walked once.
 */
function outsideCodeSpans(line: string, f: (prose: string) => string): string {
  const runs = [...line.matchAll(/`+/g)].map((m) => ({ at: m.index, length: m[0].length }));
  const byLength = new Map<number, number[]>();
  runs.forEach((run, i) => {
    const list = byLength.get(run.length);
    if (list) list.push(i);
    else byLength.set(run.length, [i]);
  });
  const next = new Map<number, number>(); // per length: where in its list to look from
  let out = "";
  let from = 0;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    if (run.at < from) continue;
    const same = byLength.get(run.length)!;
    let k = next.get(run.length) ?? 0;
    while (k < same.length && same[k]! <= i) k++;
    next.set(run.length, k);
    const close = k < same.length ? runs[same[k]!]! : null;
    if (!close) continue; // an unmatched run is literal text
    out += f(line.slice(from, run.at)) + line.slice(run.at, close.at + close.length);
    from = close.at + close.length;
  }
  return out + f(line.slice(from));
}
