// `npm run db:pg-schema [-- --check]`: the PostgreSQL flavour of the data model, generated from the one source of
// truth, prisma/schema.prisma (docs/storage.md):
//   - prisma/postgres/schema.prisma: the same models with provider "postgresql", every DateTime a timestamptz (a
//     `+08:00` write into a plain TIMESTAMP reads back eight hours off), the client generated into
//     gateway/src/db/generated-pg;
//   - prisma/postgres/migrations/<stamp>_<name>.sql: when the generated schema changed, the difference from the one
//     checked in before, as `prisma migrate diff --from-schema-datamodel old --to-schema-datamodel new` writes it (no
//     database involved: never `--from-migrations` with a connection through the adapter, which would apply the
//     shadow run to the real database).
// Hand-written PostgreSQL (partial indexes, triggers) lives in its own files in the same folder, written once.
// `--check` changes nothing and fails when the checked-in schema is not what the generator makes from schema.prisma
// (CI runs it through test/pg-schema.test.ts; the migrations themselves are checked against a real PostgreSQL in
// test/cluster/pg-schema.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = 'prisma/schema.prisma';
const TARGET = 'prisma/postgres/schema.prisma';
const MIGRATIONS = 'prisma/postgres/migrations';

const HEADER = `// GENERATED from prisma/schema.prisma by scripts/gen-postgres-schema.ts (npm run db:pg-schema): do not edit.
// The PostgreSQL flavour of the one data model; docs/storage.md says how the two stay together.
`;

/** The PostgreSQL schema text for a SQLite schema text. Exported for the test. */
export function toPostgres(source: string): string {
  const lines = source.split('\n');
  const out: string[] = [];
  let block: 'generator' | 'datasource' | 'model' | null = null;
  for (const line of lines) {
    const open = /^(generator|datasource|model)\s+\w+\s*\{/.exec(line);
    if (open) block = open[1] as 'generator' | 'datasource' | 'model';
    else if (/^\}/.test(line)) block = null;
    if (block === 'generator' && /^\s*output\s*=/.test(line)) {
      out.push(line.replace(/"[^"]*"/, '"../../gateway/src/db/generated-pg"'));
    } else if (block === 'datasource' && /^\s*provider\s*=/.test(line)) {
      out.push(line.replace(/"sqlite"/, '"postgresql"'));
    } else if (block === 'datasource' && /^\s*url\s*=/.test(line)) {
      out.push(line.replace(/"[^"]*"/, '"postgresql://localhost/linli"'));
    } else if (block === 'model' && /^\s+\w+\s+DateTime\??(\s|$)/.test(line) && !line.includes('@db.')) {
      // The attribute goes before a trailing comment, if any.
      const m = /^(.*?)(\s*\/\/.*)?$/.exec(line);
      out.push(`${(m?.[1] ?? line).replace(/\s+$/, '')} @db.Timestamptz(3)${m?.[2] ?? ''}`);
    } else out.push(line);
  }
  const body = out.join('\n').replace(/^\/\/ Linli data model\. SQLite[^\n]*\n/, '');
  return HEADER + body;
}

/**
 * A diff between two schema files opens no database, but the CLI (prisma.config.ts, the SQLite adapter) still wants a
 * file it can open: a throw-away one in `dir`.
 */
function prismaDiff(dir: string, from: string | null, to: string): string {
  const args = ['migrate', 'diff', from === null ? '--from-empty' : `--from-schema-datamodel=${from}`, `--to-schema-datamodel=${to}`, '--script'];
  const r = spawnSync('node_modules/.bin/prisma', args, { encoding: 'utf8', env: { ...process.env, DATABASE_URL: `file:${join(dir, 'unused.db')}` } });
  if (r.status !== 0) throw new Error(`prisma migrate diff failed:\n${r.stderr}`);
  return r.stdout;
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''));
if (isMain) {
  const check = process.argv.includes('--check');
  const wanted = toPostgres(readFileSync(SOURCE, 'utf8'));
  const had = existsSync(TARGET) ? readFileSync(TARGET, 'utf8') : null;
  if (check) {
    if (had !== wanted) {
      process.stderr.write(`${TARGET} is not what scripts/gen-postgres-schema.ts makes of ${SOURCE}: run \`npm run db:pg-schema\` and commit the result\n`);
      process.exit(1);
    }
    process.stdout.write(`${TARGET} matches ${SOURCE}\n`);
    process.exit(0);
  }
  if (had === wanted) {
    process.stdout.write(`${TARGET} is up to date\n`);
    process.exit(0);
  }
  const name = process.argv.find((a, i) => i >= 2 && !a.startsWith('--')) ?? (had === null ? 'init' : 'schema');
  const dir = mkdtempSync(join(tmpdir(), 'linli-pg-schema-'));
  let from: string | null = null;
  if (had !== null) {
    from = join(dir, 'old.prisma');
    writeFileSync(from, had);
  }
  const to = join(dir, 'new.prisma');
  writeFileSync(to, wanted);
  const sql = prismaDiff(dir, from, to);
  writeFileSync(TARGET, wanted);
  if (sql.trim() === '' || /^-- This is an empty migration\.\s*$/.test(sql.trim())) {
    process.stdout.write(`${TARGET} regenerated; no change to the database\n`);
  } else {
    const taken = new Set(readdirSync(MIGRATIONS).map((f) => f.slice(0, 14)));
    let at = new Date();
    while (taken.has(stamp(at))) at = new Date(at.getTime() + 1_000);
    const file = join(MIGRATIONS, `${stamp(at)}_${name}.sql`);
    writeFileSync(file, `-- Generated by scripts/gen-postgres-schema.ts from the change to prisma/schema.prisma.\n${sql}`);
    process.stdout.write(`${TARGET} regenerated; new migration ${file}\n`);
  }
  const gen = spawnSync('node_modules/.bin/prisma', ['generate', '--schema', TARGET], { stdio: 'inherit' });
  process.exit(gen.status ?? 1);
}
