import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoorState, topicFor } from '../gateway/src/contracts';
import { openDb } from '../gateway/src/db/client';
import { addDevice } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';
import { type GatewayProcess, spawnGateway, runLinli } from './helpers/process';

const DEVICES = Array.from({ length: 6 }, (_, i) => ({ id: `door-backup-${i}`, kind: 'face_terminal' as const, secret: `backup-secret-${i}-xyz` }));


const storedEventIds = (file: string): Set<string> => {
  const db = new Database(file, { readonly: true });
  try {
    return new Set((db.prepare("SELECT eventId FROM DeviceEvent WHERE eventId LIKE 'bk-%'").all() as { eventId: string }[]).map((r) => r.eventId));
  } finally {
    db.close();
  }
};

describe('online backup under write load, and restore', () => {
  const { dir, dbFile } = freshDatabase();
  const env = { DATABASE_URL: `file:${dbFile}` };
  const backupFile = join(dir, 'backups', 'manual.db');
  let gw: GatewayProcess | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    const db = await openDb(dbFile);
    for (const d of DEVICES) await addDevice(db.prisma, d);
    await db.close();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    gw?.child.kill('SIGKILL');
    await gw?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up while devices stream events, keeps every event acknowledged before it, and restores it into the stopped installation', async () => {
    gw = await spawnGateway({ ...env, HTTP_PORT: '0', MQTT_PORT: '0' });
    for (const d of DEVICES) clients.push(mqtt.connect(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: d.id, username: d.id, password: d.secret, reconnectPeriod: 0 }));
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));

    const acked = new Set<string>();
    let n = 0;
    const pump = setInterval(() => {
      for (const [i, c] of clients.entries()) {
        const eventId = `bk-${i}-${n}`;
        const body = JSON.stringify(DoorState.parse({ eventId, ts: new Date().toISOString(), state: n % 2 ? 'open' : 'closed', cause: 'grant' }));
        c.publish(topicFor('doorState', DEVICES[i]!.id), body, { qos: 1 }, (err) => {
          if (!err) acked.add(eventId);
        });
      }
      n++;
    }, 5);
    await expect.poll(() => acked.size, { timeout: 30_000 }).toBeGreaterThan(600);

    const ackedBefore = new Set(acked);
    const backup = runLinli(['backup', backupFile], env);
    const during = acked.size;
    const result = await backup;
    const ackedWhileBackingUp = acked.size - during;
    clearInterval(pump);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`backed up ${dbFile}`);
    // The gateway kept acknowledging while `linli backup` ran (in its own process).
    expect(ackedWhileBackingUp).toBeGreaterThan(0);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);

    // Writes after the backup: they are what a restore rolls back.
    await expect.poll(() => acked.size, { timeout: 10_000 }).toBeGreaterThan(during + ackedWhileBackingUp);

    // Restoring under a running gateway is refused and changes nothing.
    const refused = await runLinli(['restore', backupFile], env);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('stop the gateway');

    await Promise.all(clients.map((c) => c.endAsync()));
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    const keyBefore = readFileSync(join(dir, 'credential.key'), 'utf8');
    writeFileSync(join(dir, 'credential.key'), 'x'.repeat(48)); // a damaged installation: the key comes back too

    const restored = await runLinli(['restore', backupFile], env);
    expect(restored.code, restored.out).toBe(0);
    expect(readFileSync(join(dir, 'credential.key'), 'utf8')).toBe(keyBefore);
    expect(statSync(dbFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).some((f) => f.startsWith('linli.db.before-restore-'))).toBe(true);

    const db = new Database(dbFile, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'linli_backup_key'").get()).toBeUndefined();
    db.close();
    const stored = storedEventIds(dbFile);
    const missing = [...ackedBefore].filter((id) => !stored.has(id));
    expect(missing).toEqual([]);

    // The restored installation starts and serves.
    gw = await spawnGateway({ ...env, HTTP_PORT: '0', MQTT_PORT: '0' });
    expect((await fetch(`http://127.0.0.1:${gw.http}/readyz`)).status).toBe(200);
    gw.child.kill('SIGTERM');
    await gw.exited;
  }, 120_000);

  it('refuses a file that is not a sound Linli backup, leaving the database alone', async () => {
    const bad = join(dir, 'not-a-backup.db');
    writeFileSync(bad, 'SQLite format 3\0 but then garbage'.repeat(200));
    const before = readFileSync(dbFile);
    const r = await runLinli(['restore', bad], env);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not a readable SQLite database|integrity check|not a Linli backup/);
    expect(readFileSync(dbFile).equals(before)).toBe(true);

    const plain = join(dir, 'plain.db');
    new Database(plain).exec('CREATE TABLE t (x)');
    const r2 = await runLinli(['restore', plain], env);
    expect(r2.code).toBe(1);
    expect(r2.out).toContain('not a Linli backup');
  }, 180_000);

  it('daily schedule: a gateway with BACKUP_DIR writes a backup at start and keeps the newest BACKUP_KEEP', async () => {
    const backupDir = join(dir, 'daily');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(backupDir);
    // Three older scheduled backups (two days old and more): one new one is due, and only two may stay.
    for (const name of ['linli-20261101T030000Z.db', 'linli-20261102T030000Z.db', 'linli-20261103T030000Z.db']) writeFileSync(join(backupDir, name), 'old');
    writeFileSync(join(backupDir, 'keep-me.txt'), 'not ours');
    gw = await spawnGateway({ ...env, HTTP_PORT: '0', MQTT_PORT: '0', BACKUP_DIR: backupDir, BACKUP_KEEP: '2' });
    await expect.poll(() => gw!.output(), { timeout: 60_000, interval: 200 }).toContain('scheduled backup written');
    const names = readdirSync(backupDir).sort();
    expect(names).toHaveLength(3);
    expect(names).toContain('keep-me.txt');
    expect(names).toContain('linli-20261103T030000Z.db');
    const fresh = names.find((n) => /^linli-\d{8}T\d{6}Z\.db$/.test(n) && !n.startsWith('linli-202611'));
    expect(fresh).toBeDefined();
    const copy = new Database(join(backupDir, fresh!), { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare("SELECT count(*) AS n FROM Device WHERE id LIKE 'door-backup-%'").get()).toEqual({ n: DEVICES.length });
    copy.close();
    gw.child.kill('SIGTERM');
    await gw.exited;
    expect(existsSync(join(backupDir, 'linli-20261101T030000Z.db'))).toBe(false);
  }, 180_000);
});
