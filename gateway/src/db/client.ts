import { dirname } from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { ensurePrivateDir, tightenDatabaseFiles } from './files';
import { PrismaClient } from './generated/client';
import { isBusyError, nonBlocking } from './non-blocking';

export type { PrismaClient };
export type RawDb = Database.Database;

/**
 * Every connection, Prisma's and the ingest writer's, runs WAL with synchronous=FULL: a commit survives power loss.
 * (The access-event writer's own connection gets the same guarantee with its fsync off the event loop: db/access.ts.)
 * None waits for a lock (busy_timeout=0): better-sqlite3 would wait synchronously and freeze the event loop, MQTT
 * included. The raw connection's writers retry with backoff (db/group-commit.ts, db/alert-writes.ts); Prisma's
 * statements retry asynchronously for a bounded time (db/non-blocking.ts), then fail as `isDatabaseBusy`.
 */
/**
 * The settings of every write connection to the gateway's SQLite file: the connections openDb makes (FULL) and the
 * access writer's own (NORMAL, its fsync off the event loop: db/access.ts). 0 pages: no automatic checkpoint.
 */
export function connectionPragmas(walAutocheckpointPages: number, synchronous: 'FULL' | 'NORMAL' = 'FULL'): string[] {
  return ['journal_mode = WAL', `synchronous = ${synchronous}`, 'busy_timeout = 0', 'foreign_keys = ON', `wal_autocheckpoint = ${walAutocheckpointPages}`];
}

/**
 * A commit past this many WAL pages checkpoints (SQLite's own default is 1,000): the gateway's default for
 * DB_WAL_AUTOCHECKPOINT_PAGES, also used by the CLIs (docs/benchmarks.md, "Session 11").
 */
export const DEFAULT_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** The bound on Prisma's asynchronous lock retries unless openDb is told otherwise. */
export const DEFAULT_BUSY_WAIT_MS = 2_000;

/** A Prisma error caused by a database lock that outlasted the bounded wait (HTTP answers 503 with Retry-After). */
export function isDatabaseBusy(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (isBusyError(err)) return true;
  // The raw connection's writers (alert changes) give up with better-sqlite3's own SqliteError.
  if ('code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED')) return true;
  // PrismaClientKnownRequestError P1008 carries the driver adapter's error in meta.
  const meta: unknown = 'meta' in err ? err.meta : undefined;
  return typeof meta === 'object' && meta !== null && 'driverAdapterError' in meta && isBusyError(meta.driverAdapterError);
}

export interface Db {
  readonly kind: 'sqlite';
  /** Every write connection to this file checkpoints at this WAL size (pages); a connection opened later applies it too. */
  readonly walAutocheckpointPages: number;
  readonly prisma: PrismaClient;
  /** A second, raw connection for the ingest hot path (group commit); used only inside db/. */
  readonly raw: RawDb;
  readonly path: string;
  close(): Promise<void>;
}

/** Thrown when the database file has no schema yet: main.ts turns it into a clear message. */
export class SchemaMissingError extends Error {
  constructor(path: string) {
    super(`the database ${path} has no schema: run \`npm run db:migrate\` first (npm start does it for you)`);
  }
}

export async function openDb(path: string, opts: { busyWaitMs?: number; onBusy?: () => void; walAutocheckpointPages?: number } = {}): Promise<Db> {
  ensurePrivateDir(dirname(path));
  tightenDatabaseFiles(path);
  const adapter = nonBlocking(new PrismaBetterSQLite3({ url: `file:${path}` }), { maxWaitMs: opts.busyWaitMs ?? DEFAULT_BUSY_WAIT_MS, ...(opts.onBusy ? { onBusy: opts.onBusy } : {}) });
  const prisma = new PrismaClient({ adapter });
  const walAutocheckpointPages = opts.walAutocheckpointPages ?? DEFAULT_WAL_AUTOCHECKPOINT_PAGES;
  const pragmas = connectionPragmas(walAutocheckpointPages);
  for (const p of pragmas) await prisma.$queryRawUnsafe(`PRAGMA ${p}`);
  const raw = new Database(path);
  if (!raw.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get()) {
    raw.close();
    await prisma.$disconnect();
    throw new SchemaMissingError(path);
  }
  for (const p of pragmas) raw.pragma(p);
  return {
    kind: 'sqlite',
    walAutocheckpointPages,
    prisma,
    raw,
    path,
    async close() {
      raw.close();
      await prisma.$disconnect();
    },
  };
}
