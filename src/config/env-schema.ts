import { z } from "zod";

/**
 * Every variable the bot understands, declared once; the README's configuration reference and
 * .env.example follow this schema. Applied by config/env.ts's readConfig, the one reader of the
 * environment. Its own file so config/sandbox-passthrough.ts can name the bot's own settings
 * without importing env.ts, which imports it.
 */

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const envSchema = z
  .object({
    APP_ID: z.coerce.number().int().positive(),
    PRIVATE_KEY: z.string().optional().transform((v) => (v?.trim() ? v : undefined)),
    PRIVATE_KEY_PATH: optionalString,
    WEBHOOK_SECRET: z.string().min(1),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: optionalString,
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
    WEBHOOK_PROXY_URL: z.url().optional(),
    GHE_HOST: optionalString,
    GHE_PROTOCOL: z.enum(["http", "https"]).default("https"),

    TRIGGER_PHRASE: optionalString,
    BRANCH_PREFIX: z.string().min(1).default("claude/"),

    SANDBOX_PROVIDER: z.enum(["e2b", "local"]).default("e2b"),
    E2B_API_KEY: optionalString,
    E2B_TEMPLATE: z.string().min(1).default("claude-sandbox-bot"),
    SANDBOX_TIMEOUT_SECONDS: positiveInt(1800),
    LOCAL_SANDBOX_ROOT: z.string().min(1).default("./data/sandboxes"),
    /** Shown in reports as the sandbox's cost; default: E2B's list price for 2 vCPU + 4 GiB, 0 for local. */
    SANDBOX_COST_PER_SECOND_USD: z.coerce.number().min(0).optional(),
    /** Sandboxes kept started for threads' first runs (sandbox/pool.ts); 0: none. */
    SANDBOX_POOL_SIZE: z.coerce.number().int().min(0).max(50).default(0),

    ANTHROPIC_API_KEY: optionalString,
    CLAUDE_CODE_OAUTH_TOKEN: optionalString,
    ANTHROPIC_BASE_URL: z.url().optional(),
    PUBLIC_URL: z.url().optional(),
    // Unset: on wherever sandboxes can reach the bot (the local provider; e2b with PUBLIC_URL).
    MODEL_GATEWAY: z.enum(["on", "off"], { error: "MODEL_GATEWAY must be on or off" }).optional(),
    MODEL_GATEWAY_MAX_CONCURRENT_PER_INSTALLATION: z.coerce.number().int().positive().optional(),
    // on: a mention while the thread's run works goes into its Claude (runs/steering.ts); off: every mention queues.
    STEERING: z.enum(["on", "off"], { error: "STEERING must be on or off" }).default("on"),
    // on: a code run's Claude is kept in the paused sandbox for the thread's next run (runs/warm-claude.ts).
    WARM_CLAUDE: z.enum(["on", "off"], { error: "WARM_CLAUDE must be on or off" }).default("on"),
    CLAUDE_COMMAND: z.string().min(1).default("claude"),
    CLAUDE_MODEL: optionalString,
    CLAUDE_MAX_TURNS: z.coerce.number().int().positive().optional(),
    DAILY_BUDGET_USD_PER_INSTALLATION: z.coerce.number().positive().optional(),
    RUN_API_ALLOW_DEFAULT_BRANCH: z.enum(["true", "false"], { error: "RUN_API_ALLOW_DEFAULT_BRANCH must be true or false" }).default("false").transform((v) => v === "true"),
    SANDBOX_ALLOW_OUT: optionalString,
    SANDBOX_PASSTHROUGH_ENV: optionalString,

    DATABASE_URL: z.string().min(1).default("sqlite:./data/bot.db"),
    ROLE: z.enum(["all", "web", "worker"]).default("all"),
    SANDBOX_RETENTION_HOURS: z.coerce.number().positive().default(24),
    SNAPSHOT_RETENTION_HOURS: z.coerce.number().positive().default(48),
    REAPER_INTERVAL_SECONDS: positiveInt(300),
    SHUTDOWN_GRACE_SECONDS: positiveInt(30),
    WORKER_CONCURRENCY: positiveInt(4),
    /** A hard cap on one installation's running runs (all processes); 0: none, free slots still go to the least busy installation. */
    MAX_RUNS_PER_INSTALLATION: z.coerce.number().int().min(0).default(0),
    RUN_LEASE_SECONDS: positiveInt(60),
    PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(3000),

    /** The dashboard and the run API (src/web); unset, both answer 503. */
    ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters (e.g. `openssl rand -hex 32`)"),
    /** When set, GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open. */
    METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters (e.g. `openssl rand -hex 32`)"),
  });
