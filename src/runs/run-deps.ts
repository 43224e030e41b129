import type { Logger } from "pino";
import type { ModelGatewayService } from "../gateway/model-gateway.ts";
import type { GitHubClient } from "../github/octokit-types.ts";
import type { TokenMinter } from "../github/tokens.ts";
import type { SandboxPool } from "../sandbox/pool.ts";
import type { SandboxProvider } from "../sandbox/types.ts";
import type { Store } from "../store/types.ts";
import type { HostGit } from "../workspace/host-git.ts";
import type { Identity } from "../workspace/sandbox-git.ts";
import type { AgentSettings } from "./agent-phase.ts";
import type { RunEvents } from "./run-events.ts";
import type { WarmRegistry } from "./warm-claude.ts";

/** What a run needs from the rest of the bot, built once by the composition root. */
export interface RunJobDeps {
  store: Store;
  sandboxes: SandboxProvider;
  /** Started sandboxes for a thread's first run (SANDBOX_POOL_SIZE > 0). */
  sandboxPool?: SandboxPool;
  /** git on the bot's machine: the push, and a live sandbox's new commits (never a token in a sandbox the agent has used). */
  hostGit: HostGit;
  /** `https://github.com` or the GHE_HOST's: clone and push URLs are built from it and the repository's name, never taken from a payload. */
  gitBaseUrl: string;
  mintToken: TokenMinter;
  installationClient: (installationId: number) => Promise<GitHubClient>;
  identity: Identity;
  triggerPhrase: string;
  /** The deployment's BRANCH_PREFIX, for repositories that set no `branchPrefix`. */
  branchPrefix: string;
  appLogin: string;
  /** Values of the variables a repository's config passes through (from the bot's environment). */
  lookupEnv: (name: string) => string | undefined;
  settings: AgentSettings & {
    sandboxTimeoutMs: number;
    sandboxCostPerSecondUsd: number;
    progressIntervalMs: number;
    /** PUBLIC_URL: check runs link to the run's dashboard page. */
    publicUrl?: string | undefined;
    installationDailyUsd?: number | undefined;
    /** The deployment's own secrets (util/deployment-secrets.ts): never in a comment, report or pull request. */
    secrets?: ReadonlyArray<string | undefined>;
  };
  events?: RunEvents;
  /** With the model gateway on, the run's Claude gets a gateway token for the run instead of the model key. */
  modelGateway?: Pick<ModelGatewayService, "openRun" | "closeRun" | "runReport" | "rebindRun">;
  /** WARM_CLAUDE=on: the Claude processes kept between a thread's runs (warm-claude.ts). */
  warm?: WarmRegistry | undefined;
  log: Logger;
  now?: () => number;
}
