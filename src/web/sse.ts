/** Server-Sent Events framing. Pure. */

export interface SseMessage {
  event?: string;
  /** Serialised as JSON. */
  data: unknown;
  id?: string | number;
  /** Reconnection delay for the client, in ms. */
  retry?: number;
}

/** One SSE message: `event:`, `id:`, `retry:`, one `data:` line per line of the JSON, a blank line. */
export function formatSse(message: SseMessage): string {
  const lines: string[] = [];
  if (message.event) lines.push(`event: ${singleLine(message.event)}`);
  if (message.id !== undefined) lines.push(`id: ${singleLine(String(message.id))}`);
  if (message.retry !== undefined) lines.push(`retry: ${Math.max(0, Math.floor(message.retry))}`);
  const json = JSON.stringify(message.data ?? null);
  for (const line of json.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join("\n")}\n\n`;
}

/** A comment line: ignored by clients, keeps proxies from closing an idle stream. */
export function sseComment(text: string): string {
  return `: ${singleLine(text)}\n\n`;
}

const singleLine = (text: string) => text.replace(/[\r\n]+/g, " ");
