import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMigrationsDir, migrateDatabase, readMigrations } from '../gateway/src/db/migrate';
import { readSeedSecrets } from '../gateway/src/demo/seed/secrets-file';
import { LoginReply } from '../gateway/src/contracts/api/auth';
import { SetupChecklist } from '../gateway/src/contracts/api/setup';
import { SeedSecrets } from '../gateway/src/contracts/seed-secrets';
import { writeFileSync } from 'node:fs';
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
  }, 180_000);
  it('first start of a real installation: one admin, its one-time password printed once (never logged), no demo data', async () => {
    const db = join(dir, 'first.db');
    const env = { DATABASE_URL: `file:${db}`, HTTP_PORT: '0', MQTT_PORT: '0' };
    const gw = await spawnGateway(env, ['npm', 'start']);
    running.push(gw);
    const http = `http://127.0.0.1:${gw.http}`;
    // The banner follows the listening line; wait for it.
    for (let i = 0; i < 600 && !gw.output().includes('one-time password:'); i++) await new Promise((r) => setTimeout(r, 50));
    const out = gw.output();
    const password = /one-time password: (\S+)/.exec(out)?.[1];
    expect(password, out).toBeDefined();
    expect(out.split(password!).length - 1).toBe(1);
    // Never in a log line (pino's JSON), only in the banner.
    for (const line of out.split('\n').filter((l) => l.startsWith('{'))) expect(line).not.toContain(password!);
    expect(out).toContain('first start: administrator account created');

    const raw = new Database(db, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) AS n FROM Community').get()).toEqual({ n: 0 });
      expect(raw.prepare('SELECT count(*) AS n FROM Device').get()).toEqual({ n: 0 });
      expect(raw.prepare('SELECT username, role, mustChangePassword FROM User').all()).toEqual([{ username: 'admin', role: 'admin', mustChangePassword: 1 }]);
    } finally {
      raw.close();
    }
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const first = LoginReply.parse(await (await post('/api/v1/auth/login', { username: 'admin', password })).json());
    expect(first.user.mustChangePassword).toBe(true);
    const auth = { authorization: `Bearer ${first.token}` };
    expect((await fetch(`${http}/api/v1/setup`, { headers: auth })).status).toBe(403);
    expect((await post('/api/v1/auth/password', { currentPassword: password, newPassword: 'first-day-lantern-8' }, first.token)).status).toBe(204);
    const setup = SetupChecklist.parse(await (await fetch(`${http}/api/v1/setup`, { headers: auth })).json());
    expect(setup.next).toBe('compound');
    expect(setup.steps.map((s) => [s.step, s.done])).toEqual([['admin_password', true], ['compound', false], ['buildings', false], ['households', false], ['devices', false], ['guards', false]]);

    // A second start of the same installation creates and prints nothing.
    if (gw.child.pid) process.kill(-gw.child.pid, 'SIGTERM');
    await gw.exited;
    running.splice(running.indexOf(gw), 1);
    const again = await spawnGateway(env, ['npm', 'start']);
    running.push(again);
    expect((await fetch(`http://127.0.0.1:${again.http}/readyz`)).status).toBe(200);
    expect(again.output()).not.toContain('one-time password');
    // The production start sets V8's heap growth (runtime/heap-growth.ts) whatever the command line: /metrics says so.
    expect(await (await fetch(`http://127.0.0.1:${again.http}/metrics`)).text()).toMatch(/^linli_heap_growing_percent 20$/m);
  }, 180_000);

  it('first start with ADMIN_INITIAL_PASSWORD_FILE: that password, printed nowhere, still to be changed', async () => {
    const db = join(dir, 'first-file.db');
    const file = join(dir, 'admin-password');
    writeFileSync(file, 'installer-chose-this-1\n', { mode: 0o600 });
    const gw = await spawnGateway({ DATABASE_URL: `file:${db}`, HTTP_PORT: '0', MQTT_PORT: '0', ADMIN_INITIAL_PASSWORD_FILE: file }, [process.execPath, 'dist/gateway.mjs']);
    running.push(gw);
    const r = await fetch(`http://127.0.0.1:${gw.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'installer-chose-this-1' }) });
    expect(LoginReply.parse(await r.json()).user.mustChangePassword).toBe(true);
    expect(gw.output()).not.toContain('installer-chose-this-1');
    expect(gw.output()).toContain('ADMIN_INITIAL_PASSWORD_FILE');
  }, 120_000);

  it('npx linli: admin create, device create and rotate from a shell; the provisioning file logs the device in', async () => {
    const db = join(dir, 'cli.db');
    const env = { DATABASE_URL: `file:${db}` };
    // `npx linli` once (the package.json bin); the rest straight through node (npx costs seconds a call on a busy box).
    const npx = (...args: string[]) => runToEnd([process.execPath, 'dist/linli.mjs', ...args], env);
    const admin = await runToEnd(['npx', 'linli', 'admin', 'create', 'wuye', '--name', '物业管理员'], env);
    expect(admin.code, admin.out).toBe(0);
    expect(admin.out).toMatch(/one-time password \(shown once[^:]*\): \S{14}/);
    expect((await npx('admin', 'create', 'wuye')).code).toBe(65);
    expect((await npx('device', 'create', 'Bad Id', '--kind', 'face_terminal')).code).toBe(64);

    const raw = new Database(db);
    raw.prepare("INSERT INTO Community (id, name, latitude, longitude) VALUES ('c1', '幸福小区', 34.2, 108.9)").run();
    raw.close();
    const file = join(dir, 'gate.json');
    const created = await npx('device', 'create', 'gate-main', '--kind', 'face_terminal', '--name', '大门', '--community', 'c1', '--place', 'main_gate', '--host', '127.0.0.1', '--out', file);
    expect(created.code, created.out).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secrets = SeedSecrets.parse(JSON.parse(readFileSync(file, 'utf8')));
    const secret = secrets.devices['gate-main']!.secret;
    expect(created.out).toContain(secret);

    const gw = await spawnGateway({ ...env, HTTP_PORT: '0', MQTT_PORT: '0' }, [process.execPath, 'dist/gateway.mjs']);
    running.push(gw);
    const c = await connectClient(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: 'gate-main', username: 'gate-main', password: secret });
    await c.endAsync();
    expect(gw.output()).not.toContain(secret);

    const rotated = await npx('device', 'rotate', 'gate-main', '--out', join(dir, 'gate2.json'));
    expect(rotated.code, rotated.out).toBe(0);
    const next = SeedSecrets.parse(JSON.parse(readFileSync(join(dir, 'gate2.json'), 'utf8'))).devices['gate-main']!.secret;
    expect(next).not.toBe(secret);
    const d = await connectClient(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: 'gate-main', username: 'gate-main', password: next });
    await d.endAsync();
    await expect(connectClient(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: 'gate-main', username: 'gate-main', password: secret })).rejects.toMatchObject({ code: 4 });
  }, 400_000);
});
