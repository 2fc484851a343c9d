import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrateDatabase, readMigrations } from '../gateway/src/db/migrate';

const Column = z.object({ name: z.string(), type: z.string(), notnull: z.number(), dflt_value: z.string().nullable(), pk: z.number() });
const Index = z.object({ name: z.string(), unique: z.number(), origin: z.string() });
const IndexColumn = z.object({ name: z.string().nullable() });

/** Tables with their columns and indexes, as SQLite reports them (names sorted, so order does not matter). */
function shape(file: string): Record<string, { columns: string[]; indexes: string[] }> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = z.array(z.object({ name: z.string() })).parse(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\'").all(),
    );
    const out: Record<string, { columns: string[]; indexes: string[] }> = {};
    for (const { name } of tables) {
      const columns = z.array(Column).parse(db.prepare(`PRAGMA table_info("${name}")`).all()).map((c) => `${c.name} ${c.type} notnull=${c.notnull} default=${c.dflt_value} pk=${c.pk}`);
      const indexes = z
        .array(Index)
        .parse(db.prepare(`PRAGMA index_list("${name}")`).all())
        .filter((i) => i.origin !== 'pk')
        .map((i) => `${i.name}${i.unique ? ' unique' : ''} (${z.array(IndexColumn).parse(db.prepare(`PRAGMA index_info("${i.name}")`).all()).map((c) => c.name).join(', ')})`);
      out[name] = { columns: columns.sort(), indexes: indexes.sort() };
    }
    return out;
  } finally {
    db.close();
  }
}

// Indexes Prisma's schema language cannot express, written by hand in a migration (partial unique indexes).
const HAND_WRITTEN = new Set(['Alert_one_open_per_condition unique (dedupKey)']);

/**
 * prisma/schema.prisma is the source of truth, the migrations are what installations run: they must describe the same
 * database. Parallel branches each diffing their own migration have undone one another's columns before (a table
 * rebuild from an older schema); this fails on any such drift.
 */
describe('migrations and schema.prisma', () => {
  it('build the same tables, columns and indexes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'linli-drift-'));
    const fromMigrations = join(dir, 'migrations.db');
    const r = migrateDatabase(fromMigrations, readMigrations(join('prisma', 'migrations')), { apply: true });
    expect(r.ok).toBe(true);

    const fromSchema = join(dir, 'schema.db');
    const diff = spawnSync('node_modules/.bin/prisma', ['migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: `file:${fromSchema}` },
    });
    expect(diff.status, diff.stderr).toBe(0);
    const db = new Database(fromSchema);
    db.exec(diff.stdout.replace(/^Loaded Prisma config.*$/m, ''));
    db.close();

    const a = shape(fromMigrations);
    for (const t of Object.values(a)) t.indexes = t.indexes.filter((i) => !HAND_WRITTEN.has(i));
    expect(a).toEqual(shape(fromSchema));
  }, 120_000);
});
