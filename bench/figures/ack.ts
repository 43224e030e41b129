import type { RecordedRequest } from "../../test/support/fake-github/types.ts";
import { startBareProbot } from "../lib/bare.ts";
import { prepareDelivery, postDelivery, type Delivery } from "../lib/load.ts";
import { progress, sleep } from "../lib/log.ts";
import { answerAtOnce } from "../lib/scripts.ts";
import { latency, medianLatency, type Latency } from "../lib/stats.ts";
import { startBenchWorld, WRITE_USER, type BenchWorld } from "../lib/world.ts";

/**
 * Figure 1: acknowledgement latency. A signed issue_comment delivery (a mention by a user with
 * write access) is POSTed at a steady rate; the latency of each is from just before the POST to
 * the later of the two acknowledging requests arriving at the fake GitHub (POST …/reactions with
 * 👀 and POST …/issues/:n/comments with the progress comment), taken from the fake's request log
 * (same clock: the fake runs in this process). The fake stores each synchronously on arrival.
 */

export interface AckOptions {
  reps: number;
  deliveries: number;
  threads: number;
  ratePerSecond: number;
  /** Bot env for this variant (ROLE, WORKER_CONCURRENCY). */
  env: Record<string, string>;
  label: string;
}

export interface AckResult {
  label: string;
  env: Record<string, string>;
  ratePerSecond: number;
  deliveriesPerRep: number;
  threads: number;
  reps: Latency[];
  /** Medians over the repetitions of each percentile. */
  ack: Latency;
  /** The webhook's own response (the 2xx comes after the ack and the enqueue). */
  response: Latency;
  missing: number;
  non2xx: number;
}

interface Sent {
  delivery: Delivery;
  issue: number;
  commentId: number;
  sentAt: number;
  status: number;
  responseMs: number;
}

function buildRep(w: BenchWorld, secret: string, o: Pick<AckOptions, "threads" | "deliveries">, rep: number) {
  const issues = Array.from({ length: o.threads }, (_, t) => w.gh.addIssue(w.repo.fullName, { title: `Ack bench ${rep}.${t}`, body: "Please look.", user: WRITE_USER }).number);
  return Array.from({ length: o.deliveries }, (_, i) => {
    const issue = issues[i % issues.length]!;
    const ev = w.hooks.issueCommentCreated({ repo: w.repo, issue, comment: { body: `${w.trigger} take a look (${rep}.${i})`, user: WRITE_USER } });
    return { delivery: prepareDelivery(ev, secret), issue, commentId: ev.comment.id };
  });
}

function ackTimes(w: BenchWorld, sent: readonly Sent[]): { acks: number[]; missing: number } {
  const byPath = new Map<string, RecordedRequest[]>();
  for (const r of w.gh.requests) {
    if (r.method !== "POST") continue;
    const list = byPath.get(r.path) ?? [];
    list.push(r);
    byPath.set(r.path, list);
  }
  const base = `/repos/${w.repo.fullName}`;
  const acks: number[] = [];
  let missing = 0;
  for (const s of sent) {
    const reaction = byPath.get(`${base}/issues/comments/${s.commentId}/reactions`)?.find((r) => r.at >= s.sentAt && r.status === 201);
    const comment = byPath.get(`${base}/issues/${s.issue}/comments`)?.find((r) => r.at >= s.sentAt && r.status === 201);
    if (!reaction || !comment) {
      missing++;
      continue;
    }
    acks.push(Math.max(reaction.at, comment.at) - s.sentAt);
  }
  return { acks, missing };
}

/** One repetition: the plan's deliveries POSTed at the given rate to one server. */
async function pacedRep(w: BenchWorld, url: string, plan: ReturnType<typeof buildRep>, ratePerSecond: number) {
  const interval = 1000 / ratePerSecond;
  const sent: Sent[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < plan.length; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    const p = plan[i]!;
    const s: Sent = { ...p, sentAt: Date.now(), status: 0, responseMs: 0 };
    sent.push(s);
    const started = performance.now();
    inFlight.push(
      postDelivery(url, p.delivery)
        .catch(() => 0)
        .then((status) => {
          s.status = status;
          s.responseMs = performance.now() - started;
        }),
    );
  }
  await Promise.all(inFlight);
  await sleep(200);
  const { acks, missing } = ackTimes(w, sent);
  return { ack: latency(acks), acks: acks.length, missing, non2xx: sent.filter((s) => s.status < 200 || s.status >= 300).length, response: latency(sent.map((s) => s.responseMs)) };
}

