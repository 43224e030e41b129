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

/** How many occurrences of the phrase are tried for being the prose mention (each costs a lexer pass). */
const MAX_CANDIDATES = 20;
const SENTINEL = "csbmentionsentinel";

/**
 * The request with the mention removed: the first occurrence GitHub renders as prose (as
 * `mentions` reads it), not one in a quote or in code: "> @bot old\n@bot add docs" → "> @bot
 * old\nadd docs". A mention opening the text takes its punctuation along ("@bot, add docs" →
 * "add docs"). With no prose mention, the first occurrence goes.
 */
export function extractRequest(body: string, phrase: string): string {
  const global = new RegExp(phrasePattern(phrase).source, "gi");
  const matches = [...body.slice(0, MENTION_SCAN_MAX_CHARS).matchAll(global)].slice(0, MAX_CANDIDATES);
  const spoken = matches.find((m) => proseOf(spliceMention(body, m, ` ${SENTINEL} `)).includes(SENTINEL)) ?? matches[0];
  if (!spoken) return body.trim();
  const before = body.slice(0, spoken.index) + spoken[1]!;
  const rest = body.slice(spoken.index + spoken[0].length);
  // A mention opening the text takes its punctuation along; elsewhere the words around it stay as they are.
  const after = before.trim() === "" ? rest.replace(/^\s*[,:;]/, "") : rest;
  return (before + after).trim();
}

function spliceMention(body: string, m: RegExpExecArray | RegExpMatchArray, replacement: string): string {
  return body.slice(0, m.index) + m[1] + replacement + body.slice(m.index! + m[0].length);
}
