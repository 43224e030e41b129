import { spawn } from "node:child_process";
import { join } from "node:path";
import { freePort, PROJECT_ROOT } from "../../test/support/start-bot.ts";
import { waitFor } from "../../test/support/wait-for.ts";

/** Starts bench/baselines/bare-probot.ts in a child process, like startBot starts the bot. */
export async function startBareProbot(env: { APP_ID: string; PRIVATE_KEY: string; WEBHOOK_SECRET: string; LOG_LEVEL: string; LOG_FORMAT: string; NOOP_HANDLER?: string }) {
  const port = await freePort();
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", PORT: String(port), HOST: "127.0.0.1", ...env };
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "bench/baselines/bare-probot.ts")], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Read (and keep) the log lines the same way startBot does for the bot.
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "the bare Probot's /ping",
    async () => {
      if (child.exitCode !== null) throw new Error(`bare-probot exited with ${child.exitCode}:\n${logs.slice(-20).join("\n")}`);
      return (await fetch(`${url}/ping`).catch(() => null))?.status === 200;
    },
    30_000,
    100,
  );
  return {
    pid: child.pid!,
    webhookUrl: `${url}/api/github/webhooks`,
    logs,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
