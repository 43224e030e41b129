/**
 * User-written text is untrusted. Before it reaches the prompt, drop what a reader of the issue on
 * GitHub would not see but the model would: HTML comments, invisible and bidi-control characters,
 * and image alt text (a favourite place to hide instructions).
 */

// Zero-width, bidi embeddings/overrides/isolates, word joiner, BOM, soft hyphen, tag characters.
const INVISIBLE = /[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/gu;

export function sanitizeUserText(text: string): string {
  return text
    .replace(/<!--[\s\S]*?(-->|$)/g, "")
    .replace(INVISIBLE, "")
    // ![alt](url) and <img alt="…">: the picture stays, its alt text goes.
    .replace(/!\[[^\]]*\]\(/g, "![image](")
    .replace(/<img\b[^>]*>/gi, (tag) => tag.replace(/\s(?:alt|title)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, ""))
    .replace(/\r\n/g, "\n")
    .trim();
}
