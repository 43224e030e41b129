import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { costUsd, normaliseModelId, priceFor, PRICES, UNKNOWN_MODEL_PRICE } from "../../src/gateway/prices.ts";
import { createJsonMeter, createSseMeter, meterFor } from "../../src/gateway/usage.ts";
import { buildMessage, formatSse, messageToSseEvents, type Message } from "../support/fake-anthropic/sse.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/stream-json");

/** A streamed Message as the fake Anthropic sends it, with cache figures filled in. */
function message(model: string, usage: Partial<Message["usage"]> & { cache_creation?: Record<string, number> }, text = "Hello, world. ✓ — ünïcödé"): Message {
  const m = buildMessage({ content: [{ type: "text", text }] }, model, { messages: [] });
  return { ...m, usage: { ...m.usage, ...usage } } as Message;
}

function sse(m: Message, chunkSize = 512): string {
  return messageToSseEvents(m, chunkSize).map(formatSse).join("");
}

/** Feed a string in pieces of `size` bytes (splitting UTF-8 sequences and lines). */
function feed(meter: ReturnType<typeof createSseMeter>, body: string, size: number) {
  const bytes = Buffer.from(body, "utf8");
  for (let i = 0; i < bytes.length; i += size) meter.write(bytes.subarray(i, i + size));
  return meter.end();
}

describe("SSE metering", () => {
  const usage = { input_tokens: 1200, output_tokens: 345, cache_creation_input_tokens: 5000, cache_read_input_tokens: 40_000 };

  it.each([1, 3, 7, 64, 100_000])("reads model, input, output and cache tokens fed %i bytes at a time", (size) => {
    const u = feed(createSseMeter(), sse(message("claude-sonnet-4-5-20250929", usage)), size);
    expect(u).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      inputTokens: 1200,
      outputTokens: 345,
      cacheCreationInputTokens: 5000,
      cacheReadInputTokens: 40_000,
      complete: true,
      priceKnown: true,
      errorType: undefined,
    });
    // Sonnet 4.5: $3 in, $15 out, cache read $0.30, unsplit cache writes at the 1h rate $6.
    expect(u.usd).toBeCloseTo((1200 * 3 + 345 * 15 + 5000 * 6 + 40_000 * 0.3) / 1e6, 12);
  });

  it("takes output_tokens from message_delta, not the provisional 1 of message_start", () => {
    const body = sse(message("claude-opus-5-5", { input_tokens: 10, output_tokens: 999 }));
    expect(body).toContain('"output_tokens":1'); // message_start's provisional figure
    expect(feed(createSseMeter(), body, 5).outputTokens).toBe(999);
  });

  it("uses the 5m/1h cache-write split when the usage carries one", () => {
    const m = message("claude-opus-5", {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
    });
    const u = feed(createSseMeter(), sse(m), 11);
    expect(u.cacheCreation5mInputTokens).toBe(1000);
    expect(u.cacheCreation1hInputTokens).toBe(2000);
    expect(u.usd).toBeCloseTo((1000 * 6.25 + 2000 * 10) / 1e6, 12);
  });

  it("handles CRLF line ends and data lines without an event line", () => {
    const m = message("claude-haiku-4-5", { input_tokens: 100, output_tokens: 20 });
    const body = messageToSseEvents(m)
      .map((e) => `data: ${JSON.stringify(e.data)}\r\n\r\n`)
      .join("");
    const u = feed(createSseMeter(), body, 9);
    expect(u).toMatchObject({ model: "claude-haiku-4-5", inputTokens: 100, outputTokens: 20, complete: true });
  });

  it("skips a line over the cap without losing the usage after it", () => {
    const m = message("claude-sonnet-5", { input_tokens: 7, output_tokens: 8 }, "x".repeat(200_000));
    const u = feed(createSseMeter({ lineCap: 1024 }), sse(m, 1_000_000), 4096);
    expect(u).toMatchObject({ inputTokens: 7, outputTokens: 8, complete: true });
  });

  it("reports a stream cut off before message_delta as incomplete, with what it saw", () => {
    const body = sse(message("claude-opus-5-5", { input_tokens: 50, output_tokens: 60 }));
    const cut = body.slice(0, body.indexOf("event: message_delta"));
    const u = feed(createSseMeter(), cut, 13);
    expect(u).toMatchObject({ inputTokens: 50, outputTokens: 1, complete: false });
  });

  it("records an SSE error event", () => {
    const body = `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })}\n\n`;
    expect(feed(createSseMeter(), body, 4).errorType).toBe("overloaded_error");
  });
});

