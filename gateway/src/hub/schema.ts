// The hub's PostgreSQL schema: postgres/migrations/*.sql applied at start by db/pg-migrate.ts (each in its own
// transaction, under an advisory lock so that two hub writers starting together do not both apply one).
import { join } from 'node:path';
import type { Pool } from 'pg';
import { type PgMigration, applyPgMigrations, findUp, readPgMigrations } from '../db/pg-migrate';

export { type PgMigration, readPgMigrations };

/** Any number: the hub's own lock id for migrations ("linli" in ASCII). */
const HUB_LEDGER = { table: 'hub_migrations', lock: 0x6c696e6c69, label: 'hub' } as const;

/** Walks up from `from` to the first folder holding postgres/migrations (the repo root, from src/ or from dist/). */
export function findPgMigrationsDir(from: string): string | null {
  return findUp(from, join('postgres', 'migrations'));
}

/** Applies what is pending; returns the names applied and those whose file changed after it was applied. */
export function migratePg(pool: Pool, migrations: PgMigration[]): Promise<{ applied: string[]; changed: string[] }> {
  return applyPgMigrations(pool, migrations, HUB_LEDGER);
}
