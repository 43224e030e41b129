import { describe, expect, it } from "vitest";
import { parseIssueComment } from "../../src/triggers/parse-trigger.ts";
import { gitBaseUrl, repoCloneUrl } from "../../src/workspace/clone-url.ts";
import { exampleFor } from "../support/webhooks.ts";

describe("clone URLs are built from the configured host and the repository's name", () => {
  it("github.com when GHE_HOST is unset, else GHE_PROTOCOL://GHE_HOST", () => {
    expect(gitBaseUrl({ GHE_PROTOCOL: "https" })).toBe("https://github.com");
    expect(gitBaseUrl({ GHE_HOST: "ghe.example.com", GHE_PROTOCOL: "https" })).toBe("https://ghe.example.com");
    expect(gitBaseUrl({ GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" })).toBe("http://127.0.0.1:8080");
    expect(repoCloneUrl("https://github.com", "acme", "widgets.js")).toBe("https://github.com/acme/widgets.js.git");
  });

  it("refuses names GitHub never gives a repository: no other host, path or option can be smuggled in", () => {
    const bad: Array<[string, string]> = [
      ["acme", "../../evil.example/x"],
      ["acme", ".."],
      ["acme", "."],
      ["evil.example@acme", "w"],
      ["acme", "w?x=1"],
      ["acme/x", "w"],
      ["-acme", "w"],
      ["acme", "w#frag"],
      ["acme", "w x"],
      ["", "w"],
      ["acme", ""],
      ["a".repeat(40), "w"],
      ["acme", "w".repeat(101)],
    ];
    for (const [owner, name] of bad) expect(() => repoCloneUrl("https://github.com", owner, name), `${owner}/${name}`).toThrow(/is not a GitHub repository name/);
  });

  it("a payload's clone_url is not even kept: the trigger carries no URL to clone from", () => {
    const payload = exampleFor("issue_comment", "created");
    (payload["repository"] as Record<string, unknown>)["clone_url"] = "http://127.0.0.1:9/relay.git";
    (payload["comment"] as Record<string, unknown>)["body"] = "@bot do it";
    payload["installation"] = { id: 1 };
    const parsed = parseIssueComment("d-1", payload);
    expect(parsed).toMatchObject({ ok: true });
    if (parsed.ok) expect(JSON.stringify(parsed.trigger)).not.toContain("127.0.0.1:9");
  });
});
