import { randomUUID } from "node:crypto";
import { ENTRY_POINTS } from "../../src/intake/register.ts";
import type { Script } from "../support/fake-anthropic/types.ts";
import { startFakeAnthropic } from "../support/fake-anthropic/index.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import type { RepoInfo } from "../support/fake-github/types.ts";
import { killStrays, startBot, type BotProcess } from "../support/start-bot.ts";
import { createWebhookFactory, sendWebhook, type WebhookFactory } from "../support/webhooks.ts";
import { waitFor } from "../support/wait-for.ts";

/** One world for an e2e test: fake GitHub + git server, scripted model, the bot as `npm start` runs it. */

export const MODEL_KEY = "sk-ant-api03-e2e-model-key-0123456789abcdef";

/** The environment that points a bot at the doubles: fake GitHub through GHE_HOST, the scripted model. */
export function botEnv(gh: FakeGitHub, modelUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ID: String(gh.appId),
    PRIVATE_KEY: gh.privateKey,
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: modelUrl,
    PROGRESS_INTERVAL_MS: "300",
    ...extra,
  };
}

export interface World {
  gh: FakeGitHub;
  model: Awaited<ReturnType<typeof startFakeAnthropic>>;
  bot: BotProcess;
  repo: RepoInfo;
  hooks: WebhookFactory;
  trigger: string;
  /**
   * Sends a webhook built by `hooks`, signed with the bot's secret. For an event that reaches
   * intake, resolves once the bot has finished with it (acknowledged and queued, or turned down):
   * the acknowledgement follows the 2xx.
   */
  send(built: { event: string; payload: unknown }, extra?: { deliveryId?: string; signature?: "valid" | "invalid" | "missing" }): Promise<{ status: number; body: string; ms: number }>;
  /** The bot's comments on an issue, oldest first. */
  botComments(issueNumber: number): FakeGitHub["state"]["comments"];
  /** Waits until the bot's n-th comment on the issue is a final report, and returns it. */
  waitForReport(issueNumber: number, nth?: number, timeoutMs?: number): Promise<FakeGitHub["state"]["comments"][number]>;
  close(): Promise<void>;
}

export async function startWorld(options: { script?: Script; env?: Record<string, string>; files?: Record<string, string> } = {}): Promise<World> {
  const gh = await startFakeGitHub();
  const model = await startFakeAnthropic({ apiKey: MODEL_KEY, ...(options.script ? { script: options.script } : {}) });
  const repo = await gh.createRepo({ owner: "acme", name: "widgets", files: { "README.md": "# Widgets\n", "src/index.js": "export const answer = 41;\n", ...options.files } });
  gh.setPermission(repo.fullName, "alice", "write");
  let bot: BotProcess;
  try {
    bot = await startBot({ env: botEnv(gh, model.url, options.env) });
  } catch (error) {
    await model.close();
    await gh.close();
    throw error;
  }
  const botLogin = gh.botUser.login;
  const botComments = (issueNumber: number) =>
    gh.state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === issueNumber && c.user.login === botLogin);
  const world: World = {
    gh,
    model,
    bot,
    repo,
    hooks: createWebhookFactory(gh),
    trigger: `@${gh.appSlug}`,
    async send(built, extra = {}) {
      const deliveryId = extra.deliveryId ?? randomUUID();
      const response = await sendWebhook(world.bot.webhookUrl, { ...built, secret: world.bot.secret, ...extra, deliveryId });
      if (response.status === 200 && (extra.signature ?? "valid") === "valid" && isEntryPoint(built)) await intakeDone(world.bot, deliveryId);
      return response;
    },
    botComments,
    waitForReport: (issueNumber, nth = 1, timeoutMs = 90_000) =>
      waitFor(
        `report #${nth} on issue ${issueNumber}`,
        () => {
          const comment = botComments(issueNumber)[nth - 1];
          return comment && /^### (✅|⚪|❌|⏹️)/m.test(comment.body) ? comment : null;
        },
        timeoutMs,
        100,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- bot log (last 40 lines) ---\n${world.bot.logs.slice(-40).join("\n")}`);
      }),
    async close() {
      // world.bot: a test may have restarted the bot (kill -9, SIGTERM) and put the new one there.
      await world.bot.stop().catch(() => undefined);
      if (world.bot !== bot) await bot.stop().catch(() => undefined);
      killStrays(bot.dataDir);
      await model.close();
      await gh.close();
    },
  };
  return world;
}

function isEntryPoint(built: { event: string; payload: unknown }): boolean {
  const action = (built.payload as { action?: string }).action;
  return ENTRY_POINTS.some(([name]) => name === `${built.event}.${action}`);
}

/** Every delivery intake takes ends with one log line carrying its outcome in `intake`. */
export async function intakeDone(bot: BotProcess, deliveryId: string): Promise<string> {
  return waitFor(
    `the bot to finish with delivery ${deliveryId}`,
    () => bot.logRecords().find((r) => r.delivery === deliveryId && typeof r.intake === "string")?.intake as string | undefined,
    30_000,
    20,
  );
}

/** The Claude result JSON from a report's collapsible block. */
export function reportJson(body: string): Record<string, unknown> {
  const match = body.match(/<details><summary>Claude's result \(JSON\)<\/summary>\n\n(`{3,})json\n([\s\S]*?)\n\1/);
  if (!match) throw new Error(`no result JSON in the report:\n${body}`);
  return JSON.parse(match[2]!) as Record<string, unknown>;
}
