import pg from 'pg';
import { openDb } from './client';
import type { MigrateResult } from './migrate';
import { isPostgresUrl } from '../config';
import { type PgDb, type Store, cellPgMigrations, migrateCellPg, openPgDb, pendingCellPg } from './pg-client';

export type { PgDb, Store };

/**
 * The storage port (docs/storage.md): DATABASE_URL names a SQLite file (`file:…`) or a PostgreSQL database
 * (`postgres://…`). Repositories on Prisma run on either client; the hot paths pick their statements by `kind`.
 */
export async function openStore(url: string, opts: { busyWaitMs?: number; onBusy?: () => void; statementTimeoutMs?: number; walAutocheckpointPages?: number } = {}): Promise<Store> {
  if (isPostgresUrl(url)) return openPgDb(url, opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {});
  return openDb(url.slice('file:'.length), opts);
}

/**
 * The PostgreSQL flavour of migrateDatabase (db/migrate.ts): prisma/postgres/migrations (found upwards from `from`)
 * applied (`apply`) or, when an operator migrates by hand, what is pending as an error that stops the start.
 */
export async function migratePgDatabase(url: string, opts: { apply: boolean; from: string }): Promise<MigrateResult> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  try {
    const migrations = cellPgMigrations(opts.from);
    if (!opts.apply) {
      const pending = await pendingCellPg(pool, migrations);
      if (pending.length > 0) return { ok: false, message: `the database has ${pending.length} pending migration(s): run \`linli migrate\`, or start with AUTO_MIGRATE=true`, pending };
      return { ok: true, applied: [], checksumChanged: [] };
    }
    const r = await migrateCellPg(pool, migrations);
    return { ok: true, applied: r.applied, checksumChanged: r.changed };
  } catch (err) {
    return { ok: false, message: `cannot migrate the PostgreSQL database: ${err instanceof Error ? err.message : String(err)}`, pending: [] };
  } finally {
    await pool.end();
  }
}
