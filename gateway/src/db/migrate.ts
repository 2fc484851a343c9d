// The database schema at start: prisma/migrations applied (or only checked) by the gateway itself, so a production
// install needs no Prisma CLI (a dev dependency). It keeps Prisma's own bookkeeping table, `_prisma_migrations`,
// row for row as `prisma migrate deploy` writes it (checksum = SHA-256 of migration.sql), so either tool can follow
// the other on the same file.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export type MigrateResult =
  | { ok: true; applied: string[]; checksumChanged: string[] }
  | { ok: false; message: string; pending: string[] };

/** The migrations shipped with this release, oldest first (folder names start with a timestamp). */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Walks up from `from` to the first folder holding prisma/migrations (the repo root, from src/ or from dist/). */
export function findMigrationsDir(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

const TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

interface Row {
  migration_name: string;
  checksum: string;
  finished_at: string | null;
  rolled_back_at: string | null;
}

const now = () => new Date().toISOString().replace('Z', '+00:00');

/**
 * Brings the database at `path` up to `migrations` (`apply`), or only checks that nothing is pending (`!apply`).
 * Never throws for a state an operator must act on: the message names it and the command that fixes it.
 */
export function migrateDatabase(path: string, migrations: Migration[], opts: { apply: boolean }): MigrateResult {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get() !== undefined;
    const rows = hasTable ? (db.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations').all() as Row[]) : [];
    const live = rows.filter((r) => r.rolled_back_at === null);
    const failed = live.find((r) => r.finished_at === null);
    if (failed) {
      return {
        ok: false,
        pending: [],
        message: `the database ${path} holds a failed migration ${failed.migration_name}: restore the last backup (see docs/operations.md)`,
      };
    }
    const known = new Set(migrations.map((m) => m.name));
    const unknown = live.filter((r) => !known.has(r.migration_name)).map((r) => r.migration_name);
    if (unknown.length > 0) {
      return {
        ok: false,
        pending: [],
        message: `the database ${path} has migrations this release does not know (${unknown.join(', ')}): it was used by a newer release`,
      };
    }
    const done = new Map(live.map((r) => [r.migration_name, r.checksum]));
    const checksumChanged = migrations.filter((m) => done.has(m.name) && done.get(m.name) !== m.checksum).map((m) => m.name);
    const pending = migrations.filter((m) => !done.has(m.name));
    if (pending.length === 0) return { ok: true, applied: [], checksumChanged };
    if (!opts.apply) {
      return {
        ok: false,
        pending: pending.map((m) => m.name),
        message:
          `the database ${path} lacks ${pending.length} migration(s) (${pending.map((m) => m.name).join(', ')}): ` +
          'run `npm run migrate` (or unset AUTO_MIGRATE=false), after a backup',
      };
    }
    db.exec(TABLE);
    const insert = db.prepare(
      'INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)',
    );
    for (const m of pending) {
      const started = now();
      // One transaction per migration: a failing one leaves the database as the previous one left it.
      try {
        db.transaction(() => {
          db.exec(m.sql);
          insert.run(randomUUID(), m.checksum, now(), m.name, started);
        })();
      } catch (err) {
        return {
          ok: false,
          pending: pending.map((p) => p.name),
          message: `migration ${m.name} failed on ${path}: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    }
    return { ok: true, applied: pending.map((m) => m.name), checksumChanged };
  } finally {
    db.close();
  }
}
