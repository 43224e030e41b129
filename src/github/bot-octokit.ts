import Bottleneck from "bottleneck";
import { patchBottleneckYield } from "./bottleneck-yield.ts";
import { ProbotOctokit } from "probot";
import { githubCallsPlugin } from "../metrics/github-calls.ts";

/**
 * Probot's Octokit with our rate-limit policy. The stock throttle spaces every write 1 s apart
 * and every comment 3 s apart, process-wide: with many threads the 👀 and progress comment would
 * queue for minutes. We drop the fixed spacing (progress edits are coalesced by our own editor)
 * and instead back off when GitHub actually says so: secondary limits are retried after the
 * Retry-After GitHub sends, up to three times. Every response is also reported to the metrics
 * (requests by method and status, rate-limit remaining).
 */
patchBottleneckYield();

const writes = new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 });
const notifications = new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 });

const MAX_RATE_LIMIT_RETRIES = 3;

type ThrottleLog = { warn: (obj: object, msg: string) => void };

export const BotOctokit = ProbotOctokit.plugin(githubCallsPlugin).defaults((options: Record<string, any>) => ({
  ...options,
  throttle: {
    ...options.throttle,
    write: writes,
    notifications,
    onSecondaryRateLimit: (retryAfter: number, request: { method: string; url: string }, octokit: { log: ThrottleLog }, retryCount: number) => {
      octokit.log.warn({ retryAfter, retryCount }, `GitHub secondary rate limit on ${request.method} ${request.url}; backing off`);
      return retryCount < MAX_RATE_LIMIT_RETRIES;
    },
    onRateLimit: (retryAfter: number, request: { method: string; url: string }, octokit: { log: ThrottleLog }, retryCount: number) => {
      octokit.log.warn({ retryAfter, retryCount }, `GitHub rate limit exhausted on ${request.method} ${request.url}; waiting`);
      return retryCount < MAX_RATE_LIMIT_RETRIES;
    },
  },
}));
