import type { Logger } from "pino";
import { downloadImage, type Downloaded } from "../github/image-download.ts";
import type { ThreadContext } from "../github/thread-context.ts";
import { IMAGE_LIMITS, isGitHubImageUrl, planImages, type ImageLimits, type ImageText, type ThreadImages } from "../github/thread-images.ts";
import type { Sandbox } from "../sandbox/types.ts";
import type { Trigger } from "../triggers/types.ts";

/**
 * The thread's pictures, for Claude to look at: downloaded on the bot's machine from GitHub's own
 * hosts only, written into the sandbox next to the checkout (never into it: they must not end up
 * in a commit), and named in the prompt through `context.images`. Never fails the run: an image
 * that cannot be had is named as skipped.
 */

export interface ImageStepDeps {
  fetch: typeof fetch;
  /** https://github.com or the GHE host: decides which hosts are GitHub's own. */
  gitBaseUrl: string;
  log: Logger;
  limits?: ImageLimits;
}

/** Every download of the run together: the step never holds the run longer than this. */
const STEP_DEADLINE_MS = 60_000;

export function imagesDir(sandbox: Sandbox): string {
  return `${sandbox.homeDir}/.claude-sandbox-bot/images`;
}

/** Removes the bot's per-thread files from the sandbox's home (a sandbox from a snapshot starts with none). Never throws. */
export async function clearBotFiles(sandbox: Sandbox): Promise<void> {
  await sandbox.run(["rm", "-rf", "--", `${sandbox.homeDir}/.claude-sandbox-bot`]).catch(() => undefined);
}

/** The texts whose images count: the body, the conversation, and a request that is not among the fetched comments. */
export function imageTexts(t: Trigger, context: ThreadContext): ImageText[] {
  const body: ImageText = { from: t.thread.isPullRequest ? "the pull request's description" : "the issue's description", markdown: t.thread.body, html: context.bodyHtml };
  const comments = context.comments.map((c): ImageText => ({ from: `a comment by @${c.author}`, markdown: c.body, html: c.html }));
  const request = t.source.type === "review_comment" || t.source.type === "review" ? [{ from: `the request by @${t.actor.login}`, markdown: t.text }] : [];
  return [body, ...comments, ...request];
}

export async function placeThreadImages(deps: ImageStepDeps, input: { sandbox: Sandbox; trigger: Trigger; context: ThreadContext; signal: AbortSignal }): Promise<ThreadImages | undefined> {
  const limits = deps.limits ?? IMAGE_LIMITS;
  const plan = planImages(imageTexts(input.trigger, input.context), (url) => isGitHubImageUrl(url, deps.gitBaseUrl), limits);
  if (plan.fetch.length === 0 && plan.skipped.length === 0) return undefined;
  const images: ThreadImages = { placed: [], skipped: [...plan.skipped] };
  const dir = imagesDir(input.sandbox);
  const signal = AbortSignal.any([input.signal, AbortSignal.timeout(STEP_DEADLINE_MS)]);
  try {
    // A follow-up's sandbox may hold the last run's pictures: only this run's are named, and only they stay.
    await input.sandbox.run(["sh", "-c", 'rm -rf -- "$1" && mkdir -p -- "$1"', "sh", dir]);
    let used = 0;
    for (const ref of plan.fetch) {
      const cap = Math.min(limits.maxBytesEach, limits.maxBytesTotal - used);
      const got = await fetchOne(deps, ref.url, cap, limits, signal);
      if (!got.ok) {
        images.skipped.push({ from: ref.from, reason: got.tooLarge && cap < limits.maxBytesEach ? `over the limit of ${mb(limits.maxBytesTotal)} MB of images per run` : got.reason });
        continue;
      }
      const path = `${dir}/${images.placed.length + 1}.${got.kind}`;
      await input.sandbox.writeFile(path, got.bytes);
      used += got.bytes.byteLength;
      images.placed.push({ path, from: ref.from, nth: ref.nth });
    }
  } catch (error) {
    deps.log.warn({ err: error }, "the thread's images could not be put in the sandbox; the run goes on without the rest");
  }
  deps.log.info({ placed: images.placed.length, skipped: images.skipped.length }, "thread images");
  return images;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

function fetchOne(deps: ImageStepDeps, url: string, cap: number, limits: ImageLimits, signal: AbortSignal): Promise<Downloaded> {
  if (cap <= 0) return Promise.resolve({ ok: false, reason: `over the limit of ${mb(limits.maxBytesTotal)} MB of images per run` });
  if (signal.aborted) return Promise.resolve({ ok: false, reason: "no time left to download it" });
  const allowed = (u: string) => isGitHubImageUrl(u, deps.gitBaseUrl);
  return downloadImage({ fetch: deps.fetch, allowed }, url, { maxBytes: cap, timeoutMs: limits.timeoutMsEach, maxRedirects: limits.maxRedirects, signal });
}
