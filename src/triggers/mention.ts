/** Finding the trigger phrase in a comment and taking the request out of it. */

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Text inside code (fenced blocks, inline spans) and quoted lines is not addressed to the bot. */
function stripQuotedAndCode(body: string): string {
  return body
    .replace(/```[\s\S]*?(```|$)/g, " ")
    .replace(/`[^`\n]*`/g, " ")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith(">"))
    .join("\n");
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
  return phrasePattern(phrase).test(stripQuotedAndCode(body));
}

/** The request with the (first) mention removed: "@bot add docs" → "add docs". */
export function extractRequest(body: string, phrase: string): string {
  return body.replace(phrasePattern(phrase), "$1").trim();
}
