import { formatDuration, formatUsd } from "../runs/report/format.ts";
import { PHASE_LABEL, isPhase } from "../runs/phases.ts";
import { html, raw, type SafeHtml } from "./html.ts";
import { FINISHED_STATES as FINISHED } from "../runs/outcome.ts";
import { RUN_STATES, type RunSummaryView, type RunView } from "./run-view.ts";
import type { UsageTotals } from "../store/gateway-ledger.ts";
import type { SnapshotRecord } from "../store/snapshot-ledger.ts";
import type { Totals } from "./totals.ts";

/** The dashboard's pages: data in, escaped HTML out. Pure. */

const STYLE = raw(`
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  header form { margin-left: auto; }
  main { padding: 20px; max-width: 1200px; }
  table { border-collapse: collapse; background: #fff; width: 100%; margin: 8px 0 20px; }
  th, td { border: 1px solid #d0d7de; padding: 5px 8px; text-align: left; vertical-align: top; }
  th { background: #eaeef2; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .state { font-weight: 600; }
  .state-succeeded { color: #1a7f37; } .state-failed { color: #cf222e; } .state-canceled { color: #6e7781; }
  .state-running { color: #9a6700; } .state-queued, .state-received { color: #0969da; }
  .empty { background: #fff; border: 1px dashed #d0d7de; padding: 24px; text-align: center; }
  .notice { background: #ddf4ff; border: 1px solid #54aeff; padding: 8px 12px; }
  .problem { background: #ffebe9; border: 1px solid #ff8182; padding: 8px 12px; }
  pre { background: #fff; border: 1px solid #d0d7de; padding: 10px; overflow: auto; max-height: 600px; white-space: pre-wrap; word-break: break-word; }
  form.filters { display: flex; gap: 8px; align-items: end; margin-bottom: 12px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #57606a; }
  input, select, button { font: inherit; padding: 4px 8px; }
  button.danger { background: #cf222e; color: #fff; border: 1px solid #a40e26; border-radius: 4px; cursor: pointer; }
  .columns { display: flex; gap: 20px; flex-wrap: wrap; } .columns > div { flex: 1; min-width: 280px; }
  #live { background: #fff; border: 1px solid #d0d7de; padding: 10px 14px; margin-bottom: 16px; }
  #live-log { font-family: ui-monospace, monospace; font-size: 12px; max-height: 240px; overflow: auto; }
`);

function layout(title: string, body: SafeHtml, options: { nonce?: string; script?: SafeHtml; signedIn?: boolean } = {}): SafeHtml {
  return html`<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · claude-sandbox-bot</title><style>${STYLE}</style></head>
<body>
<header><a href="/dashboard">claude-sandbox-bot</a><span>${title}</span>${options.signedIn ? html`<form method="post" action="/logout"><button type="submit">Sign out</button></form>` : ""}</header>
<main>
${body}
</main>
${options.script && options.nonce ? html`<script nonce="${options.nonce}">${options.script}</script>` : ""}
</body>
</html>`;
}

export function notConfiguredPage(): SafeHtml {
  return layout(
    "Dashboard off",
    html`<p class="problem" id="not-configured">The dashboard and the run API are off because <code>ADMIN_TOKEN</code> is not set. Set <code>ADMIN_TOKEN</code> (at least 16 characters, e.g. <code>openssl rand -hex 32</code>) in the bot's environment and restart it.</p>`,
  );
}

export function loginPage(options: { next: string; problem?: string }): SafeHtml {
  return layout(
    "Sign in",
    html`${options.problem ? html`<p class="problem" id="login-problem">${options.problem}</p>` : ""}
<form method="post" action="/login" id="login">
  <input type="hidden" name="next" value="${options.next}">
  <label><span>Admin token (the bot's <code>ADMIN_TOKEN</code>)</span><input type="password" name="token" autocomplete="current-password" autofocus required></label>
  <p><button type="submit">Sign in</button></p>
</form>`,
  );
}

export function notFoundPage(message: string): SafeHtml {
  return layout("Not found", html`<p class="problem">${message}</p><p><a href="/dashboard">All runs</a></p>`, { signedIn: true });
}

