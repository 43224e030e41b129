import { runModel } from "../triggers/model-choice.ts";
import type { RunContext } from "./run-context.ts";

/**
 * The run's model: its request's, else the thread's last one, else the default (model-choice.ts).
 * A model the request named becomes the thread's, so follow-ups keep it; the trail keeps the one
 * used for the report.
 */
export function chooseRunModel(ctx: RunContext): string | undefined {
  const { trail, trigger: t } = ctx;
  const model = runModel(t.model, trail.thread.model, ctx.config, ctx.deps.settings.model);
  if (t.model) trail.thread.model = model ?? null;
  trail.model = model;
  return model;
}
