import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { fence, inertMentions, inlineCode } from "../../src/util/markdown.ts";
import { liveMentions } from "../support/live-mentions.ts";

/** Outside text in the bot's comments stays inert (util/markdown.ts). */

const ZW = "\u200b";

describe("inertMentions", () => {
  it.each([
    ["@alice please look", `@${ZW}alice please look`],
    ["cc @acme/security-team.", `cc @${ZW}acme/security-team.`],
    ["(@bob)", `(@${ZW}bob)`],
    ["**@carol**", `**@${ZW}carol**`],
    ["- [ ] ask @dave", `- [ ] ask @${ZW}dave`],
    ["mail me at eve@example.com", "mail me at eve@example.com"],
    ["see `@frank` in code", "see `@frank` in code"],
    ["``a ` @grace``, @heidi", `\`\`a \` @grace\`\`, @${ZW}heidi`],
    ["an unmatched ` then @ivan", `an unmatched \` then @${ZW}ivan`],
    ["@@judy", `@@${ZW}judy`],
    ["a @ b", "a @ b"],
  ])("%j → %j", (input, expected) => {
    expect(inertMentions(input)).toBe(expected);
  });

  it("is linear in hostile input: many unmatched backtick runs of every length, on one line", () => {
    // 2,000 runs of distinct lengths, none closed: a scan from each run to the end would be quadratic.
    const line = Array.from({ length: 2_000 }, (_, i) => "`".repeat(i + 1)).join(" @x ");
    const big = `${line}\n`.repeat(2);
    // (A quadratic scan — from each run to the line's end, ~2 MB each — would not finish within the test's time.)
    const out = inertMentions(big);
    expect(out.split("@\u200bx").length - 1).toBe(2 * 1_999);
  });

  it("leaves fenced code as it is, and goes on after the fence closes", () => {
    const md = ["Before @a", "```js", "// @b is a decorator", "@Component()", "```", "After @c", "~~~~", "@d", "~~~", "still code @e", "~~~~", "@f"].join("\n");
    const out = inertMentions(md);
    expect(out.split("\n")).toEqual(["Before @\u200ba", "```js", "// @b is a decorator", "@Component()", "```", "After @\u200bc", "~~~~", "@d", "~~~", "still code @e", "~~~~", "@\u200bf"]);
  });

  it("leaves no live mention in hostile prose, by a real markdown renderer's reading", () => {
    const hostile = ["@everyone look", "> quoted @org/team", "1. @x", "<b>@y</b>", "[@z](https://example.com)", "text`@in-span`text @after"].join("\n\n");
    expect(liveMentions(hostile).length).toBeGreaterThan(4);
    expect(liveMentions(inertMentions(hostile))).toEqual([]);
  });
});

describe("inlineCode and fence", () => {
  it.each(["plain", "with ` one", "``two``", "`edge", "edge`", "line\nbreak\n\nparagraph", "a\u0000b\u001bc"])("keeps %j inside one code span", (text) => {
    const md = `x ${inlineCode(text)} y`;
    const html = marked.parseInline(md, { async: false });
    expect(html.match(/<code>/g)).toHaveLength(1);
    expect(html.startsWith("x <code>")).toBe(true);
    expect(html.endsWith("</code> y")).toBe(true);
  });

  it("cuts at maxChars with an ellipsis", () => {
    expect(inlineCode("abcdefghij", { maxChars: 5 })).toBe("`abcd…`");
  });

  it("fences text whose own backticks cannot close the fence", () => {
    const md = fence("```\nstill inside\n````", "text");
    const tokens = marked.lexer(md);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ type: "code", text: "```\nstill inside\n````" });
  });
});
