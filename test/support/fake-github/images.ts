// Uploaded images, as GitHub (Enterprise Server) serves them from its own host:
//   /user-attachments/assets/<id>                the URL the markdown holds: served for a public upload,
//                                                404 for a private one (GitHub wants a browser session)
//   /storage/user/1/files/<id>?jwt=<signature>   the signed URL of the API's body_html (full+json): served
//                                                with a valid signature, no token needed
// Every request is recorded (path, query, the credentials it carried) in `requests`.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "./state.ts";

export interface FakeImageRequest {
  path: string;
  query: string;
  authorization?: string | undefined;
  cookie?: string | undefined;
  status: number;
}

export interface FakeImageHost {
  /** Uploads an image; `markdownUrl` is what GitHub puts in the markdown. */
  add(bytes: Buffer, o?: { private?: boolean; contentType?: string }): { id: string; markdownUrl: string };
  /** GitHub's rendering of markdown, as much of it as images need: <img> with signed URLs for uploads. */
  renderHtml(markdown: string): string;
  requests: FakeImageRequest[];
}

interface Upload {
  bytes: Buffer;
  private: boolean;
  contentType: string;
}

const hosts = new WeakMap<Store, ReturnType<typeof createImageHost>>();

export function imageHostOf(store: Store): ReturnType<typeof createImageHost> {
  let host = hosts.get(store);
  if (!host) hosts.set(store, (host = createImageHost(store)));
  return host;
}

export const isImagePath = (path: string): boolean => path.startsWith("/user-attachments/") || path.startsWith("/storage/");

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function createImageHost(store: Store) {
  const uploads = new Map<string, Upload>();
  const secret = randomBytes(16);
  const sign = (id: string) => createHmac("sha256", secret).update(id).digest("base64url");
  const requests: FakeImageRequest[] = [];
  const attachment = () => new RegExp(`^${store.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/user-attachments/assets/([0-9a-f-]+)$`);

  /** What GitHub's HTML holds for an image URL: a private upload's signed URL, anything else as written. */
  const rendered = (url: string) => {
    const id = attachment().exec(url)?.[1];
    const up = id ? uploads.get(id) : undefined;
    return id && up?.private ? `${store.baseUrl}/storage/user/1/files/${id}?jwt=${sign(id)}` : url;
  };

  const host: FakeImageHost & { serve(req: IncomingMessage, res: ServerResponse, url: URL): void } = {
    requests,
    add(bytes, o = {}) {
      const id = randomUUID();
      uploads.set(id, { bytes, private: o.private ?? false, contentType: o.contentType ?? "image/png" });
      return { id, markdownUrl: `${store.baseUrl}/user-attachments/assets/${id}` };
    },
    renderHtml(markdown) {
      // Markdown images and raw <img> tags become <img> (GitHub would proxy other hosts through camo; the fake keeps them as written).
      const parts = markdown.split(/(!\[[^\]]*\]\([^)\s]+\)|<img\b[^>]*>)/i);
      return `<p>${parts
        .map((part) => {
          const md = /^!\[([^\]]*)\]\(([^)\s]+)\)$/.exec(part);
          const tag = /^<img\b[^>]*\ssrc\s*=\s*"([^"]*)"[^>]*>$/i.exec(part);
          if (tag) return `<img src="${escapeHtml(rendered(tag[1]!))}" style="max-width: 100%;">`;
          if (!md) return escapeHtml(part);
          const [, alt, url] = md;
          return `<a target="_blank" rel="noopener noreferrer" href="${escapeHtml(url!)}"><img src="${escapeHtml(rendered(url!))}" alt="${escapeHtml(alt!)}" style="max-width: 100%;"></a>`;
        })
        .join("")}</p>`;
    },
    serve(req, res, url) {
      const record = (status: number) => requests.push({ path: url.pathname, query: url.search, authorization: req.headers.authorization, cookie: req.headers.cookie, status });
      const asset = /^\/user-attachments\/assets\/([0-9a-f-]+)$/.exec(url.pathname)?.[1];
      const stored = /^\/storage\/user\/1\/files\/([0-9a-f-]+)$/.exec(url.pathname)?.[1];
      const id = asset ?? stored;
      const up = id ? uploads.get(id) : undefined;
      const ok = up && (asset ? !up.private : url.searchParams.get("jwt") === sign(id!));
      record(ok ? 200 : 404);
      if (!ok) return void res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
      res.writeHead(200, { "content-type": up.contentType, "content-length": String(up.bytes.length) }).end(up.bytes);
    },
  };
  return host;
}
