import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '../gateway/src/contracts';
import { rawDevice } from './helpers/device-client';
import { addDevice } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { closedBy, connectClient } from './helpers/mqtt';

const DOOR = { id: 'door-fuzz', kind: 'face_terminal', secret: 'fuzz-secret-0001' } as const;
const upTopics = Object.values(catalogue)
  .filter((c) => c.direction === 'up' && c.kinds.includes('face_terminal'))
  .map((c) => `v1/devices/${DOOR.id}/${c.channel}`);

/** Payloads a broken or hostile device might send: random bytes, random JSON, near-miss objects. */
const payloads = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc
    .record({ eventId: fc.oneof(fc.string(), fc.integer()), ts: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), state: fc.string(), cause: fc.string() }, { requiredKeys: [] })
    .map((o) => Buffer.from(JSON.stringify(o))),
);

describe('fuzzing the real broker', () => {
  let t: TestGateway;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await startGateway({ QOS0_RATE_PER_SEC: '100000', QOS0_BURST: '100000', BAD_PAYLOAD_ALERT_COUNT: '100000' });
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t.close();
  });

  it('answers every malformed payload on the error topic, stores none, and stays up', async () => {
    const { client, errors } = await rawDevice(t.mqttUrl, DOOR);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...upTopics), payloads, async (topic, payload) => {
        await client.publishAsync(topic, payload, { qos: 1 });
        sent++;
      }),
      { numRuns: 300, seed: 20261121 },
    );
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBe(sent);
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id, channel: { not: 'status' } } })).toBe(0);
    expect(client.connected).toBe(true);
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200);
    expect(unhandled).toEqual([]);
    await client.endAsync();
  });

  it('survives random topics: refused ones disconnect, none is stored, the gateway keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.string().map((s) => `v1/devices/${s}`)),
        async (topic) => {
          fc.pre(!topic.includes('#') && !topic.includes('+') && !upTopics.includes(topic));
          const c = await connectClient(t.mqttUrl, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret });
          const closed = closedBy(c);
          c.publish(topic, '{}', { qos: 1 }, () => undefined);
          await Promise.race([closed, new Promise((r) => setTimeout(r, 300))]);
          await c.endAsync(true);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id, channel: { not: 'status' } } })).toBe(0);
    expect((await fetch(`${t.httpUrl}/readyz`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  });
});
