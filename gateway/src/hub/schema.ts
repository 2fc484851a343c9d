// The hub's PostgreSQL schema: postgres/migrations/*.sql applied at start, each in its own transaction, under an
// advisory lock so that two hub writers starting together do not both apply one. A file applied before and edited
// since is reported (its checksum changed), never re-run.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pool } from 'pg';
import { z } from 'zod';

/** Any number: the hub's own lock id for migrations ("linli" in ASCII). */
const MIGRATION_LOCK = 0x6c696e6c69;

export interface PgMigration {
  name: string;
  sql: string;
  checksum: string;
}

/** Walks up from `from` to the first folder holding postgres/migrations (the repo root, from src/ or from dist/). */
export function findPgMigrationsDir(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'postgres', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export function readPgMigrations(dir: string): PgMigration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return { name: f.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const Applied = z.object({ name: z.string(), checksum: z.string() });

/** Applies what is pending; returns the names applied and those whose file changed after it was applied. */
export async function migratePg(pool: Pool, migrations: PgMigration[]): Promise<{ applied: string[]; changed: string[] }> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS hub_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map((await client.query('SELECT name, checksum FROM hub_migrations')).rows.map((r) => {
      const a = Applied.parse(r);
      return [a.name, a.checksum] as const;
    }));
    const applied: string[] = [];
    const changed: string[] = [];
    for (const m of migrations) {
      const had = done.get(m.name);
      if (had !== undefined) {
        if (had !== m.checksum) changed.push(m.name);
        continue;
      }
      // A multi-statement simple query, inside one transaction: all of the file or none of it.
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO hub_migrations (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`hub migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      applied.push(m.name);
    }
    return { applied, changed };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
