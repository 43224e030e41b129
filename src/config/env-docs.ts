import { envSchema } from "./env-schema.ts";

/**
 * The configuration reference for the environment, one entry per variable of envSchema (the
 * type makes a missing or stale entry a compile error). The README's table is generated from it
 * by `npm run docs:config`; a test fails when the two drift apart.
 */

type EnvName = keyof typeof envSchema.shape;

export const ENV_DOCS = {
  APP_ID: { default: "— (required)", meaning: "the GitHub App's ID; without it `npm start` runs the registration flow" },
  PRIVATE_KEY: { default: "—", meaning: "the App's private key (PEM; `\\n` escapes or base64 accepted)" },
  PRIVATE_KEY_PATH: { default: "—", meaning: "or the path of the `.pem` file" },
  WEBHOOK_SECRET: { default: "— (required)", meaning: "the App's webhook secret; signatures are verified" },
  PORT: { default: "`3000`", meaning: "HTTP port: webhooks at `/api/github/webhooks`, `GET /healthz`" },
  HOST: { default: "`localhost` (Probot's default)", meaning: "the interface to listen on; `0.0.0.0` for all (the Docker image sets it)" },
  LOG_LEVEL: { default: "`info`", meaning: "`trace` … `fatal`, `silent`" },
  LOG_FORMAT: { default: "`pretty` (`json` when `NODE_ENV=production`)", meaning: "`json` or `pretty`" },
  WEBHOOK_PROXY_URL: { default: "—", meaning: "a smee.io channel forwarding webhooks (local development)" },
  GHE_HOST: { default: "—", meaning: "GitHub Enterprise Server host; the API is then `<GHE_PROTOCOL>://<GHE_HOST>/api/v3`" },
  GHE_PROTOCOL: { default: "`https`", meaning: "`http` or `https`, with `GHE_HOST`" },
  TRIGGER_PHRASE: { default: "`@` + the app's slug", meaning: "what a comment must mention to start a run" },
  BRANCH_PREFIX: { default: "`claude/`", meaning: "branches the bot creates are `<prefix>issue-<n>` (run API: `<prefix>api-<id>`); a repository's `branchPrefix` overrides it" },
  SANDBOX_PROVIDER: { default: "`e2b`", meaning: "`e2b`, or `local` (a host directory: not isolated; development and tests)" },
  E2B_API_KEY: { default: "— (required with `e2b`)", meaning: "your E2B API key" },
  E2B_TEMPLATE: { default: "`claude-sandbox-bot`", meaning: "the E2B template; build ours with `npm run template:build`" },
  SANDBOX_TIMEOUT_SECONDS: { default: "`1800`", meaning: "a run's time limit (Claude's time; the sandbox lives 5 minutes longer so publishing completes)" },
  SANDBOX_COST_PER_SECOND_USD: { default: "`0.000046` with e2b (2 vCPU + 4 GiB list price), `0` with local", meaning: "the sandbox's price, shown in each report beside Claude's cost" },
  SANDBOX_POOL_SIZE: { default: "`0` (off)", meaning: "sandboxes from the template kept started in each worker process, so a thread's first run without a repository snapshot does not wait for one to boot; refilled after each take, replaced after idling half a run's lifetime; their idle seconds (at `SANDBOX_COST_PER_SECOND_USD`) are on `/metrics`" },
  LOCAL_SANDBOX_ROOT: { default: "`./data/sandboxes`", meaning: "where the local provider makes sandbox directories; git in a sandbox never sees a repository above it, so inside a clone is fine, but the root itself must not be a repository's top level" },
  ANTHROPIC_API_KEY: { default: "—", meaning: "model credentials for Claude Code (this or the next)" },
  CLAUDE_CODE_OAUTH_TOKEN: { default: "—", meaning: "a Claude subscription token instead of an API key" },
  ANTHROPIC_BASE_URL: { default: "—", meaning: "an LLM gateway in front of the Anthropic API" },
  PUBLIC_URL: { default: "—", meaning: "the bot's externally reachable base URL (the processes that take webhooks); with e2b, sandboxes reach the model gateway at `<PUBLIC_URL>/model`, and the dashboard's links in check runs start with it" },
  MODEL_GATEWAY: { default: "on where sandboxes can reach the bot: always with `local`, with `e2b` when `PUBLIC_URL` is set", meaning: "`on`: the sandbox's Claude gets a per-run token for the bot's model gateway (`/model`, which forwards to the model API with the deployment's key, meters every request and enforces the run's cost cap) instead of the key itself; `off`: the key is in every sandbox (warned at start-up)" },
  MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION: { default: "no limit", meaning: "model requests one installation may have under way at once, per bot process; more get a 429 the CLI retries" },
  STEERING: { default: "`on`", meaning: "`on`: a mention in a thread whose code run is in its agent phase goes into that run's Claude (picked up at its next turn, 👀 on it, listed in the report) instead of queueing behind it; `off`: every mention is a run of its own" },
  WARM_CLAUDE: { default: "`on`", meaning: "`off`: every run starts the CLI (`--resume` for a follow-up). `on` (with the model gateway): after a code run, its Claude process stays running in the paused sandbox (on E2B frozen with it, and taken up again by the next run's connection) and the thread's next code run writes its prompt to it instead of starting the CLI again (≈ 50 ms to the model instead of ≈ 0.7 s; the report says \"resumed warm\"); a different model, mode, config or sandbox, or a process that is gone, falls back to `--resume`. Kept processes get no `--max-budget-usd` (the CLI counts it over all their runs): the gateway's per-run cap limits each run. Killed with the sandbox, after 30 min idle, past 32 kept per bot process (the one kept longest ago), and at shutdown" },
  CLAUDE_COMMAND: { default: "`claude`", meaning: "the Claude Code executable in the sandbox" },
  CLAUDE_MODEL: { default: "the CLI's default", meaning: "`--model` for every run" },
  CLAUDE_MAX_TURNS: { default: "the CLI's default", meaning: "`--max-turns` for every run" },
  RUN_API_ALLOW_DEFAULT_BRANCH: { default: "`false`", meaning: "`true` lets run API requests name the repository's default branch or a protected branch as `branch` (the bot then pushes to it directly); otherwise such a request is refused with 403" },
  DAILY_BUDGET_USD_PER_INSTALLATION: { default: "— (none)", meaning: "a daily budget (UTC) for all repositories of one installation; over it, nothing starts and the user is told why. Repositories set their own with `budget.dailyUsd`" },
  SANDBOX_ALLOW_OUT: { default: "the model gateway's host (`PUBLIC_URL`; the model API host when the gateway is off), the git host, common package registries", meaning: "the E2B sandbox's network egress allow-list, comma-separated hosts or CIDRs, replacing the package registries (the model endpoint and git host are always kept); `*` for no restriction (see `src/config/egress.ts`). E2B matches host names only on ports 80/443: a `GHE_HOST` or `ANTHROPIC_BASE_URL` on another port is blocked (start-up logs a warning)" },
  SANDBOX_PASSTHROUGH_ENV: { default: "— (none)", meaning: "comma-separated names of this process's environment variables a repository's `env:` may pass into its sandboxes, e.g. `NPM_TOKEN,PYPI_TOKEN`; a name not listed is never passed (the run is refused, saying so). The bot's own settings (every variable in this table), the model credentials and `GITHUB_*`/`GH_*`/`GIT_*` can never be listed: start-up refuses them" },
  DATABASE_URL: { default: "`sqlite:./data/bot.db`", meaning: "thread state and the run queue: embedded SQLite via node:sqlite, or `postgres://user:pass@host:5432/db` (optionally `?schema=name`) to share one database between many processes, with pg-boss as the queue" },
  ROLE: { default: "`all`", meaning: "`web` takes webhooks only, `worker` executes runs only (its port must not receive webhooks), `all` both; many of each can share one PostgreSQL" },
  WORKER_CONCURRENCY: { default: "`4`", meaning: "runs (sandboxes) this process works on at once" },
  MAX_RUNS_PER_INSTALLATION: { default: "`0`: a fair share, no fixed cap", meaning: "at most this many runs of one installation at once, counted across all processes (`0`: no fixed number, the fair share below decides). Whatever it is, a free worker slot goes to the installation with the fewest running runs (then the installation whose last run started longest ago, then the oldest run), so one installation's flood never makes another's mention wait behind it, and installations with work all get an equal share; a cap also keeps slots free for an installation that has none queued yet" },
  RUN_LEASE_SECONDS: { default: "`60`", meaning: "a running run whose worker has not renewed its lease for this long is taken to be dead and queued again" },
  SANDBOX_RETENTION_HOURS: { default: "`24`", meaning: "a thread's paused sandbox is kept this long for the next request (the fast path); after that the reaper kills it and the next request restores the saved transcript" },
  SNAPSHOT_RETENTION_HOURS: { default: "`48`", meaning: "a repository snapshot (a set-up checkout new threads start from; `snapshots` in the repository config) no run has started from for this long is deleted by the reaper; the next new thread clones, sets up and takes a new one" },
  REAPER_INTERVAL_SECONDS: { default: "`300`", meaning: "how often the reaper looks for sandboxes nothing needs" },
  SHUTDOWN_GRACE_SECONDS: { default: "`30`", meaning: "on SIGTERM, running runs get this long to finish before they are handed back to the queue" },
  PROGRESS_INTERVAL_MS: { default: "`3000`", meaning: "at most one progress-comment edit per this many ms" },
  ADMIN_TOKEN: { default: "— (dashboard and run API off)", meaning: "the token for the dashboard (`/dashboard`, sign in with it) and the run API (`Authorization: Bearer`); at least 16 characters. Unset, both answer 503" },
  METRICS_TOKEN: { default: "— (`/metrics` open)", meaning: "when set, `GET /metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; at least 16 characters" },
} satisfies Record<EnvName, { default: string; meaning: string }>;

export const ENV_START_MARKER = "<!-- env-config:start -->";
export const ENV_END_MARKER = "<!-- env-config:end -->";

/** The README table, in the schema's order. */
export function buildEnvReference(): string {
  const rows = (Object.keys(envSchema.shape) as EnvName[]).map((name) => `| \`${name}\` | ${ENV_DOCS[name].default} | ${ENV_DOCS[name].meaning} |`);
  const note = "<!-- generated from src/config/env-docs.ts by `npm run docs:config`: do not edit by hand -->";
  return [note, "", "| variable | default | meaning |", "| --- | --- | --- |", ...rows, ""].join("\n");
}
