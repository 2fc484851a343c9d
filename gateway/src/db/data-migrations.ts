import type pg from 'pg';
import type { RawDb } from './client';
import { rewriteStoredAccessRequests, rewriteStoredAccessRequestsSqlite } from './event-scrub';
import { backfillAlertOutbox, backfillAlertOutboxSqlite } from './outbox-backfill';
import type { PgDb, Store } from './pg-client';
import { isoStored } from './time';

/**
 * Rewrites of stored data that a schema migration cannot do (they need the credential key, or the gateway's own
 * judgement of what is owed), run by the gateway at start in order, each once: its completion is a row in
 * DataMigration (prisma/migrations/20261201210000_data_migrations).
 */
const MIGRATIONS: ReadonlyArray<{ name: string; run: (raw: RawDb, key: string) => number; runOn: (store: PgDb, key: string) => Promise<number> }> = [
  { name: 'access-request-credential-hash', run: rewriteStoredAccessRequestsSqlite, runOn: rewriteStoredAccessRequests },
  // Presses and door openings stored before they had alert outbox entries, and counted in no alert yet.
  { name: 'alert-outbox-backfill', run: (raw) => backfillAlertOutboxSqlite(raw), runOn: (store) => backfillAlertOutbox(store) },
];

/** The pending data migrations on either store (on SQLite: runDataMigrations); resolves with what each changed. */
export async function runStoreDataMigrations(store: Store, credentialKey: string, now: () => Date = () => new Date()): Promise<Array<{ name: string; rows: number }>> {
  if (store.kind === 'sqlite') return runDataMigrations(store.raw, credentialKey, now);
  return runPgDataMigrations(store, credentialKey, now);
}

async function runPgDataMigrations(store: PgDb, credentialKey: string, now: () => Date): Promise<Array<{ name: string; rows: number }>> {
  const pool: pg.Pool = store.pool;
  const applied: Array<{ name: string; rows: number }> = [];
  for (const m of MIGRATIONS) {
    if (((await pool.query('SELECT 1 FROM "DataMigration" WHERE "name" = $1', [m.name])).rowCount ?? 0) > 0) continue;
    const rows = await m.runOn(store, credentialKey);
    await pool.query('INSERT INTO "DataMigration" ("name", "appliedAt") VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.name, now()]);
    applied.push({ name: m.name, rows });
  }
  return applied;
}

/** Runs the pending data migrations on SQLite's raw connection; returns what each changed (rows), for the log. */
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
