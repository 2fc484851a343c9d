import type { RawDb } from './client';
import { type EventRow, type EventWriterOptions, JUDGED_CHANNELS, type WriteResult, derivedEventId } from './event-rows';
import { type GroupCommit, createGroupCommit } from './group-commit';
import type { Store } from './pg-client';
import { createPgEventWriter } from './pg-event-writer';
import { isoStored } from './time';

export { type EventRow, type EventWriterOptions, JUDGED_CHANNELS, type WriteResult, derivedEventId } from './event-rows';

/**
 * The device events' writer: group commit of the event row, its alert outbox row and the device's lastSeenAt, one
 * transaction per batch, before the PUBACK. `isStored` answers synchronously on SQLite (as ingest has always had it)
 * and with a Promise on PostgreSQL.
 */
export type EventWriter = GroupCommit<EventRow, WriteResult> & {
  /** A committed row with this (deviceId, eventId): a point look-up on the unique index (what is still queued is not seen). */
  isStored(deviceId: string, eventId: string): boolean | Promise<boolean>;
};

/** Device events on SQLite (below) or PostgreSQL (db/pg-event-writer.ts), by the store's kind. */
export function createEventWriter(store: Store, opts: EventWriterOptions): EventWriter {
  return store.kind === 'sqlite' ? createSqliteEventWriter(store.raw, opts) : createPgEventWriter(store.pool, opts);
}

/**
 * Device events through group commit (db/group-commit.ts) on the raw better-sqlite3 connection: measured against
 * Prisma createMany in docs/benchmarks.md. `INSERT OR IGNORE` on (deviceId, eventId) recognises retransmissions;
 * an event the alert engine must judge gets its outbox row in the same transaction (before the PUBACK).
 */
function createSqliteEventWriter(raw: RawDb, opts: EventWriterOptions): GroupCommit<EventRow, WriteResult> & { isStored(deviceId: string, eventId: string): boolean } {
  const insert = raw.prepare(
    'INSERT OR IGNORE INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt, reusedEventId) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const existing = raw.prepare<[string, string], { payload: string; deviceTime: string }>('SELECT payload, deviceTime FROM DeviceEvent WHERE deviceId = ? AND eventId = ?');
  const outbox = raw.prepare('INSERT INTO AlertOutbox (eventSeq, deviceId, priority, createdAt) VALUES (?, ?, ?, ?)');
  const touch = raw.prepare('UPDATE Device SET lastSeenAt = ? WHERE id = ?');
  // The unique index alone answers it: no row is read.
  const stored = raw.prepare<[string, string], 1>('SELECT 1 FROM DeviceEvent WHERE deviceId = ? AND eventId = ?').pluck();
  // Prisma's adapter reads times back as Dates; compare instants, not spellings.
  const sameTime = (a: string, b: string) => Date.parse(a) === Date.parse(b);

  const store = (r: EventRow, eventId: string, reused: boolean, status: 'stored' | 'reused'): WriteResult | null => {
    const info = insert.run(r.deviceId, eventId, r.channel, r.payload, r.deviceTime, r.receivedAt, reused ? 1 : 0);
    if (info.changes !== 1) return null;
    const seq = Number(info.lastInsertRowid);
    const priority = JUDGED_CHANNELS.get(r.channel) ?? r.priority;
    const outboxId = priority === undefined ? null : Number(outbox.run(seq, r.deviceId, priority, isoStored(new Date())).lastInsertRowid);
    return { status, seq, eventId, outboxId };
  };

  const one = (r: EventRow): WriteResult => {
    const stored = store(r, r.eventId, false, 'stored');
    if (stored) return stored;
    const prior = existing.get(r.deviceId, r.eventId);
    if (!prior || (prior.payload === r.payload && sameTime(prior.deviceTime, r.deviceTime))) return { status: 'duplicate' };
    return store(r, derivedEventId(r), true, 'reused') ?? { status: 'duplicate' };
  };

  const commitBatch = raw.transaction((batch: EventRow[]) => {
    const results: WriteResult[] = [];
    const seen = new Map<string, string>();
    for (const r of batch) {
      results.push(one(r));
      seen.set(r.deviceId, r.receivedAt);
    }
    for (const [deviceId, at] of seen) touch.run(at, deviceId);
    return results;
  });
  // One stream per device: an urgent event never overtakes its own device's earlier events (the alarm lane).
  return {
    ...createGroupCommit(commitBatch, opts, (r) => r.deviceId),
    isStored: (deviceId: string, eventId: string) => stored.get(deviceId, eventId) !== undefined,
  };
}
