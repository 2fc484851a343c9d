import type { AccessWrite } from './access';
import type { RawDb } from './client';
import type { EventRow, WriteResult } from './event-writer';
import type { PresenceRow } from './presence';

/**
 * Every group-committed write of the gateway, as one transaction over a batch. They run on the writer thread
 * (db/writer-thread.worker.ts) with its own connection, so the fsync behind each COMMIT never stalls the event loop
 * that serves devices. Imports here are types only: the thread loads nothing but better-sqlite3.
 */
export function writePrograms(raw: RawDb) {
  // Device events (ingest): `INSERT OR IGNORE` on (deviceId, eventId) recognises retransmissions.
  const insertEvent = raw.prepare(
    'INSERT OR IGNORE INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const touch = raw.prepare('UPDATE Device SET lastSeenAt = ? WHERE id = ?');
  const events = raw.transaction((batch: EventRow[]): WriteResult[] => {
    const results: WriteResult[] = [];
    const seen = new Map<string, string>();
    for (const r of batch) {
      const info = insertEvent.run(r.deviceId, r.eventId, r.channel, r.payload, r.deviceTime, r.receivedAt);
      results.push(info.changes === 1 ? 'stored' : 'duplicate');
      seen.set(r.deviceId, r.receivedAt);
    }
    for (const [deviceId, at] of seen) touch.run(at, deviceId);
    return results;
  });

  // Presence (connect, disconnect, Will): online state and last seen time on the device's row.
  const setPresence = raw.prepare('UPDATE Device SET online = ?, lastSeenAt = ? WHERE id = ?');
  const presence = raw.transaction((batch: PresenceRow[]): null[] => batch.map((r) => (setPresence.run(r.online ? 1 : 0, r.at, r.deviceId), null)));

  // Access decisions: (deviceId, requestId) is unique, so a decision uploaded twice is stored once, and only a
  // stored grant uses one of the visitor pass's entries, in the same transaction.
  const insertAccess = raw.prepare(
    `INSERT OR IGNORE INTO AccessEvent (id, deviceId, requestId, at, receivedAt, direction, credentialType, decision, reason, residentId, passId, householdId, offline)
     VALUES (@id, @deviceId, @requestId, @at, @receivedAt, @direction, @credentialType, @decision, @reason, @residentId, @passId, @householdId, @offline)`,
  );
  const countEntry = raw.prepare('UPDATE VisitorPass SET entriesUsed = entriesUsed + 1 WHERE id = ?');
  const access = raw.transaction((batch: AccessWrite[]): WriteResult[] =>
    batch.map((w) => {
      const stored = insertAccess.run({ ...w.row, offline: w.row.offline ? 1 : 0 }).changes === 1;
      if (stored && w.countEntry && w.row.passId !== null) countEntry.run(w.row.passId);
      return stored ? 'stored' : 'duplicate';
    }),
  );

  return { events, presence, access };
}

export type WritePrograms = ReturnType<typeof writePrograms>;
export type ProgramName = keyof WritePrograms;
export type ItemOf<P extends ProgramName> = Parameters<WritePrograms[P]>[0][number];
export type ResultOf<P extends ProgramName> = ReturnType<WritePrograms[P]>[number];
