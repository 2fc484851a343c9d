import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttLink } from '../devices-sim/src/devices';
import { topicFor } from '../gateway/src/contracts';
import { addDevice } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { closedBy, connectClient, rawSocket } from './helpers/mqtt';

// Presence must match the sockets. An authenticated fuzz run left devices "connected" with no socket when a connection
// closed right after its CONNACK: Aedes can emit clientReady after clientDisconnect for the same client.
const DEVICES = Array.from({ length: 128 }, (_, i) => ({ id: `door-p${String(i).padStart(3, '0')}`, kind: 'face_terminal' as const, secret: `presence-secret-${i}` }));
const OTHER = 'door-elsewhere';

const connectBytes = (d: { id: string; secret: string }, clean: boolean) =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: d.id, username: d.id, password: Buffer.from(d.secret), keepalive: 30, clean });

/** A QoS 1 PUBLISH written out by hand (MQTT 3.1.1 §3.3): `flags` may be what no library would send. */
function rawPublish(topic: Buffer, flags: number): Buffer {
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.from([0x00, 0x01]), Buffer.from('{}')]);
  return Buffer.concat([Buffer.from([0x30 | flags, body.length]), body]);
}

type Misbehaviour = (s: Socket, d: { id: string }) => void;
const CASES: Array<[string, Misbehaviour]> = [
  ['closes right after its CONNACK', (s) => s.destroy()],
  ['publishes to another device’s topic', (s) => s.write(rawPublish(Buffer.from(topicFor('doorState', OTHER)), 0x02))],
  ['publishes with QoS 3', (s, d) => s.write(rawPublish(Buffer.from(topicFor('doorState', d.id)), 0x06))],
  ['publishes to a topic that is not UTF-8', (s, d) => s.write(rawPublish(Buffer.concat([Buffer.from(`v1/devices/${d.id}/`), Buffer.from([0xc3, 0x28])]), 0x02))],
];

/** Logs in over a raw socket and misbehaves the moment the CONNACK arrives; resolves once the socket is closed. */
async function misbehave(port: number, d: { id: string; secret: string }, clean: boolean, act: Misbehaviour): Promise<number | undefined> {
  const s = await rawSocket(port);
  return new Promise((resolve) => {
    let code: number | undefined;
    s.once('data', (b: Buffer) => {
      code = b[3];
      act(s, d);
    });
    s.once('close', () => resolve(code));
    s.once('error', () => undefined);
    s.write(connectBytes(d, clean));
  });
}

describe('broker presence', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // Reconciliation far away: these tests show that presence is right from the events alone.
    t = await startGateway({ MQTT_PRESENCE_RECONCILE_MS: '600000', AUTH_FAIL_LIMIT: '100000' });
    for (const d of DEVICES) await addDevice(t.gw.db.prisma, d);
  });
  afterAll(() => t.close());

  const phantoms = async () => {
    const inBroker = DEVICES.filter((d) => t.gw.broker.isConnected(d.id)).length;
    const inDb = await t.gw.db.prisma.device.count({ where: { id: { in: DEVICES.map((d) => d.id) }, online: true } });
    return { inBroker, inDb };
  };

  for (const [name, act] of CASES) {
    it(`leaves no device online after 128 rapid logins whose client ${name}`, async () => {
      const codes = await Promise.all(DEVICES.map((d, i) => misbehave(t.ports.mqtt, d, i % 2 === 0, act)));
      // Every login was accepted (the rounds test presence, not refusals)…
      expect(codes.filter((c) => c === 0)).toHaveLength(DEVICES.length);
      // …and every socket is closed: the broker must agree, and the database with it. (The presence writer batches for
      // up to 100 ms; the reconciliation, 10 minutes away, cannot be what puts it right.)
      await expect.poll(phantoms, { timeout: 15_000 }).toEqual({ inBroker: 0, inDb: 0 });
      const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/linli_mqtt_presence_corrected_total 0\b/);
      // No later login met a phantom and was taken for a cloned device.
      expect(metrics).toMatch(/linli_mqtt_duplicate_client_total 0\n/);
    });
  }

  it('leaves no device online when 128 connections drop between their registration and clientReady', async () => {
    // The race itself, made certain: the socket goes away while Aedes is still setting the session up (after the
    // login succeeded, before the CONNACK and the offline-queue flush). Aedes then emits clientDisconnect first and
    // clientReady after it for the same client; bare Aedes does this for every client that sends CONNECT and closes.
    const ids = new Set(DEVICES.map((d) => d.id));
    const drop = (client: { id: string; conn: { destroy(): void } }) => {
      if (ids.has(client.id)) client.conn.destroy();
    };
    t.gw.broker.aedes.on('client', drop);
    try {
      await Promise.all(DEVICES.map((d, i) => misbehave(t.ports.mqtt, d, i % 2 === 0, () => undefined)));
    } finally {
      t.gw.broker.aedes.off('client', drop);
    }
    await expect.poll(phantoms, { timeout: 15_000 }).toEqual({ inBroker: 0, inDb: 0 });
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/linli_mqtt_presence_corrected_total 0\b/);
  });

  it('still shows a device online while its connection is open', async () => {
    const d = DEVICES[0];
    if (!d) throw new Error('no device');
    const c = await connectClient(t.mqttUrl, { clientId: d.id, username: d.id, password: d.secret });
    await expect.poll(phantoms).toEqual({ inBroker: 1, inDb: 1 });
    await c.endAsync();
    await expect.poll(phantoms).toEqual({ inBroker: 0, inDb: 0 });
  });
});

