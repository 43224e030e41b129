import { rmSync } from "node:fs";
import { startFakeAnthropic } from "../../test/support/fake-anthropic/index.ts";
import type { FakeAnthropic, Script } from "../../test/support/fake-anthropic/types.ts";
import { startFakeGitHub, type FakeGitHub } from "../../test/support/fake-github/index.ts";
import type { RepoInfo } from "../../test/support/fake-github/types.ts";
import { startBot, type BotProcess } from "../../test/support/start-bot.ts";
import { createWebhookFactory, type WebhookFactory } from "../../test/support/webhooks.ts";

/**
 * The e2e tests' world, for the bench: fake GitHub (REST + git http-backend) and the scripted
 * Anthropic API in this process, the bot as `npm start` runs it in a child process. Logging is
 * what production uses (info, JSON) rather than the tests' debug.
 */

export const MODEL_KEY = "sk-ant-api03-bench-model-key-0123456789abcdef";
export const WRITE_USER = "alice";

export interface BenchWorld {
  gh: FakeGitHub;
  model: FakeAnthropic;
  repo: RepoInfo;
  hooks: WebhookFactory;
  trigger: string;
  /** The env the bot gets, before per-figure overrides. */
  baseEnv(): Record<string, string>;
  startBot(env?: Record<string, string>): Promise<BotProcess>;
  close(): Promise<void>;
}

export async function startBenchWorld(script: Script): Promise<BenchWorld> {
  const gh = await startFakeGitHub();
  const model = await startFakeAnthropic({ apiKey: MODEL_KEY, script });
  const repo = await gh.createRepo({ owner: "acme", name: "widgets", files: { "README.md": "# Widgets\n", "src/index.js": "export const answer = 41;\n" } });
  gh.setPermission(repo.fullName, WRITE_USER, "write");
  const bots: BotProcess[] = [];
  const baseEnv = () => ({
    APP_ID: String(gh.appId),
    PRIVATE_KEY: gh.privateKey,
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
    // A stopped bench bot hands its runs back at once (and kills their Claude processes).
    SHUTDOWN_GRACE_SECONDS: "1",
  });
  return {
    gh,
    model,
    repo,
    hooks: createWebhookFactory(gh),
    trigger: `@${gh.appSlug}`,
    baseEnv,
    async startBot(env = {}) {
      const bot = await startBot({ env: { ...baseEnv(), ...env } });
      bots.push(bot);
      return bot;
    },
    async close() {
      await Promise.all(bots.map((b) => b.stop().catch(() => undefined)));
      for (const b of bots) rmSync(b.dataDir, { recursive: true, force: true });
      await model.close();
      await gh.close();
    },
  };
}
