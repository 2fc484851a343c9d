import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../gateway/src/db/client';
import { findMigrationsDir, migrateDatabase, readMigrations } from '../gateway/src/db/migrate';
import { isoStored } from '../gateway/src/db/time';
import { type GatewayProcess, spawnGateway } from './helpers/process';

/** The first migration with the alert outbox: a database migrated only up to before it has the old shape. */
const OUTBOX_MIGRATION = '20261201200000_alert_outbox_reused_event_ids';

/**
 * An upgraded database: presses and door openings stored by a release without the alert outbox, some of them never
 * counted in any alert (a crash, the old start-up recovery's 10,000-row cap). The one-time data migration puts
 * exactly those into the outbox, and the gateway's sweep at start makes them alerts.
 */
describe('the alert outbox backfill of an upgraded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-backfill-'));
  const dbFile = join(dir, 'linli.db');
  let gw: GatewayProcess | undefined;

  afterAll(async () => {
    gw?.child.kill('SIGKILL');
    await gw?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('enqueues the presses and recent unexplained openings no alert counts, once, and the restarted gateway alerts them', async () => {
    const migrations = readMigrations(findMigrationsDir(process.cwd()) ?? 'prisma/migrations');
    const old = migrations.filter((m) => m.name < OUTBOX_MIGRATION);
    expect(old.length).toBeLessThan(migrations.length);
    expect(migrateDatabase(dbFile, old, { apply: true })).toMatchObject({ ok: true });

    const raw = new Database(dbFile);
    const now = Date.now();
    const at = (msAgo: number) => isoStored(new Date(now - msAgo));
    raw.prepare("INSERT INTO Community (id, name, latitude, longitude) VALUES ('c1', '测试小区', 34.25, 108.93)").run();
    const device = raw.prepare("INSERT INTO Device (id, kind, name, communityId, placeKind, x, y, secretHash, supervisionSec) VALUES (?, ?, ?, 'c1', ?, 0, 0, 'x', 60)");
    device.run('btn-old', 'indoor_alarm', 'btn-old', 'household');
    for (const id of ['door-old-forced', 'door-old-granted', 'door-old-exit', 'door-old-ancient']) device.run(id, 'face_terminal', id, 'unit_door');
    const event = raw.prepare('INSERT INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES (?, ?, ?, ?, ?, ?)');
    // Ten presses; the first four were counted in an alert a guard has since cleared, the other six never were.
    for (let i = 0; i < 10; i++) {
      const t = at(600_000 - i * 10_000);
      event.run('btn-old', `p${i}`, 'alarm/press', JSON.stringify({ eventId: `p${i}`, ts: t }), t, t);
    }
    raw
      .prepare(
        "INSERT INTO Alert (id, type, severity, status, latched, deviceId, place, dedupKey, count, firstAt, lastAt, clearedBy, clearedAt) VALUES ('old-alarm', 'alarm_press', 'critical', 'cleared', 1, 'btn-old', ?, 'alarm_press:btn-old', 4, ?, ?, 'guard1', ?)",
      )
      .run(JSON.stringify({ label: 'btn-old', kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null }), at(600_000), at(570_000), at(500_000));
    const door = (deviceId: string, eventId: string, state: 'open' | 'closed', cause: string, msAgo: number) =>
      event.run(deviceId, eventId, 'door/state', JSON.stringify({ eventId, ts: at(msAgo), state, cause }), at(msAgo), at(msAgo));
    for (const id of ['door-old-forced', 'door-old-granted', 'door-old-exit']) door(id, 'd0', 'closed', 'grant', 120_000);
    door('door-old-forced', 'd1', 'open', 'unknown', 60_000);
    raw
      .prepare("INSERT INTO AccessEvent (id, deviceId, requestId, at, receivedAt, direction, credentialType, decision, reason) VALUES ('g1', 'door-old-granted', 'r1', ?, ?, 'in', 'card', 'grant', 'resident')")
      .run(at(65_000), at(65_000));
    door('door-old-granted', 'd1', 'open', 'grant', 60_000);
    door('door-old-exit', 'd1', 'open', 'exit_button', 60_000);
    // Three days ago: judged live by the release that stored it; history now.
    door('door-old-ancient', 'd1', 'open', 'unknown', 3 * 86_400_000);
    raw.close();

    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0' });
    expect(gw.output()).toMatch(/"migration":"alert-outbox-backfill","rows":8[,}]/);
    const read = async () => {
      const db = await openDb(dbFile);
      try {
        return {
          outbox: await db.prisma.alertOutbox.count(),
          alerts: await db.prisma.alert.findMany({ where: { type: { in: ['alarm_press', 'forced_entry'] } }, orderBy: { firstAt: 'asc' }, select: { type: true, deviceId: true, status: true, count: true } }),
          presses: await db.prisma.deviceEvent.count({ where: { channel: 'alarm/press' } }),
          migrations: (await db.prisma.dataMigration.findMany()).map((m) => m.name),
        };
      } finally {
        await db.close();
      }
    };
    await expect.poll(async () => (await read()).outbox, { timeout: 30_000, interval: 200 }).toBe(0);
    await expect
      .poll(async () => (await read()).alerts, { timeout: 30_000, interval: 200 })
      .toEqual([
        { type: 'alarm_press', deviceId: 'btn-old', status: 'cleared', count: 4 },
        { type: 'alarm_press', deviceId: 'btn-old', status: 'open', count: 6 },
        { type: 'forced_entry', deviceId: 'door-old-forced', status: 'open', count: 1 },
      ]);
    const after = await read();
    expect(after.alerts.filter((a) => a.type === 'alarm_press').reduce((n, a) => n + a.count, 0)).toBe(after.presses);
    expect(after.migrations).toContain('alert-outbox-backfill');

    // Once: a second start adds nothing.
    gw.child.kill('SIGTERM');
    await gw.exited;
    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0' });
    expect(gw.output()).not.toContain('alert-outbox-backfill');
    expect((await read()).alerts).toEqual(after.alerts);
  }, 120_000);
});
