/**
 * The model price table: the one place the gateway's USD figures come from.
 *
 * USD per million tokens, standard (non-batch) API rates. Source: Anthropic's pricing page,
 * https://platform.claude.com/docs/en/about-claude/pricing ("Model pricing"), and the model
 * overview pages (platform.claude.com/docs/.../models/<model>/overview) for the 5.x models,
 * as stored by the search index and read on 2026-12-03. Two later changes come from
 * third-party price trackers that checked the live page (not from Anthropic directly):
 * Sonnet 5.5 cache hits cut from $0.20 to $0.10 on 2026-10-07, and Haiku 5.5's prompt-length
 * tier (prompt = input + cache read + cache write tokens; over 100k costs 5×).
 * Update this file, and only this file, when Anthropic changes its prices.
 *
 * Not modelled: batch discounts (the CLI does not use batches), the >200k-token long-context
 * surcharge of Sonnet 4/4.5 with the 1M beta, fast mode, data residency multipliers.
 */

export interface Rates {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export interface ModelPrice extends Rates {
  /** Rates for every token of a request whose prompt is over `thresholdTokens`. */
  longPrompt?: Rates & { thresholdTokens: number };
}

/** Standard cache multipliers: 5m write 1.25×, 1h write 2×, read 0.1× of input. */
function standard(input: number, output: number, cacheRead = input * 0.1): ModelPrice {
  return { input, output, cacheWrite5m: input * 1.25, cacheWrite1h: input * 2, cacheRead };
}

/**
 * Keyed by model id without date suffix. Lookup takes the longest key that the model id
 * starts with and that ends at a separator, so "claude-sonnet-4-5-20250929" finds
 * "claude-sonnet-4-5" and never "claude-sonnet-4".
 */
export const PRICES: Readonly<Record<string, ModelPrice>> = {
  "claude-fable-5-1": standard(10, 50, 0.25),
  "claude-mythos-5-1": standard(10, 50, 0.25),
  "claude-fable-5": standard(10, 50, 1),
  "claude-mythos-5": standard(10, 50, 1),
  "claude-opus-5-5": standard(4, 20, 0.2),
  "claude-opus-5": standard(5, 25),
  "claude-opus-4-8": standard(5, 25),
  "claude-opus-4-7": standard(5, 25),
  "claude-opus-4-6": standard(5, 25),
  "claude-opus-4-5": standard(5, 25),
  "claude-opus-4-1": standard(15, 75),
  "claude-opus-4": standard(15, 75),
  "claude-3-opus": standard(15, 75),
  "claude-sonnet-5-5": standard(2, 10, 0.1),
  "claude-sonnet-5": standard(2, 10),
  "claude-sonnet-4-6": standard(3, 15),
  "claude-sonnet-4-5": standard(3, 15),
  "claude-sonnet-4": standard(3, 15),
  "claude-3-7-sonnet": standard(3, 15),
  "claude-haiku-5-5": {
    ...standard(0.1, 0.5),
    longPrompt: { ...standard(0.5, 2.5), thresholdTokens: 100_000 },
  },
  "claude-haiku-4-5": standard(1, 5),
  "claude-3-5-haiku": { input: 0.8, output: 4, cacheWrite5m: 1, cacheWrite1h: 1.6, cacheRead: 0.08 },
  "claude-3-haiku": { input: 0.25, output: 1.25, cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03 },
};

/**
 * What an id not in the table is charged: the most expensive rates in it. A cap must not be
 * beaten by a model we do not know the price of (fail expensive); the caller logs `known: false`.
 */
export const UNKNOWN_MODEL_PRICE: ModelPrice = (() => {
  const all = Object.values(PRICES);
  const max = (f: (p: Rates) => number) => Math.max(...all.map(f));
  return {
    input: max((p) => p.input),
    output: max((p) => p.output),
    cacheWrite5m: max((p) => p.cacheWrite5m),
    cacheWrite1h: max((p) => p.cacheWrite1h),
    cacheRead: max((p) => p.cacheRead),
  };
})();

export function normaliseModelId(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/\[[^\]]*\]$/, "") // "claude-sonnet-4-5[1m]"
    .replace(/^(?:anthropic\.|us\.|eu\.|apac\.|global\.)+/, "") // Bedrock-style prefixes
    .replace(/[-@]v\d+(?::\d+)?$/, "") // Bedrock "-v1:0"
    .replace(/[-@]\d{8}$/, ""); // date suffix
}

export function priceFor(model: string): { price: ModelPrice; key: string | undefined } {
  const id = normaliseModelId(model);
  let best: string | undefined;
  for (const key of Object.keys(PRICES)) {
    if (id === key || (id.startsWith(key) && /[-@.:]/.test(id.charAt(key.length)))) {
      if (best === undefined || key.length > best.length) best = key;
    }
  }
  return best === undefined ? { price: UNKNOWN_MODEL_PRICE, key: undefined } : { price: PRICES[best]!, key: best };
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** All cache-write tokens (cache_creation_input_tokens). */
  cacheCreationInputTokens: number;
  /** The part of the cache writes the response says had a 1-hour lifetime, when it says. */
  cacheCreation1hInputTokens?: number | undefined;
  /** The part with a 5-minute lifetime, when the response says. */
  cacheCreation5mInputTokens?: number | undefined;
  cacheReadInputTokens: number;
}

/**
 * USD for one request's tokens. Cache writes without a TTL split are charged at the 1-hour
 * rate (the dearer one; Claude Code writes most of its cache with the 1-hour lifetime).
 */
export function costUsd(model: string, t: TokenCounts): { usd: number; known: boolean } {
  const { price, key } = priceFor(model);
  const prompt = t.inputTokens + t.cacheReadInputTokens + t.cacheCreationInputTokens;
  const r: Rates = price.longPrompt && prompt > price.longPrompt.thresholdTokens ? price.longPrompt : price;
  const split = t.cacheCreation1hInputTokens !== undefined || t.cacheCreation5mInputTokens !== undefined;
  const w1h = split ? (t.cacheCreation1hInputTokens ?? 0) : t.cacheCreationInputTokens;
  const w5m = split ? Math.max(0, t.cacheCreationInputTokens - w1h) : 0;
  const usd =
    (t.inputTokens * r.input +
      t.outputTokens * r.output +
      w5m * r.cacheWrite5m +
      w1h * r.cacheWrite1h +
      t.cacheReadInputTokens * r.cacheRead) /
    1_000_000;
  return { usd, known: key !== undefined };
}
