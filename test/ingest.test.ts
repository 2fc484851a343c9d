import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceHealth, IngestedEvent } from '../gateway/src/bus';
import { AlarmPress, DoorState, Heartbeat, topicFor } from '../gateway/src/contracts';
import { rawDevice } from './helpers/device-client';
import { addDevice } from './helpers/fixtures';
import { TEST_STORE, type TestGateway, startGateway } from './helpers/gateway';
import { closedBy } from './helpers/mqtt';
import { holdWriteLock } from './helpers/write-lock';

const DOOR = { id: 'door-b02-u1', kind: 'face_terminal', secret: 'door-secret-0002' } as const;
const ALARM = { id: 'alarm-in-2-1-301', kind: 'indoor_alarm', secret: 'alarm-secret-0001' } as const;
const BROKEN = { id: 'door-broken', kind: 'face_terminal', secret: 'broken-secret-001' } as const;
const FLOOD = { id: 'lamp-flood', kind: 'streetlight', secret: 'flood-secret-0001' } as const;

const now = () => new Date().toISOString();
const door = (eventId: string) => JSON.stringify(DoorState.parse({ eventId, ts: now(), state: 'closed', cause: 'unknown' }));

describe('ingest', () => {
  let t: TestGateway;
  const events: IngestedEvent[] = [];
  const health: DeviceHealth[] = [];

  beforeAll(async () => {
    t = await startGateway({ INGEST_MAX_PAYLOAD_BYTES: '512', BAD_PAYLOAD_ALERT_COUNT: '5', QOS0_RATE_PER_SEC: '5', QOS0_BURST: '5' });
    for (const d of [DOOR, ALARM, BROKEN, FLOOD]) await addDevice(t.gw.db.prisma, d);
    t.gw.bus.on('device-event', (e) => events.push(e));
    t.gw.bus.on('device-health', (h) => health.push(h));
  });
  afterAll(() => t.close());

  it(`runs on the store this run asks for (${TEST_STORE})`, () => {
    // npm test: SQLite files; npm run test:cluster, project "postgres": this whole file again on PostgreSQL.
    expect(t.gw.db.kind).toBe(TEST_STORE);
  });

  it('stores a retransmitted event once and publishes it on the bus once', async () => {
    const { client } = await rawDevice(t.mqttUrl, ALARM);
    const body = JSON.stringify(AlarmPress.parse({ eventId: 'press-1', ts: now() }));
    await client.publishAsync(topicFor('alarmPress', ALARM.id), body, { qos: 1 });
    await client.publishAsync(topicFor('alarmPress', ALARM.id), body, { qos: 1, dup: true });
    const rows = await t.gw.db.prisma.deviceEvent.findMany({ where: { deviceId: ALARM.id, eventId: 'press-1' } });
    expect(rows).toHaveLength(1);
    expect(events.filter((e) => e.deviceId === ALARM.id && e.name === 'alarmPress')).toHaveLength(1);
    await client.endAsync();
  });

  it('stores the device time and the gateway receive time', async () => {
    const { client } = await rawDevice(t.mqttUrl, DOOR);
    const deviceTs = '2026-01-01T08:00:00.000+08:00';
    await client.publishAsync(topicFor('doorState', DOOR.id), JSON.stringify(DoorState.parse({ eventId: 'ts-1', ts: deviceTs, state: 'open', cause: 'key' })), { qos: 1 });
    const row = await t.gw.db.prisma.deviceEvent.findUniqueOrThrow({ where: { deviceId_eventId: { deviceId: DOOR.id, eventId: 'ts-1' } } });
    expect(row.deviceTime.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(Math.abs(row.receivedAt.getTime() - Date.now())).toBeLessThan(5_000);
    await client.endAsync();
  });

  describe('bad input is answered on the error topic, not stored, and never disconnects', () => {
    const cases: Array<[string, Buffer | string, string]> = [
      ['non-JSON', 'door opened!', 'invalid_json'],
      ['wrong types', JSON.stringify({ eventId: 'bad-types', ts: now(), state: 1, cause: 'grant' }), 'invalid_payload'],
      ['missing fields', JSON.stringify({ state: 'open' }), 'invalid_payload'],
      ['oversized payload', Buffer.alloc(2_000, 0x20), 'payload_too_large'],
    ];
    for (const [what, payload, code] of cases) {
      it(`answers ${what} with ${code}`, async () => {
        const { client, errors } = await rawDevice(t.mqttUrl, DOOR);
        const before = await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id } });
        await client.publishAsync(topicFor('doorState', DOOR.id), payload, { qos: 1 });
        await expect.poll(() => errors.length).toBe(1);
        expect(errors[0]).toMatchObject({ topic: topicFor('doorState', DOOR.id), code });
        if (code === 'invalid_payload') expect(errors[0]?.issues?.length).toBeGreaterThan(0);
        expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id } })).toBe(before);
        expect(client.connected).toBe(true);
        await client.endAsync();
      });
    }

    it('names the offending field', async () => {
      const { client, errors } = await rawDevice(t.mqttUrl, DOOR);
      await client.publishAsync(topicFor('doorState', DOOR.id), JSON.stringify({ eventId: 'f-1', ts: now(), state: 'ajar', cause: 'grant' }), { qos: 1 });
      await expect.poll(() => errors.length).toBe(1);
      expect(errors[0]?.issues).toEqual([expect.objectContaining({ path: 'state' })]);
      await client.endAsync();
    });

    it('answers an unknown channel in the device’s own namespace with unknown_channel', async () => {
      const { client, errors } = await rawDevice(t.mqttUrl, DOOR);
      await client.publishAsync(`v1/devices/${DOOR.id}/door/colour`, '{}', { qos: 1 });
      await expect.poll(() => errors.length).toBe(1);
      expect(errors[0]).toMatchObject({ code: 'unknown_channel', topic: `v1/devices/${DOOR.id}/door/colour` });
      expect(client.connected).toBe(true);
      await client.endAsync();
    });

    it('counts rejections per device in /metrics', async () => {
      const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/linli_ingest_rejected_total\{code="invalid_json"\} [1-9]/);
    });
  });

  it('raises a device-health event, stored, when a device keeps sending invalid payloads', async () => {
    const { client, errors } = await rawDevice(t.mqttUrl, BROKEN);
    for (let i = 0; i < 5; i++) await client.publishAsync(topicFor('doorState', BROKEN.id), `garbage ${i}`, { qos: 1 });
    await expect.poll(() => errors.length).toBe(5);
    await expect.poll(() => health.find((h) => h.deviceId === BROKEN.id)?.type).toBe('invalid_payloads');
    await expect.poll(() => t.gw.db.prisma.deviceEvent.count({ where: { deviceId: BROKEN.id, channel: 'gateway/health' } })).toBe(1);
    await client.endAsync();
  });

  it('flags a device whose clock is off by more than the tolerance', async () => {
    const { client } = await rawDevice(t.mqttUrl, DOOR);
    const skewed = new Date(Date.now() - 120_000).toISOString();
    await client.publishAsync(topicFor('heartbeat', DOOR.id), JSON.stringify(Heartbeat.parse({ eventId: 'hb-skew', ts: skewed, uptimeSec: 10 })), { qos: 1 });
    await expect.poll(() => health.find((h) => h.deviceId === DOOR.id && h.type === 'clock_drift')).toMatchObject({ type: 'clock_drift' });
    const drift = health.find((h) => h.type === 'clock_drift');
    expect(drift?.type === 'clock_drift' && drift.driftSec).toBeLessThan(-100);
    await client.endAsync();
  });

  it('rate-limits a QoS 0 flood from one device instead of queueing it', async () => {
    const { client, errors } = await rawDevice(t.mqttUrl, FLOOD);
    for (let i = 0; i < 200; i++) {
      client.publish(topicFor('heartbeat', FLOOD.id), JSON.stringify(Heartbeat.parse({ eventId: `hb-${i}`, ts: now(), uptimeSec: i })), { qos: 0 });
    }
    await expect.poll(() => errors.some((e) => e.code === 'rate_limited')).toBe(true);
    // Let the accepted ones commit, then count: about the burst, never the flood.
    await new Promise((r) => setTimeout(r, 300));
    const stored = await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: FLOOD.id, channel: 'heartbeat' } });
    expect(stored).toBeGreaterThanOrEqual(5);
    expect(stored).toBeLessThan(20);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('keeps presence from the Will when a device vanishes without DISCONNECT', async () => {
    const { client } = await rawDevice(t.mqttUrl, ALARM);
    await expect.poll(async () => (await t.gw.db.prisma.device.findUniqueOrThrow({ where: { id: ALARM.id } })).online).toBe(true);
    await client.endAsync();
    const { connectClient } = await import('./helpers/mqtt');
    const willing = await connectClient(t.mqttUrl, {
      clientId: ALARM.id,
      username: ALARM.id,
      password: ALARM.secret,
      will: { topic: topicFor('presence', ALARM.id), payload: Buffer.from(JSON.stringify({ status: 'offline', ts: now() })), qos: 1, retain: true },
    });
    const closed = closedBy(willing);
    willing.stream.destroy();
    await closed;
    await expect.poll(() => t.gw.db.prisma.deviceEvent.count({ where: { deviceId: ALARM.id, channel: 'status' } })).toBe(1);
    await expect.poll(async () => (await t.gw.db.prisma.device.findUniqueOrThrow({ where: { id: ALARM.id } })).online).toBe(false);
  });
});

