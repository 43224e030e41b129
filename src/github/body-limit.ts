/**
 * GitHub refuses issue, pull request, comment and review bodies over 65,536 characters (422).
 * Every body the bot sends goes through fitBody first: a longer one is cut, on a line boundary
 * where one is near, and ends with a note saying so. Pure.
 */

export const GITHUB_BODY_MAX_CHARS = 65_536;

export function truncationNote(omitted: number): string {
  return `\n\n… _(truncated: ${omitted.toLocaleString("en-US")} more characters did not fit GitHub's ${GITHUB_BODY_MAX_CHARS.toLocaleString("en-US")}-character limit; the full text is in the run's record on the dashboard and the run API)_`;
}

export function fitBody(body: string, max = GITHUB_BODY_MAX_CHARS): string {
  if (body.length <= max) return body;
  // The note's length depends on the number it names; reserve room for the largest.
  const room = max - truncationNote(body.length).length;
  let cut = Math.max(0, room);
  const newline = body.lastIndexOf("\n", cut);
  if (newline > cut - 2000 && newline > 0) cut = newline;
  // Do not split a UTF-16 surrogate pair.
  const code = body.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  let head = body.slice(0, cut);
  // A cut inside a ``` block would leave it open and swallow the note: close it.
  if ((head.match(/^```/gm)?.length ?? 0) % 2 === 1) head += "\n```";
  return head + truncationNote(body.length - cut);
}
