import { createHash } from 'node:crypto';
import type { RawDb } from './client';
import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';
import { isoStored } from './time';


/** One device message as it is made durable. Times are ISO strings in the format Prisma reads back. */
export interface EventRow {
  deviceId: string;
  eventId: string;
  channel: string;
  payload: string;
  deviceTime: string;
  receivedAt: string;
  /**
   * Alert outbox priority for an event judged by its content rather than its channel: a door or barrier opening
   * (door monitoring decides whether it was forced). Channels in JUDGED_CHANNELS take theirs.
   */
  priority?: 0 | 1;
}

/**
 * stored: a new row. duplicate: the same (deviceId, eventId) with the same device time and payload, a
 * retransmission. reused: the id was used before with other content (the device's counter went backwards), so the
 * event is stored under `eventId~<hash of time and payload>` and flagged; a retransmission of it is a duplicate.
 * `outboxId` is the alert outbox row written in the same transaction (null when the channel is not judged).
 */
export type WriteResult =
  | { status: 'stored' | 'reused'; seq: number; eventId: string; outboxId: number | null }
  | { status: 'duplicate' };

export type EventWriterOptions = GroupCommitOptions;

/**
 * Channels the alert engine must judge, with their outbox priority (1 = critical, worked first in a backlog).
 * The alarm's cancel shares the press's priority so a backlog keeps a press before its cancel.
 */
export const JUDGED_CHANNELS: ReadonlyMap<string, 0 | 1> = new Map([
  ['alarm/press', 1],
  ['alarm/cancel', 1],
  ['gateway/access-incident', 1],
  ['tamper', 0],
  ['battery/low', 0],
  ['gateway/health', 0],
]);

/** The derived key of a reused event id: stable, so the device's retransmissions of the new event collapse. */
export function derivedEventId(r: Pick<EventRow, 'eventId' | 'deviceTime' | 'payload'>): string {
  const h = createHash('sha256').update(r.deviceTime).update('\n').update(r.payload).digest('hex').slice(0, 16);
  return `${r.eventId}~${h}`;
}

/**
 * Device events through group commit (db/group-commit.ts) on the raw better-sqlite3 connection: measured against
 * Prisma createMany in docs/benchmarks.md. `INSERT OR IGNORE` on (deviceId, eventId) recognises retransmissions;
 * an event the alert engine must judge gets its outbox row in the same transaction (before the PUBACK).
 */
export function createEventWriter(raw: RawDb, opts: EventWriterOptions): GroupCommit<EventRow, WriteResult> & { isStored(deviceId: string, eventId: string): boolean } {
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
    /** A committed row with this (deviceId, eventId): a point look-up on the unique index (what is still queued is not seen). */
    isStored: (deviceId: string, eventId: string) => stored.get(deviceId, eventId) !== undefined,
  };
}

export type EventWriter = ReturnType<typeof createEventWriter>;
