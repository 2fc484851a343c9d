import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Two copies of SQLite in one process corrupt the database (sqlite.org/howtocorrupt.html §2.2.1): POSIX locks belong
 * to the process, so a copy cannot see the other's locks: the group-commit connection and Prisma's (in an interactive
 * transaction) could both believe they hold the WAL write lock. Prisma's driver adapter and the gateway must load the
 * same better-sqlite3, which the lock file ensures by keeping our version range within the adapter's.
 */
describe('one SQLite in the process', () => {
  it('resolves the same better-sqlite3 for the gateway and for Prisma’s driver adapter', () => {
    const fromGateway = createRequire(import.meta.url);
    const adapterEntry = fromGateway.resolve('@prisma/adapter-better-sqlite3');
    const fromAdapter = createRequire(adapterEntry);
    expect(realpathSync(fromAdapter.resolve('better-sqlite3'))).toBe(realpathSync(fromGateway.resolve('better-sqlite3')));
  });
});
