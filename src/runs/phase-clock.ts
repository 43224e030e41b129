import type { Phase } from "./phases.ts";

/** Which phase a run is in and how long each took. */
export function createPhaseClock(now: () => number) {
  const spent: Partial<Record<Phase, number>> = {};
  let current: Phase | null = null;
  let since = now();
  const close = () => {
    if (current) spent[current] = (spent[current] ?? 0) + (now() - since);
  };
  return {
    enter(phase: Phase) {
      close();
      current = phase;
      since = now();
    },
    get current(): Phase | null {
      return current;
    },
    /** Durations so far, the current phase included. */
    durations(): Partial<Record<Phase, number>> {
      close();
      since = now();
      return { ...spent };
    },
  };
}
