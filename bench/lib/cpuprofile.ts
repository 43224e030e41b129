import { readFileSync } from "node:fs";

/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, and the
 * total (inclusive) time of the functions whose names match, so a profile of the bot under load
 * can be read without DevTools.
 */

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function packageOf(url: string): string {
  if (!url) return "(native/V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return url.split("/")[0]!.replace(/:.*$/, ":") + url.slice(5).split("/")[0];
  const src = url.indexOf("/src/");
  if (src >= 0) return `src/${url.slice(src + 5).split("/")[0]}`;
  return url;
}

export function summarize(path: string, top = 25) {
  const p = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const totalUs = p.endTime - p.startTime;
  const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((s, [, v]) => s + v, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === "(idle)") continue;
    const key = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/main\//, "")}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const k = packageOf(n.callFrame.url);
    pkg.set(k, (pkg.get(k) ?? 0) + us);
  }
  const sort = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, Math.round(v / 1000)] as const);
  return { wallMs: Math.round(totalUs / 1000), busyMs: Math.round((totalUs - idleUs) / 1000), byPackage: sort(pkg), byFunction: sort(fn) };
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: node bench/lib/cpuprofile.ts <file.cpuprofile>");
  const s = summarize(file, Number(process.argv[3] ?? 25));
  process.stdout.write(`wall ${s.wallMs} ms, busy ${s.busyMs} ms\n\nself time by package (ms):\n`);
  for (const [k, v] of s.byPackage) process.stdout.write(`  ${String(v).padStart(7)}  ${k}\n`);
  process.stdout.write(`\nself time by function (ms):\n`);
  for (const [k, v] of s.byFunction) process.stdout.write(`  ${String(v).padStart(7)}  ${k}\n`);
}
