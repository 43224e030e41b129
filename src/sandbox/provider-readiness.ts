import { access, constants, mkdir } from "node:fs/promises";
import type { Sandbox as E2bSandbox } from "e2b";

/**
 * /readyz's "sandbox" check: can this process start a sandbox at all? For E2B, one cheap
 * authenticated call (list one sandbox) proves the API answers and accepts the key; its outcome is
 * cached, so a readiness probe every few seconds costs E2B one request a minute. For the local
 * provider, the sandbox root must be a writable directory.
 */

export interface CachedCheckOptions {
  /** How long an answer is reused: a good one for okMs, a failure for failedMs (retried sooner). */
  okMs?: number;
  failedMs?: number;
  now?: () => number;
}

/** Wraps a check so that its last outcome is reused for a while and concurrent callers share one call. */
export function cachedCheck(check: () => Promise<void>, options: CachedCheckOptions = {}): () => Promise<void> {
  const { okMs = 60_000, failedMs = 15_000, now = Date.now } = options;
  let last: { at: number; error?: unknown } | undefined;
  let inFlight: Promise<void> | undefined;
  return async () => {
    if (last && now() - last.at < (last.error === undefined ? okMs : failedMs)) {
      if (last.error !== undefined) throw last.error;
      return;
    }
    inFlight ??= check().then(
      () => void (last = { at: now() }),
      (error: unknown) => {
        last = { at: now(), error };
        throw error;
      },
    ).finally(() => (inFlight = undefined));
    return inFlight;
  };
}

export interface E2bCheckOptions {
  apiKey: string;
  /** The SDK's API URL (tests point it at loopback); default: the SDK's own (E2B_API_URL or api.e2b.app). */
  apiUrl?: string;
  requestTimeoutMs?: number;
  SandboxClass?: Pick<typeof E2bSandbox, "list">;
}

export async function checkE2bApi(options: E2bCheckOptions): Promise<void> {
  const SandboxClass = options.SandboxClass ?? (await import("e2b")).Sandbox;
  try {
    await SandboxClass.list({
      apiKey: options.apiKey,
      limit: 1,
      requestTimeoutMs: options.requestTimeoutMs ?? 2500,
      retries: 0,
      ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
    }).nextItems();
  } catch (error) {
    const name = (error as Error).name;
    const message = (error as Error).message;
    if (name === "AuthenticationError") throw new Error(`E2B refused E2B_API_KEY (${message}): create a key at e2b.dev/dashboard and set E2B_API_KEY`);
    throw new Error(`E2B's API did not answer (${message}): check this machine's network to E2B`, { cause: error });
  }
}

export async function checkLocalRoot(root: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true });
    await access(root, constants.W_OK);
  } catch (error) {
    throw new Error(`LOCAL_SANDBOX_ROOT=${root} is not a writable directory (${(error as Error).message})`, { cause: error });
  }
}

/** The check for the configured provider. */
export function createSandboxReadiness(config: { SANDBOX_PROVIDER: "e2b" | "local"; E2B_API_KEY?: string | undefined; LOCAL_SANDBOX_ROOT: string }, options: CachedCheckOptions & Omit<E2bCheckOptions, "apiKey"> = {}): () => Promise<void> {
  if (config.SANDBOX_PROVIDER === "local") return () => checkLocalRoot(config.LOCAL_SANDBOX_ROOT);
  return cachedCheck(() => checkE2bApi({ ...options, apiKey: config.E2B_API_KEY ?? "" }), options);
}
