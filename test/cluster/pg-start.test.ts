// The gateway as an operator starts it, on PostgreSQL (docs/storage.md): DATABASE_URL=postgres://…, the schema applied
// at start or refused with AUTO_MIGRATE=false until `linli migrate`, the first administrator, a device enrolled by
// `linli device create` and stored events, the credential key in DATA_DIR, and what stays SQLite-only refused clearly.
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoorState, topicFor } from '../../gateway/src/contracts';
import { openPgDb } from '../../gateway/src/db/pg-client';
import { type GatewayProcess, runLinli, spawnGateway } from '../helpers/process';
import { type TestPg, startPg } from './pg';

describe('the gateway on PostgreSQL, started as in production', () => {
  let server: TestPg;
  let gw: GatewayProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'linli-pg-start-'));
  const dataDir = join(dir, 'data');
  const url = (db: string) => server.url.replace(/\/linli_hub$/, `/${db}`);

  beforeAll(async () => {
    server = await startPg(mkdtempSync(join(tmpdir(), 'linli-pg-start-server-')));
    await server.pool.query('CREATE DATABASE linli_auto');
    await server.pool.query('CREATE DATABASE linli_manual');
  });
  afterAll(async () => {
    if (gw) {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    await server?.stop();
  });

  it('refuses to start on an unmigrated database when told not to migrate, until `linli migrate` has run', async () => {
    const env = { DATABASE_URL: url('linli_manual'), DATA_DIR: dataDir, AUTO_MIGRATE: 'false', HTTP_PORT: '0', MQTT_PORT: '0' };
    await expect(spawnGateway(env)).rejects.toThrow(/exited \(78\)[\s\S]*pending migration\(s\): run `linli migrate`/);
    const migrated = await runLinli(['migrate'], env);
    expect(migrated.code).toBe(0);
    // The message names the database without its credentials.
    expect(migrated.out).toMatch(/applied \d+_init, \d+_rules to postgres:\/\/127\.0\.0\.1:\d+\/linli_manual/);
    const again = await runLinli(['migrate'], env);
    expect(again.out).toMatch(/linli_manual is up to date/);
  });

  it('migrates at start, makes the first administrator, and stores an enrolled device\'s events in PostgreSQL', async () => {
    const env = { DATABASE_URL: url('linli_auto'), DATA_DIR: dataDir, HTTP_PORT: '0', MQTT_PORT: '0' };
    gw = await spawnGateway(env);
    expect(gw.output()).toMatch(/one-time password/);
    // The credential key lives in DATA_DIR, owner-only.
    expect(existsSync(join(dataDir, 'credential.key'))).toBe(true);
    expect(statSync(join(dataDir, 'credential.key')).mode & 0o077).toBe(0);
    expect((await fetch(`http://127.0.0.1:${gw.http}/readyz`)).status).toBe(200);

    const setup = await openPgDb(url('linli_auto'));
    await setup.prisma.community.create({ data: { id: 'c-pg', name: '长庆坊', latitude: 34.25, longitude: 108.95 } });
    await setup.close();
    const made = await runLinli(['device', 'create', 'door-pg-1', '--kind', 'face_terminal', '--name', '南大门', '--community', 'c-pg', '--place', 'main_gate', '--out', join(dir, 'door.json')], env);
    expect(made.code, made.out).toBe(0);
    const secret = /secret \(shown once, never again\): (\S+)/.exec(made.out)?.[1];
    expect(secret).toBeDefined();

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: 'door-pg-1', username: 'door-pg-1', password: secret!, reconnectPeriod: 0 });
    const body = JSON.stringify(DoorState.parse({ eventId: 'pg-e-1', ts: '2026-12-02T08:00:00.000+08:00', state: 'open', cause: 'key' }));
    await client.publishAsync(topicFor('doorState', 'door-pg-1'), body, { qos: 1 });
    await client.endAsync();
    // Acknowledged means committed: the row is in PostgreSQL, the device time as timestamptz.
    const db = await openPgDb(url('linli_auto'));
    try {
      const stored = await db.pool.query<{ device_time: Date }>(`SELECT "deviceTime" AS device_time FROM "DeviceEvent" WHERE "deviceId" = 'door-pg-1' AND "eventId" = 'pg-e-1'`);
      expect(stored.rows.map((r) => r.device_time.toISOString())).toEqual(['2026-12-02T00:00:00.000Z']);
    } finally {
      await db.close();
    }
  });

  it('refuses what is SQLite-only, naming what to use instead', async () => {
    const env = { DATABASE_URL: url('linli_auto'), DATA_DIR: dataDir };
    const backup = await runLinli(['backup', join(dir, 'b.linli')], env);
    expect(backup.code).toBe(78);
    expect(backup.out).toMatch(/pg_dump/);
    const withBackups = await runLinli(['migrate'], { ...env, BACKUP_DIR: join(dir, 'backups') });
    expect(withBackups.code).toBe(78);
    expect(withBackups.out).toMatch(/BACKUP_DIR: .*PostgreSQL use its own backups/);
  });
});
