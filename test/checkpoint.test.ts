// The gateway's WAL checkpoints run in a worker thread (gateway/src/db/checkpointer.ts), never inside a commit on the
// event loop: its connections have automatic checkpoints off, and what devices commit is still copied back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoorState, topicFor } from '../gateway/src/contracts';
import { rawDevice } from './helpers/device-client';
import { addDevice } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

const DOOR = { id: 'door-checkpoint', kind: 'face_terminal', secret: 'door-secret-cp01' } as const;

describe('WAL checkpoints off the event loop', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(() => t.close());

  it('turns off checkpoints inside commits on every gateway connection, and the worker copies the committed frames back', async () => {
    expect(t.gw.db.raw.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const viaPrisma = await t.gw.db.prisma.$queryRawUnsafe<Array<{ wal_autocheckpoint: bigint | number }>>('PRAGMA wal_autocheckpoint');
    expect(Number(viaPrisma[0]?.wal_autocheckpoint)).toBe(0);
    const checkpointer = t.gw.db.checkpointer;
    expect(checkpointer).not.toBeNull();
    if (!checkpointer) return;

    const { client } = await rawDevice(t.mqttUrl, DOOR);
    for (let i = 0; i < 300; i++) {
      const body = DoorState.parse({ eventId: `cp-${i}`, ts: new Date().toISOString(), state: i % 2 ? 'open' : 'closed', cause: 'key' });
      await client.publishAsync(topicFor('doorState', DOOR.id), JSON.stringify(body), { qos: 1 });
    }
    await client.endAsync();
    // Two runs: the one in progress at the last PUBACK may have started before it.
    await checkpointer.next();
    const after = await checkpointer.next();
    expect(after.walFrames).toBeGreaterThan(0);
    expect(after.checkpointedFrames).toBe(after.walFrames);
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id } })).toBe(300);
    // Operators see what each checkpoint would have cost the event loop.
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^linli_db_checkpoint_seconds_count [1-9]\d*$/m);
  });
});
