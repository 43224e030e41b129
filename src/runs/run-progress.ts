import type { Logger } from "pino";
import { editComment, postComment, targetFor } from "../github/comment-target.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import { createProgressEditor } from "../github/progress-editor.ts";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { createCheckRunTracker } from "./check-run-tracker.ts";
import { initialProgress, type ProgressState } from "./report/progress-state.ts";
import { renderProgress } from "./report/render-progress.ts";
import type { RunRecord, Store } from "../store/types.ts";
import type { createPhaseClock } from "./phase-clock.ts";
import type { Phase } from "./phases.ts";
import type { RunEvent, RunEvents } from "./run-events.ts";

/**
 * A run's visible progress: the progress comment (posted by the acknowledgement, or now if that
 * did not get to it), edited as phases and Claude's steps go by, and the same as run events;
 * the run's check run (check-run-tracker.ts) follows the phases.
 */
export interface RunProgressInput {
  run: RunRecord;
  client: GitHubClient;
  store: Store;
  events: RunEvents | undefined;
  intervalMs: number;
  clock: ReturnType<typeof createPhaseClock>;
  beforePhase: () => void;
  log: Logger;
  now: () => number;
  /** The deployment's PUBLIC_URL: the check run links to the run's dashboard page. */
  publicUrl?: string | undefined;
}

export async function createRunProgress(input: RunProgressInput) {
  const { run, client, now } = input;
  const t = run.trigger;
  const where = { owner: t.repo.owner, repo: t.repo.name };
  const target = targetFor(t);
  let progress: ProgressState = initialProgress(now());
  const commentId = run.progressCommentId ?? (await postComment(client, where, target, renderProgress(run.id, progress, now())));
  if (run.progressCommentId === null) await input.store.updateRun(run.id, { progressCommentId: commentId });
  const editor = createProgressEditor({
    intervalMs: input.intervalMs,
    freshComment: true,
    write: (body) => editComment(client, where, target, commentId, body),
    onError: (error) => input.log.warn({ err: error }, "could not update the progress comment; the next update retries"),
  });
  const checkRun = createCheckRunTracker({ ...input, config: t.config?.checkRun ?? DEFAULT_REPO_CONFIG.checkRun, settings: { publicUrl: input.publicUrl } });
  const emit = (event: RunEvent) => input.events?.emit(event);
  emit({ type: "started", runId: run.id, threadKey: run.threadKey, repo: t.repo.fullName, trigger: t.kind, at: now() });

  const show = (next: ProgressState) => {
    const changed = next.step !== progress.step || next.todos !== progress.todos || next.turns !== progress.turns;
    progress = next;
    editor.update(renderProgress(run.id, progress, now()));
    if (changed) emit({ type: "progress", runId: run.id, step: next.step, todos: next.todos, turns: next.turns, at: now() });
  };

  return {
    get state(): ProgressState {
      return progress;
    },
    show,
    emit,
    checkRun,
    /** Enters a phase: checks for a stop first, then records and shows it. */
    async enter(phase: Phase) {
      input.beforePhase();
      input.clock.enter(phase);
      emit({ type: "phase", runId: run.id, phase, at: now() });
      show({ ...progress, phase });
      checkRun.phase(phase);
      await input.store.updateRun(run.id, { phase });
    },
    /** The report replaces the progress comment; retried, never left saying "working". */
    finish: (report: string) => editor.finish(report),
  };
}
