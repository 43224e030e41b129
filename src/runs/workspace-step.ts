import { fetchThreadContext, type ThreadContext } from "../github/thread-context.ts";
import { hasImageRef } from "../github/thread-images.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { SnapshotRecord } from "../store/snapshot-ledger.ts";
import { repoCloneUrl } from "../workspace/clone-url.ts";
import { openHostRepo } from "../workspace/host-repo.ts";
import type { PreparedCheckout } from "../workspace/sandbox-git.ts";
import { checkOut } from "./checkout-phase.ts";
import { clearBotFiles, placeThreadImages } from "./image-step.ts";
import { planCheckout, type CheckoutPlan } from "./checkout-plan.ts";
import { PhaseError } from "./phases.ts";
import type { RunContext } from "./run-context.ts";
import { reconnect, startSandbox } from "./sandbox-phase.ts";
import { decideSession, type Session } from "./session.ts";
import { setUp, snapshotDeps, snapshotKeyOf } from "./setup-step.ts";
import { startFromSnapshot } from "./snapshots.ts";

/** The workspace a run's agent works in: sandbox → clone (the thread's branch) → setup. */

export interface Workspace {
  sandbox: Sandbox;
  checkout: PreparedCheckout;
  session: Session;
  context: ThreadContext;
  plan: CheckoutPlan;
}

export async function prepareWorkspace(ctx: RunContext): Promise<Workspace> {
  const { deps, trigger: t, scope, trail } = ctx;
  // The clone's read token is minted while the sandbox starts.
  const readTokenMinted = deps.mintToken(t.installationId, t.repo.name, "read");
  readTokenMinted.catch(() => undefined);
  const started = await getSandbox(ctx);

  await ctx.progress.enter("clone");
  const context = await readThread(ctx);
  if (context.pull) ctx.progress.checkRun.headKnown(context.pull.headSha);
  const plan = planCheckout(t, ctx.config, trail.thread, context.pull, deps.branchPrefix);
  trail.thread.branch = plan.branch;
  const readToken = await readTokenMinted;
  ctx.redact.add(readToken);
  const cloneUrl = cloneUrlOf(ctx);
  const checkedOut = await checkOut(
    { hostGit: deps.hostGit, sandboxes: sandboxDeps(ctx), identity: deps.identity, log: ctx.log },
    // A sandbox from the snapshot takes the thread's branch the live way: through the bot's mirror, no token.
    { run: ctx.run, sandbox: scope.sandbox!, live: started.live || started.snapshot !== null, cloneUrl, readToken, plan, keepWorkTree: !started.live },
  ).catch((error: unknown) => {
    throw error instanceof PhaseError ? error : new PhaseError("clone", ctx.redact((error as Error).message), { cause: error, category: "git" });
  });
  const { sandbox, checkout } = checkedOut;
  scope.sandbox = sandbox;
  const fromSnapshot = checkedOut.live && !started.live ? started.snapshot : null;
  // A snapshot holds no session: the thread's transcript is restored into it like into a new sandbox.
  trail.session = decideSession(trail.thread, checkedOut.live && started.live);
  // Nothing of the bot's per-thread files (prompt, images) comes with a snapshot, even one taken by an older version.
  if (fromSnapshot) await clearBotFiles(sandbox);
  // An issue thread's check run starts once its branch exists.
  if (checkout.branchExisted) ctx.progress.checkRun.headKnown(checkout.startSha);
  if (t.mode === "code" && plan.push) {
    // The push goes out from this machine (host-repo.ts); the repository's mirror there gets the start commit while Claude works.
    scope.hostRepo = openHostRepo({ hostGit: deps.hostGit, cloneUrl, startSha: checkout.startSha, readToken, runId: ctx.run.id });
    scope.hostRepo.catch(() => undefined);
  }
  await setUp(ctx, { sandbox, checkout, plan, fromSnapshot, cloned: !checkedOut.live });
  // After the setup step, which may take the repository's snapshot: a thread's pictures (a private
  // upload too) never go into one. Next to the checkout, never in it (so never in a commit); named in the prompt.
  context.images = await placeThreadImages({ fetch, gitBaseUrl: deps.gitBaseUrl, log: ctx.log }, { sandbox, trigger: t, context, signal: ctx.cancel.signal });
  return { sandbox, checkout, session: trail.session, context, plan };
}

const sandboxDeps = (ctx: RunContext) => ({ sandboxes: ctx.deps.sandboxes, timeoutMs: ctx.deps.settings.sandboxTimeoutMs, pool: ctx.deps.sandboxPool });

/**
 * Fast path: the thread's paused sandbox still has the checkout and the session. A thread without
 * one starts from the repository's snapshot (checkout and setup done, no session) when there is
 * one; else a new sandbox. Says which.
 */
async function getSandbox(ctx: RunContext): Promise<{ live: boolean; snapshot: SnapshotRecord | null }> {
  const { scope, trail } = ctx;
  await ctx.progress.enter("sandbox");
  // The run's sandbox seconds (finish-run.ts) start here: a start from the snapshot, a failed one
  // and the cold start after it, and any snapshot the setup step takes, are all this run's.
  trail.sandboxStartedAt = ctx.now();
  const live = trail.thread.sandboxId ? await reconnect(sandboxDeps(ctx), trail.thread.sandboxId, ctx.log) : null;
  const key = live ? null : snapshotKeyOf(ctx);
  const fromSnapshot = key ? await startFromSnapshot(snapshotDeps(ctx), key, ctx.run) : null;
  scope.sandbox = live ?? fromSnapshot?.sandbox ?? (await startSandbox(sandboxDeps(ctx), ctx.run, ctx.log));
  // Held by this run now: the thread gets it back (paused) when the run lets go of it.
  trail.thread.sandboxId = null;
  return { live: live !== null, snapshot: fromSnapshot?.record ?? null };
}

async function readThread(ctx: RunContext): Promise<ThreadContext> {
  const t = ctx.trigger;
  // No conversation to read when the payload says the only comment is the request itself.
  const ownComments = t.source.type === "issue_comment" ? 1 : 0;
  // …unless the request holds a picture: its rendering (signed URLs) comes with the comments.
  const skipConversation = t.thread.number === 0 || (t.thread.commentCount !== undefined && t.thread.commentCount <= ownComments && !hasImageRef(t.text));
  return fetchThreadContext(ctx.client, ctx.where, { number: t.thread.number, isPullRequest: t.thread.isPullRequest, appLogin: ctx.deps.appLogin, skipConversation, body: t.thread.body }).catch((error: unknown) => {
    throw new PhaseError("clone", `Could not read the thread from GitHub: ${(error as Error).message}`, { cause: error, category: "github" });
  });
}

function cloneUrlOf(ctx: RunContext): string {
  try {
    return repoCloneUrl(ctx.deps.gitBaseUrl, ctx.trigger.repo.owner, ctx.trigger.repo.name);
  } catch (error) {
    throw new PhaseError("clone", (error as Error).message, { cause: error, category: "git" });
  }
}
