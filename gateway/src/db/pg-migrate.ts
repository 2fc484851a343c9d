// PostgreSQL migrations, applied by Linli itself (the hub's postgres/migrations, a cell's prisma/postgres/migrations):
// each file in its own transaction, as one multi-statement simple query (so a function body's `;` is never cut, as
// the Prisma adapter's migrate would cut it), under an advisory lock so that two processes starting together do not
// both apply one. A file applied before and edited since is reported (its checksum changed), never re-run.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pool } from 'pg';
import { z } from 'zod';

export interface PgMigration {
  name: string;
  sql: string;
  checksum: string;
}

/** Which migrations: the ledger table that records them and the advisory lock that serialises their runners. */
export interface PgLedger {
  table: string;
  lock: number;
  /** In error messages: "hub migration …", "cell migration …". */
  label: string;
}

/** Walks up from `from` to the first folder holding `rel` (the repo root, from src/ or from dist/). */
export function findUp(from: string, rel: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, rel);
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
export async function applyPgMigrations(pool: Pool, migrations: PgMigration[], ledger: PgLedger): Promise<{ applied: string[]; changed: string[] }> {
  if (!/^[a-z_]+$/.test(ledger.table)) throw new Error(`bad ledger table name ${ledger.table}`);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ledger.lock]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${ledger.table} (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map((await client.query(`SELECT name, checksum FROM ${ledger.table}`)).rows.map((r) => {
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
        await client.query(`INSERT INTO ${ledger.table} (name, checksum) VALUES ($1, $2)`, [m.name, m.checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`${ledger.label} migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      applied.push(m.name);
    }
    return { applied, changed };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ledger.lock]).catch(() => {});
    client.release();
  }
}
