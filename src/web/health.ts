import type { IncomingMessage, ServerResponse } from "node:http";

/** GET /healthz: 200 once the app is ready (store open, app identity known, workers started). */
export function createHealthHandler(isReady: () => boolean) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/healthz") return false;
    const ready = isReady();
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: ready ? "ok" : "starting" }));
    return true;
  };
}
