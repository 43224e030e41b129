import { imageKind, type ImageKind } from "./thread-images.ts";

/**
 * One image from one of GitHub's hosts, bounded by bytes and time. A plain fetch: no token or
 * cookie is ever attached (signed URLs need none), redirects are followed by hand and only to
 * hosts the caller allows, and what arrives must be a picture by its magic bytes.
 */

export interface DownloadDeps {
  fetch: typeof fetch;
  allowed: (url: string) => boolean;
}

export interface DownloadBounds {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  signal?: AbortSignal | undefined;
}

export type Downloaded = { ok: true; bytes: Uint8Array; kind: ImageKind } | { ok: false; reason: string; tooLarge?: boolean };

export async function downloadImage(deps: DownloadDeps, url: string, bounds: DownloadBounds): Promise<Downloaded> {
  const signal = bounds.signal ? AbortSignal.any([bounds.signal, AbortSignal.timeout(bounds.timeoutMs)]) : AbortSignal.timeout(bounds.timeoutMs);
  try {
    const response = await follow(deps, url, bounds.maxRedirects, signal);
    if (typeof response === "string") return { ok: false, reason: response };
    const bytes = await readCapped(response, bounds.maxBytes);
    if (!bytes) return { ok: false, reason: `larger than ${(bounds.maxBytes / 1024 / 1024).toFixed(1)} MB`, tooLarge: true };
    const kind = imageKind(bytes);
    return kind ? { ok: true, bytes, kind } : { ok: false, reason: "not a PNG, JPEG, GIF or WebP picture" };
  } catch (error) {
    const timedOut = signal.aborted && !bounds.signal?.aborted;
    return { ok: false, reason: timedOut ? `no answer within ${bounds.timeoutMs / 1000} s` : `could not be downloaded (${(error as Error).message})` };
  }
}

/** The final response, or why there is none: every hop's URL is checked before it is asked for. */
async function follow(deps: DownloadDeps, first: string, maxRedirects: number, signal: AbortSignal): Promise<Response | string> {
  let url = first;
  for (let hop = 0; ; hop++) {
    if (!deps.allowed(url)) return "redirected away from GitHub's own image hosts, not followed";
    const response = await deps.fetch(url, { redirect: "manual", signal, credentials: "omit", headers: { accept: "image/*" } });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (hop >= maxRedirects) return `more than ${maxRedirects} redirects`;
      url = new URL(location, url).toString();
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      return `GitHub answered HTTP ${response.status}`;
    }
    return response;
  }
}

/** The body, or null as soon as it passes maxBytes (the announced length is checked first). */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array | null> {
  const announced = Number(response.headers.get("content-length") ?? "0");
  if (announced > maxBytes) {
    await response.body?.cancel();
    return null;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
