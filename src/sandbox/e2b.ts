/**
 * The E2B sandbox provider: each job gets a fresh Firecracker VM built from our template
 * (template/template.ts). Everything E2B-specific lives here, behind the Sandbox interface.
 */
import {
  ALL_TRAFFIC,
  AuthenticationError,
  FileNotFoundError,
  RateLimitError,
  Sandbox as E2bSandbox,
  SandboxError,
  SandboxNotFoundError,
  ServiceBusyError,
  TemplateError,
} from "e2b";
import type { SandboxOpts } from "e2b";
import { createE2bCommands, E2B_WORKDIR, messageOf } from "./e2b-commands.ts";
import { createE2bSnapshots } from "./e2b-snapshots.ts";
import { SANDBOX_APP_LABEL, type CreateSandboxOptions, type Sandbox, type SandboxProvider, type SandboxSummary } from "./types.ts";

export { ABORTED_EXIT_CODE, E2B_WORKDIR, TIMED_OUT_EXIT_CODE } from "./e2b-commands.ts";
/** The sandbox user of E2B templates is `user`; the template makes the repository directory. */
export const E2B_HOME = "/home/user";

type LogFn = (obj: object, msg: string) => void;
/** The slice of a pino logger the provider uses. */
export interface E2bLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}

export interface E2bProviderOptions {
  apiKey: string;
  template: string;
  /** Egress allow-list (hostnames/CIDRs); undefined = SDK default (open). */
  allowOut?: string[];
  /** Injected for tests: the e2b Sandbox class (or a fake with the same static create/connect/list API). */
  SandboxClass?: typeof E2bSandbox;
  log: E2bLogger;
}

export interface E2bProvider extends SandboxProvider {
  readonly name: "e2b";
}

export function createE2bProvider(options: E2bProviderOptions): E2bProvider {
  const { apiKey, template, allowOut, log } = options;
  const SandboxClass = options.SandboxClass ?? E2bSandbox;

  /** A new sandbox from our template, or (snapshots.start) from a snapshot of one. */
  const createFrom = async (source: string, create: CreateSandboxOptions): Promise<Sandbox> => {
    const opts: SandboxOpts = {
      apiKey,
      metadata: { ...create.metadata, ...SANDBOX_APP_LABEL },
      envs: create.envs,
      timeoutMs: create.timeoutMs,
      // Pausing instead of killing keeps the work of a job that overran; the reaper cleans up.
      lifecycle: { onTimeout: "pause" },
      // E2B only enforces allowOut when everything else is denied (allowOut wins over denyOut).
      ...(allowOut === undefined ? {} : { network: { allowOut: [...allowOut], denyOut: [ALL_TRAFFIC] } }),
    };
    let sbx: E2bSandbox;
    try {
      sbx = await SandboxClass.create(source, opts);
    } catch (err) {
      throw source === template ? explainApiError(err, `create a sandbox from template '${template}'`, template) : explainApiError(err, `create a sandbox from snapshot '${source}'`);
    }
    try {
      // Our template has it already; this keeps other templates (E2B_TEMPLATE=claude) usable.
      await sbx.files.makeDir(E2B_WORKDIR);
    } catch (err) {
      await killQuietly(sbx, log);
      throw new Error(`E2B sandbox ${sbx.sandboxId} started but ${E2B_WORKDIR} could not be created: ${messageOf(err)}`, {
        cause: err,
      });
    }
    log.info({ sandboxId: sbx.sandboxId, template: source }, "e2b sandbox created");
    return wrapSandbox(sbx, log);
  };

  return {
    name: "e2b",
    create: (create: CreateSandboxOptions) => createFrom(template, create),
    snapshots: createE2bSnapshots({ apiKey, SandboxClass, log, start: createFrom }),

    /**
     * Reattaches to a sandbox by id; E2B resumes it if it was paused. timeoutMs is its new
     * lifetime. A sandbox that is gone (killed, expired, reaped) gives null: the slow path.
     */
    async connect(sandboxId: string, timeoutMs: number): Promise<Sandbox | null> {
      let sbx: E2bSandbox;
      try {
        sbx = await SandboxClass.connect(sandboxId, { apiKey, timeoutMs });
      } catch (err) {
        if (err instanceof SandboxNotFoundError || (err instanceof SandboxError && (err as { statusCode?: number }).statusCode === 404)) return null;
        throw explainApiError(err, `connect to sandbox ${sandboxId}`);
      }
      log.info({ sandboxId }, "e2b sandbox connected");
      return wrapSandbox(sbx, log);
    },

    async list(): Promise<SandboxSummary[]> {
      const paginator = SandboxClass.list({ apiKey, query: { metadata: { ...SANDBOX_APP_LABEL }, state: ["running", "paused"] } });
      const out: SandboxSummary[] = [];
      while (paginator.hasNext) {
        for (const info of await paginator.nextItems()) {
          out.push({ id: info.sandboxId, state: info.state === "paused" ? "paused" : "running", startedAt: new Date(info.startedAt), metadata: info.metadata });
        }
      }
      return out;
    },

    async killById(sandboxId: string): Promise<void> {
      try {
        await SandboxClass.kill(sandboxId, { apiKey });
      } catch (err) {
        log.warn({ sandboxId, err: messageOf(err) }, "e2b could not kill a sandbox");
      }
    },
  };
}

