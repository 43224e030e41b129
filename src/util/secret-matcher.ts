/**
 * Finds secrets in text: every known value and its common encodings, and text shaped like a
 * credential. One matcher behind every redactor (the log stream, a run's comments and report,
 * the dashboard and API) and behind the check that refuses to push a change holding a secret.
 *
 * - Known values are searched as themselves, reversed, as hex (either case), and as base64 and
 *   base64url at each of the three byte offsets a value can start at inside a longer encoded
 *   stream (only the characters that depend on the value alone), all in one Aho–Corasick pass:
 *   linear in the text, whatever the number of secrets.
 * - Shapes: GitHub tokens (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), Anthropic keys (sk-ant-), the model
 *   gateway's run tokens (csbgw_), AWS access key ids (AKIA/ASIA), E2B keys, PEM private key blocks; for display also bearer/token
 *   headers and passwords in URLs. Every regex is a literal prefix and bounded classes, so each
 *   costs a bounded amount per position; PEM blocks are found with one forward scan.
 *
 * What this cannot find: a value encoded any other way (gzip, rot13, split in pieces, spelt out,
 * XOR, a custom alphabet…). A determined agent that holds a secret can always get it past a
 * pattern check; the defence against that is not giving the agent the secret. Pure.
 */

export const REDACTED = "***";
/** Very short values would redact ordinary words; real keys and tokens are long. */
export const MIN_SECRET_LENGTH = 8;

export interface Finding {
  start: number;
  end: number;
  /** What was found, for a message: "a known secret (base64)", "a GitHub token". Never the value. */
  what: string;
}

export type ShapeSet = "strict" | "display";

export interface SecretMatcher {
  /** Every secret and credential-shaped text replaced by `***`. */
  redact(text: string): string;
  /** The first secret in the text, or null. */
  find(text: string): Finding | null;
}

/** The forms of one secret searched for, each with its name. */
export function encodingsOf(secret: string): Array<[string, string]> {
  const bytes = Buffer.from(secret, "utf8");
  const forms: Array<[string, string]> = [
    [secret, "a known secret"],
    [[...secret].reverse().join(""), "a known secret (reversed)"],
    [bytes.toString("hex"), "a known secret (hex)"],
    [bytes.toString("hex").toUpperCase(), "a known secret (hex)"],
  ];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    // Character i of the encoding covers bits [6i, 6i+6); the value's bytes are bits [8·offset, 8·(offset+n)).
    const from = Math.ceil((8 * offset) / 6);
    const to = Math.floor((8 * (offset + bytes.length)) / 6);
    const b64 = shifted.toString("base64").slice(from, to);
    forms.push([b64, "a known secret (base64)"]);
    const url = b64.replace(/\+/g, "-").replace(/\//g, "_");
    if (url !== b64) forms.push([url, "a known secret (base64url)"]);
  }
  return forms.filter(([form]) => form.length >= MIN_SECRET_LENGTH);
}

interface Shape {
  pattern: RegExp;
  what: string;
  /** Which capture group is the secret (0: the whole match). */
  group: number;
}

const STRICT_SHAPES: Shape[] = [
  { pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})/g, what: "a GitHub token", group: 0 },
  { pattern: /\bsk-ant-[A-Za-z0-9_-]{8,255}/g, what: "an Anthropic key", group: 0 },
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, what: "an AWS access key id", group: 0 },
  { pattern: /\be2b_[A-Za-z0-9]{16,255}/g, what: "an E2B key", group: 0 },
  // The model gateway's run tokens (gateway/run-tokens.ts): whichever process logs one (Probot's
  // request log has the headers) hides it, whether or not that process issued it.
  { pattern: /\bcsbgw_[A-Za-z0-9_-]{43}/g, what: "a model gateway token", group: 0 },
];
const DISPLAY_SHAPES: Shape[] = [
  ...STRICT_SHAPES,
  { pattern: /\b(?:Bearer|token)[ \t]{1,16}([A-Za-z0-9._~+/=-]{16,4096})/dgi, what: "a bearer token", group: 1 },
  { pattern: /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@/]{1,256}:([^\s@/]{1,256})@/dgi, what: "a password in a URL", group: 1 },
];

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----/y;
/** A block longer than this is not one key: the BEGIN line and the key-like text after it go. */
const PEM_MAX = 64 * 1024;