const stateBadge = (state: string) => html`<span class="state state-${state}">${state}</span>`;
const phaseText = (phase: string | null) => (phase ? (isPhase(phase) ? `${phase} (${PHASE_LABEL[phase]})` : phase) : "—");
const duration = (ms: number | null) => (ms === null ? "—" : formatDuration(ms));

function threadCell(run: RunSummaryView): SafeHtml {
  if (run.thread.number === null) return html`<a href="${safeUrl(run.thread.url)}">API conversation</a>`;
  return html`<a href="${safeUrl(run.thread.url)}">${run.thread.isPullRequest ? "PR" : "issue"} #${run.thread.number}</a> ${run.thread.title}`;
}

/** Only http(s) links: a stored URL never becomes javascript: or data:. */
export function safeUrl(url: string): string {
  return /^https?:\/\//i.test(url) ? url : "#";
}

export interface RunsPageInput {
  runs: RunSummaryView[];
  filters: { repo: string; state: string };
  problem?: string;
  totals: Totals;
  totalsWindowDays: number;
  repos: string[];
  /** The model gateway's figures per repository since the start of the UTC day (absent: not read). */
  gateway?: GatewayRepoTotals[];
  /** The repository snapshots new threads start from (the section is left out when there are none). */
  snapshots?: SnapshotRecord[];
}

/** The repository snapshots: what each holds, how often it was used, what it weighs. */
function snapshotsTable(rows: SnapshotRecord[]): SafeHtml {
  const size = (bytes: number | null) => (bytes === null ? "—" : `${(bytes / 1048576).toFixed(1)} MiB`);
  const when = (iso: string) => iso.replace("T", " ").slice(0, 16);
  return html`<h2>Repository snapshots <small>(${rows.length}; a new thread starts from its repository's, unused ones are reaped)</small></h2>
<table id="snapshots"><thead><tr><th>repository</th><th>installation</th><th>holds</th><th>taken</th><th>last used</th><th class="num">uses</th><th class="num">size</th><th class="num">took</th></tr></thead><tbody>${rows.map(
    (r) => html`<tr><td>${r.repoFullName}</td><td>${r.installationId}</td><td>${r.baseBranch} @ ${r.baseSha.slice(0, 12)}</td><td>${when(r.createdAt)}</td><td>${when(r.lastUsedAt)}</td><td class="num">${r.uses}</td><td class="num">${size(r.sizeBytes)}</td><td class="num">${duration(r.tookMs)}</td></tr>`,
  )}</tbody></table>`;
}

export type GatewayRepoTotals = UsageTotals & { repoFullName: string };

/** The model gateway's requests, tokens and USD per repository. */
function gatewayTable(rows: GatewayRepoTotals[]): SafeHtml {
  const body = rows.length === 0
    ? html`<tr><td colspan="5">No model requests today.</td></tr>`
    : rows.map((r) => html`<tr><td>${r.repoFullName}</td><td class="num">${r.requests}</td><td class="num">${r.upstreamErrors}</td><td class="num">${tokenText(r)}</td><td class="num">${formatUsd(r.usd)}</td></tr>`);
  return html`<h2>Model gateway <small>(today, UTC: every model request, metered)</small></h2>
<table id="gateway-repo"><thead><tr><th>repository</th><th class="num">requests</th><th class="num">upstream errors</th><th class="num">tokens in / out / cache</th><th class="num">cost</th></tr></thead><tbody>${body}</tbody></table>`;
}

function tokenText(t: UsageTotals): string {
  return `${t.inputTokens} / ${t.outputTokens} / ${t.cacheCreationInputTokens + t.cacheReadInputTokens}`;
}

function gatewayRow(t: UsageTotals | null | undefined): string {
  if (!t || t.requests === 0) return "—";
  return `${t.requests} requests (${t.upstreamErrors} upstream errors) · tokens in / out / cache ${tokenText(t)} · ${formatUsd(t.usd)}`;
}