describe('broker protocol defects', () => {
  let t: TestGateway;
  const [A, B] = DEVICES;
  if (!A || !B) throw new Error('no devices');
  const login = (d: { id: string; secret: string }) => ({ clientId: d.id, username: d.id, password: d.secret });

  beforeAll(async () => {
    t = await startGateway({ AUTH_FAIL_LIMIT: '100000' });
    for (const d of [A, B]) await addDevice(t.gw.db.prisma, d);
  });
  afterAll(() => t.close());

  it('closes the connection on a SUBSCRIBE whose filter holds a NUL', async () => {
    const c = await connectClient(t.mqttUrl, login(A));
    const closed = closedBy(c);
    c.subscribe(`v1/devices/${A.id}/cmd\u0000`, { qos: 1 }, () => undefined);
    await closed;
  });

  it('closes the connection on a SUBSCRIBE whose filter is not UTF-8', async () => {
    const s = await rawSocket(t.ports.mqtt);
    const connack = new Promise<Buffer>((r) => s.once('data', r));
    s.write(connectBytes(A, true));
    expect((await connack)[3]).toBe(0);
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    const filter = Buffer.concat([Buffer.from(`v1/devices/${A.id}/`), Buffer.from([0xc3, 0x28])]);
    const body = Buffer.concat([Buffer.from([0x00, 0x02, filter.length >> 8, filter.length & 0xff]), filter, Buffer.from([0x01])]);
    s.write(Buffer.concat([Buffer.from([0x82, body.length]), body]));
    await closed;
  });

  it('publishes the Will when a DISCONNECT is malformed (remaining length 1)', async () => {
    const s = await rawSocket(t.ports.mqtt);
    const connack = new Promise<Buffer>((r) => s.once('data', r));
    const will = { topic: topicFor('presence', B.id), payload: Buffer.from(JSON.stringify({ status: 'offline', ts: new Date().toISOString() })), qos: 1 as const, retain: true };
    s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: B.id, username: B.id, password: Buffer.from(B.secret), keepalive: 30, clean: true, will }));
    expect((await connack)[3]).toBe(0);
    s.write(Buffer.from([0xe0, 0x01, 0x00]));
    await expect
      .poll(() => t.gw.db.prisma.deviceEvent.count({ where: { deviceId: B.id, channel: 'status', payload: { contains: 'offline' } } }), { timeout: 15_000 })
      .toBe(1);
  });

  it('drops the Will on a well-formed DISCONNECT', async () => {
    const will = { topic: topicFor('presence', A.id), payload: Buffer.from(JSON.stringify({ status: 'offline', ts: new Date().toISOString() })), qos: 1 as const, retain: true };
    const c = await connectClient(t.mqttUrl, { ...login(A), will });
    await c.endAsync();
    // A marker event sent after the disconnect is committed; had the Will been published it would be stored before it.
    const d = await connectClient(t.mqttUrl, login(A));
    await d.publishAsync(topicFor('presence', A.id), JSON.stringify({ status: 'online', ts: new Date().toISOString() }), { qos: 1 });
    await d.endAsync();
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: A.id, channel: 'status', payload: { contains: 'offline' } } })).toBe(0);
  });

  it('answers session present 1 to a persistent session coming back, even without subscriptions', async () => {
    const sessionPresent = async (clean: boolean) => {
      const c = mqtt.connect(t.mqttUrl, { ...login(A), clean, reconnectPeriod: 0, protocolVersion: 4 });
      const connack = await new Promise<mqttPacket.IConnackPacket>((resolve, reject) => {
        c.once('connect', resolve);
        c.once('error', reject);
      });
      await c.endAsync();
      return connack.sessionPresent;
    };
    expect(await sessionPresent(false)).toBe(false); // first time: no session yet
    expect(await sessionPresent(false)).toBe(true);
    expect(await sessionPresent(true)).toBe(false); // a clean session ends it
    expect(await sessionPresent(false)).toBe(false);
  });
});

describe('broker admission control', () => {
  let t: TestGateway;
  const devices = DEVICES.slice(0, 40);

  beforeAll(async () => {
    t = await startGateway({ MQTT_CONNECT_CONCURRENCY: '1', MQTT_CONNECT_QUEUE: '0', AUTH_FAIL_LIMIT: '100000' });
    for (const d of devices) await addDevice(t.gw.db.prisma, d);
  });
  afterAll(() => t.close());

  it('refuses logins beyond its capacity with CONNACK 3, and devices that back off and retry all get in', async () => {
    // The simulator's device link: what a door does with CONNACK 3 (retry after a jittered back-off).
    const links = devices.map((d) => new MqttLink({ clientId: d.id, username: d.id, password: d.secret }, { url: t.mqttUrl, backoff: { baseMs: 50, capMs: 500 } }));
    let busy = 0;
    for (const l of links) l.events.on('busy', () => busy++);
    try {
      const opened = await Promise.all(links.map((l) => l.open()));
      expect(opened.filter((o) => o.ok)).toHaveLength(devices.length);
      expect(busy).toBeGreaterThan(0);
      const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/linli_mqtt_connect_refused_total\{reason="queue_full"\} [1-9]/);
      // Being turned away for load is not a failed login: nothing counts towards the throttle.
      expect(metrics).not.toMatch(/linli_mqtt_auth_failures_total\{/);
      await expect.poll(() => t.gw.broker.connectedCount()).toBe(devices.length);
    } finally {
      await Promise.all(links.map((l) => l.close()));
    }
  }, 180_000);
});
