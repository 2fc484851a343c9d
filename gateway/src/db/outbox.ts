import type pg from 'pg';
import type { RawDb } from './client';
import type { Store } from './pg-client';

/** One alert outbox entry with the stored event it points to (times as ISO text). */
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
 * Reads of the alert outbox. A page is a snapshot: by the time the sweep looks at it, an entry in it may have been
 * judged and deleted since (the read is asynchronous on PostgreSQL, and even on SQLite the sweep resumes a microtask
 * later). The sweep keeps "no entry is judged twice" itself (alerts/outbox.ts: entries settled while a page was on
 * its way are skipped), so these reads need no ordering with the writes.
 */
export interface OutboxRepo {
  /** The next `limit` entries after `after` (null: from the start). */
  page(after: OutboxCursor | null, limit: number): Promise<OutboxEntry[]>;
  /** Entries whose event row is gone (deleted by hand) can never be judged; dropped at start. */
  dropOrphans(): Promise<number>;
  size(): Promise<number>;
}

const START: OutboxCursor = { priority: Number.MAX_SAFE_INTEGER, id: 0 };

/** On SQLite the raw connection's synchronous reads (WAL readers take no lock a writer holds); on PostgreSQL the pool. */
export function outboxRepo(store: Store): OutboxRepo {
  return store.kind === 'sqlite' ? sqliteOutbox(store.raw) : pgOutbox(store.pool);
}

function sqliteOutbox(raw: RawDb): OutboxRepo {
  const page = raw.prepare<[number, number, number, number], OutboxEntry>(
    `SELECT o.id, o.priority, o.eventSeq, o.deviceId, d.kind, e.channel, e.payload, e.deviceTime, e.receivedAt
       FROM AlertOutbox o JOIN DeviceEvent e ON e.seq = o.eventSeq LEFT JOIN Device d ON d.id = o.deviceId
      WHERE o.priority < ? OR (o.priority = ? AND o.id > ?)
      ORDER BY o.priority DESC, o.id ASC LIMIT ?`,
  );
  const orphans = raw.prepare('DELETE FROM AlertOutbox WHERE eventSeq NOT IN (SELECT seq FROM DeviceEvent)');
  const count = raw.prepare<[], { n: number }>('SELECT count(*) AS n FROM AlertOutbox');
  return {
    async page(after, limit) {
      const c = after ?? START;
      return page.all(c.priority, c.priority, c.id, limit);
    },
    async dropOrphans() {
      return orphans.run().changes;
    },
    async size() {
      return count.get()?.n ?? 0;
    },
  };
}

interface PgOutboxRow extends Omit<OutboxEntry, 'deviceTime' | 'receivedAt'> {
  deviceTime: Date;
  receivedAt: Date;
}

function pgOutbox(pool: pg.Pool): OutboxRepo {
  return {
    async page(after, limit) {
      const c = after ?? START;
      // The cursor's priority can be MAX_SAFE_INTEGER (the start): compared as bigint, not int.
      const r = await pool.query<PgOutboxRow>(
        `SELECT o."id", o."priority", o."eventSeq", o."deviceId", d."kind", e."channel", e."payload", e."deviceTime", e."receivedAt"
           FROM "AlertOutbox" o JOIN "DeviceEvent" e ON e."seq" = o."eventSeq" LEFT JOIN "Device" d ON d."id" = o."deviceId"
          WHERE o."priority" < $1::bigint OR (o."priority" = $1::bigint AND o."id" > $2)
          ORDER BY o."priority" DESC, o."id" ASC LIMIT $3`,
        [c.priority, c.id, limit],
      );
      return r.rows.map((e) => ({ ...e, deviceTime: e.deviceTime.toISOString(), receivedAt: e.receivedAt.toISOString() }));
    },
    async dropOrphans() {
      const r = await pool.query('DELETE FROM "AlertOutbox" o WHERE NOT EXISTS (SELECT 1 FROM "DeviceEvent" e WHERE e."seq" = o."eventSeq")');
      return r.rowCount ?? 0;
    },
    async size() {
      const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM "AlertOutbox"');
      return r.rows[0]?.n ?? 0;
    },
  };
}
