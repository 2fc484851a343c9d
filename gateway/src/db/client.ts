import { dirname } from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { ensurePrivateDir, tightenDatabaseFiles } from './files';
import { PrismaClient } from './generated/client';

export type { PrismaClient };
export type RawDb = Database.Database;

/** Every connection, Prisma's and the ingest writer's, runs WAL with synchronous=FULL: a commit survives power loss. */
const PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'busy_timeout = 5000', 'foreign_keys = ON'];

export interface Db {
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

export async function openDb(path: string): Promise<Db> {
  ensurePrivateDir(dirname(path));
  tightenDatabaseFiles(path);
  const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${path}` }) });
  for (const p of PRAGMAS) await prisma.$queryRawUnsafe(`PRAGMA ${p}`);
  const raw = new Database(path);
  if (!raw.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get()) {
    raw.close();
    await prisma.$disconnect();
    throw new SchemaMissingError(path);
  }
  for (const p of PRAGMAS) raw.pragma(p);
  // better-sqlite3 waits for a lock synchronously, freezing the event loop (and Prisma's own connection with it).
  // The ingest writer therefore never waits: SQLITE_BUSY fails the batch at once and it retries with backoff.
  raw.pragma('busy_timeout = 0');
  return {
    prisma,
    raw,
    path,
    async close() {
      raw.close();
      await prisma.$disconnect();
    },
  };
}
