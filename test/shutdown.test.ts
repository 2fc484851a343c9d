import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DoorState, topicFor } from '../gateway/src/contracts';
import { openDb } from '../gateway/src/db/client';
import { addDevice } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';
import { connectClient } from './helpers/mqtt';
import { spawnGateway } from './helpers/process';

const DOOR = { id: 'door-shutdown', kind: 'face_terminal', secret: 'shutdown-secret-01' } as const;

describe('graceful shutdown', () => {
  const { dir, dbFile } = freshDatabase();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} stops accepting, keeps every acknowledged event, and exits 0 within the bound`, async () => {
      const db = await openDb(dbFile);
      if (!(await db.prisma.device.findUnique({ where: { id: DOOR.id } }))) await addDevice(db.prisma, DOOR);
      await db.close();
      const gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', SHUTDOWN_TIMEOUT_MS: '3000' });
      const c = await connectClient(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret });
      const ids = Array.from({ length: 50 }, (_, i) => `${signal}-${i}`);
      await Promise.all(ids.map((eventId) => c.publishAsync(topicFor('doorState', DOOR.id), JSON.stringify(DoorState.parse({ eventId, ts: new Date().toISOString(), state: 'open', cause: 'grant' })), { qos: 1 })));
      const t0 = Date.now();
      gw.child.kill(signal);
      expect(await gw.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(4_000);
      c.end(true);
      expect(gw.output()).toContain('"msg":"stopped"');
      const check = await openDb(dbFile);
      expect(await check.prisma.deviceEvent.count({ where: { eventId: { in: ids } } })).toBe(ids.length);
      // The device is recorded offline: the gateway does not leave stale "online" rows behind.
      expect((await check.prisma.device.findUniqueOrThrow({ where: { id: DOOR.id } })).online).toBe(false);
      await check.close();
    }, 180_000);
  }
});
