import { marked } from "marked";

/** The logins GitHub would link in the rendered markdown: an @name in text, not in code. */
export function liveMentions(markdown: string): string[] {
  const html = marked.parse(markdown, { async: false });
  const text = html.replace(/<code[^>]*>[\s\S]*?<\/code>/g, "").replace(/<[^>]+>/g, " ");
  return [...text.matchAll(/(?:^|[^A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9_.-]+)?)/g)].map((m) => m[1]!);
}
