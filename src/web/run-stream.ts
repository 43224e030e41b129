import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { isPhase, PHASE_LABEL } from "../runs/phases.ts";
import type { RunEvent, RunEvents } from "../runs/run-events.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { FINISHED_STATES as FINISHED } from "../runs/outcome.ts";
import { formatSse, sseComment } from "./sse.ts";

/**
 * GET /dashboard/runs/:id/events: a run's live events as Server-Sent Events. Events from the
 * RunEvents bus arrive at once when the run executes in this process; the store is polled every
 * pollMs for state and phase, so a run executing in another process shows too. The stream ends
 * (event "end") once the run has finished.
 *
 * Events: state {state, phase, label}, phase {phase, label}, progress {step, todos, turns},
 * finished {outcome, durationMs, costUsd}, end {state}.
 */

export interface RunStreamDeps {
  store: Pick<Store, "getRun">;
  events: RunEvents;
  log: Logger;
  pollMs?: number;
  keepAliveMs?: number;
}

export interface RunStreams {
  open(req: IncomingMessage, res: ServerResponse, run: RunRecord): void;
  /** Ends every open stream (at shutdown, so the HTTP server can close). */
  closeAll(): void;
  readonly size: number;
}

const label = (phase: string | null) => (isPhase(phase) ? PHASE_LABEL[phase] : null);

/** The SSE messages one bus event becomes, for the given run (none for other runs). Pure. */
export function busEventMessages(event: RunEvent, runId: number): string[] {
  if (event.runId !== runId) return [];
  switch (event.type) {
    case "started":
      return [formatSse({ event: "state", data: { state: "running", phase: null, label: null } })];
    case "phase":
      return [formatSse({ event: "phase", data: { phase: event.phase, label: PHASE_LABEL[event.phase] } })];
    case "progress":
      return [formatSse({ event: "progress", data: { step: event.step, todos: event.todos, turns: event.turns } })];
    case "finished":
      return [formatSse({ event: "finished", data: { outcome: event.outcome, durationMs: event.durationMs, costUsd: event.claudeCostUsd + event.sandboxCostUsd } })];
    case "model_request":
      // The run page shows the gateway's figures when it loads; a stream per request would be noise.
      return [];
  }
}

export function createRunStreams(deps: RunStreamDeps): RunStreams {
  const pollMs = deps.pollMs ?? 1000;
  const keepAliveMs = deps.keepAliveMs ?? 15_000;
  const open = new Set<() => void>();

  return {
    get size() {
      return open.size;
    },
    closeAll() {
      for (const close of [...open]) close();
    },
    open(req, res, run) {
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        // nginx and similar proxies: do not buffer the stream.
        "x-accel-buffering": "no",
      });
      res.flushHeaders();
      let last = { state: run.state, phase: run.phase };
      const write = (chunk: string) => {
        if (!res.writableEnded) res.write(chunk);
      };
      write(formatSse({ event: "state", data: { state: run.state, phase: run.phase, label: label(run.phase) }, retry: 2000 }));

      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        clearInterval(poll);
        clearInterval(keepAlive);
        unsubscribe();
        if (!res.writableEnded) res.end();
      };
      const end = (state: string) => {
        write(formatSse({ event: "end", data: { state } }));
        close();
      };
      let polling = false;
      const check = async () => {
        if (polling || closed) return;
        polling = true;
        try {
          const current = await deps.store.getRun(run.id);
          if (closed) return;
          if (!current) return end("gone");
          if (current.state !== last.state || current.phase !== last.phase) {
            last = { state: current.state, phase: current.phase };
            write(formatSse({ event: "state", data: { state: current.state, phase: current.phase, label: label(current.phase) } }));
          }
          if (FINISHED.has(current.state)) end(current.state);
        } catch (error) {
          deps.log.warn({ err: error, run: run.id }, "run stream: could not read the run; trying again");
        } finally {
          polling = false;
        }
      };
      const unsubscribe = deps.events.subscribe((event) => {
        for (const message of busEventMessages(event, run.id)) write(message);
        // The store has the final state by the time "finished" is published.
        if (event.type === "finished" && event.runId === run.id) void check();
      });
      const poll = setInterval(() => void check(), pollMs);
      const keepAlive = setInterval(() => write(sseComment("keep-alive")), keepAliveMs);
      poll.unref();
      keepAlive.unref();
      open.add(close);
      req.on("close", close);
      res.on("close", close);
      if (FINISHED.has(run.state)) end(run.state);
    },
  };
}