export function runsPage(input: RunsPageInput): SafeHtml {
  const { runs, filters, totals } = input;
  const filtered = filters.repo !== "" || filters.state !== "";
  const list =
    runs.length === 0
      ? html`<p class="empty" id="no-runs">${filtered ? "No runs match these filters." : "No runs yet. Mention the bot in an issue, or start one with POST /api/runs or the CLI."}</p>`
      : html`<table id="runs">
<thead><tr><th>run</th><th>repository</th><th>thread</th><th>trigger</th><th>who</th><th>state</th><th>phase</th><th class="num">duration</th><th class="num">cost</th><th>created</th></tr></thead>
<tbody>${runs.map(
          (run) => html`<tr data-run="${run.id}">
<td><a href="/dashboard/runs/${run.id}">#${run.id}</a></td><td>${run.repo}</td><td>${threadCell(run)}</td><td>${run.trigger.kind}</td><td>${run.trigger.actor}</td>
<td>${stateBadge(run.state)}${run.outcome === "no_changes" ? " (no changes)" : ""}</td><td>${run.phase ?? "—"}</td><td class="num">${duration(run.durationMs)}</td><td class="num">${formatUsd(run.costUsd)}</td><td>${run.createdAt.replace("T", " ").slice(0, 19)}</td>
</tr>`,
        )}</tbody>
</table>`;
  const totalsTable = (id: string, heading: string, rows: Totals["byRepo"]) =>
    html`<div><h3>${heading}</h3><table id="${id}"><thead><tr><th>${heading === "Per repository" ? "repository" : "day (UTC)"}</th><th class="num">runs</th><th class="num">cost</th></tr></thead><tbody>${
      rows.length === 0 ? html`<tr><td colspan="3">—</td></tr>` : rows.map((t) => html`<tr><td>${t.key}</td><td class="num">${t.runs}</td><td class="num">${formatUsd(t.costUsd)}</td></tr>`)
    }</tbody></table></div>`;
  const body = html`${input.problem ? html`<p class="problem">${input.problem}</p>` : ""}
<form class="filters" method="get" action="/dashboard" id="filters">
  <label>repository<input name="repo" value="${filters.repo}" placeholder="owner/name" list="repos"></label>
  <datalist id="repos">${input.repos.map((r) => html`<option value="${r}">`)}</datalist>
  <label>state<select name="state"><option value="">any</option>${RUN_STATES.map((s) => html`<option value="${s}"${s === filters.state ? raw(" selected") : ""}>${s}</option>`)}</select></label>
  <button type="submit">Filter</button>${filtered ? html` <a href="/dashboard">clear</a>` : ""}
</form>
${list}
<h2>Totals <small>(last ${input.totalsWindowDays} days${filtered ? ", these filters" : ""}: ${totals.all.runs} runs, ${formatUsd(totals.all.costUsd)})</small></h2>
<div class="columns">${totalsTable("totals-repo", "Per repository", totals.byRepo)}${totalsTable("totals-day", "Per day", totals.byDay)}</div>
${input.gateway ? gatewayTable(input.gateway) : ""}
${input.snapshots && input.snapshots.length > 0 ? snapshotsTable(input.snapshots) : ""}`;
  return layout("Runs", body, { signedIn: true });
}

export interface RunPageInput {
  run: RunView;
  /** What the run spent through the model gateway (absent: the gateway is off). */
  gateway?: UsageTotals | null;
  notice?: string;
  nonce: string;
}

