import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Db, PrismaClient } from './client';
import { PrismaClient as PgPrismaClient } from './generated-pg/client';
import { type PgMigration, applyPgMigrations, findUp, readPgMigrations } from './pg-migrate';

/**
 * The gateway's data on PostgreSQL (DATABASE_URL=postgres://…; docs/storage.md): Prisma through @prisma/adapter-pg
 * for the repositories, and the same node-postgres pool for the hot paths' own statements (array inserts, group commit).
 */
export interface PgDb {
  readonly kind: 'postgres';
  /**
   * The PostgreSQL client generated from prisma/postgres/schema.prisma. Its models are the SQLite client's (one
   * source, scripts/gen-postgres-schema.ts), but TypeScript cannot relate two generated clients' conditional types:
   * it is typed as the SQLite client, and test/cluster/pg-*.test.ts run the repositories on it.
   */
  readonly prisma: PrismaClient;
  readonly pool: pg.Pool;
  readonly url: string;
  close(): Promise<void>;
}

/** The cell's PostgreSQL migrations are recorded here (the hub's are in hub_migrations, in its own database). */
const CELL_LEDGER = { table: 'linli_migrations', lock: 0x6c696e6c6943, label: 'cell' } as const;

/** prisma/postgres/migrations, found upwards from `from` (the repo root, from src/ or dist/). */
export function cellPgMigrations(from: string = process.cwd()): PgMigration[] {
  const dir = findUp(from, 'prisma/postgres/migrations');
  if (dir === null) throw new Error('prisma/postgres/migrations not found');
  return readPgMigrations(dir);
}

/** Applies what is pending of prisma/postgres/migrations. */
export async function migrateCellPg(pool: pg.Pool, migrations: PgMigration[] = cellPgMigrations()) {
  return applyPgMigrations(pool, migrations, CELL_LEDGER);
}

/** Whether every migration is applied (false: the database needs `linli migrate`, or AUTO_MIGRATE). */
export async function pendingCellPg(pool: pg.Pool, migrations: PgMigration[] = cellPgMigrations()): Promise<string[]> {
  const exists = await pool.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'linli_migrations'");
  if (exists.rowCount === 0) return migrations.map((m) => m.name);
  const done = new Set((await pool.query<{ name: string }>('SELECT name FROM linli_migrations')).rows.map((r) => r.name));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}

/** The statement bound when the caller gives none (config: DB_STATEMENT_TIMEOUT_MS). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export async function openPgDb(url: string, opts: { poolSize?: number; statementTimeoutMs?: number } = {}): Promise<PgDb> {
  const statementTimeoutMs = opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  // Sent as the session's settings when each connection opens: a statement that runs past the bound is cancelled by the
  // server (57014) and a transaction left open by a frozen client is ended (its locks released).
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 8,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: 2 * statementTimeoutMs,
  });
  // An idle client whose connection the server ends emits 'error' on the pool: the next query reports it instead.
  pool.on('error', () => undefined);
  // One pool for both: Prisma's statements and the hot paths' own share the connections (and the server's limit).
  const prisma = new PgPrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: false }) }) as unknown as PrismaClient;
  return {
    kind: 'postgres',
    prisma,
    pool,
    url,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** The storage port: the gateway's data on SQLite (db/client.ts) or PostgreSQL, chosen by DATABASE_URL. */
export type Store = Db | PgDb;