describe('backpressure', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ INGEST_MAX_PENDING: '100' });
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(() => t.close());

  it('holds acknowledgements while the database is locked, reports degraded, and resumes by itself', async () => {
    const { client } = await rawDevice(t.mqttUrl, DOOR);
    const lock = await holdWriteLock(t.gw.db, t.dbFile);
    let acked = 0;
    const sends = Array.from({ length: 20 }, (_, i) => client.publishAsync(topicFor('doorState', DOOR.id), door(`bp-${i}`), { qos: 1 }).then(() => acked++));
    await expect.poll(async () => (await fetch(`${t.httpUrl}/readyz`)).status, { timeout: 10_000 }).toBe(503);
    expect(acked).toBe(0);
    await lock.release();
    await Promise.all(sends);
    expect(acked).toBe(20);
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id, eventId: { startsWith: 'bp-' } } })).toBe(20);
    await expect.poll(async () => (await fetch(`${t.httpUrl}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    await client.endAsync();
  });

  it('refuses to queue beyond its bound: the device is dropped unacknowledged instead of memory growing', async () => {
    const { client } = await rawDevice(t.mqttUrl, DOOR);
    const lock = await holdWriteLock(t.gw.db, t.dbFile);
    const closed = closedBy(client);
    for (let i = 0; i < 150; i++) client.publish(topicFor('doorState', DOOR.id), door(`over-${i}`), { qos: 1 });
    await closed;
    expect(t.gw.writer.pending()).toBeLessThanOrEqual(100);
    await lock.release();
    client.end(true);
  });
});

describe('clock drift and the Will', () => {
  let t: TestGateway;
  const health: DeviceHealth[] = [];
  beforeAll(async () => {
    t = await startGateway();
    await addDevice(t.gw.db.prisma, ALARM);
    t.gw.bus.on('device-health', (h) => health.push(h));
  });
  afterAll(() => t.close());

  it('does not read an old Will timestamp as clock drift', async () => {
    const { connectClient } = await import('./helpers/mqtt');
    const composedLongAgo = new Date(Date.now() - 3_600_000).toISOString();
    const c = await connectClient(t.mqttUrl, {
      clientId: ALARM.id,
      username: ALARM.id,
      password: ALARM.secret,
      will: { topic: topicFor('presence', ALARM.id), payload: Buffer.from(JSON.stringify({ status: 'offline', ts: composedLongAgo })), qos: 1, retain: true },
    });
    const closed = closedBy(c);
    c.stream.destroy();
    await closed;
    await expect.poll(() => t.gw.db.prisma.deviceEvent.count({ where: { deviceId: ALARM.id, channel: 'status' } })).toBe(1);
    expect(health.filter((h) => h.type === 'clock_drift')).toEqual([]);
  });
});
