/**
 * Metering one Messages API response as it streams past the gateway.
 *
 * The meter is fed the response body chunk by chunk, in step with the bytes going to the
 * client; it never holds a whole streamed response. For SSE it keeps at most one line
 * (capped: a longer line is skipped, which is safe because usage only travels in the short
 * message_start / message_delta lines), and only JSON-parses the data lines of those two
 * events. A non-streaming JSON answer is held up to a cap so its `usage` can be read; a
 * longer one is reported with complete: false.
 *
 * Semantics (Anthropic streaming docs): message_start.message.usage has the input and cache
 * figures and a provisional output_tokens; message_delta.usage is cumulative, so each figure it
 * carries replaces the earlier one.
 */
import { StringDecoder } from "node:string_decoder";
import { costUsd } from "./prices.ts";

export interface RequestUsage {
  /** The model the response names (message_start.message.model / the JSON body's model). */
  model: string | undefined;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheCreation5mInputTokens: number | undefined;
  cacheCreation1hInputTokens: number | undefined;
  cacheReadInputTokens: number;
  /** USD from the price table (0 when no model was seen). */
  usd: number;
  /** False when the model is not in the price table (it was charged at the highest rates). */
  priceKnown: boolean;
  /** True when the response carried its final usage (SSE: a message_delta; JSON: a usage object). */
  complete: boolean;
  /** The error type of an error answer or an SSE `error` event. */
  errorType: string | undefined;
}

export interface UsageMeter {
  write(chunk: Buffer | string): void;
  /** Call once the body has ended (or was cut off); returns what was seen. */
  end(): RequestUsage;
}

export const DEFAULT_LINE_CAP = 256 * 1024;
export const DEFAULT_JSON_CAP = 8 * 1024 * 1024;

/** What a response says, before pricing. */
type Counts = Omit<RequestUsage, "usd" | "priceKnown">;

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Take every figure a usage object carries; leave the others as they were. */
function applyUsage(c: Counts, usage: unknown): void {
  if (typeof usage !== "object" || usage === null) return;
  const u = usage as Record<string, unknown>;
  c.inputTokens = num(u.input_tokens) ?? c.inputTokens;
  c.outputTokens = num(u.output_tokens) ?? c.outputTokens;
  c.cacheCreationInputTokens = num(u.cache_creation_input_tokens) ?? c.cacheCreationInputTokens;
  c.cacheReadInputTokens = num(u.cache_read_input_tokens) ?? c.cacheReadInputTokens;
  const split = u.cache_creation;
  if (typeof split === "object" && split !== null) {
    const s = split as Record<string, unknown>;
    c.cacheCreation5mInputTokens = num(s.ephemeral_5m_input_tokens) ?? c.cacheCreation5mInputTokens;
    c.cacheCreation1hInputTokens = num(s.ephemeral_1h_input_tokens) ?? c.cacheCreation1hInputTokens;
  }
}

function finish(c: Counts): RequestUsage {
  const { usd, known } =
    c.model === undefined ? { usd: 0, known: false } : costUsd(c.model, c);
  return { ...c, usd, priceKnown: known };
}

function fresh(): Counts {
  return {
    model: undefined,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationInputTokens: 0,
    cacheCreation5mInputTokens: undefined,
    cacheCreation1hInputTokens: undefined,
    cacheReadInputTokens: 0,
    complete: false,
    errorType: undefined,
  };
}

function parseJson(s: string): any {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Meter for a `text/event-stream` response. */
export function createSseMeter(opts: { lineCap?: number } = {}): UsageMeter {
  const lineCap = opts.lineCap ?? DEFAULT_LINE_CAP;
  const decoder = new StringDecoder("utf8");
  const c = fresh();
  let line = "";
  let skipping = false; // inside a line longer than the cap: drop until its end
  let event = "";
  let ended: RequestUsage | undefined;

  function onData(data: string): void {
    // Only the two usage-bearing events (and errors) are parsed; deltas are skipped unread.
    const name = event !== "" ? event : /"type"\s*:\s*"(message_start|message_delta|error)"/.exec(data)?.[1] ?? "";
    if (name !== "message_start" && name !== "message_delta" && name !== "error") return;
    const d = parseJson(data);
    if (typeof d !== "object" || d === null) return;
    if (d.type === "message_start") {
      if (typeof d.message?.model === "string") c.model = d.message.model;
      applyUsage(c, d.message?.usage);
    } else if (d.type === "message_delta") {
      applyUsage(c, d.usage);
      c.complete = true;
    } else if (d.type === "error") {
      c.errorType = typeof d.error?.type === "string" ? d.error.type : "error";
    }
  }

  function onLine(l: string): void {
    if (l.endsWith("\r")) l = l.slice(0, -1);
    if (l === "") {
      event = ""; // blank line ends an event
    } else if (l.startsWith("event:")) {
      event = l.slice(6).trim();
    } else if (l.startsWith("data:")) {
      onData(l.slice(5).replace(/^ /, ""));
    }
  }

  return {
    write(chunk) {
      let s = typeof chunk === "string" ? chunk : decoder.write(chunk);
      while (s.length > 0) {
        const nl = s.indexOf("\n");
        if (nl === -1) {
          if (!skipping) {
            line += s;
            if (line.length > lineCap) {
              line = "";
              skipping = true;
            }
          }
          return;
        }
        if (!skipping) onLine(line + s.slice(0, nl));
        line = "";
        skipping = false;
        s = s.slice(nl + 1);
      }
    },
    end() {
      if (ended) return ended;
      const rest = decoder.end();
      if (rest) this.write(rest);
      if (!skipping && line !== "") onLine(line);
      line = "";
      ended = finish(c);
      return ended;
    },
  };
}

/** Meter for an `application/json` response (non-streaming message or an error). */
export function createJsonMeter(opts: { cap?: number } = {}): UsageMeter {
  const cap = opts.cap ?? DEFAULT_JSON_CAP;
  const parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let ended: RequestUsage | undefined;
  return {
    write(chunk) {
      if (overflow) return;
      const b = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      size += b.length;
      if (size > cap) {
        overflow = true;
        parts.length = 0;
        return;
      }
      parts.push(b);
    },
    end() {
      if (ended) return ended;
      const c = fresh();
      const body = overflow ? undefined : parseJson(Buffer.concat(parts).toString("utf8"));
      parts.length = 0;
      if (typeof body === "object" && body !== null) {
        if (body.type === "error") {
          c.errorType = typeof body.error?.type === "string" ? body.error.type : "error";
        } else {
          if (typeof body.model === "string") c.model = body.model;
          if (typeof body.usage === "object" && body.usage !== null) {
            applyUsage(c, body.usage);
            c.complete = true;
          }
        }
      }
      ended = finish(c);
      return ended;
    },
  };
}

/** The meter for a response with this content-type. */
export function meterFor(contentType: string | undefined, opts: { lineCap?: number; jsonCap?: number } = {}): UsageMeter {
  return /text\/event-stream/i.test(contentType ?? "")
    ? createSseMeter({ lineCap: opts.lineCap })
    : createJsonMeter({ cap: opts.jsonCap });
}
