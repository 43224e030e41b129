import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { bearerToken, tokensEqual } from "./admin-auth.ts";
import { headerValue, requestUrl, sendText } from "./http.ts";

/** GET /metrics in Prometheus' text format; open unless METRICS_TOKEN is set (then Bearer). */
export function createMetricsHandler(options: { registry: Registry; token?: string | undefined; log: Logger }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (requestUrl(req).pathname !== "/metrics") return false;
    if (req.method !== "GET") return sendText(res, 405, "Use GET.", undefined, { allow: "GET" });
    if (options.token) {
      const candidate = bearerToken(headerValue(req, "authorization"));
      if (candidate === null || !tokensEqual(candidate, options.token)) {
        return sendText(res, 401, "Send Authorization: Bearer <METRICS_TOKEN>.", undefined, { "www-authenticate": 'Bearer realm="metrics"' });
      }
    }
    try {
      return sendText(res, 200, await options.registry.metrics(), options.registry.contentType);
    } catch (error) {
      options.log.error({ err: error }, "metrics: could not collect");
      return sendText(res, 500, `Could not collect the metrics: ${(error as Error).message}`);
    }
  };
}