describe("JSON metering", () => {
  it("reads a non-streaming message's usage", () => {
    const m = message("claude-opus-4-5-20251101", { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 0 });
    const meter = meterFor("application/json");
    const body = Buffer.from(JSON.stringify(m));
    meter.write(body.subarray(0, 10));
    meter.write(body.subarray(10));
    const u = meter.end();
    expect(u).toMatchObject({ model: "claude-opus-4-5-20251101", inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 30, complete: true });
    expect(u.usd).toBeCloseTo((10 * 5 + 20 * 25 + 30 * 0.5) / 1e6, 12);
  });

  it("reads an error answer's type and charges nothing", () => {
    const meter = createJsonMeter();
    meter.write(JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }));
    expect(meter.end()).toMatchObject({ errorType: "rate_limit_error", usd: 0, complete: false });
  });

  it("gives up (complete: false) on a body over its cap instead of holding it", () => {
    const meter = createJsonMeter({ cap: 100 });
    meter.write(JSON.stringify(message("claude-opus-5", { input_tokens: 1, output_tokens: 1 }, "y".repeat(500))));
    expect(meter.end()).toMatchObject({ complete: false, model: undefined });
  });

  it("picks the meter by content type", () => {
    const m = message("claude-opus-5", { input_tokens: 3, output_tokens: 4 });
    const s = meterFor("text/event-stream; charset=utf-8");
    s.write(sse(m));
    expect(s.end()).toMatchObject({ inputTokens: 3, outputTokens: 4, complete: true });
  });
});

describe("price table", () => {
  it("resolves dated, suffixed and prefixed ids to the longest matching key", () => {
    expect(priceFor("claude-sonnet-4-5-20250929").key).toBe("claude-sonnet-4-5");
    expect(priceFor("claude-sonnet-4-20250514").key).toBe("claude-sonnet-4");
    expect(priceFor("claude-sonnet-4-5[1m]").key).toBe("claude-sonnet-4-5");
    expect(priceFor("claude-opus-5-5").key).toBe("claude-opus-5-5");
    expect(priceFor("claude-opus-5").key).toBe("claude-opus-5");
    expect(priceFor("us.anthropic.claude-haiku-4-5-20251001-v1:0").key).toBe("claude-haiku-4-5");
    expect(normaliseModelId("Claude-Opus-4-1-20250805")).toBe("claude-opus-4-1");
  });

  it("charges an unknown model the dearest rates and says it is unknown", () => {
    expect(priceFor("claude-fake").key).toBeUndefined();
    expect(priceFor("claude-opus-55").key).toBeUndefined(); // not a separator after "claude-opus-5"
    const c = costUsd("gpt-9", { inputTokens: 1e6, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
    expect(c).toEqual({ usd: UNKNOWN_MODEL_PRICE.input, known: false });
    for (const p of Object.values(PRICES)) {
      expect(p.input).toBeLessThanOrEqual(UNKNOWN_MODEL_PRICE.input);
      expect(p.output).toBeLessThanOrEqual(UNKNOWN_MODEL_PRICE.output);
    }
  });

  it("prices Haiku 5.5 prompts over 100k tokens at the long-prompt tier, output included", () => {
    const short = costUsd("claude-haiku-5-5", { inputTokens: 100_000, outputTokens: 1000, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
    const long = costUsd("claude-haiku-5-5", { inputTokens: 100_001, outputTokens: 1000, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
    expect(short.usd).toBeCloseTo((100_000 * 0.1 + 1000 * 0.5) / 1e6, 12);
    expect(long.usd).toBeCloseTo((100_001 * 0.5 + 1000 * 2.5) / 1e6, 12);
  });

  it("agrees with the Claude CLI's own costUSD in every recorded run", () => {
    let checked = 0;
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith(".jsonl"))) {
      const lines = readFileSync(join(FIXTURES, file), "utf8").split("\n").filter(Boolean);
      const result = lines.map((l) => JSON.parse(l)).findLast((e) => e.type === "result");
      for (const [model, mu] of Object.entries<any>(result?.modelUsage ?? {})) {
        const ours = costUsd(model, {
          inputTokens: mu.inputTokens,
          outputTokens: mu.outputTokens,
          cacheCreationInputTokens: mu.cacheCreationInputTokens,
          cacheCreation5mInputTokens: mu.cacheCreationEphemeral5mInputTokens,
          cacheCreation1hInputTokens: mu.cacheCreationEphemeral1hInputTokens,
          cacheReadInputTokens: mu.cacheReadInputTokens,
        });
        expect(ours.known, `${file}: ${model} is in the price table`).toBe(true);
        expect(ours.usd, `${file}: ${model}`).toBeCloseTo(mu.costUSD, 9);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