export function runPage({ run, notice, nonce, gateway }: RunPageInput): SafeHtml {
  const finished = FINISHED.has(run.state);
  const rows: Array<[string, SafeHtml | string]> = [
    ["repository", run.repo],
    ["thread", threadCell(run)],
    ["trigger", `${run.trigger.kind} by ${run.trigger.actor} (${run.trigger.mode})`],
    ["state", html`<span id="run-state">${stateBadge(run.state)}</span>${run.cancelRequested && !finished ? " — cancel requested" : ""}`],
    ["phase", html`<span id="run-phase">${phaseText(run.phase)}</span>`],
    ["outcome", run.outcome ?? "—"],
    ["pull request", run.pr ? html`<a id="run-pr" href="${safeUrl(run.pr.url)}">#${run.pr.number}</a>` : "—"],
    ["created", run.createdAt],
    ["started", run.startedAt ?? "—"],
    ["finished", run.finishedAt ?? "—"],
    ["duration", duration(run.durationMs)],
    ["cost", `${formatUsd(run.costUsd)}${run.claudeCostUsd !== null ? ` (Claude ${formatUsd(run.claudeCostUsd)})` : ""}`],
    ["turns", run.turns === null ? "—" : String(run.turns)],
    ...(gateway !== undefined ? [["model gateway", html`<span id="run-gateway">${gatewayRow(gateway)}</span>`] as [string, SafeHtml]] : []),
    ["attempts", String(run.attempts)],
    ["thread key", run.threadKey],
  ];
  if (run.trigger.branch) rows.splice(7, 0, ["branch", run.trigger.branch]);
  if (run.error) rows.push(["error", html`<span id="run-error">${run.error}</span>`]);
  const live = finished
    ? ""
    : html`<section id="live" data-events="/dashboard/runs/${run.id}/events">
<h2>Live</h2>
<p>State: <strong id="live-state">${run.state}</strong> · Phase: <strong id="live-phase">${phaseText(run.phase)}</strong> · Turns: <span id="live-turns">—</span></p>
<p>Step: <span id="live-step">—</span></p>
<ul id="live-todos"></ul>
<p><small id="live-status">connecting…</small></p>
<ol id="live-log" reversed></ol>
<form method="post" action="/dashboard/runs/${run.id}/cancel" id="cancel-form"><button class="danger" type="submit" id="cancel">Cancel this run</button></form>
</section>`;
  const body = html`${notice ? html`<p class="notice" id="notice">${notice}</p>` : ""}
<p><a href="/dashboard">← all runs</a></p>
${live}
<table id="details"><tbody>${rows.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>
<h2>Request</h2>
<pre id="prompt">${run.prompt}</pre>
<h2>Result (JSON)</h2>
${run.result === null ? html`<p id="no-result">No result yet.</p>` : html`<pre id="result-json">${JSON.stringify(run.result, null, 2)}</pre>`}`;
  return layout(`Run #${run.id}`, body, { signedIn: true, nonce, script: finished ? undefined : LIVE_SCRIPT });
}

/** The run page's live view: the SSE stream fills in state, phase, step, todos; the end reloads the page. */
const LIVE_SCRIPT = raw(`
(() => {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  const logLine = (text) => {
    const li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + "  " + text;
    document.getElementById("live-log").prepend(li);
  };
  const phaseText = (d) => d.phase ? (d.label ? d.phase + " (" + d.label + ")" : d.phase) : "—";
  const showPhase = (d) => { set("live-phase", phaseText(d)); set("run-phase", phaseText(d)); };
  const source = new EventSource(live.dataset.events);
  source.onopen = () => set("live-status", "live");
  source.onerror = () => set("live-status", "reconnecting…");
  source.addEventListener("state", (e) => {
    const d = JSON.parse(e.data);
    set("live-state", d.state);
    showPhase(d);
    logLine("state " + d.state + (d.phase ? ", phase " + d.phase : ""));
  });
  source.addEventListener("phase", (e) => {
    const d = JSON.parse(e.data);
    showPhase(d);
    logLine("phase " + d.phase);
  });
  source.addEventListener("progress", (e) => {
    const d = JSON.parse(e.data);
    set("live-step", d.step || "—");
    set("live-turns", String(d.turns));
    const list = document.getElementById("live-todos");
    list.replaceChildren(...d.todos.map((t) => {
      const li = document.createElement("li");
      li.textContent = (t.status === "completed" ? "☑ " : t.status === "in_progress" ? "▶ " : "☐ ") + t.content;
      return li;
    }));
    if (d.step) logLine(d.step);
  });
  source.addEventListener("finished", (e) => {
    const d = JSON.parse(e.data);
    logLine("finished: " + d.outcome);
  });
  source.addEventListener("end", (e) => {
    const d = JSON.parse(e.data);
    source.close();
    set("live-state", d.state);
    set("live-status", "finished — reloading");
    setTimeout(() => location.reload(), 300);
  });
})();
`);
