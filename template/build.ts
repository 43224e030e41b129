/**
 * `npm run template:build [-- --no-cache]`: builds template.ts on E2B under DEFAULT_TEMPLATE_ALIAS
 * (or E2B_TEMPLATE). Needs E2B_API_KEY. --no-cache rebuilds every layer (e.g. for apt security updates).
 */
import { AuthenticationError, defaultBuildLogger, Template } from "e2b";
import { BASE_IMAGE, CLAUDE_CODE_VERSION, CPU_COUNT, DEFAULT_TEMPLATE_ALIAS, MEMORY_MB, template } from "./template.ts";

const apiKey = process.env.E2B_API_KEY;
if (!apiKey) {
  process.stderr.write("E2B_API_KEY is not set: get a key at https://e2b.dev/dashboard?tab=keys and export it\n");
  process.exit(1);
}
const name = process.env.E2B_TEMPLATE || DEFAULT_TEMPLATE_ALIAS;
const skipCache = process.argv.includes("--no-cache");

process.stdout.write(
  `Building E2B template '${name}' from '${BASE_IMAGE}': ${CPU_COUNT} vCPU, ${MEMORY_MB} MB, ` +
    `Claude Code ${CLAUDE_CODE_VERSION}${skipCache ? ", no cache" : ""}\n`,
);
try {
  const info = await Template.build(template, name, {
    apiKey,
    cpuCount: CPU_COUNT,
    memoryMB: MEMORY_MB,
    skipCache,
    onBuildLogs: defaultBuildLogger(),
  });
  process.stdout.write(`Built '${info.name}' (template ${info.templateId}, build ${info.buildId}).\n`);
  if (name !== DEFAULT_TEMPLATE_ALIAS) process.stdout.write(`Run the bot with E2B_TEMPLATE=${name} to use it.\n`);
} catch (err) {
  const hint = err instanceof AuthenticationError ? " (check E2B_API_KEY)" : "";
  process.stderr.write(`Template build failed${hint}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
