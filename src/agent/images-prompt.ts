import type { ThreadContext } from "../github/thread-context.ts";

/**
 * The prompt's note on the thread's pictures: where the bot put them (outside the checkout) and
 * which it left out. Alt text is not repeated: sanitize.ts drops it from the conversation (a place
 * to hide instructions), and the files are named by where they appear instead. Pure.
 */
export function imagesSection(context: ThreadContext): string {
  const images = context.images;
  if (!images || (images.placed.length === 0 && images.skipped.length === 0)) return "";
  const lines: string[] = [];
  if (images.placed.length > 0) {
    lines.push("The thread's images (shown as ![image](…) above) were downloaded for you, outside the checkout; look at them with the Read tool:");
    for (const p of images.placed) lines.push(`- ${p.path}: image ${p.nth} in ${p.from}`);
  }
  if (images.skipped.length > 0) {
    lines.push(`${images.skipped.length} image${images.skipped.length === 1 ? " was" : "s were"} not downloaded:`);
    for (const s of images.skipped) lines.push(`- one in ${s.from}: ${s.reason}`);
  }
  return `<images>\n${lines.join("\n")}\n</images>`;
}
