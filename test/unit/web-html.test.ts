import { describe, expect, it } from "vitest";
import { loginPage, runsPage, safeUrl } from "../../src/web/dashboard-pages.ts";
import { escapeHtml, html, raw } from "../../src/web/html.ts";
import { computeTotals } from "../../src/web/totals.ts";

describe("HTML escaping", () => {
  it("escapes the characters that could open markup or leave an attribute", () => {
    expect(escapeHtml(`<script>alert("x") & 'y'</script>\``)).toBe("&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;&#96;");
    expect(escapeHtml("plain text")).toBe("plain text");
  });

  it("html`` escapes every interpolated value, joins arrays, drops null/undefined/false, trusts nested html and raw", () => {
    const evil = `"><img src=x onerror=alert(1)>`;
    const out = html`<a title="${evil}">${["<b>", html`<i>${"<u>"}</i>`, null, undefined, false, 0]}</a>${raw("<br>")}`;
    expect(out.value).toBe(`<a title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&lt;b&gt;<i>&lt;u&gt;</i>0</a><br>`);
  });

  it("links only http(s) URLs", () => {
    expect(safeUrl("https://github.com/acme/widgets/issues/1")).toBe("https://github.com/acme/widgets/issues/1");
    expect(safeUrl("javascript:alert(1)")).toBe("#");
    expect(safeUrl("data:text/html,<script>")).toBe("#");
  });

  it("pages escape what users wrote and keep the sign-in target inside the dashboard's markup", () => {
    const page = loginPage({ next: `/dashboard?repo="><script>x</script>`, problem: "<b>wrong</b>" }).value;
    expect(page).toContain("&lt;b&gt;wrong&lt;/b&gt;");
    expect(page).toContain(`value="/dashboard?repo=&quot;&gt;&lt;script&gt;x&lt;/script&gt;"`);
    expect(page).not.toContain("<script>x");

    const list = runsPage({
      runs: [
        {
          id: 7,
          repo: "acme/widgets",
          threadKey: "acme/widgets#3",
          thread: { number: 3, title: "<img src=x onerror=alert(1)>", url: "javascript:alert(1)", isPullRequest: false },
          trigger: { kind: "issue_comment", actor: "<mallory>", mode: "code", branch: null },
          state: "failed",
          phase: null,
          attempts: 1,
          cancelRequested: false,
          createdAt: "2026-01-02T03:04:05.000Z",
          startedAt: "2026-01-02T03:04:06.000Z",
          finishedAt: "2026-01-02T03:05:06.000Z",
          durationMs: 60_000,
          costUsd: 0.5,
          claudeCostUsd: 0.5,
          turns: 2,
          sessionId: null,
          outcome: "failed",
          failedPhase: "agent",
          errorCategory: "model_api",
          pr: null,
          error: "x",
        },
      ],
      filters: { repo: "", state: "" },
      totals: computeTotals([{ repo: "acme/widgets", createdAt: "2026-01-02T03:04:05.000Z", costUsd: 0.5 }]),
      totalsWindowDays: 14,
      repos: ["acme/widgets"],
    }).value;
    expect(list).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(list).toContain("&lt;mallory&gt;");
    expect(list).toContain(`<a href="#">issue #3</a>`);
    expect(list).not.toContain("<img");
    expect(list).toContain("1m");
  });
});

describe("totals", () => {
  it("adds runs and cost per repository (most expensive first) and per UTC day (newest first)", () => {
    const totals = computeTotals([
      { repo: "a/x", createdAt: "2026-01-01T23:59:59.000Z", costUsd: 1 },
      { repo: "b/y", createdAt: "2026-01-02T00:00:00.000Z", costUsd: 2.5 },
      { repo: "a/x", createdAt: "2026-01-02T10:00:00.000Z", costUsd: 0.25 },
      { repo: "c/z", createdAt: "2026-01-02T11:00:00.000Z", costUsd: Number.NaN },
    ]);
    expect(totals.byRepo).toEqual([
      { key: "b/y", runs: 1, costUsd: 2.5 },
      { key: "a/x", runs: 2, costUsd: 1.25 },
      { key: "c/z", runs: 1, costUsd: 0 },
    ]);
    expect(totals.byDay).toEqual([
      { key: "2026-01-02", runs: 3, costUsd: 2.75 },
      { key: "2026-01-01", runs: 1, costUsd: 1 },
    ]);
    expect(totals.all).toEqual({ key: "all", runs: 4, costUsd: 3.75 });
    expect(computeTotals([]).byRepo).toEqual([]);
  });
});
