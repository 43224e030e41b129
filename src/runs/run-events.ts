import { EventEmitter } from "node:events";
import type { Outcome } from "./outcome.ts";
import type { ErrorCategory } from "./error-category.ts";
import type { Phase } from "./phases.ts";

/**
 * What happens to runs in this process, as events: the metrics and the dashboard's live view
 * subscribe; run-job publishes. Listeners must not throw (a failing one is logged and dropped).
 */
export type RunEvent =
  | { type: "started"; runId: number; threadKey: string; repo: string; trigger: string; at: number }
  | { type: "phase"; runId: number; phase: Phase; at: number }
  | { type: "progress"; runId: number; step: string | null; todos: Array<{ content: string; status: string }>; turns: number; at: number }
  | {
      type: "finished";
      runId: number;
      repo: string;
      trigger: string;
      outcome: Outcome;
      errorCategory: ErrorCategory | null;
      durationMs: number;
      phaseMs: Partial<Record<Phase, number>>;
      claudeCostUsd: number;
      sandboxCostUsd: number;
      at: number;
    }
  /** One model request through the model gateway (emitted by the process serving `/model`). */
  | {
      type: "model_request";
      runId: number;
      repo: string;
      status: number;
      upstreamError: boolean;
      ttfbMs: number;
      inputTokens: number;
      outputTokens: number;
      cacheCreationInputTokens: number;
      cacheReadInputTokens: number;
      usd: number;
      at: number;
    };

export interface RunEvents {
  emit(event: RunEvent): void;
  subscribe(listener: (event: RunEvent) => void): () => void;
}

export function createRunEvents(onListenerError: (error: unknown) => void = () => {}): RunEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    emit(event) {
      for (const listener of emitter.listeners("event")) {
        try {
          (listener as (e: RunEvent) => void)(event);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      emitter.on("event", listener);
      return () => emitter.off("event", listener);
    },
  };
}
