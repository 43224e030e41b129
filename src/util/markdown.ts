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
  if (clean.length > maxChars) clean = `${clean.slice(0, Math.max(0, maxChars - 1))}…`;
  const longest = Math.max(0, ...Array.from(clean.matchAll(/`+/g), (m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = longest > 0 || clean.startsWith("`") || clean.endsWith("`") ? " " : "";
  return `${ticks}${pad}${clean}${pad}${ticks}`;
}
