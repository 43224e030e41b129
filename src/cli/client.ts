import { z } from "zod";
import type { Connection } from "./args.ts";

/** The run API over HTTP, answers checked with zod. Errors say what failed and what to do. */

const accepted = z.object({ id: z.number(), state: z.string(), url: z.string().optional(), dashboardUrl: z.string().optional() }).loose();
export type Accepted = z.infer<typeof accepted>;

const runSummary = z
  .object({
    id: z.number(),
    repo: z.string(),
    threadKey: z.string(),
    thread: z.object({ number: z.number().nullable(), title: z.string(), url: z.string() }).loose(),
    trigger: z.object({ kind: z.string(), actor: z.string() }).loose(),
    state: z.string(),
    phase: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    costUsd: z.number(),
    turns: z.number().nullable().optional(),
    sessionId: z.string().nullable().optional(),
    outcome: z.string().nullable(),
    failedPhase: z.string().nullable().optional(),
    pr: z.object({ number: z.number(), url: z.string() }).nullable(),
    error: z.string().nullable(),
  })
  .loose();
export type RemoteRun = z.infer<typeof runSummary>;

const runList = z.object({ runs: z.array(runSummary) });

export class ClientError extends Error {
  override name = "ClientError";
  readonly status: number | null;
  constructor(status: number | null, message: string) {
    super(message);
    this.status = status;
  }
}

export interface RunApiClient {
  startRun(input: { repo: string; prompt: string; issue?: number; branch?: string }): Promise<Accepted>;
  continueRun(runId: number, prompt: string): Promise<Accepted>;
  getRun(runId: number): Promise<RemoteRun>;
  listRuns(query: { repo?: string; state?: string; limit?: number }): Promise<RemoteRun[]>;
}

export function createClient(connection: Connection, fetchImpl: typeof fetch = fetch): RunApiClient {
  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const url = `${connection.url}${path}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers: { authorization: `Bearer ${connection.token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ClientError(null, `Could not reach the bot at ${connection.url} (${cause?.code ?? cause?.message ?? (error as Error).message}). Is it running? Check CLAUDE_SANDBOX_BOT_URL or --url.`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClientError(response.status, `${method} ${path} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}. Is ${connection.url} a claude-sandbox-bot?`);
    }
    if (!response.ok) {
      const message = z.object({ error: z.string() }).safeParse(json);
      const hint = response.status === 401 ? " Check CLAUDE_SANDBOX_BOT_TOKEN or --token (the bot's ADMIN_TOKEN)." : "";
      throw new ClientError(response.status, `${message.success ? message.data.error : `${method} ${path} failed with HTTP ${response.status}`}${hint}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ClientError(response.status, `${method} ${path} answered in an unexpected shape (${parsed.error.issues[0]?.message ?? "?"}); are the CLI and the bot the same version?`);
    return parsed.data;
  }

  return {
    startRun: (input) => call("POST", "/api/runs", accepted, input),
    continueRun: (runId, prompt) => call("POST", `/api/runs/${runId}/messages`, accepted, { prompt }),
    getRun: (runId) => call("GET", `/api/runs/${runId}`, runSummary),
    async listRuns(query) {
      const params = new URLSearchParams();
      if (query.repo) params.set("repo", query.repo);
      if (query.state) params.set("state", query.state);
      if (query.limit) params.set("limit", String(query.limit));
      const qs = params.toString();
      return (await call("GET", `/api/runs${qs ? `?${qs}` : ""}`, runList)).runs;
    },
  };
}
