import type { SnapshotKey, SnapshotRecord } from "../store/snapshot-ledger.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { PreparedCheckout } from "../workspace/sandbox-git.ts";
import type { CheckoutPlan } from "./checkout-plan.ts";
import { PhaseError } from "./phases.ts";
import type { RunContext } from "./run-context.ts";
import { runSetupCommands } from "./setup-commands.ts";
import { setupHash, setupInputsChanged, shouldTakeSnapshot, type SnapshotUse } from "./snapshot-policy.ts";
import { inspectUse, takeSnapshot, type SnapshotDeps } from "./snapshots.ts";

/**
 * The setup phase with repository snapshots: a sandbox from the snapshot runs the setup commands
 * only when a file they depend on changed since; a clean checkout of the default branch's head
 * (new, or from a snapshot) is snapshotted after the setup when there is no snapshot yet or the
 * one there is is stale.
 */

export const snapshotDeps = (ctx: RunContext): SnapshotDeps => ({ store: ctx.deps.store, sandboxes: ctx.deps.sandboxes, log: ctx.log, now: ctx.now, timeoutMs: ctx.deps.settings.sandboxTimeoutMs });

/** The run's snapshot key: this installation, this repository, this setup. Null when the run does not use snapshots. */
export function snapshotKeyOf(ctx: RunContext): SnapshotKey | null {
  if (!ctx.config.snapshots.enabled || ctx.config.setup.length === 0 || !ctx.deps.sandboxes.snapshots) return null;
  return { installationId: ctx.trigger.installationId, repoFullName: ctx.trigger.repo.fullName, setupHash: setupHash(ctx.config.setup, ctx.extraEnv) };
}

export interface SetupInput {
  sandbox: Sandbox;
  checkout: PreparedCheckout;
  plan: CheckoutPlan;
  /** The sandbox was started from this snapshot and its checkout came through (not the live thread sandbox). */
  fromSnapshot: SnapshotRecord | null;
  /** The sandbox is new: the bot cloned into it. */
  cloned: boolean;
}

export async function setUp(ctx: RunContext, input: SetupInput): Promise<void> {
  if (ctx.config.setup.length === 0) return;
  const { sandbox, checkout, plan } = input;
  const globs = ctx.config.snapshots.setupInputs;
  const use: SnapshotUse | null = input.fromSnapshot ? await inspectUse(sandbox, input.fromSnapshot, checkout.startSha, globs) : null;
  const setupRan = !use || setupInputsChanged(use.changedInputs);
  const key = snapshotKeyOf(ctx);
  // Noted before the setup runs, so a setup that fails is reported with where its sandbox came from.
  if (key) ctx.trail.snapshot = { used: use?.record.baseSha ?? null, setup: setupRan ? "ran" : "skipped", ...(use && setupRan ? { changedInputs: use.changedInputs } : {}), taken: false };
  if (setupRan) {
    await ctx.progress.enter("setup");
    await runSetupCommands({ sandbox, commands: ctx.config.setup, env: ctx.extraEnv, timeoutMs: ctx.runTimeoutMs, signal: ctx.cancel.signal, redact: ctx.redact });
  } else {
    ctx.log.info({ snapshot: use?.record.snapshotId }, "started from the repository's snapshot; no setup input changed, so the setup is not run again");
  }
  if (!key || ctx.cancel.signal.aborted) return;
  const existing = use?.record ?? (await ctx.deps.store.snapshots.find(key, ctx.deps.sandboxes.name).catch(() => null));
  const cleanAtDefaultHead = (input.cloned || use !== null) && !checkout.branchExisted && !plan.fetchRef && plan.base === ctx.trigger.repo.defaultBranch;
  const take = shouldTakeSnapshot({ enabled: true, supported: true, hasSetup: true, cleanAtDefaultHead, existing, use, setupRan, now: ctx.now() });
  if (!take) return;
  // Taken in this run's sandbox while this run holds it: inside its sandbox seconds (finish-run.ts), so in its cost.
  const started = ctx.now();
  const taken = await takeSnapshot(snapshotDeps(ctx), { sandbox, key, base: plan.base, branch: plan.branch, sha: checkout.startSha }).catch((error: unknown) => {
    throw new PhaseError("setup", `The checkout could not be put back after the repository snapshot: ${(error as Error).message}`, { cause: error, category: "sandbox" });
  });
  if (taken && ctx.trail.snapshot) ctx.trail.snapshot = { ...ctx.trail.snapshot, taken: true, takenMs: ctx.now() - started };
}
