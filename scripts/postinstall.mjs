// `npm install` / `npm ci` (also `npm ci --omit=dev`): applies patches/ with patch-package, a runtime dependency
// because a production install needs the patched mqtt-packet, mqemitter and aedes just as much; then generates the
// Prisma client when the Prisma CLI (a dev dependency) is installed. A production install runs the built
// dist/gateway.mjs, which carries the generated client inside it. Plain JavaScript: no tsx needed here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (bin, args) => {
  const r = spawnSync(bin, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('node_modules/.bin/patch-package', ['--error-on-fail']);
if (existsSync('node_modules/.bin/prisma')) run('node_modules/.bin/prisma', ['generate']);
else process.stdout.write('postinstall: no Prisma CLI (production install); the client is inside dist/gateway.mjs\n');
