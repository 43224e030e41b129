import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { downloadImage } from "../../src/github/image-download.ts";
import { hasImageRef, imageKind, imageUrlsIn, isGitHubImageUrl, planImages } from "../../src/github/thread-images.ts";
import { imagesSection } from "../../src/agent/images-prompt.ts";
import { placeThreadImages } from "../../src/runs/image-step.ts";
import type { Sandbox } from "../../src/sandbox/types.ts";
import type { Trigger } from "../../src/triggers/types.ts";

/** The pure part of the thread's images (where they are, which hosts count), and the bounded download against a real HTTP server. */

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4ab0000000049454e44ae426082", "hex");
const GH = "https://github.com";

describe("imageUrlsIn", () => {
  it.each([
    ["markdown image", "see ![shot](https://github.com/user-attachments/assets/abc-1)", ["https://github.com/user-attachments/assets/abc-1"]],
    ["markdown with a title and angle brackets", '![x](<https://user-images.githubusercontent.com/1/a.png> "t")', ["https://user-images.githubusercontent.com/1/a.png"]],
    ["an <img> tag in markdown", '<img width="300" alt="a" src="https://github.com/user-attachments/assets/u-2" />', ["https://github.com/user-attachments/assets/u-2"]],
    ["a bare attachment URL on its own line", "before\nhttps://github.com/user-attachments/assets/0f-9\nafter", ["https://github.com/user-attachments/assets/0f-9"]],
    ["an attachment URL inside a sentence is a link, not an image", "the link https://github.com/user-attachments/assets/0f-9 here", []],
    ["inside an HTML comment: not seen on GitHub, not fetched", "<!-- ![x](https://github.com/user-attachments/assets/h) -->", []],
    ["a plain link", "[not an image](https://github.com/user-attachments/assets/a)", []],
    ["the same image twice", "![a](https://x.test/1.png) ![b](https://x.test/1.png)", ["https://x.test/1.png"]],
    ["two images in order", "![a](https://x.test/1.png)\n![b](https://x.test/2.png)", ["https://x.test/1.png", "https://x.test/2.png"]],
  ])("%s", (_, markdown, urls) => {
    expect(imageUrlsIn({ from: "t", markdown })).toEqual(urls);
  });

  it("prefers the HTML rendering (signed URLs), entities decoded, emoji left out", () => {
    const html = '<p><a href="https://github.com/user-attachments/assets/u"><img src="https://private-user-images.githubusercontent.com/1/2.png?jwt=a.b.c&amp;x=1" alt="shot" style="max-width: 100%;"></a> <img class="emoji" src="https://github.githubassets.com/images/icons/emoji/octocat.png"></p>';
    expect(imageUrlsIn({ from: "t", markdown: "![shot](https://github.com/user-attachments/assets/u)", html })).toEqual(["https://private-user-images.githubusercontent.com/1/2.png?jwt=a.b.c&x=1"]);
  });

  it("hasImageRef says when a rendering is worth asking for", () => {
    expect(["![a](u)", "<IMG src=x>", "https://github.com/user-attachments/assets/1"].map(hasImageRef)).toEqual([true, true, true]);
    expect(["plain text", "[link](https://example.com)"].map(hasImageRef)).toEqual([false, false]);
  });
});

describe("isGitHubImageUrl", () => {
  it.each([
    ["https://github.com/user-attachments/assets/abc", GH, true],
    ["https://user-images.githubusercontent.com/1/a.png", GH, true],
    ["https://private-user-images.githubusercontent.com/1/a.png?jwt=x", GH, true],
    ["https://github.com/octo/repo/raw/main/a.png", GH, false],
    ["http://user-images.githubusercontent.com/1/a.png", GH, false],
    ["https://user-images.githubusercontent.com:8443/1/a.png", GH, false],
    ["https://user:pw@user-images.githubusercontent.com/1/a.png", GH, false],
    ["https://user-images.githubusercontent.com.evil.example/a.png", GH, false],
    ["https://evil.example/user-attachments/assets/abc", GH, false],
    ["https://camo.githubusercontent.com/abc/def", GH, false],
    ["https://127.0.0.1/storage/user/1/a.png", GH, false],
    ["not a url", GH, false],
    ["file:///etc/passwd", GH, false],
    // GitHub Enterprise Server: its own host, scheme and port, on its upload paths; github.com's hosts are not its own.
    ["http://127.0.0.1:4000/storage/user/1/files/x", "http://127.0.0.1:4000", true],
    ["http://127.0.0.1:4000/user-attachments/assets/x", "http://127.0.0.1:4000", true],
    ["http://127.0.0.1:4000/api/v3/repos/a/b", "http://127.0.0.1:4000", false],
    ["http://127.0.0.1:4001/storage/user/1/files/x", "http://127.0.0.1:4000", false],
    ["https://127.0.0.1:4000/storage/user/1/files/x", "http://127.0.0.1:4000", false],
    ["https://private-user-images.githubusercontent.com/1/a.png", "https://ghe.example.com", false],
  ])("%s with %s → %s", (url, base, allowed) => {
    expect(isGitHubImageUrl(url, base)).toBe(allowed);
  });
});

