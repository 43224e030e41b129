import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { buildMessage, makeCheckout, messageToSseEvents, removeDirs, runClaude, startFakeAnthropic, tempDir } from "../../test/support/fake-anthropic/index.ts";
import type { FakeAnthropic, RecordedRequest, Reply } from "../../test/support/fake-anthropic/types.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { progress, sleep } from "../lib/log.ts";
import { cpuMs, rssMiB } from "../lib/proc.ts";
import { latency, median, medianLatency, type Latency } from "../lib/stats.ts";

/**
 * Figure 7: the model gateway's overhead on loopback. The scripted model (test/support/
 * fake-anthropic, which only takes the deployment's key) streams its reply with a pause between
 * SSE events, so a stream is really incremental. The gateway is the real service
 * (createModelGatewayService on Probot's server, as src/main.ts mounts it) in a child process
 * (gateway-server.ts), called with a real run token from openRun().
 *
 * - Latency: the same streaming /v1/messages request (the body and headers the real CLI sent in
 *   this run) to the model directly, through the gateway, and through the same handler on a plain
 *   node:http server (what Probot's request log and middleware cost), one at a time, interleaved
 *   (the order rotating). Time to first byte = request start → first body chunk (message_start);
 *   total = → end of the stream. Added = gateway percentile − direct percentile, per repetition,
 *   then the median; paired differences are kept too.
 * - Memory: a fresh gateway process, VmRSS idle (2 s after start, before any request) and while
 *   `streams` streams are open through it at once (every client has its first event, none has
 *   ended), and the peak throughout.
 * - End to end: the real Claude Code CLI (`claude -p`, one model request) pointed at the model
 *   directly and at the gateway with the run token, interleaved; spawn → exit.
 */

export interface GatewayOptions {
  reps: number;
  pairs: number;
  warmup: number;
  /** The model's pause between SSE events in the latency pairs. */
  eventGapMs: number;
  streams: number;
  samples: number;
  cliReps: number;
}

interface Timed {
  status: number;
  firstByteMs: number;
  totalMs: number;
  sawStop: boolean;
}

export interface GatewayRep {
  direct: { ttfb: Latency; total: Latency };
  /** The gateway as the bot serves it (Probot's server). */
  gateway: { ttfb: Latency; total: Latency };
  /** The same handler on a plain node:http server: what Probot's request log and middleware add. */
  bare: { ttfb: Latency; total: Latency };
  /** No gateway: a bare relay in its own process (key swapped, bodies piped): the cost of the hop alone. */
  pipe: { ttfb: Latency; total: Latency };
  pairedTtfb: Latency;
  pairedTotal: Latency;
}

export interface GatewayResult {
  eventGapMs: number;
  sseEvents: number;
  requestBodyBytes: number;
  ttfb: { direct: Latency; gateway: Latency; bare: Latency; pipe: Latency; addedP50Ms: number; addedP99Ms: number; bareAddedP50Ms: number; bareAddedP99Ms: number; pipeAddedP50Ms: number; pipeAddedP99Ms: number; paired: Latency };
  total: { direct: Latency; gateway: Latency; bare: Latency; pipe: Latency; addedP50Ms: number; bareAddedP50Ms: number; pipeAddedP50Ms: number; paired: Latency };
  /** Share of the timed gateway requests whose first event reached the client at least 3 scripted pauses before the stream's end. */
  incrementalShare: number;
  /** Per timed round, how long each process's JavaScript thread waited for a CPU while runnable (the machine's share of the tails). */
  runQueueWaitMsPerRequest: Record<string, number>;
  /** CPU (user + system) per timed round of each process: what one request costs the gateway, whatever the machine's load. */
  cpuMsPerRequest: Record<string, number>;
  perRep: GatewayRep[];
  metering: { sentThroughGateway: number; meteredRequests: number | null; usd: number | null };
  memory: { streams: number; streamGapMs: number; idleRssMiB: number; streamingRssMiB: number; peakRssMiB: number; addedMiB: number; peakAddedMiB: number; afterRssMiB: number; rampMs: number; openAtLastSample: number; ttfbUnderLoad: Latency };
  cli: { reps: number; directMs: number[]; gatewayMs: number[]; pairedAddedMs: number; modelRequestsPerRun: number; messagesRequestsThroughGateway: number; paths: string[] };
}

