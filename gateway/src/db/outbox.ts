import type { RawDb } from './client';

/** One alert outbox entry with the stored event it points to (times as stored: ISO text). */
export interface OutboxEntry {
  id: number;
  priority: number;
  /** The stored event's row (DeviceEvent.seq). */
  eventSeq: number;
  deviceId: string;
  /** The device's kind, null when the device row is gone. */
  kind: string | null;
  channel: string;
  payload: string;
  deviceTime: string;
  receivedAt: string;
}

/** Where a sweep left off: entries are read critical first, then oldest first. */
export interface OutboxCursor {
  priority: number;
  id: number;
}

/**
 * Reads of the alert outbox on the raw connection. They are synchronous on purpose: a sweep reads a page and hands
 * it to the alert engine in the same tick, so no entry can be judged twice (an entry is either still in the table
 * and known to be in flight, or deleted by the transaction that judged it). WAL readers take no lock a writer holds.
 */
export function outboxRepo(raw: RawDb) {
  const page = raw.prepare<[number, number, number, number], OutboxEntry>(
    `SELECT o.id, o.priority, o.eventSeq, o.deviceId, d.kind, e.channel, e.payload, e.deviceTime, e.receivedAt
       FROM AlertOutbox o JOIN DeviceEvent e ON e.seq = o.eventSeq LEFT JOIN Device d ON d.id = o.deviceId
      WHERE o.priority < ? OR (o.priority = ? AND o.id > ?)
      ORDER BY o.priority DESC, o.id ASC LIMIT ?`,
  );
  const orphans = raw.prepare('DELETE FROM AlertOutbox WHERE eventSeq NOT IN (SELECT seq FROM DeviceEvent)');
  const count = raw.prepare<[], { n: number }>('SELECT count(*) AS n FROM AlertOutbox');
  return {
    /** The next `limit` entries after `after` (null: from the start). */
    page(after: OutboxCursor | null, limit: number): OutboxEntry[] {
      const c = after ?? { priority: Number.MAX_SAFE_INTEGER, id: 0 };
      return page.all(c.priority, c.priority, c.id, limit);
    },
    /** Entries whose event row is gone (deleted by hand) can never be judged; dropped at start. */
    dropOrphans(): number {
      return orphans.run().changes;
    },
    size(): number {
      return count.get()?.n ?? 0;
    },
  };
}

export type OutboxRepo = ReturnType<typeof outboxRepo>;
