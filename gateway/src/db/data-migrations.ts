import type { RawDb } from './client';
import { rewriteStoredAccessRequests, rewriteStoredAccessRequestsPg } from './event-scrub';
import { backfillAlertOutbox } from './outbox-backfill';
import type { Store } from './pg-client';
import { backfillAlertOutboxPg } from './pg-outbox-backfill';
import { isoStored } from './time';

/**
 * Rewrites of stored data that a schema migration cannot do (they need the credential key, or the gateway's own
 * judgement of what is owed), run by the gateway at start in order, each once: its completion is a row in
 * DataMigration (prisma/migrations/20261201210000_data_migrations; on PostgreSQL the init migration's table).
 */
const MIGRATIONS: ReadonlyArray<{ name: string; run: (store: Store, key: string) => Promise<number> }> = [
  {
    name: 'access-request-credential-hash',
    run: async (store, key) => (store.kind === 'sqlite' ? rewriteStoredAccessRequests(store.raw, key) : rewriteStoredAccessRequestsPg(store.pool, key)),
  },
  // Presses and door openings stored before they had alert outbox entries, and counted in no alert yet.
  { name: 'alert-outbox-backfill', run: async (store) => (store.kind === 'sqlite' ? backfillAlertOutbox(store.raw) : backfillAlertOutboxPg(store.pool)) },
];

interface Ledger {
  done(name: string): Promise<boolean>;
  record(name: string, at: Date): Promise<void>;
}

function ledger(store: Store): Ledger {
  if (store.kind === 'sqlite') {
    const raw: RawDb = store.raw;
    const done = raw.prepare('SELECT 1 FROM DataMigration WHERE name = ?');
    const record = raw.prepare('INSERT OR IGNORE INTO DataMigration (name, appliedAt) VALUES (?, ?)');
    return { done: async (name) => done.get(name) !== undefined, record: async (name, at) => void record.run(name, isoStored(at)) };
  }
  return {
    done: async (name) => ((await store.pool.query('SELECT 1 FROM "DataMigration" WHERE name = $1', [name])).rowCount ?? 0) > 0,
    record: async (name, at) => void (await store.pool.query('INSERT INTO "DataMigration" (name, "appliedAt") VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, at])),
  };
}

/** Runs the pending data migrations; returns what each changed (rows), for the log. */
export async function runDataMigrations(store: Store, credentialKey: string, now: () => Date = () => new Date()): Promise<Array<{ name: string; rows: number }>> {
  const applied: Array<{ name: string; rows: number }> = [];
  const log = ledger(store);
  for (const m of MIGRATIONS) {
    if (await log.done(m.name)) continue;
    const rows = await m.run(store, credentialKey);
    await log.record(m.name, now());
    applied.push({ name: m.name, rows });
  }
  return applied;
}
