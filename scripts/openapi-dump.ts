// `npx tsx scripts/openapi-dump.ts > before.json`: the gateway's OpenAPI document (what /docs/json serves), every
// object's keys sorted, so two dumps differ only where a route or a schema really changed, never because routes
// were registered in another order. A move of routes between folders is checked by diffing a dump from before the
// move with one from after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGateway } from '../gateway/src/app';
import { ConfigSchema } from '../gateway/src/config';
import { findMigrationsDir, migrateDatabase, readMigrations } from '../gateway/src/db/migrate';
import { createLogger } from '../gateway/src/log';

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sorted(v)]));
}

const dir = mkdtempSync(join(tmpdir(), 'linli-openapi-'));
try {
  const dbFile = join(dir, 'linli.db');
  const migrations = findMigrationsDir(dirname(fileURLToPath(import.meta.url)));
  if (migrations === null) throw new Error('prisma/migrations not found');
  const migrated = migrateDatabase(dbFile, readMigrations(migrations), { apply: true });
  if (!migrated.ok) throw new Error(migrated.message);
  const config = Object.freeze(ConfigSchema.parse({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', UI_DIST_DIR: '' }));
  const gw = await buildGateway(config, createLogger({ level: 'silent' }));
  try {
    const reply = await gw.http.inject('/docs/json');
    if (reply.statusCode !== 200) throw new Error(`/docs/json answered ${reply.statusCode}`);
    process.stdout.write(`${JSON.stringify(sorted(reply.json()), null, 2)}\n`);
  } finally {
    await gw.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
