// `npm install` / `npm ci` (also `npm ci --omit=dev`): applies patches/ with patch-package, a runtime dependency
// because a production install needs the patched mqtt-packet, mqemitter and aedes just as much; then, in a
// development install, generates the Prisma clients into gateway/src/db/generated (SQLite) and generated-pg (PostgreSQL). A production install runs the
// built dist/gateway.mjs, which carries the generated client inside it (npm still installs the Prisma CLI there, as
// an optional peer of @prisma/client, but nothing runs it). Plain JavaScript: no tsx needed here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (bin, args) => {
  const r = spawnSync(bin, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('node_modules/.bin/patch-package', ['--error-on-fail']);
const production = (process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev') || process.env.NODE_ENV === 'production';
if (!production && existsSync('node_modules/.bin/prisma') && existsSync('prisma/schema.prisma')) {
  run('node_modules/.bin/prisma', ['generate']);
  // The PostgreSQL flavour of the same model (scripts/gen-postgres-schema.ts makes the schema; docs/storage.md).
  if (existsSync('prisma/postgres/schema.prisma')) run('node_modules/.bin/prisma', ['generate', '--schema', 'prisma/postgres/schema.prisma']);
} else process.stdout.write('postinstall: production install, no Prisma client generated: the client is inside dist/gateway.mjs\n');
