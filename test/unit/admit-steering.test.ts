import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitHubClient } from "../../src/github/octokit-types.ts";
import { admitRun } from "../../src/runs/admit.ts";
import { offerToRunningRun } from "../../src/runs/steering.ts";
import { openSqliteStore } from "../../src/store/sqlite-store.ts";
import type { RunRecord, Store } from "../../src/store/types.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/**
 * Where steering is decided: at admission, after the requester's permission (and the budget), so
 * a message into a running run needs what a run needs. A real store; GitHub is a recorder.
 */

const KEY = "acme/widgets#12";
const silent = pino({ level: "silent" });

function recordingClient() {
  const calls: string[] = [];
  const client = {
    rest: {
      reactions: { createForIssueComment: async (p: { comment_id: number; content: string }) => void calls.push(`react ${p.comment_id} ${p.content}`) },
      issues: { createComment: async () => (calls.push("comment"), { data: { id: 555 } }) },
    },
  } as unknown as GitHubClient;
  return { client, calls };
}

describe("admitRun with steering", () => {
  let store: Store;
  let running: RunRecord;
  let enqueued: number[];
  beforeEach(async () => {
    store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "csb-admit-steer-")), "bot.db"));
    running = await store.createRun({ threadKey: KEY, deliveryId: "a", trigger: sampleTrigger() });
    await store.updateRun(running.id, { state: "running", phase: "agent" });
    await store.steering.open(running.id, new Date().toISOString());
    enqueued = [];
  });
  afterEach(async () => {
    await store.close();
  });
  const deps = () => ({ store, queue: { enqueue: async (r: RunRecord) => void enqueued.push(r.id) }, steer: (r: RunRecord) => offerToRunningRun({ store }, r) });
  const mention = () => store.createRun({ threadKey: KEY, deliveryId: `m-${Math.random()}`, trigger: sampleTrigger({ request: "and the docs", source: { type: "issue_comment", commentId: 88 } }) });

  it("an allowed mention goes into the running run: 👀 on it, no run of its own, no progress comment", async () => {
    const { client, calls } = recordingClient();
    const run = await mention();
    const admission = await admitRun(deps(), run, { client, authorize: async () => true, log: silent });
    expect(admission).toEqual({ admitted: false, reason: "steered", into: running.id });
    expect(calls).toEqual(["react 88 eyes"]);
    expect(await store.getRun(run.id)).toBeNull();
    expect(enqueued).toEqual([]);
    expect((await store.steering.list(running.id)).map((m) => m.state)).toEqual(["pending"]);
  });

  it("a mention its author may not make is refused before steering is considered", async () => {
    const { client, calls } = recordingClient();
    const admission = await admitRun(deps(), await mention(), { client, authorize: async () => false, log: silent });
    expect(admission).toEqual({ admitted: false, reason: "not-allowed" });
    expect(calls).toEqual([]);
    expect(await store.steering.list(running.id)).toEqual([]);
  });

  it("queues as before when the running run's inbox is closed", async () => {
    await store.steering.close(running.id, new Date().toISOString());
    const { client, calls } = recordingClient();
    const run = await mention();
    const admission = await admitRun(deps(), run, { client, authorize: async () => true, log: silent });
    expect(admission).toMatchObject({ admitted: true });
    expect(enqueued).toEqual([run.id]);
    expect(calls).toEqual(expect.arrayContaining(["react 88 eyes", "comment"]));
  });
});
