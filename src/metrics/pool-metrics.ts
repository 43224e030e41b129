import { Counter, Gauge, type Registry } from "prom-client";
import type { SandboxPool } from "../sandbox/pool.ts";

/**
 * The sandbox pool's idle cost on /metrics (SANDBOX_POOL_SIZE > 0): the idle sandboxes now, and
 * their idle seconds and dollars (at SANDBOX_COST_PER_SECOND_USD) since this process started.
 */

const PREFIX = "claude_sandbox_bot_";

export function registerPoolMetrics(registry: Registry, pool: Pick<SandboxPool, "stats">, costPerSecondUsd: number): void {
  new Gauge({
    name: `${PREFIX}pool_idle_sandboxes`,
    help: "Started sandboxes waiting in this process's pool for a thread's first run.",
    registers: [registry],
    collect() {
      this.set(pool.stats().idle);
    },
  });
  // Counters only go up: each scrape adds what accrued since the last one.
  let reported = 0;
  const accrued = () => {
    const total = pool.stats().idleSeconds;
    const delta = Math.max(0, total - reported);
    reported = Math.max(reported, total);
    return delta;
  };
  // Registered first, so its collect (which moves both) runs before the cost is read.
  new Counter({
    name: `${PREFIX}pool_idle_sandbox_seconds_total`,
    help: "Seconds the pool's sandboxes waited idle (summed over sandboxes).",
    registers: [registry],
    collect() {
      const delta = accrued();
      this.inc(delta);
      cost.inc(delta * costPerSecondUsd);
    },
  });
  const cost = new Counter({ name: `${PREFIX}pool_idle_cost_usd_total`, help: "What the pool's idle sandboxes cost: their idle seconds × SANDBOX_COST_PER_SECOND_USD.", registers: [registry] });
}
