import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMigrationsDir, migrateDatabase, readMigrations } from '../gateway/src/db/migrate';
import { readSeedSecrets } from '../gateway/src/demo/seed/secrets-file';
import { connectClient } from './helpers/mqtt';
import { type GatewayProcess, spawnGateway } from './helpers/process';

const MIGRATIONS = readMigrations(findMigrationsDir(process.cwd())!);

/** Runs a command to its end; resolves with its exit code and everything it printed. */
function runToEnd(cmd: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, HTTP_HOST: '127.0.0.1', MQTT_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('close', (code) => resolve({ code, out }));
  });
}

describe('npm start runs the built tree (npm run build once)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-start-'));
  const running: GatewayProcess[] = [];
  beforeAll(() => {
    const r = spawnSync('npm', ['run', '-s', 'build'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
  }, 300_000);
  afterAll(async () => {
    for (const gw of running) {
      // npm start runs in its own process group; node itself is a plain child
      if (gw.child.spawnargs[0] === 'npm' && gw.child.pid) process.kill(-gw.child.pid, 'SIGTERM');
      else gw.child.kill('SIGTERM');
      await gw.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a new database at start and seeds nothing', async () => {
    const db = join(dir, 'fresh.db');
    const gw = await spawnGateway({ DATABASE_URL: `file:${db}`, HTTP_PORT: '0', MQTT_PORT: '0' }, ['npm', 'start']);
    running.push(gw);
    const ready = await fetch(`http://127.0.0.1:${gw.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(gw.output()).toContain('database migrated');
    const raw = new Database(db, { readonly: true });
    try {
      const names = (raw.prepare('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name').all() as { migration_name: string }[]).map((r) => r.migration_name);
      expect(names).toEqual(MIGRATIONS.map((m) => m.name));
      expect(raw.prepare('SELECT count(*) AS n FROM Community').get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
    // No building at start: the bundle and no tsx or esbuild in the process tree's command lines.
    expect(gw.output()).not.toMatch(/esbuild|vite|seed:/);
  }, 120_000);

  it('serves a seeded community: a seeded device logs in over MQTT, and no secret reaches the output', async () => {
    const db = join(dir, 'seeded.db');
    expect(migrateDatabase(db, MIGRATIONS, { apply: true }).ok).toBe(true);
    const again = spawnSync('npm', ['run', '-s', 'seed'], { env: { ...process.env, DATABASE_URL: `file:${db}` }, encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);

    const gw = await spawnGateway({ DATABASE_URL: `file:${db}`, HTTP_PORT: '0', MQTT_PORT: '0' }, ['npm', 'start']);
    running.push(gw);
    const secretsFile = join(dir, 'device-secrets.json');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const secrets = readSeedSecrets(secretsFile);
    const [id, device] = Object.entries(secrets.devices)[0]!;
    const client = await connectClient(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: id, username: id, password: device.secret });
    expect(client.connected).toBe(true);
    await client.endAsync();
    expect(readFileSync(secretsFile, 'utf8')).toContain(device.secret);
    expect(gw.output()).not.toContain(device.secret);
    expect(gw.output()).toContain('gateway listening');
  }, 180_000);

  it('a database missing a migration: exit 78 naming it when AUTO_MIGRATE=false, migrated by default', async () => {
    const db = join(dir, 'behind.db');
    const last = MIGRATIONS.at(-1)!;
    expect(migrateDatabase(db, MIGRATIONS.slice(0, -1), { apply: true }).ok).toBe(true);

    const held = await runToEnd([process.execPath, 'dist/gateway.mjs'], { DATABASE_URL: `file:${db}`, AUTO_MIGRATE: 'false' });
    expect(held.code).toBe(78);
    expect(held.out).toContain(`lacks 1 migration(s) (${last.name})`);
    expect(held.out).toContain('npm run migrate');
    expect(held.out).not.toMatch(/SqliteError|\n\s+at /);

    const migrated = await runToEnd([process.execPath, 'dist/linli.mjs', 'migrate'], { DATABASE_URL: `file:${db}` });
    expect(migrated.code, migrated.out).toBe(0);
    expect(migrated.out).toContain(`applied ${last.name}`);

    const gw = await spawnGateway({ DATABASE_URL: `file:${db}`, AUTO_MIGRATE: 'false' }, [process.execPath, 'dist/gateway.mjs']);
    running.push(gw);
    expect((await fetch(`http://127.0.0.1:${gw.http}/readyz`)).status).toBe(200);
  }, 120_000);

  it('a database from a newer release stops the gateway with exit 78 instead of running on it', async () => {
    const db = join(dir, 'newer.db');
    expect(migrateDatabase(db, [...MIGRATIONS, { name: '20991231000000_future', sql: 'CREATE TABLE Future (id INTEGER)', checksum: 'x' }], { apply: true }).ok).toBe(true);
    const r = await runToEnd([process.execPath, 'dist/gateway.mjs'], { DATABASE_URL: `file:${db}` });
    expect(r.code).toBe(78);
    expect(r.out).toContain('20991231000000_future');
    expect(r.out).toContain('newer release');
  }, 60_000);
});
