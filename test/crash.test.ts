import { rmSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoorState, topicFor } from '../gateway/src/contracts';
import { openDb } from '../gateway/src/db/client';
import { addDevice } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';
import { type GatewayProcess, spawnGateway } from './helpers/process';

const DEVICES = Array.from({ length: 12 }, (_, i) => ({ id: `door-crash-${i}`, kind: 'face_terminal' as const, secret: `crash-secret-${i}-xyz` }));

describe('durability across a crash', () => {
  const { dir, dbFile } = freshDatabase();
  const env = { DATABASE_URL: `file:${dbFile}` };
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

  it('keeps every acknowledged event exactly once after SIGKILL, and receives the unacknowledged ones after restart', async () => {
    gw = await spawnGateway({ ...env, HTTP_PORT: '0', MQTT_PORT: '0' });
    const ports = { HTTP_PORT: String(gw.http), MQTT_PORT: String(gw.mqtt) };
    const sent = new Set<string>();
    const acked = new Set<string>();
    for (const d of DEVICES) {
      const c = mqtt.connect(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: d.id, username: d.id, password: d.secret, clean: false, reconnectPeriod: 100, connectTimeout: 2_000 });
      clients.push(c);
    }
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));

    // Each device streams events; the gateway is killed in the middle of the stream.
    let n = 0;
    const pump = setInterval(() => {
      for (const [i, c] of clients.entries()) {
        const eventId = `crash-${i}-${n}`;
        sent.add(eventId);
        const body = JSON.stringify(DoorState.parse({ eventId, ts: new Date().toISOString(), state: n % 2 ? 'open' : 'closed', cause: 'grant' }));
        c.publish(topicFor('doorState', DEVICES[i]!.id), body, { qos: 1 }, (err) => {
          if (!err) acked.add(eventId);
        });
      }
      n++;
    }, 5);
    await expect.poll(() => acked.size, { timeout: 10_000 }).toBeGreaterThan(300);
    gw.child.kill('SIGKILL');
    await gw.exited;
    await new Promise((r) => setTimeout(r, 100));
    clearInterval(pump);
    const ackedBeforeCrash = new Set(acked);

    gw = await spawnGateway({ ...env, ...ports });
    // Every client resends what was never acknowledged once it is back.
    await expect.poll(() => acked.size, { timeout: 30_000, interval: 200 }).toBe(sent.size);

    const db = await openDb(dbFile);
    const rows = await db.prisma.deviceEvent.findMany({ where: { eventId: { startsWith: 'crash-' } }, select: { eventId: true } });
    await db.close();
    const stored = rows.map((r) => r.eventId);
    expect(new Set(stored).size).toBe(stored.length);
    for (const id of ackedBeforeCrash) expect(stored).toContain(id);
    expect(new Set(stored)).toEqual(sent);
  }, 180_000);
});