/** Private key blocks, with one forward scan for END lines (each part of the text read a bounded number of times). */
function pemBlocks(text: string): Finding[] {
  const found: Finding[] = [];
  let nextEnd = -2; // -2: not looked for yet; -1: there is none
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m; m = PEM_BEGIN.exec(text)) {
    const start = m.index;
    let end = start + m[0].length;
    if (nextEnd !== -1 && nextEnd < end) nextEnd = text.indexOf("-----END ", end);
    let closed = false;
    if (nextEnd >= 0 && nextEnd - start <= PEM_MAX) {
      PEM_END.lastIndex = nextEnd;
      const close = PEM_END.exec(text);
      if (close) {
        end = nextEnd + close[0].length;
        closed = true;
      }
    }
    if (!closed) {
      // No END line near: the key-like characters that follow (a cut-off key) go too.
      const limit = Math.min(text.length, start + PEM_MAX);
      while (end < limit && /[A-Za-z0-9+/=\s:,-]/.test(text[end]!)) end++;
    }
    found.push({ start, end, what: "a private key" });
    PEM_BEGIN.lastIndex = end;
  }
  return found;
}

function shapeFindings(text: string, shapes: Shape[]): Finding[] {
  const found = pemBlocks(text);
  for (const { pattern, what, group } of shapes) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      const span = group === 0 ? ([m.index, m.index + m[0].length] as const) : m.indices?.[group];
      if (span) found.push({ start: span[0], end: span[1], what });
    }
  }
  return found;
}

/** Aho–Corasick over every form of every secret: one pass, the longest form ending at each position. */
function createAutomaton(forms: Array<[string, string]>) {
  const next: Array<Map<number, number>> = [new Map()];
  const depth: number[] = [0];
  const own: Array<number> = [-1];
  for (let f = 0; f < forms.length; f++) {
    const [form] = forms[f]!;
    let state = 0;
    for (let i = 0; i < form.length; i++) {
      const c = form.charCodeAt(i);
      let to = next[state]!.get(c);
      if (to === undefined) {
        to = next.length;
        next.push(new Map());
        depth.push(depth[state]! + 1);
        own.push(-1);
        next[state]!.set(c, to);
      }
      state = to;
    }
    if (own[state] === -1) own[state] = f;
  }
  const fail = new Int32Array(next.length);
  // best[s]: the longest form that ends in state s (its own, or along its fail links).
  const best = new Int32Array(next.length).fill(-1);
  const queue: number[] = [];
  for (const to of next[0]!.values()) queue.push(to);
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    best[s] = own[s]! >= 0 ? own[s]! : best[fail[s]!]!;
    for (const [c, to] of next[s]!) {
      let f = fail[s]!;
      while (f > 0 && !next[f]!.has(c)) f = fail[f]!;
      const target = next[f]!.get(c);
      fail[to] = target !== undefined && target !== to ? target : 0;
      queue.push(to);
    }
  }
  return (text: string, onMatch: (start: number, end: number, form: number) => boolean): void => {
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      while (s > 0 && !next[s]!.has(c)) s = fail[s]!;
      s = next[s]!.get(c) ?? 0;
      const f = best[s]!;
      if (f >= 0 && onMatch(i + 1 - forms[f]![0].length, i + 1, f)) return;
    }
  };
}

export function createSecretMatcher(secrets: Iterable<string | null | undefined>, shapeSet: ShapeSet = "display"): SecretMatcher {
  const values = [...new Set([...secrets].filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))];
  const forms = [...new Map(values.flatMap(encodingsOf)).entries()];
  const scan = forms.length > 0 ? createAutomaton(forms) : null;
  const shapes = shapeSet === "strict" ? STRICT_SHAPES : DISPLAY_SHAPES;

  const findings = (text: string, firstOnly: boolean): Finding[] => {
    const found: Finding[] = [];
    scan?.(text, (start, end, form) => {
      found.push({ start, end, what: forms[form]![1] });
      return firstOnly;
    });
    if (firstOnly && found.length > 0) return found;
    return [...found, ...shapeFindings(text, shapes)];
  };

  return {
    find(text) {
      const found = findings(text, true);
      return found.length === 0 ? null : found.reduce((a, b) => (b.start < a.start ? b : a));
    },
    redact(text) {
      const found = findings(text, false).sort((a, b) => a.start - b.start);
      if (found.length === 0) return text;
      let out = "";
      let at = 0;
      for (const { start, end } of found) {
        if (end <= at) continue;
        out += text.slice(at, Math.max(at, start)) + (start >= at ? REDACTED : "");
        at = end;
      }
      return out + text.slice(at);
    },
  };
}
