import type { RunContext } from "./run-context.ts";

/** A difference between the gateway's metering and the CLI's own figure above this share is logged. */
const CROSS_CHECK_TOLERANCE = 0.05;

/**
 * The run's model cost: with the model gateway, what it metered request by request (exact: it
 * read every response's usage); else Claude's own figure. The two are compared when both exist.
 */
export async function modelCost(ctx: RunContext): Promise<{ claudeCostUsd: number; gatewayCostUsd: number | undefined }> {
  const cli = ctx.trail.result?.total_cost_usd;
  const gateway = ctx.deps.modelGateway;
  if (!gateway) return { claudeCostUsd: cli ?? 0, gatewayCostUsd: undefined };
  const report = await gateway.runReport(String(ctx.run.id)).catch((error: unknown) => {
    ctx.log.warn({ err: error }, "could not read the run's model gateway figures; the report uses Claude's own cost");
    return null;
  });
  if (!report) return { claudeCostUsd: cli ?? 0, gatewayCostUsd: undefined };
  const metered = report.usage.usd;
  if (cli !== undefined && differs(metered, cli)) {
    ctx.log.warn({ gatewayUsd: metered, cliUsd: cli, requests: report.usage.requests }, "the model gateway's cost and Claude's own figure differ by more than 5%; the report uses the gateway's");
  }
  return { claudeCostUsd: metered, gatewayCostUsd: metered };
}

export function differs(a: number, b: number): boolean {
  const larger = Math.max(Math.abs(a), Math.abs(b));
  return larger > 0 && Math.abs(a - b) / larger > CROSS_CHECK_TOLERANCE;
}
