import type { Server } from "node:http";

/**
 * How many webhook deliveries this process is receiving right now. Receiving has a hard deadline
 * (GitHub fails a delivery not answered within 10 s); acknowledging (👀, the progress comment) does
 * not, so the acknowledgement queue slows down while deliveries are arriving and speeds up again
 * when the last one has been answered.
 */
export interface WebhookGauge {
  inFlight(): number;
  /** Called each time the count drops to zero. */
  onIdle(listener: () => void): void;
  /** Counts POSTs to the webhook path on this server. */
  track(server: Server, webhookPath: string): void;
}

/** Probot's default, which the bot keeps. */
export const WEBHOOK_PATH = "/api/github/webhooks";

export function createWebhookGauge(): WebhookGauge {
  let count = 0;
  const listeners: Array<() => void> = [];
  return {
    inFlight: () => count,
    onIdle: (listener) => void listeners.push(listener),
    track(server, webhookPath) {
      server.on("request", (req, res) => {
        if (req.method !== "POST" || !(req.url === webhookPath || req.url?.startsWith(`${webhookPath}?`))) return;
        count++;
        res.once("close", () => {
          count--;
          if (count === 0) for (const listener of listeners) listener();
        });
      });
    },
  };
}
