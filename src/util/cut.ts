/** The text, or its first maxChars − 1 characters and an ellipsis when it is longer. Pure. */
export function cut(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, Math.max(0, maxChars - 1))}…` : text;
}