/**
 * Figure 1 for each variant. Each variant gets its own bot; with `sameWorld` they all run at once
 * against one fake GitHub and the repetitions alternate between them (A/B under the same machine
 * conditions), otherwise each variant has a world of its own, measured one after the other.
 */
export async function measureAck(o: AckOptions): Promise<AckResult> {
  return (await measureAckVariants({ ...o, variants: [{ label: o.label, env: o.env }], sameWorld: false }))[0]!;
}

export async function measureAckVariants(o: Omit<AckOptions, "env" | "label"> & { variants: Array<{ label: string; env: Record<string, string> }>; sameWorld: boolean }): Promise<AckResult[]> {
  const results: AckResult[] = [];
  const groups = o.sameWorld ? [o.variants] : o.variants.map((v) => [v]);
  for (const group of groups) {
    const w = await startBenchWorld(answerAtOnce);
    try {
      const bots = [];
      for (const v of group) {
        const bot = await w.startBot(v.env);
        // Warm-up: the first deliveries mint Probot's installation token and read the repository config.
        for (const d of buildRep(w, bot.secret, { deliveries: 5, threads: 5 }, -1)) await postDelivery(bot.webhookUrl, d.delivery);
        bots.push({ v, bot, reps: [] as Latency[], responses: [] as Latency[], missing: 0, non2xx: 0 });
      }
      await sleep(500);
      for (let rep = 0; rep < o.reps; rep++) {
        for (let k = 0; k < bots.length; k++) {
          const b = bots[(rep + k) % bots.length]!;
          const r = await pacedRep(w, b.bot.webhookUrl, buildRep(w, b.bot.secret, o, rep), o.ratePerSecond);
          b.reps.push(r.ack);
          b.responses.push(r.response);
          b.missing += r.missing;
          b.non2xx += r.non2xx;
          progress(`  ack ${b.v.label} rep ${rep + 1}/${o.reps}: p50 ${r.ack.p50.toFixed(0)} ms, p95 ${r.ack.p95.toFixed(0)} ms, p99 ${r.ack.p99.toFixed(0)} ms (${r.acks} acks, ${r.missing} missing)`);
        }
      }
      for (const b of bots) {
        results.push({
          label: b.v.label,
          env: b.v.env,
          ratePerSecond: o.ratePerSecond,
          deliveriesPerRep: o.deliveries,
          threads: o.threads,
          reps: b.reps,
          ack: medianLatency(b.reps),
          response: medianLatency(b.responses),
          missing: b.missing,
          non2xx: b.non2xx,
        });
      }
    } finally {
      await w.close();
    }
  }
  return results;
}

/**
 * The baseline beside figure 1: a bare Probot (signature check, 200) given the same kind of
 * deliveries at the same rate; its response time is the floor of any webhook handling here.
 */
export async function measureBareResponse(o: Omit<AckOptions, "env" | "label">): Promise<Latency> {
  const w = await startBenchWorld(answerAtOnce);
  const env = w.baseEnv();
  const secret = "bench-webhook-secret";
  const bare = await startBareProbot({ APP_ID: env.APP_ID!, PRIVATE_KEY: env.PRIVATE_KEY!, WEBHOOK_SECRET: secret, LOG_LEVEL: env.LOG_LEVEL!, LOG_FORMAT: env.LOG_FORMAT! });
  try {
    for (const d of buildRep(w, secret, { deliveries: 5, threads: 5 }, -1)) await postDelivery(bare.webhookUrl, d.delivery);
    const reps: Latency[] = [];
    const interval = 1000 / o.ratePerSecond;
    for (let rep = 0; rep < o.reps; rep++) {
      const plan = buildRep(w, secret, o, rep);
      const times: number[] = [];
      const inFlight: Promise<void>[] = [];
      const t0 = performance.now();
      for (let i = 0; i < plan.length; i++) {
        const wait = t0 + i * interval - performance.now();
        if (wait > 0) await sleep(wait);
        const started = performance.now();
        inFlight.push(postDelivery(bare.webhookUrl, plan[i]!.delivery).then(() => void times.push(performance.now() - started)));
      }
      await Promise.all(inFlight);
      reps.push(latency(times));
    }
    const l = medianLatency(reps);
    progress(`  ack baseline (bare Probot 2xx): p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`);
    return l;
  } finally {
    await bare.stop();
    await w.close();
  }
}
