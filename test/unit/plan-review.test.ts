import { describe, expect, it } from "vitest";
import type { PullContext } from "../../src/github/thread-context.ts";
import { planReview, type PlannedReview, type ReviewOutput } from "../../src/runs/review.ts";

/** planReview: Claude's structured review → one GitHub review, comments off the diff moved into the body. */

const FOOTER = "— the footer";
// src/a.ts: RIGHT lines 1–3 (2 added), LEFT lines 1–2 (2 removed).
const files: PullContext["files"] = [
  { path: "src/a.ts", status: "modified", additions: 1, deletions: 1, patch: "@@ -1,2 +1,3 @@\n one\n-two\n+TWO\n+three" },
  { path: "logo.png", status: "added", additions: 0, deletions: 0 },
  { path: "src/renamed.ts", status: "renamed", additions: 0, deletions: 0 },
];
const review = (over: Partial<ReviewOutput> = {}): ReviewOutput => ({ summary: "  Looks fine.  ", verdict: "comment", comments: [], ...over });
const comment = (path: string, line: number, side: "LEFT" | "RIGHT" = "RIGHT", body = "nit") => ({ path, line, side, body });
const OWN = "Verdict: **%s** (posted as a comment: this pull request was opened by the app, and GitHub does not let a pull request's author approve or request changes on it).";

describe("planReview", () => {
  it.each<[string, ReviewOutput, { ownPull?: boolean }, PlannedReview]>([
    ["a comment-only review with nothing inline", review(), {}, { event: "COMMENT", body: `Looks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
    ["approve", review({ verdict: "approve" }), {}, { event: "APPROVE", body: `Looks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
    ["request changes", review({ verdict: "request_changes" }), {}, { event: "REQUEST_CHANGES", body: `Looks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
    ["comments on added and context lines stay inline",
      review({ comments: [comment("src/a.ts", 2, "RIGHT", "why?"), comment("src/a.ts", 1, "RIGHT")] }), {},
      { event: "COMMENT", body: `Looks fine.\n\n${FOOTER}`, comments: [comment("src/a.ts", 2, "RIGHT", "why?"), comment("src/a.ts", 1, "RIGHT")], moved: 0 }],
    ["a comment on a removed line, on the left side, stays inline",
      review({ comments: [comment("src/a.ts", 2, "LEFT")] }), {},
      { event: "COMMENT", body: `Looks fine.\n\n${FOOTER}`, comments: [comment("src/a.ts", 2, "LEFT")], moved: 0 }],
    ["a line outside the hunk moves into the body",
      review({ comments: [comment("src/a.ts", 40, "RIGHT", "far away")] }), {},
      { event: "COMMENT", body: `Looks fine.\n\n**Comments on lines outside this pull request's diff:**\n- \`src/a.ts\` line 40: far away\n\n${FOOTER}`, comments: [], moved: 1 }],
    ["a line that exists only on the other side moves",
      review({ comments: [comment("src/a.ts", 3, "LEFT", "left 3")] }), {},
      { event: "COMMENT", body: `Looks fine.\n\n**Comments on lines outside this pull request's diff:**\n- \`src/a.ts\` line 3: left 3\n\n${FOOTER}`, comments: [], moved: 1 }],
    ["files not in the diff, binary files and renames without a patch move",
      review({ comments: [comment("README.md", 1, "RIGHT", "a"), comment("logo.png", 1, "RIGHT", "b"), comment("src/renamed.ts", 1, "RIGHT", "c")] }), {},
      { event: "COMMENT", body: `Looks fine.\n\n**Comments on lines outside this pull request's diff:**\n- \`README.md\` line 1: a\n- \`logo.png\` line 1: b\n- \`src/renamed.ts\` line 1: c\n\n${FOOTER}`, comments: [], moved: 3 }],
    ["inline and moved together, in their order",
      review({ verdict: "request_changes", comments: [comment("src/a.ts", 99, "RIGHT", "moved"), comment("src/a.ts", 3, "RIGHT", "kept")] }), {},
      { event: "REQUEST_CHANGES", body: `Looks fine.\n\n**Comments on lines outside this pull request's diff:**\n- \`src/a.ts\` line 99: moved\n\n${FOOTER}`, comments: [comment("src/a.ts", 3, "RIGHT", "kept")], moved: 1 }],
    ["the app's own PR: approve is posted as a comment stating the verdict",
      review({ verdict: "approve" }), { ownPull: true },
      { event: "COMMENT", body: `${OWN.replace("%s", "approve")}\n\nLooks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
    ["the app's own PR: request changes too",
      review({ verdict: "request_changes" }), { ownPull: true },
      { event: "COMMENT", body: `${OWN.replace("%s", "request changes")}\n\nLooks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
    ["the app's own PR: a comment is just a comment",
      review({ verdict: "comment" }), { ownPull: true },
      { event: "COMMENT", body: `Looks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
    ["ownPull false is like not set",
      review({ verdict: "approve" }), { ownPull: false },
      { event: "APPROVE", body: `Looks fine.\n\n${FOOTER}`, comments: [], moved: 0 }],
  ])("%s", (_name, input, options, expected) => {
    expect(planReview(input, files, FOOTER, options)).toEqual(expected);
  });

  it("with no files at all, every comment moves", () => {
    const plan = planReview(review({ comments: [comment("src/a.ts", 1)] }), [], FOOTER);
    expect(plan).toMatchObject({ comments: [], moved: 1 });
  });
});

describe("planReview with a prompt-injected review", () => {
  it("makes Claude's @mentions inert in the summary and the comments, and keeps a hostile path in one code span", () => {
    const planned = planReview(
      review({ summary: "cc @acme/everyone", comments: [comment("src/a.ts", 2, "RIGHT", "ping @mallory"), comment("x` @acme/ops `.ts", 1, "RIGHT", "and @trent")] }),
      files,
      FOOTER,
    );
    expect(planned.body).toContain("cc @\u200bacme/everyone");
    expect(planned.body).toContain("- `` x` @acme/ops `.ts `` line 1: and @\u200btrent");
    expect(planned.comments[0]?.body).toBe("ping @\u200bmallory");
  });
});

