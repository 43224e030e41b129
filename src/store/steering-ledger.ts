import type { Query, Row } from "./rows.ts";

/**
 * Messages for a running run (runs/steering.ts): a mention in a thread whose run is in its agent
 * phase is written here by whichever process took the webhook, and the process executing the run
 * takes it within a poll and writes it into Claude's stdin. A run's inbox is open only while its
 * Claude can take messages; an offer to a closed (or never opened) inbox is refused, and the
 * mention becomes a run of its own as before. Same SQL for both databases, like gateway-ledger.ts;
 * on PostgreSQL the offer locks the inbox row (FOR UPDATE) so it cannot slip past a close.
 */

export const STEERING_MIGRATION = `
  CREATE TABLE run_inboxes (
    run_id BIGINT PRIMARY KEY,
    open INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT
  );
  CREATE TABLE run_messages (
    id __ID__,
    run_id BIGINT NOT NULL,
    author TEXT NOT NULL,
    author_id BIGINT,
    comment_id BIGINT,
    comment_url TEXT,
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    taken_at TEXT,
    delivered_at TEXT
  );
  CREATE INDEX run_messages_run ON run_messages(run_id, state, id);`;

export interface NewRunMessage {
  author: string;
  authorId?: number | undefined;
  commentId?: number | undefined;
  commentUrl?: string | undefined;
  /** What Claude will read (already sanitised and fenced: runs/steering.ts). */
  text: string;
}

export interface RunMessage extends NewRunMessage {
  id: number;
  runId: number;
  /** pending: offered, not yet taken; taken: the run has it; delivered: it reached the model. */
  state: "pending" | "taken" | "delivered";
  createdAt: string;
  takenAt: string | null;
  deliveredAt: string | null;
}

export interface SteeringLedger {
  /** The run can take messages from now on; on a retried run, every message it had is pending again. */
  open(runId: number, at: string): Promise<void>;
  /** Stores the message if the run's inbox is open: its id, or null (closed or never opened). */
  offer(runId: number, message: NewRunMessage, at: string): Promise<number | null>;
  /** The run's pending messages, now taken, oldest first. */
  take(runId: number, at: string): Promise<RunMessage[]>;
  /** Closes the inbox (no offer succeeds after it) and takes what was still pending. */
  close(runId: number, at: string): Promise<RunMessage[]>;
  markDelivered(messageId: number, at: string): Promise<void>;
  /** Every message offered to the run, oldest first (the report). */
  list(runId: number): Promise<RunMessage[]>;
}

const COLUMNS = "id, run_id, author, author_id, comment_id, comment_url, text, state, created_at, taken_at, delivered_at";

function toMessage(row: Row): RunMessage {
  const optionalNumber = (v: unknown) => (v == null ? undefined : Number(v));
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    author: String(row.author),
    authorId: optionalNumber(row.author_id),
    commentId: optionalNumber(row.comment_id),
    commentUrl: row.comment_url == null ? undefined : String(row.comment_url),
    text: String(row.text),
    state: String(row.state) as RunMessage["state"],
    createdAt: String(row.created_at),
    takenAt: row.taken_at == null ? null : String(row.taken_at),
    deliveredAt: row.delivered_at == null ? null : String(row.delivered_at),
  };
}

/** lock: " FOR UPDATE" on PostgreSQL (SQLite has one writer, and no such clause). */
export function createSteeringLedger(query: Query, lock: "" | " FOR UPDATE"): SteeringLedger {
  const takePending = async (runId: number, at: string) =>
    (await query(`UPDATE run_messages SET state = 'taken', taken_at = ? WHERE run_id = ? AND state = 'pending' RETURNING ${COLUMNS}`, [at, runId]))
      .map(toMessage)
      .sort((a, b) => a.id - b.id);
  return {
    async open(runId, at) {
      // A retried run (its process died) starts its Claude again: what the dead one had is offered anew.
      await query("UPDATE run_messages SET state = 'pending', taken_at = NULL, delivered_at = NULL WHERE run_id = ? AND state <> 'pending'", [runId]);
      await query("INSERT INTO run_inboxes (run_id, open, opened_at) VALUES (?, 1, ?) ON CONFLICT (run_id) DO UPDATE SET open = 1, closed_at = NULL", [runId, at]);
    },
    async offer(runId, m, at) {
      const rows = await query(
        `INSERT INTO run_messages (run_id, author, author_id, comment_id, comment_url, text, state, created_at)
         SELECT run_id, ?, ?, ?, ?, ?, 'pending', ? FROM run_inboxes WHERE run_id = ? AND open = 1${lock} RETURNING id`,
        [m.author, m.authorId ?? null, m.commentId ?? null, m.commentUrl ?? null, m.text, at, runId],
      );
      return rows[0] ? Number(rows[0].id) : null;
    },
    take: takePending,
    async close(runId, at) {
      await query("UPDATE run_inboxes SET open = 0, closed_at = ? WHERE run_id = ?", [at, runId]);
      return takePending(runId, at);
    },
    async markDelivered(messageId, at) {
      await query("UPDATE run_messages SET state = 'delivered', delivered_at = ? WHERE id = ?", [at, messageId]);
    },
    async list(runId) {
      return (await query(`SELECT ${COLUMNS} FROM run_messages WHERE run_id = ? ORDER BY id`, [runId])).map(toMessage);
    },
  };
}
