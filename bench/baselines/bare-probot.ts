/**
 * The intake baseline: a stock Probot server with an empty app. Probot verifies each delivery's
 * X-Hub-Signature-256 against WEBHOOK_SECRET and answers 200; nothing else happens. Logging is set
 * up the way the bot's is (Probot's pino transform, LOG_LEVEL / LOG_FORMAT), so both pay for the
 * same per-request log line.
 *
 * With NOOP_HANDLER=1 the app has one handler, for issue_comment.created, that does nothing: what
 * Probot itself does for an event an app handles (its context: an authenticated Octokit and a
 * child logger per event), with no work of the app's own.
 *
 *   APP_ID=… PRIVATE_KEY=… WEBHOOK_SECRET=… PORT=… [NOOP_HANDLER=1] node bench/baselines/bare-probot.ts
 */
import { getTransformStream } from "@probot/pino";
import { pino } from "pino";
import { Probot, Server } from "probot";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bare-probot: ${name} is required`);
  return value;
};

const transform = await getTransformStream({ logFormat: process.env.LOG_FORMAT === "pretty" ? "pretty" : "json" });
transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
const log = pino({ level: process.env.LOG_LEVEL ?? "info", name: "bare-probot" }, transform);

const server = new Server({
  Probot: Probot.defaults({ appId: env("APP_ID"), privateKey: env("PRIVATE_KEY"), secret: env("WEBHOOK_SECRET"), log }),
  port: Number(env("PORT")),
  host: process.env.HOST ?? "127.0.0.1",
  log,
});
await server.load((app) => {
  if (process.env.NOOP_HANDLER === "1") app.on("issue_comment.created", async () => {});
});
await server.start();
process.once("SIGTERM", () => void server.stop().then(() => process.exit(0)));
