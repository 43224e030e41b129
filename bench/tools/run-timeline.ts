/**
 * Where an issue → PR run spends its time: one mention (after two warm-up runs), with every
 * GitHub API request (the fake's log), every git command the bot or Claude runs (a `git` wrapper
 * first on the bot's PATH logs start and duration; it adds a few ms to each), the model requests
 * and the bot's log lines, on one clock from the webhook POST.
 *
 *   node bench/tools/run-timeline.ts
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postDelivery, prepareDelivery } from "../lib/load.ts";
import { createFileThenAnswer } from "../lib/scripts.ts";
import { waitForReport } from "../lib/threads.ts";
import { startBenchWorld, WRITE_USER } from "../lib/world.ts";

const dir = mkdtempSync(join(tmpdir(), "csb-timeline-"));
const log = join(dir, "git.log");
const realGit = process.env.BENCH_GIT ?? "/usr/bin/git";
writeFileSync(join(dir, "git"), `#!/bin/sh\ns=$(date +%s%3N)\n'${realGit}' "$@"\nrc=$?\necho "$s $(date +%s%3N) git $1 $2 $3" >> '${log}'\nexit $rc\n`);
chmodSync(join(dir, "git"), 0o755);

const w = await startBenchWorld(createFileThenAnswer);
try {
  const bot = await w.startBot({ PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}` });
  for (let run = 0; run < 3; run++) {
    writeFileSync(log, "");
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue: { title: `Timeline ${run}`, body: "Add the file.", user: WRITE_USER }, comment: { body: `${w.trigger} add BENCH.md`, user: WRITE_USER } });
    const [api, model, logs] = [w.gh.requests.length, w.model.requests.length, bot.logs.length];
    const t0 = Date.now();
    await postDelivery(bot.webhookUrl, prepareDelivery(ev, bot.secret));
    const answered = Date.now() - t0;
    await waitForReport(w, ev.payload.issue.number);
    if (run < 2) continue;
    const events: Array<[number, string]> = [[answered, "webhook answered 2xx"]];
    for (const r of w.gh.requests.slice(api)) events.push([r.at - t0, `GitHub ${r.method} ${r.path.replace(`/repos/${w.repo.fullName}`, "/repos/{repo}")} → ${r.status}`]);
    for (const r of w.model.requests.slice(model)) events.push([r.receivedAt - t0, `model ${r.kind} request`]);
    for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) {
      const [start, end, ...what] = line.split(" ");
      events.push([Number(start) - t0, `${what.join(" ")} (${Number(end) - Number(start)} ms)`]);
    }
    for (const line of bot.logs.slice(logs)) {
      try {
        const record = JSON.parse(line) as { time?: number; msg?: string; name?: string };
        if (record.time && record.msg && record.name !== "http") events.push([record.time - t0, `bot log: ${record.msg}`]);
      } catch {
        // not JSON
      }
    }
    events.sort((a, b) => a[0] - b[0]);
    const pr = w.gh.state.pulls.find((p) => p.head === `claude/issue-${ev.payload.issue.number}`);
    process.stdout.write(`issue → PR timeline (3rd run; PR #${pr?.number}):\n`);
    for (const [t, what] of events) process.stdout.write(`${String(t).padStart(6)} ms  ${what}\n`);
  }
} finally {
  await w.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
