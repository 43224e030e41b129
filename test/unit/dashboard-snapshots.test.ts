import { describe, expect, it } from "vitest";
import { runsPage } from "../../src/web/dashboard-pages.ts";

const base = { runs: [], filters: { repo: "", state: "" }, totals: { all: { key: "all", runs: 0, costUsd: 0 }, byRepo: [], byDay: [] }, totalsWindowDays: 30, repos: [] } as unknown as Parameters<typeof runsPage>[0];

describe("dashboard: repository snapshots", () => {
  it("lists each snapshot with what it holds, its use and size, escaped; no section when there are none", () => {
    const page = runsPage({
      ...base,
      snapshots: [
        { installationId: 42, repoFullName: "acme/<widgets>", setupHash: "h", provider: "local", snapshotId: "snap-1", baseBranch: "main", baseSha: "0123456789abcdef0123", sizeBytes: 3 * 1048576, tookMs: 1500, createdAt: "2026-12-03T10:00:00.000Z", lastUsedAt: "2026-12-03T11:30:00.000Z", uses: 4 },
      ],
    }).value;
    expect(page).toContain('id="snapshots"');
    expect(page).toContain("acme/&lt;widgets&gt;");
    expect(page).toContain("main @ 0123456789ab");
    expect(page).toMatch(/<td class="num">4<\/td><td class="num">3\.0 MiB<\/td>/);
    expect(page).toContain("2026-12-03 11:30");
    expect(runsPage({ ...base, snapshots: [] }).value).not.toContain('id="snapshots"');
  });
});
