import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import { egressAllowList, egressPortWarnings } from "../config/egress.ts";
import { gatewaySwitch } from "../gateway/model-gateway.ts";
import { createLocalProvider } from "./local.ts";
import type { SandboxProvider } from "./types.ts";

/** SANDBOX_PROVIDER → a provider. e2b is loaded only when used. */
export async function createSandboxProvider(config: Config, log: Logger): Promise<SandboxProvider> {
  if (config.SANDBOX_PROVIDER === "local") return createLocalProvider({ root: config.LOCAL_SANDBOX_ROOT, log });
  const { createE2bProvider } = await import("./e2b.ts");
  // With the model gateway on, sandboxes talk to the bot, not to the model API.
  const gateway = gatewaySwitch({ provider: config.SANDBOX_PROVIDER, publicUrl: config.PUBLIC_URL, modelGateway: config.MODEL_GATEWAY, port: config.PORT });
  const egress = { allowOut: config.SANDBOX_ALLOW_OUT, anthropicBaseUrl: config.ANTHROPIC_BASE_URL, gatewayUrl: gateway.on ? gateway.publicBaseUrl : undefined, gheHost: config.GHE_HOST, gheProtocol: config.GHE_PROTOCOL };
  const allowOut = egressAllowList(egress);
  log.info({ allowOut: allowOut ?? "unrestricted" }, "E2B sandboxes' network egress");
  for (const warning of egressPortWarnings(egress)) log.warn(warning);
  return createE2bProvider({ apiKey: config.E2B_API_KEY ?? "", template: config.E2B_TEMPLATE, log, ...(allowOut ? { allowOut } : {}) });
}