/** A missing file is null; any other failure is an error. */
async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof FileNotFoundError) return null;
    throw err;
  }
}

function wrapSandbox(sbx: E2bSandbox, log: E2bLogger): Sandbox {
  const commands = createE2bCommands(sbx, log);
  return {
    id: sbx.sandboxId,
    provider: "e2b",
    workdir: E2B_WORKDIR,
    homeDir: E2B_HOME,
    run: (argv, options) => commands.run(argv, options ?? {}),
    follow: (ref, options) => commands.follow(ref, options),
    async writeFile(path, content) {
      // The SDK takes text or an ArrayBuffer (a Uint8Array may be a view into a larger one).
      await sbx.files.write(path, typeof content === "string" ? content : content.slice().buffer);
    },
    readFile: (path) => orNull(sbx.files.read(path)),
    readBytes: (path) => orNull(sbx.files.read(path, { format: "bytes" })),
    async pause() {
      // The pause drops the VM's connections: a command meant to outlive it is let go first, not lost.
      await commands.detachAll();
      await sbx.pause();
      log.info({ sandboxId: sbx.sandboxId }, "e2b sandbox paused");
    },
    kill: () => killQuietly(sbx, log),
  };
}

async function killQuietly(sbx: E2bSandbox, log: E2bLogger): Promise<void> {
  try {
    await sbx.kill();
    log.info({ sandboxId: sbx.sandboxId }, "e2b sandbox killed");
  } catch (err) {
    log.warn({ sandboxId: sbx.sandboxId, err: messageOf(err) }, "e2b sandbox kill failed; the reaper will retry");
  }
}

/** Turns the SDK's API errors into messages that say what to do about them. */
function explainApiError(err: unknown, action: string, template?: string): Error {
  const detail = messageOf(err);
  let message: string;
  if (err instanceof AuthenticationError) message = `E2B rejected the API key: check E2B_API_KEY (${detail})`;
  else if (err instanceof RateLimitError)
    message = `E2B rate limit hit while trying to ${action}: retry later or run fewer jobs at once (${detail})`;
  else if (err instanceof ServiceBusyError) message = `E2B is busy and could not ${action}: retry in a minute (${detail})`;
  else if (err instanceof SandboxNotFoundError) message = `E2B sandbox not found while trying to ${action}: it was killed or expired (${detail})`;
  else if (template !== undefined && err instanceof TemplateError)
    message = `E2B template '${template}' is too old for this SDK: rebuild it with npm run template:build (${detail})`;
  else if (template !== undefined && err instanceof SandboxError && (err.statusCode === 404 || /template.*not found/i.test(detail)))
    message = `E2B template '${template}' not found: build it with npm run template:build or set E2B_TEMPLATE (${detail})`;
  else message = `E2B could not ${action}: ${detail}`;
  return new Error(message, { cause: err });
}
