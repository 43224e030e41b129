import { marked, type Token, type Tokens } from "marked";

/** Finding the trigger phrase in a comment and taking the request out of it. */

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** GitHub's own maximum body; a longer text is read only this far. */
export const MENTION_SCAN_MAX_CHARS = 65_536;

/** Tokens whose text is not addressed to the bot: code (fenced, indented, inline), HTML (comments included) and quotes. */
const SILENT = new Set(["code", "codespan", "html", "blockquote"]);

/** The text GitHub would render as prose, read by marked's GFM lexer (as GitHub renders it, not by regexes). */
export function proseOf(body: string): string {
  const out: string[] = [];
  const walk = (tokens: readonly Token[]): void => {
    for (const token of tokens) {
      if (SILENT.has(token.type)) {
        out.push(" ");
        continue;
      }
      const children = (token as { tokens?: Token[] }).tokens;
      const items = (token as { items?: Array<{ tokens: Token[] }> }).items;
      if (items) for (const item of items) walk(item.tokens), out.push("\n");
      else if (token.type === "table") {
        const table = token as Tokens.Table;
        for (const cell of [...table.header, ...table.rows.flat()]) walk(cell.tokens), out.push(" ");
      } else if (children && children.length > 0) walk(children);
      else if ("text" in token && typeof token.text === "string") out.push(token.text);
      else out.push(token.raw);
      if (token.type !== "text" && token.type !== "strong" && token.type !== "em" && token.type !== "link" && token.type !== "del" && token.type !== "escape") out.push("\n");
    }
  };
  walk(marked.lexer(body.slice(0, MENTION_SCAN_MAX_CHARS), { gfm: true }));
  return out.join("");
}

// One pattern per phrase (the deployment's and a few repositories' own): compiled once. No "g"
// flag, so a pattern keeps no state between uses.
const patterns = new Map<string, RegExp>();

function phrasePattern(phrase: string): RegExp {
  let pattern = patterns.get(phrase);
  if (!pattern) {
    // A mention is a whole word: "@bot" must not match "@bot-other" or "email@bot.com".
    pattern = new RegExp(`(^|[^\\w@.-])${escapeRegExp(phrase)}(?![\\w-])`, "i");
    if (patterns.size > 1000) patterns.clear();
    patterns.set(phrase, pattern);
  }
  return pattern;
}

export function mentions(body: string, phrase: string): boolean {
  return phrasePattern(phrase).test(proseOf(body));
}

/** The request with the (first) mention removed: "@bot add docs" → "add docs". */
export function extractRequest(body: string, phrase: string): string {
  return body.replace(phrasePattern(phrase), "$1").trim();
}
