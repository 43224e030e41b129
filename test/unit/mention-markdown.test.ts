import { describe, expect, it } from "vitest";
import { mentions } from "../../src/triggers/mention.ts";

/** A mention counts only where GitHub would render it as text addressed to the bot. */

const BOT = "@claude-bot";

describe("mentions, read as GitHub renders markdown", () => {
  it.each([
    ["a ~~~ fence", `look:\n~~~\n${BOT} do it\n~~~\n`],
    ["a ~~~ fence with an info string", `~~~sh\n${BOT} fix\n~~~`],
    ["a 4-space-indented code block", `Example:\n\n    ${BOT} fix everything\n`],
    ["a tab-indented code block", `Example:\n\n\t${BOT} fix everything\n`],
    ["an HTML comment", `Hello <!-- ${BOT} do it --> there`],
    ["a multi-line HTML comment", `Hello\n\n<!--\n${BOT} do it\n-->\n`],
    ["a ``` fence", `\`\`\`\n${BOT} x\n\`\`\``],
    ["an inline code span", `run \`${BOT} x\` to see`],
    ["a block quote", `> ${BOT} do it\n\nthanks`],
  ])("is not a mention inside %s", (_, body) => {
    expect(mentions(body, BOT)).toBe(false);
  });

  it.each([
    ["plain text", `${BOT} fix the tests`],
    ["text after a ~~~ fence", `~~~\ncode\n~~~\n\n${BOT} fix it`],
    ["text after an HTML comment", `<!-- note -->\n${BOT} fix it`],
    ["bold text", `**${BOT}** fix it`],
    ["a list item", `- ${BOT} fix it`],
    ["a heading", `## ${BOT} fix it`],
  ])("is a mention in %s", (_, body) => {
    expect(mentions(body, BOT)).toBe(true);
  });

  it("reads only the first 65,536 characters of a huge body", () => {
    expect(mentions(`${"a ".repeat(40_000)}${BOT} late`, BOT)).toBe(false);
    expect(mentions(`${BOT} early ${"a ".repeat(200_000)}`, BOT)).toBe(true);
  });
});
