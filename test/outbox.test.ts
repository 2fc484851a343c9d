import { rmSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AlarmPress, topicFor } from '../gateway/src/contracts';
import { openDb } from '../gateway/src/db/client';
import { addDevice } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';
import { type GatewayProcess, spawnGateway } from './helpers/process';

/**
 * The promise the product is built on: every press the gateway acknowledged ends up counted in an alert, across a
 * graceful stop and across kill -9, however many presses are waiting (the alert outbox, docs/architecture.md).
 */

const press = (eventId: string) => JSON.stringify(AlarmPress.parse({ eventId, ts: new Date().toISOString() }));

/** Stored presses of the device, the sum of its alarm alerts' counts, and the outbox entries left. */
async function tally(dbFile: string, deviceId: string) {
  const db = await openDb(dbFile);
  try {
    const stored = await db.prisma.deviceEvent.count({ where: { deviceId, channel: 'alarm/press' } });
    const counted = (await db.prisma.alert.aggregate({ where: { deviceId, type: 'alarm_press' }, _sum: { count: true } }))._sum.count ?? 0;
    const outbox = await db.prisma.alertOutbox.count();
    return { stored, counted, outbox };
  } finally {
    await db.close();
  }
}

function connectButton(port: number, d: { id: string; secret: string }): Promise<MqttClient> {
  // clean: false and a reconnect: like the real button, it resends what was never acknowledged.
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: d.id, username: d.id, password: d.secret, clean: false, reconnectPeriod: 200, connectTimeout: 5_000 });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

describe('every acknowledged alarm press is counted in an alert', () => {
  const dbs: string[] = [];
  const clients: MqttClient[] = [];
  let gw: GatewayProcess | undefined;

  const fresh = async (device: { id: string; secret: string }) => {
    const { dir, dbFile } = freshDatabase();
    dbs.push(dir);
    const db = await openDb(dbFile);
    await addDevice(db.prisma, { id: device.id, kind: 'indoor_alarm', secret: device.secret });
    await db.close();
    return dbFile;
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    gw?.child.kill('SIGKILL');
    await gw?.exited;
    gw = undefined;
  });
  afterAll(() => {
    for (const d of dbs) rmSync(d, { recursive: true, force: true });
  });

  it('after SIGTERM during a stream of presses, the restarted gateway has counted every stored press', async () => {
    const button = { id: 'alarm-sigterm', secret: 'alarm-sigterm-secret' };
    const dbFile = await fresh(button);
    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', SHUTDOWN_TIMEOUT_MS: '5000' });
    const c = await connectButton(gw.mqtt, button);
    clients.push(c);
    let acked = 0;
    let n = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 5; i++) c.publish(topicFor('alarmPress', button.id), press(`term-${n++}`), { qos: 1 }, (err) => void (err ? undefined : acked++));
    }, 2);
    await expect.poll(() => acked, { timeout: 30_000 }).toBeGreaterThan(500);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    clearInterval(pump);
    c.end(true);
    const ackedAtStop = acked;

    const stopped = await tally(dbFile, button.id);
    expect(stopped.stored).toBeGreaterThanOrEqual(ackedAtStop);

    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0' });
    await expect.poll(async () => tally(dbFile, button.id), { timeout: 60_000, interval: 300 }).toEqual({ stored: stopped.stored, counted: stopped.stored, outbox: 0 });
  }, 150_000);

  it('after 12,000 presses from one button and kill -9, every press is stored once and counted once', async () => {
    const TOTAL = 12_000;
    const button = { id: 'alarm-storm', secret: 'alarm-storm-secret' };
    const dbFile = await fresh(button);
    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0' });
    const ports = { HTTP_PORT: String(gw.http), MQTT_PORT: String(gw.mqtt) };
    const c = await connectButton(gw.mqtt, button);
    clients.push(c);
    const acked = new Set<string>();
    for (let i = 0; i < TOTAL; i++) {
      const id = `storm-${i}`;
      c.publish(topicFor('alarmPress', button.id), press(id), { qos: 1 }, (err) => void (err ? undefined : acked.add(id)));
    }
    // Killed beyond the 10,000 presses the old start-up recovery read, while presses are still arriving.
    await expect.poll(() => acked.size, { timeout: 120_000, interval: 20 }).toBeGreaterThan(10_500);
    gw.child.kill('SIGKILL');
    await gw.exited;
    const killedAt = acked.size;

    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, ...ports });
    // The button resends everything never acknowledged; then nothing is missing and nothing is counted twice.
    await expect.poll(() => acked.size, { timeout: 120_000, interval: 200 }).toBe(TOTAL);
    expect(killedAt).toBeLessThanOrEqual(TOTAL);
    await expect.poll(async () => tally(dbFile, button.id), { timeout: 120_000, interval: 500 }).toEqual({ stored: TOTAL, counted: TOTAL, outbox: 0 });
  }, 300_000);
});
