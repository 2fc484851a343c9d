// `npm run db:migrate`: applies prisma/migrations to the database named by DATABASE_URL with the real
// `prisma migrate deploy`, after creating the database's folder (SQLite will not create it, and the CLI then fails
// with an unhelpful "External error").
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const url = process.env.DATABASE_URL ?? 'file:./data/linli.db';
if (!url.startsWith('file:')) {
  process.stderr.write(`db:migrate: DATABASE_URL must be a SQLite file URL (file:…), got ${url}\n`);
  process.exit(2);
}
const file = url.slice('file:'.length);
// Owner-only: the database holds password hashes, credential hashes and the audit trail.
mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
const prisma = fileURLToPath(new URL('../node_modules/.bin/prisma', import.meta.url));
const res = spawnSync(prisma, ['migrate', 'deploy'], { stdio: 'inherit', env: { ...process.env, DATABASE_URL: url } });
if (existsSync(file)) chmodSync(file, 0o600);
process.exit(res.status ?? 1);
