import type { RawDb } from './client';

/**
 * Alert outbox entries committed on a connection but not yet handed to their writers: the device events' batch
 * commits with synchronous=NORMAL and is handed out (PUBACK, bus, the alert engine's "in flight") only after its WAL
 * sync (db/event-writer.ts). Until then the entry is in the table, yet the alert engine does not know it is on its
 * way; the outbox sweep (db/outbox.ts) leaves these out, or it would judge them and the bus would bring them again.
 * One set per connection; entries of a batch whose sync failed leave it too, and the next sweep judges them.
 */
const sets = new WeakMap<RawDb, Set<number>>();

export function outboxAwaitingSync(raw: RawDb): Set<number> {
  let s = sets.get(raw);
  if (s === undefined) {
    s = new Set();
    sets.set(raw, s);
  }
  return s;
}
