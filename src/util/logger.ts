import { Transform } from "node:stream";
import { getTransformStream } from "@probot/pino";
import { pino, type Logger } from "pino";
import { processSecrets, type SecretRegistry } from "./secret-registry.ts";

/**
 * The same pino set-up Probot's own getLog uses (pretty in development, JSON with LOG_FORMAT=json),
 * with one more stage: every known secret value is redacted from every line before it is written.
 */
export async function createLogger(options: { level: string; format?: "json" | "pretty" | undefined; secrets?: SecretRegistry }): Promise<Logger> {
  const transform = await getTransformStream({ logFormat: options.format ?? "pretty" });
  const secrets = options.secrets ?? processSecrets;
  const redacting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, secrets.redact(chunk.toString("utf8")));
    },
  });
  transform.pipe(redacting).pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return pino({ level: options.level, name: "claude-sandbox-bot" }, transform);
}
