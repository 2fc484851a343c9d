import type { RawDb } from './client';
import { rewriteStoredAccessRequests } from './event-scrub';
import { backfillAlertOutbox } from './outbox-backfill';
import { isoStored } from './time';

/**
 * Rewrites of stored data that a schema migration cannot do (they need the credential key, or the gateway's own
 * judgement of what is owed), run by the gateway at start in order, each once: its completion is a row in
 * DataMigration (prisma/migrations/20261201210000_data_migrations).
 */
const MIGRATIONS: ReadonlyArray<{ name: string; run: (raw: RawDb, key: string) => number }> = [
  { name: 'access-request-credential-hash', run: rewriteStoredAccessRequests },
  // Presses and door openings stored before they had alert outbox entries, and counted in no alert yet.
  { name: 'alert-outbox-backfill', run: (raw) => backfillAlertOutbox(raw) },
];

/** Runs the pending data migrations; returns what each changed (rows), for the log. */
export function runDataMigrations(raw: RawDb, credentialKey: string, now: () => Date = () => new Date()): Array<{ name: string; rows: number }> {
  const done = raw.prepare('SELECT 1 FROM DataMigration WHERE name = ?');
  const record = raw.prepare('INSERT OR IGNORE INTO DataMigration (name, appliedAt) VALUES (?, ?)');
  const applied: Array<{ name: string; rows: number }> = [];
  for (const m of MIGRATIONS) {
    if (done.get(m.name)) continue;
    const rows = m.run(raw, credentialKey);
    record.run(m.name, isoStored(now()));
    applied.push({ name: m.name, rows });
  }
  return applied;
}