const UPSTREAM_KEY = "sk-ant-api03-bench-deployment-key";
const SERVER_ENTRY = join(import.meta.dirname, "gateway-server.ts");
/** Headers of the CLI's request that the replayed requests carry (the credential is each side's own). */
const REPLAYED_HEADERS = ["anthropic-version", "anthropic-beta", "content-type", "accept", "user-agent", "x-app"];

/** A streamed answer: `text` is cut into 512-character deltas, `gapMs` between events. */
function streamed(text: string, gapMs: number): Reply {
  return { content: [{ type: "text", text }], stopReason: "end_turn", eventGapMs: gapMs, usage: { input_tokens: 1200, output_tokens: Math.ceil(text.length / 4) } };
}

/** Time the process's main (JavaScript) thread has spent runnable but waiting for a CPU (/proc/<pid>/schedstat), in ms. */
function runQueueWaitMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface GatewayProcess {
  url: string;
  token: string;
  pid: number;
  usage(): Promise<{ requests: number; usd: number } | null>;
  stop(): Promise<void>;
}

async function startGateway(upstream: string, mount: "probot" | "bare" | "pipe" = "probot"): Promise<GatewayProcess> {
  const port = await freePort();
  const dir = tempDir("bench-gateway-db-");
  const child: ChildProcess = fork(SERVER_ENTRY, [], {
    env: { PATH: process.env.PATH, GATEWAY_UPSTREAM: upstream, GATEWAY_UPSTREAM_KEY: UPSTREAM_KEY, GATEWAY_PORT: String(port), GATEWAY_MOUNT: mount, GATEWAY_DB: join(dir, "bot.db") },
    // Its log lines (production JSON) go nowhere: writing them is part of the cost, reading them is not.
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.on("message", (m: { type?: string; url?: string; token?: string }) => {
      if (m.type === "ready" && m.url && m.token) resolve({ url: m.url, token: m.token });
    });
    child.once("exit", (code) => reject(new Error(`gateway process exited (${code}) before it was ready: ${stderr.trim()}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    ...ready,
    pid: child.pid!,
    usage: () =>
      new Promise((resolve) => {
        const onMessage = (m: { type?: string; usage?: { requests: number; usd: number } | null }) => {
          if (m.type !== "usage") return;
          child.off("message", onMessage);
          resolve(m.usage ?? null);
        };
        child.on("message", onMessage);
        child.send({ type: "usage" });
      }),
    async stop() {
      child.kill("SIGTERM");
      await exited;
      removeDirs(dir);
    },
  };
}

/** One streaming request: status, time to the first body chunk and to the end, whether message_stop came. */
function timedRequest(agent: http.Agent, url: string, key: string, body: Buffer, headers: Record<string, string>): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = Number.NaN;
    let tail = "";
    const req = http.request(url, { method: "POST", agent, headers: { ...headers, "x-api-key": key, "content-length": String(body.length) } }, (res) => {
      res.on("data", (chunk: Buffer) => {
        if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
        tail = (tail + chunk.toString("utf8")).slice(-200);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, firstByteMs, totalMs: performance.now() - started, sawStop: tail.includes("message_stop") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function check(t: Timed, side: string): Timed {
  if (t.status !== 200 || !t.sawStop) throw new Error(`${side} request answered ${t.status}${t.sawStop ? "" : " without message_stop"}`);
  return t;
}

/** The CLI's first agent request in this run: what the replayed requests send. */
function cliRequest(fake: FakeAnthropic): { body: Buffer; headers: Record<string, string> } {
  const recorded: RecordedRequest | undefined = fake.agentRequests()[0];
  if (!recorded) throw new Error("the CLI made no agent request");
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const v = recorded.headers[name];
    if (typeof v === "string") headers[name] = v;
  }
  headers["content-type"] ??= "application/json";
  return { body: Buffer.from(JSON.stringify({ ...recorded.body, stream: true })), headers };
}

async function measureCli(fake: FakeAnthropic, gw: GatewayProcess, reps: number, gapMs: number): Promise<GatewayResult["cli"]> {
  fake.setScript(() => streamed("Hello from the scripted model.", gapMs));
  const checkout = makeCheckout("bench-gateway-repo-");
  const directMs: number[] = [];
  const gatewayMs: number[] = [];
  const perRun: number[] = [];
  const meteredPerRun: number[] = [];
  const paths = new Set<string>();
  try {
    const once = async (side: "direct" | "gateway") => {
      const home = tempDir("bench-gateway-home-");
      const before = fake.requests.length;
      try {
        const r = await runClaude({ baseUrl: side === "direct" ? fake.url : gw.url, apiKey: side === "direct" ? UPSTREAM_KEY : gw.token, cwd: checkout, home, prompt: "Say hello.", timeoutMs: 60_000 });
        if (r.code !== 0 || r.result?.is_error) throw new Error(`claude via ${side} failed (${r.code}): ${r.stderr.slice(-500)} ${JSON.stringify(r.result ?? {}).slice(0, 300)}`);
        (side === "direct" ? directMs : gatewayMs).push(r.durationMs);
        const seen = fake.requests.slice(before);
        for (const q of seen) paths.add(`${q.method} ${q.path}`);
        if (side === "gateway") {
          perRun.push(seen.length);
          meteredPerRun.push(seen.filter((q) => q.path === "/v1/messages").length);
        }
      } finally {
        removeDirs(home);
      }
    };
    for (let i = 0; i < reps; i++) {
      for (const side of i % 2 === 0 ? (["direct", "gateway"] as const) : (["gateway", "direct"] as const)) await once(side);
    }
  } finally {
    removeDirs(checkout);
  }
  return { reps, directMs, gatewayMs, pairedAddedMs: median(gatewayMs.map((g, i) => g - directMs[i]!)), modelRequestsPerRun: median(perRun), messagesRequestsThroughGateway: meteredPerRun.reduce((a, b) => a + b, 0), paths: [...paths] };
}

/** About 1.5 KB of text: message_start, ping, a block of 3 deltas, message_delta, message_stop. */
const LATENCY_TEXT = "The gateway relays each event as it arrives. ".repeat(34);

type Side = "direct" | "gateway" | "bare" | "pipe";
const SIDES: readonly Side[] = ["direct", "gateway", "bare", "pipe"];
/** The sides in rotation: each comes first, second, … equally often. */
const ROTATIONS: readonly Side[][] = SIDES.map((_, i) => [...SIDES.slice(i), ...SIDES.slice(0, i)]);

async function measureLatency(fake: FakeAnthropic, servers: Record<"gateway" | "bare" | "pipe", GatewayProcess>, o: GatewayOptions, req: { body: Buffer; headers: Record<string, string> }) {
  fake.setScript(() => streamed(LATENCY_TEXT, o.eventGapMs));
  const agent = new http.Agent({ keepAlive: true });
  const send = (side: Side): Promise<Timed> => {
    const [url, key] = side === "direct" ? [fake.url, UPSTREAM_KEY] : [servers[side].url, servers[side].token];
    return timedRequest(agent, `${url}/v1/messages`, key, req.body, req.headers).then((t) => check(t, side));
  };
  let sent = 0;
  let incremental = 0;
  let gatewayTimed = 0;
  const minLead = o.eventGapMs * 3;
  const sides = (t: Record<Side, Timed[]>, side: Side) => ({ ttfb: latency(t[side].map((x) => x.firstByteMs)), total: latency(t[side].map((x) => x.totalMs)) });
  const pids = { bench: process.pid, gateway: servers.gateway.pid, bare: servers.bare.pid, pipe: servers.pipe.pid };
  try {
    for (let i = 0; i < o.warmup; i++) for (const side of ROTATIONS[i % ROTATIONS.length]!) await send(side);
    sent += o.warmup;
    const waitBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, runQueueWaitMs(pid)]));
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
    const perRep: GatewayRep[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const t: Record<Side, Timed[]> = { direct: [], gateway: [], bare: [], pipe: [] };
      for (let i = 0; i < o.pairs; i++) {
        for (const side of ROTATIONS[i % ROTATIONS.length]!) t[side].push(await send(side));
        sent++;
        const last = t.gateway[t.gateway.length - 1]!;
        gatewayTimed++;
        if (last.totalMs - last.firstByteMs >= minLead) incremental++;
      }
      const d = t.direct;
      perRep.push({
        direct: sides(t, "direct"),
        gateway: sides(t, "gateway"),
        bare: sides(t, "bare"),
        pipe: sides(t, "pipe"),
        pairedTtfb: latency(t.gateway.map((x, k) => x.firstByteMs - d[k]!.firstByteMs)),
        pairedTotal: latency(t.gateway.map((x, k) => x.totalMs - d[k]!.totalMs)),
      });
      const r = perRep[rep]!;
      const f = (l: Latency) => `${l.p50.toFixed(2)}/${l.p99.toFixed(2)}`;
      progress(`  gateway rep ${rep + 1}/${o.reps}: TTFB p50/p99 direct ${f(r.direct.ttfb)} ms, gateway ${f(r.gateway.ttfb)} ms, bare ${f(r.bare.ttfb)} ms, pipe ${f(r.pipe.ttfb)} ms; total p50 ${r.direct.total.p50.toFixed(1)} / ${r.gateway.total.p50.toFixed(1)} / ${r.bare.total.p50.toFixed(1)} / ${r.pipe.total.p50.toFixed(1)} ms`);
    }
    // Each process served one request per round (the bench process: all of them, both ends).
    const runQueueWaitMsPerRequest = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (runQueueWaitMs(pid) - waitBefore[k]!) / gatewayTimed]));
    const cpuMsPerRequest = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (cpuMs(pid) - cpuBefore[k]!) / gatewayTimed]));
    return { perRep, sent, incrementalShare: incremental / gatewayTimed, runQueueWaitMsPerRequest, cpuMsPerRequest };
  } finally {
    agent.destroy();
  }
}

async function measureMemory(fake: FakeAnthropic, o: GatewayOptions, req: { body: Buffer; headers: Record<string, string> }): Promise<GatewayResult["memory"]> {
  // 30 events 250 ms apart: each stream stays open ~7 s, long after the last one has started.
  const streamGapMs = 250;
  fake.setScript(() => streamed("x".repeat(512 * 24), streamGapMs));
  const gw = await startGateway(fake.url);
  const agent = new http.Agent({ keepAlive: true });
  try {
    await sleep(2000);
    const idle: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      idle.push(rssMiB(gw.pid) ?? Number.NaN);
      await sleep(300);
    }
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(gw.pid) ?? 0)), 100);
    const started = performance.now();
    const firstBytes: number[] = [];
    let ended = 0;
    const streams = Array.from({ length: o.streams }, () =>
      new Promise<Timed>((resolve, reject) => {
        const t0 = performance.now();
        const r = http.request(`${gw.url}/v1/messages`, { method: "POST", agent, headers: { ...req.headers, "x-api-key": gw.token, "content-length": String(req.body.length) } }, (res) => {
          let first = Number.NaN;
          let tail = "";
          res.on("data", (c: Buffer) => {
            if (Number.isNaN(first)) firstBytes.push((first = performance.now() - t0));
            tail = (tail + c.toString("utf8")).slice(-200);
          });
          res.on("end", () => {
            ended++;
            resolve({ status: res.statusCode ?? 0, firstByteMs: first, totalMs: performance.now() - t0, sawStop: tail.includes("message_stop") });
          });
        });
        r.on("error", reject);
        r.end(req.body);
      }),
    );
    await waitFor("every stream's first event", () => firstBytes.length === o.streams, 30_000, 10);
    const rampMs = performance.now() - started;
    const held: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      held.push(rssMiB(gw.pid) ?? Number.NaN);
      await sleep(250);
    }
    const openAtLastSample = o.streams - ended;
    for (const t of await Promise.all(streams)) check(t, "streaming");
    clearInterval(sampler);
    await sleep(1000);
    const afterRssMiB = rssMiB(gw.pid) ?? Number.NaN;
    const idleRssMiB = median(idle);
    const streamingRssMiB = median(held);
    return { streams: o.streams, streamGapMs, idleRssMiB, streamingRssMiB, peakRssMiB: peak, addedMiB: streamingRssMiB - idleRssMiB, peakAddedMiB: peak - idleRssMiB, afterRssMiB, rampMs, openAtLastSample, ttfbUnderLoad: latency(firstBytes) };
  } finally {
    agent.destroy();
    await gw.stop();
  }
}

export async function measureGateway(o: GatewayOptions): Promise<GatewayResult> {
  const fake = await startFakeAnthropic({ apiKey: UPSTREAM_KEY, sideReply: () => streamed("OK", o.eventGapMs) });
  try {
    const gw = await startGateway(fake.url);
    const bare = await startGateway(fake.url, "bare");
    const pipe = await startGateway(fake.url, "pipe");
    let cli: GatewayResult["cli"];
    let lat: Awaited<ReturnType<typeof measureLatency>>;
    let req: { body: Buffer; headers: Record<string, string> };
    let metering: GatewayResult["metering"];
    try {
      progress(`  gateway: the Claude CLI directly and through the gateway, ${o.cliReps} pairs`);
      cli = await measureCli(fake, gw, o.cliReps, o.eventGapMs);
      req = cliRequest(fake);
      progress(`  gateway: ${o.reps} × ${o.pairs} interleaved pairs of streaming requests (${req.body.length} bytes each, ${o.eventGapMs} ms between events)`);
      lat = await measureLatency(fake, { gateway: gw, bare, pipe }, o, req);
      const usage = await gw.usage();
      metering = { sentThroughGateway: lat.sent + cli.messagesRequestsThroughGateway, meteredRequests: usage?.requests ?? null, usd: usage?.usd ?? null };
    } finally {
      await gw.stop();
      await bare.stop();
      await pipe.stop();
    }
    progress(`  gateway: RSS of a fresh gateway process, idle and with ${o.streams} streams open`);
    const memory = await measureMemory(fake, o, req);
    const d = medianLatency(lat.perRep.map((r) => r.direct.ttfb));
    const g = medianLatency(lat.perRep.map((r) => r.gateway.ttfb));
    const b = medianLatency(lat.perRep.map((r) => r.bare.ttfb));
    const dt = medianLatency(lat.perRep.map((r) => r.direct.total));
    const gt = medianLatency(lat.perRep.map((r) => r.gateway.total));
    const bt = medianLatency(lat.perRep.map((r) => r.bare.total));
    const p = medianLatency(lat.perRep.map((r) => r.pipe.ttfb));
    const pt = medianLatency(lat.perRep.map((r) => r.pipe.total));
    return {
      eventGapMs: o.eventGapMs,
      sseEvents: messageToSseEvents(buildMessage({ content: [{ type: "text", text: LATENCY_TEXT }] }, "m", {})).length,
      requestBodyBytes: req.body.length,
      ttfb: {
        direct: d,
        gateway: g,
        bare: b,
        addedP50Ms: median(lat.perRep.map((r) => r.gateway.ttfb.p50 - r.direct.ttfb.p50)),
        addedP99Ms: median(lat.perRep.map((r) => r.gateway.ttfb.p99 - r.direct.ttfb.p99)),
        bareAddedP50Ms: median(lat.perRep.map((r) => r.bare.ttfb.p50 - r.direct.ttfb.p50)),
        bareAddedP99Ms: median(lat.perRep.map((r) => r.bare.ttfb.p99 - r.direct.ttfb.p99)),
        pipe: p,
        pipeAddedP50Ms: median(lat.perRep.map((r) => r.pipe.ttfb.p50 - r.direct.ttfb.p50)),
        pipeAddedP99Ms: median(lat.perRep.map((r) => r.pipe.ttfb.p99 - r.direct.ttfb.p99)),
        paired: medianLatency(lat.perRep.map((r) => r.pairedTtfb)),
      },
      total: {
        direct: dt,
        gateway: gt,
        bare: bt,
        addedP50Ms: median(lat.perRep.map((r) => r.gateway.total.p50 - r.direct.total.p50)),
        bareAddedP50Ms: median(lat.perRep.map((r) => r.bare.total.p50 - r.direct.total.p50)),
        pipe: pt,
        pipeAddedP50Ms: median(lat.perRep.map((r) => r.pipe.total.p50 - r.direct.total.p50)),
        paired: medianLatency(lat.perRep.map((r) => r.pairedTotal)),
      },
      incrementalShare: lat.incrementalShare,
      runQueueWaitMsPerRequest: lat.runQueueWaitMsPerRequest,
      cpuMsPerRequest: lat.cpuMsPerRequest,
      perRep: lat.perRep,
      metering,
      memory,
      cli,
    };
  } finally {
    await fake.close();
  }
}
