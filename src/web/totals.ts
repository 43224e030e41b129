/** Runs and cost per repository and per UTC day, for the dashboard. Pure. */

export interface Total {
  key: string;
  runs: number;
  costUsd: number;
}

export interface Totals {
  byRepo: Total[];
  byDay: Total[];
  all: Total;
}

export function computeTotals(runs: ReadonlyArray<{ repo: string; createdAt: string; costUsd: number }>): Totals {
  const byRepo = new Map<string, Total>();
  const byDay = new Map<string, Total>();
  const all: Total = { key: "all", runs: 0, costUsd: 0 };
  const add = (map: Map<string, Total>, key: string, cost: number) => {
    const total = map.get(key) ?? { key, runs: 0, costUsd: 0 };
    total.runs += 1;
    total.costUsd += cost;
    map.set(key, total);
  };
  for (const run of runs) {
    const cost = Number.isFinite(run.costUsd) ? run.costUsd : 0;
    add(byRepo, run.repo, cost);
    add(byDay, run.createdAt.slice(0, 10), cost);
    all.runs += 1;
    all.costUsd += cost;
  }
  return {
    // Most expensive repository first; ties by name.
    byRepo: [...byRepo.values()].sort((a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.key.localeCompare(b.key)),
    // Newest day first.
    byDay: [...byDay.values()].sort((a, b) => b.key.localeCompare(a.key)),
    all,
  };
}
