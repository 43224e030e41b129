import type { Logger } from "pino";
import type { RepoConfig } from "../config/repo-config.ts";
import { createCheckRun, updateCheckRun, type CheckRunView } from "../github/check-runs.ts";
import type { GitHubClient, RepoCoords } from "../github/octokit-types.ts";
import { createProgressEditor } from "../github/progress-editor.ts";
import type { RunRecord, Store } from "../store/types.ts";
import { finishedView, inProgressView, type CheckRunSettings } from "./check-run.ts";
import type { RunSummary } from "./outcome.ts";
import type { Phase } from "./phases.ts";

/**
 * A run's check run on GitHub: created (in progress) once the head commit is known, edited as
 * phases pass through the progress comment's coalescing editor, completed with the outcome. One
 * per run: its id is kept in the run's stored result, so a restarted run edits the same one. A
 * commit the run pushed gets a completed one of its own. Check runs never fail a run: an error
 * is logged, and an app without `checks: write` stops trying.
 */

export interface CheckRunRecord {
  id: number;
  headSha: string;
}

export interface CheckRunTrackerInput {
  run: RunRecord;
  client: GitHubClient;
  store: Store;
  config: RepoConfig["checkRun"];
  settings: CheckRunSettings;
  intervalMs: number;
  log: Logger;
  now: () => number;
}

/** The check run a run created before (an earlier attempt), from its stored result. */
export function storedCheckRun(result: unknown): CheckRunRecord | null {
  const value = (result as { checkRun?: Partial<CheckRunRecord> } | null)?.checkRun;
  return typeof value?.id === "number" && typeof value.headSha === "string" ? { id: value.id, headSha: value.headSha } : null;
}

export function createCheckRunTracker(input: CheckRunTrackerInput) {
  const { run, client, log } = input;
  const where: RepoCoords = { owner: run.trigger.repo.owner, repo: run.trigger.repo.name };
  let record = storedCheckRun(run.result);
  let off = !input.config.enabled;
  let phase: Phase = "queue";
  let creating: Promise<void> = Promise.resolve();
  const at = () => new Date(input.now());
  const failed = (what: string) => (error: unknown) => {
    // Without the permission (an installation that has not accepted `checks: write`), every call would fail alike.
    if ((error as { status?: number }).status === 403) off = true;
    log.warn({ err: error, status: (error as { status?: number }).status }, `could not ${what} the run's check run`);
  };
  const create = (headSha: string, view: CheckRunView) => createCheckRun(client, where, { name: input.config.name, headSha, externalId: String(run.id), view, now: at() });
  const editor = createProgressEditor({
    intervalMs: input.intervalMs,
    write: async (body) => {
      if (record && !off) await updateCheckRun(client, where, record.id, JSON.parse(body) as CheckRunView, at());
    },
    onError: failed("update"),
    finalRetryDelaysMs: [1_000, 5_000],
  });

  /** The head commit is known (a pull request's head, an existing branch's): the check run starts there, once. */
  const headKnown = (headSha: string): void => {
    if (off || record) return;
    creating = creating.then(async () => {
      if (off || record) return;
      const id = await create(headSha, inProgressView(run.id, phase, input.settings)).catch(failed("create"));
      if (id === undefined) return;
      record = { id, headSha };
      await input.store.updateRun(run.id, { result: { checkRun: record } });
    });
  };

  return {
    /** The run's check run, for its stored result. */
    get record(): CheckRunRecord | null {
      return record;
    },
    headKnown,
    phase(next: Phase): void {
      phase = next;
      if (record && !off) editor.update(JSON.stringify(inProgressView(run.id, phase, input.settings)));
    },
    /**
     * Completes the check run with the outcome, and gives a commit the run pushed its own; never
     * throws. A pull request's run that ended before its head was read (the sandbox did not start)
     * asks for the head now, so the failure shows on the pull request too.
     */
    async finish(summary: RunSummary, reportPosted: boolean, redact?: (text: string) => string): Promise<void> {
      if (!record && !off && run.trigger.thread?.isPullRequest && run.trigger.thread.number > 0) {
        const pull = await client.rest.pulls.get({ ...where, pull_number: run.trigger.thread.number }).catch(failed("find the head for"));
        if (pull) headKnown(pull.data.head.sha);
      }
      await creating;
      if (off) return;
      const pushedSha = summary.pushedSha ?? null;
      const view = finishedView(summary, reportPosted, input.settings, redact);
      if (record) await editor.finish(JSON.stringify(view)).catch(failed("complete"));
      else if (pushedSha) {
        // No head was known when the run started (a new branch): the pushed commit's check run is the run's.
        const id = await create(pushedSha, view).catch(failed("create"));
        if (id !== undefined) record = { id, headSha: pushedSha };
        return;
      }
      if (pushedSha && record && pushedSha !== record.headSha) await create(pushedSha, view).catch(failed("create"));
    },
  };
}
