import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toPostgres } from '../scripts/gen-postgres-schema';

// The PostgreSQL schema is generated from prisma/schema.prisma (docs/storage.md); a change to one without the other
// fails here. test/cluster/pg-schema.test.ts checks the migrations against a real PostgreSQL.
describe('prisma/postgres/schema.prisma', () => {
  it('is what the generator makes of prisma/schema.prisma', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-postgres-schema.ts', '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync('prisma/postgres/schema.prisma', 'utf8')).toBe(toPostgres(readFileSync('prisma/schema.prisma', 'utf8')));
  });

  it('keeps every model and field, with DateTime as timestamptz and the provider, output and url swapped', () => {
    const src = [
      'generator client {',
      '  provider = "prisma-client"',
      '  output   = "../gateway/src/db/generated"',
      '}',
      'datasource db {',
      '  provider = "sqlite"',
      '  url      = "file:../data/linli.db"',
      '}',
      'model A {',
      '  id    Int       @id',
      '  at    DateTime  @default(now()) // when',
      '  until DateTime?',
      '  note  String',
      '}',
    ].join('\n');
    const out = toPostgres(src);
    expect(out).toContain('output   = "../../gateway/src/db/generated-pg"');
    expect(out).toContain('provider = "postgresql"');
    expect(out).toContain('url      = "postgresql://localhost/linli"');
    expect(out).toContain('  at    DateTime  @default(now()) @db.Timestamptz(3) // when');
    expect(out).toContain('  until DateTime? @db.Timestamptz(3)');
    expect(out).toContain('  note  String\n');
    expect(out).not.toContain('sqlite');
  });
});
