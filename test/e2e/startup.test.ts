import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { freePort, startBot, type BotProcess } from "../support/start-bot.ts";

/**
 * The first minutes of a newcomer: `npm start` with GitHub unreachable or the App's id/key refused
 * ends with one line that names what to check (GHE_HOST, APP_ID, PRIVATE_KEY), no stack trace,
 * and does not wait out retries.
 */

const OTHER_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

async function exitOf(bot: BotProcess): Promise<{ code: number | null; ms: number; lines: string[] }> {
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    if (bot.process.exitCode !== null) resolve(bot.process.exitCode);
    bot.process.once("exit", (c) => resolve(c));
  });
  // The last chunk of output may land just after the exit event.
  await new Promise((r) => setTimeout(r, 50));
  return { code, ms: Date.now() - started, lines: bot.logs };
}

function baseEnv(host: string, appId: string, key: string): Record<string, string> {
  return { APP_ID: appId, PRIVATE_KEY: key, GHE_HOST: host, GHE_PROTOCOL: "http", ANTHROPIC_API_KEY: "sk-ant-startup-test" };
}

describe("start-up against a GitHub that cannot be used", () => {
  let gh: FakeGitHub;
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort = 0;
  beforeAll(async () => {
    gh = await startFakeGitHub();
    // Accepts connections and never answers: a firewall that drops, a wrong port on a live host.
    silent = createServer((socket) => void sockets.push(socket));
    silentPort = await new Promise<number>((resolve) => silent.listen(0, "127.0.0.1", () => resolve((silent.address() as { port: number }).port)));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    silent?.close();
    await gh?.close();
  });

  const expectOneClearLine = (lines: string[], pattern: RegExp) => {
    const failure = lines.filter((line) => line.includes("failed to start"));
    expect(failure, lines.join("\n")).toHaveLength(1);
    expect(failure[0]).toMatch(pattern);
    expect(lines.some((line) => /^\s+at /.test(line)), "no stack trace").toBe(false);
  };

  it("names GHE_HOST when nothing listens there", async () => {
    const port = await freePort();
    const bot = await startBot({ env: baseEnv(`127.0.0.1:${port}`, String(gh.appId), gh.privateKey), waitReady: false });
    const { code, lines } = await exitOf(bot);
    expect(code).toBe(1);
    expectOneClearLine(lines, new RegExp(`Cannot reach GitHub at http://127\\.0\\.0\\.1:${port}/api/v3 \\(GET /app: ECONNREFUSED\\): check GHE_HOST`));
  });

  it("gives up on a host that never answers within 5 seconds", async () => {
    const started = Date.now();
    const bot = await startBot({ env: baseEnv(`127.0.0.1:${silentPort}`, String(gh.appId), gh.privateKey), waitReady: false });
    const { code, lines } = await exitOf(bot);
    expect(code).toBe(1);
    expectOneClearLine(lines, /Cannot reach GitHub at .* \(GET \/app: no answer within 3\.5 s\): check GHE_HOST/);
    // The bound is the request's own timeout (3.5 s); Node's start-up comes on top.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("names APP_ID and PRIVATE_KEY when GitHub refuses the App's key", async () => {
    const bot = await startBot({ env: baseEnv(gh.host, String(gh.appId), OTHER_KEY), waitReady: false });
    const { code, lines } = await exitOf(bot);
    expect(code).toBe(1);
    expectOneClearLine(lines, new RegExp(`refused the App \\(GET /app answered 401\\): check APP_ID=${gh.appId} and that PRIVATE_KEY belongs to that App`));
  });

  it("starts normally with an APP_ID, a key and nothing else wrong", async () => {
    const bot = await startBot({ env: baseEnv(gh.host, String(gh.appId), gh.privateKey) });
    try {
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    } finally {
      await bot.stop();
    }
  });

  it("an APP_ID without a key is a configuration error naming PRIVATE_KEY, not the registration page", async () => {
    const { PRIVATE_KEY: _k, ...env } = baseEnv(gh.host, String(gh.appId), "");
    const bot = await startBot({ env, waitReady: false });
    const { code, lines } = await exitOf(bot);
    expect(code).toBe(1);
    expect(lines.join("\n")).toMatch(/- PRIVATE_KEY: set PRIVATE_KEY \(the PEM\) or PRIVATE_KEY_PATH/);
  });
});
