import { setTimeout as sleep } from "node:timers/promises";
import { parseCommand, USAGE, UsageError } from "./args.ts";
import { ClientError, createClient, type RemoteRun, type RunApiClient } from "./client.ts";
import { exitCodeFor, FINISHED_STATES, progressLine, runsTable, summaryLines } from "./progress.ts";

/** The CLI: argv and the environment in, output on io, an exit code out. */

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
}

export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  let command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(error.message);
    return 2;
  }
  if (command.kind === "help") {
    io.out(USAGE);
    return 0;
  }
  const client = createClient(command.connection, io.fetch);
  try {
    switch (command.kind) {
      case "runs": {
        const runs = await client.listRuns({ ...(command.repo ? { repo: command.repo } : {}), ...(command.state ? { state: command.state } : {}), ...(command.limit ? { limit: command.limit } : {}) });
        runsTable(runs).forEach((line) => io.out(line));
        return 0;
      }
      case "run":
      case "resume": {
        const accepted =
          command.kind === "run"
            ? await client.startRun({ repo: command.repo, prompt: command.prompt, ...(command.issue ? { issue: command.issue } : {}), ...(command.branch ? { branch: command.branch } : {}) })
            : await client.continueRun(command.runId, command.prompt);
        io.out(`Run ${accepted.id} ${accepted.state}${accepted.dashboardUrl ? ` — ${accepted.dashboardUrl}` : ""}`);
        if (!command.wait) return 0;
        const final = await follow(client, accepted.id, command.intervalMs, io);
        summaryLines(final).forEach((line) => io.out(line));
        return exitCodeFor(final);
      }
    }
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    io.err(error.message);
    return 3;
  }
}

/** Polls the run until it finishes, printing each change of state or phase. */
async function follow(client: RunApiClient, runId: number, intervalMs: number, io: CliIo): Promise<RemoteRun> {
  const now = io.now ?? Date.now;
  const wait = io.sleep ?? sleep;
  const since = now();
  let previous: RemoteRun | null = null;
  let failures = 0;
  for (;;) {
    let run: RemoteRun;
    try {
      run = await client.getRun(runId);
      failures = 0;
    } catch (error) {
      // A restart of the bot or a network blip: keep waiting a while.
      if (!(error instanceof ClientError) || error.status !== null || ++failures > 30) throw error;
      io.err(`(${error.message} Retrying.)`);
      await wait(intervalMs);
      continue;
    }
    const line = progressLine(previous, run, now() - since);
    if (line) io.out(line);
    if (FINISHED_STATES.has(run.state)) return run;
    previous = run;
    await wait(intervalMs);
  }
}
