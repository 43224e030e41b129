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

function phrasePattern(phrase: string, flags: string): RegExp {
  // A mention is a whole word: "@bot" must not match "@bot-other" or "email@bot.com".
  return new RegExp(`(^|[^\\w@.-])${escapeRegExp(phrase)}(?![\\w-])`, flags);
}

export function mentions(body: string, phrase: string): boolean {
  return phrasePattern(phrase, "i").test(stripQuotedAndCode(body));
}

/** The request with the (first) mention removed: "@bot add docs" → "add docs". */
export function extractRequest(body: string, phrase: string): string {
  return body.replace(phrasePattern(phrase, "i"), "$1").trim();
}
