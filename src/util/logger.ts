import { getTransformStream } from "@probot/pino";
import { pino, type Logger } from "pino";

/** The same pino set-up Probot's own getLog uses (pretty in development, JSON with LOG_FORMAT=json). */
export async function createLogger(options: { level: string; format?: "json" | "pretty" | undefined }): Promise<Logger> {
  const transform = await getTransformStream({ logFormat: options.format ?? (process.env.NODE_ENV === "production" ? "json" : "pretty") });
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return pino({ level: options.level, name: "claude-sandbox-bot" }, transform);
}