describe("planImages", () => {
  const allowed = (url: string) => url.startsWith("https://ok/");
  it("fetches allowed images up to the count, names every other one with why", () => {
    const plan = planImages(
      [
        { from: "the issue's description", markdown: "![a](https://ok/1) ![b](https://evil.example/x)" },
        { from: "a comment by @bob", markdown: "![c](https://ok/2) ![d](https://ok/1) ![e](https://ok/3)" },
      ],
      allowed,
      { maxImages: 2 },
    );
    expect(plan.fetch).toEqual([
      { url: "https://ok/1", from: "the issue's description", nth: 1 },
      { url: "https://ok/2", from: "a comment by @bob", nth: 1 },
    ]);
    expect(plan.skipped).toEqual([
      { from: "the issue's description", reason: "not on GitHub's own image hosts, so not fetched" },
      { from: "a comment by @bob", reason: "over the limit of 2 images per run" },
    ]);
  });
});

describe("imageKind", () => {
  it.each([
    ["png", PNG, "png"],
    ["jpeg", Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), "jpg"],
    ["gif", Buffer.from("GIF89a...."), "gif"],
    ["webp", Buffer.from("RIFF\0\0\0\0WEBPVP8 "), "webp"],
    ["svg", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), null],
    ["html", Buffer.from("<!doctype html>"), null],
    ["empty", Buffer.alloc(0), null],
  ])("%s", (_, bytes, kind) => {
    expect(imageKind(bytes)).toBe(kind);
  });
});

describe("downloadImage (a real HTTP server)", () => {
  let server: Server;
  let base: string;
  const hits: Array<{ path: string; authorization?: string | undefined; cookie?: string | undefined }> = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const path = (req.url ?? "/").replace(/^\/storage/, "");
      hits.push({ path, authorization: req.headers.authorization, cookie: req.headers.cookie });
      if (path === "/ok.png") return res.end(PNG);
      if (path === "/hop") return res.writeHead(302, { location: "/ok.png" }).end();
      if (path === "/away") return res.writeHead(302, { location: "http://evil.invalid/x.png" }).end();
      if (path === "/loop") return res.writeHead(302, { location: "/loop" }).end();
      if (path === "/big") return res.end(Buffer.concat([PNG, Buffer.alloc(4096)]));
      if (path === "/stream") {
        // No content-length: the cap must hold while reading.
        res.write(PNG);
        res.write(Buffer.alloc(4096));
        return res.end();
      }
      if (path === "/html") return res.end("<html></html>");
      if (path === "/slow") return void setTimeout(() => res.end(PNG), 2_000);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const allowed = (url: string) => url.startsWith(base);
  const get = (path: string, bounds: Partial<{ maxBytes: number; timeoutMs: number }> = {}) => downloadImage({ fetch, allowed }, `${base}${path}`, { maxBytes: 1024, timeoutMs: 1_000, maxRedirects: 2, ...bounds });

  it.each([
    ["/ok.png", { ok: true, kind: "png" }],
    ["/hop", { ok: true, kind: "png" }],
    ["/away", { ok: false, reason: "redirected away from GitHub's own image hosts, not followed" }],
    ["/loop", { ok: false, reason: "more than 2 redirects" }],
    ["/big", { ok: false, tooLarge: true }],
    ["/stream", { ok: false, tooLarge: true }],
    ["/html", { ok: false, reason: "not a PNG, JPEG, GIF or WebP picture" }],
    ["/missing", { ok: false, reason: "GitHub answered HTTP 404" }],
    ["/slow", { ok: false, reason: "no answer within 0.3 s" }],
  ])("%s", async (path, expected) => {
    const got = await get(path, path === "/slow" ? { timeoutMs: 300 } : {});
    expect(got).toMatchObject(expected);
    if (got.ok) expect(Buffer.from(got.bytes).equals(PNG)).toBe(true);
  });

  it("sends no credentials and never asks for a host it does not allow", () => {
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.authorization === undefined && h.cookie === undefined)).toBe(true);
    expect(hits.some((h) => h.path.includes("evil"))).toBe(false);
  });

  it("placeThreadImages writes next to the checkout and names the rest in the prompt", async () => {
    const written = new Map<string, Uint8Array>();
    const sandbox = { homeDir: "/home/user", workdir: "/home/user/repo", run: async () => ({ exitCode: 0, stdout: "", stderr: "" }), writeFile: async (p: string, c: string | Uint8Array) => void written.set(p, c as Uint8Array) } as unknown as Sandbox;
    const trigger = { thread: { isPullRequest: false, body: `![a](${base}/storage/ok.png)` }, source: { type: "issue_comment" }, actor: { login: "alice" }, text: "" } as unknown as Trigger;
    const context = { pull: null, comments: [{ author: "bob", body: `![b](${base}/storage/html) ![c](https://evil.example/c.png)`, createdAt: "" }] };
    const images = await placeThreadImages({ fetch, gitBaseUrl: base, log: pino({ level: "silent" }) }, { sandbox, trigger, context, signal: new AbortController().signal });
    expect([...written.keys()]).toEqual(["/home/user/.claude-sandbox-bot/images/1.png"]);
    const section = imagesSection({ ...context, images });
    expect(section).toContain("- /home/user/.claude-sandbox-bot/images/1.png: image 1 in the issue's description");
    expect(section).toContain("- one in a comment by @bob: not a PNG, JPEG, GIF or WebP picture");
    expect(section).toContain("- one in a comment by @bob: not on GitHub's own image hosts, so not fetched");
  });
});
