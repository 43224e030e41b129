import { waitFor } from "../../test/support/wait-for.ts";
import type { BenchWorld } from "./world.ts";

/** Looking at what the bot did in a thread, through the fake's state. */

export function botComments(w: BenchWorld, issueNumber: number) {
  const login = w.gh.botUser.login;
  return w.gh.state.comments.filter((c) => c.repo === w.repo.fullName && c.issueNumber === issueNumber && c.user.login === login);
}

const FINAL = /^### (✅|⚪|❌|⏹️)/m;

/** Waits until the bot's n-th comment in the issue is a final report. */
export function waitForReport(w: BenchWorld, issueNumber: number, nth = 1, timeoutMs = 120_000) {
  return waitFor(
    `report #${nth} on issue ${issueNumber}`,
    () => {
      const c = botComments(w, issueNumber)[nth - 1];
      return c && FINAL.test(c.body) ? c : null;
    },
    timeoutMs,
    20,
  );
}

/** Every issue's bot comment is a final report (or the timeout passes). */
export async function waitForAllReports(w: BenchWorld, issues: readonly number[], timeoutMs: number): Promise<number> {
  const done = () => issues.filter((n) => botComments(w, n).some((c) => FINAL.test(c.body))).length;
  await waitFor(`${issues.length} reports`, () => done() === issues.length, timeoutMs, 200).catch(() => undefined);
  return done();
}
