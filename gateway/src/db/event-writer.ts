import type { RawDb } from './client';
import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';


/** One device message as it is made durable. Times are ISO strings in the format Prisma reads back. */
export interface EventRow {
  deviceId: string;
  eventId: string;
  channel: string;
  payload: string;
  deviceTime: string;
  receivedAt: string;
}

export type WriteResult = 'stored' | 'duplicate';

export type EventWriterOptions = GroupCommitOptions;

/**
 * Device events through group commit (db/group-commit.ts) on the raw better-sqlite3 connection: measured against
 * Prisma createMany in docs/benchmarks.md. `INSERT OR IGNORE` on (deviceId, eventId) recognises retransmissions.
 */
export function createEventWriter(raw: RawDb, opts: EventWriterOptions): GroupCommit<EventRow, WriteResult> {
  const insert = raw.prepare(
    'INSERT OR IGNORE INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const touch = raw.prepare('UPDATE Device SET lastSeenAt = ? WHERE id = ?');
  const commitBatch = raw.transaction((batch: EventRow[]) => {
    const results: WriteResult[] = [];
    const seen = new Map<string, string>();
    for (const r of batch) {
      const info = insert.run(r.deviceId, r.eventId, r.channel, r.payload, r.deviceTime, r.receivedAt);
      results.push(info.changes === 1 ? 'stored' : 'duplicate');
      seen.set(r.deviceId, r.receivedAt);
    }
    for (const [deviceId, at] of seen) touch.run(at, deviceId);
    return results;
  });
  return createGroupCommit(commitBatch, opts);
}

export type EventWriter = ReturnType<typeof createEventWriter>;
