/**
 * The images of a thread, as far as they can be decided without a network: where they are in the
 * text (markdown, `<img>`, GitHub's user-attachments), whether their host is one of GitHub's own
 * (nothing else is ever fetched: the URLs are written by anyone who can comment), and which of
 * them fit the run's limits. Pure; image-download.ts does the fetching.
 */

/** One text of the thread: its markdown and, when the API rendered it (full+json), its HTML. */
export interface ImageText {
  /** Where it is, for the prompt: "the issue body", "a comment by @alice". */
  from: string;
  markdown: string;
  /** GitHub's rendering: for a private repository its <img> URLs are signed (jwt=…) and need no token. */
  html?: string | undefined;
}

export interface ImageRef {
  url: string;
  from: string;
  /** 1-based position among the images of its text. */
  nth: number;
}

export interface SkippedImage {
  from: string;
  reason: string;
}

export const IMAGE_LIMITS = {
  /** Images downloaded per run. */
  maxImages: 8,
  maxBytesEach: 5 * 1024 * 1024,
  maxBytesTotal: 20 * 1024 * 1024,
  /** Per image, redirects and body included. */
  timeoutMsEach: 15_000,
  maxRedirects: 3,
} as const;

export type ImageLimits = { [K in keyof typeof IMAGE_LIMITS]: number };

const MARKDOWN_IMAGE = /!\[[^\]]*\]\(\s*<?([^\s)>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const IMG_TAG = /<img\b[^>]*>/gi;
const SRC_ATTR = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
// A bare attachment URL on its own line: GitHub shows it as the picture (or video) it points at.
const BARE_ATTACHMENT = /^\s*<?(https?:\/\/[^\s<>]+\/user-attachments\/assets\/[A-Za-z0-9-]+)>?\s*$/gm;

/** Cheap test: might this markdown hold an image? (Decides whether its rendering is asked for.) */
export function hasImageRef(markdown: string): boolean {
  return /!\[[^\]]*\]\(|<img\b|\/user-attachments\/assets\//i.test(markdown);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function imgSources(text: string): string[] {
  const found: string[] = [];
  for (const tag of text.match(IMG_TAG) ?? []) {
    // GitHub renders some :emoji: as <img class="emoji"> from its assets host: not the thread's pictures.
    if (/\sclass\s*=\s*["']?[^"'>]*\bemoji\b/i.test(tag)) continue;
    const m = SRC_ATTR.exec(tag);
    const src = m ? (m[1] ?? m[2] ?? m[3] ?? "") : "";
    if (src) found.push(decodeEntities(src));
  }
  return found;
}

/** The image URLs of a text, in order: from its HTML rendering when there is one (signed URLs), else from its markdown. */
export function imageUrlsIn(text: ImageText): string[] {
  if (text.html !== undefined) return unique(imgSources(text.html));
  const md = text.markdown.replace(/<!--[\s\S]*?(-->|$)/g, "");
  const inline = [...md.matchAll(MARKDOWN_IMAGE)].map((m) => m[1]!);
  const bare = [...md.matchAll(BARE_ATTACHMENT)].map((m) => m[1]!);
  return unique([...inline, ...imgSources(md), ...bare]);
}

const unique = (urls: string[]) => [...new Set(urls)];

/** Hosts whose every path serves uploads on github.com. */
const GITHUB_IMAGE_HOSTS = new Set(["user-images.githubusercontent.com", "private-user-images.githubusercontent.com"]);
const GITHUB_ATTACHMENTS = "/user-attachments/assets/";
/** Where GitHub Enterprise Server serves uploads, on its own host. */
const GHE_IMAGE_PATHS = ["/storage/", "/user-attachments/assets/"];

/**
 * The host decision: exact hosts, no user info, default ports. With GitHub Enterprise Server
 * (gitBaseUrl is not github.com) only that host, with its scheme and port, on its upload paths:
 * github.com's hosts are then not GitHub's own.
 */
export function isGitHubImageUrl(url: string, gitBaseUrl: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  const base = new URL(gitBaseUrl);
  if (base.hostname === "github.com") {
    if (u.protocol !== "https:" || u.port !== "") return false;
    return GITHUB_IMAGE_HOSTS.has(u.hostname) || (u.hostname === "github.com" && u.pathname.startsWith(GITHUB_ATTACHMENTS));
  }
  return u.protocol === base.protocol && u.host === base.host && GHE_IMAGE_PATHS.some((p) => u.pathname.startsWith(p));
}

/** What to download (allowed, new, within the count) and what not, with why. */
export function planImages(texts: ImageText[], allowed: (url: string) => boolean, limits: Pick<ImageLimits, "maxImages">): { fetch: ImageRef[]; skipped: SkippedImage[] } {
  const fetch: ImageRef[] = [];
  const skipped: SkippedImage[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    imageUrlsIn(text).forEach((url, i) => {
      if (seen.has(url)) return;
      seen.add(url);
      if (!allowed(url)) skipped.push({ from: text.from, reason: "not on GitHub's own image hosts, so not fetched" });
      else if (fetch.length >= limits.maxImages) skipped.push({ from: text.from, reason: `over the limit of ${limits.maxImages} images per run` });
      else fetch.push({ url, from: text.from, nth: i + 1 });
    });
  }
  return { fetch, skipped };
}

export type ImageKind = "png" | "jpg" | "gif" | "webp";

/** The picture's format by its magic bytes; null for anything else (SVG included: text, scripts). */
export function imageKind(bytes: Uint8Array): ImageKind | null {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpg";
  if (starts([0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return "gif";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

/** What the run's images became: files in the sandbox (named in the prompt) and what was left out. */
export interface ThreadImages {
  placed: Array<{ path: string; from: string; nth: number }>;
  skipped: SkippedImage[];
}
