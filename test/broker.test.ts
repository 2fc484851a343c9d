import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { Command, DoorState, topicFor } from '../gateway/src/contracts';
import { addDevice } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { closedBy, connectClient, nextMessage, rawSocket, refusal, timeUntilClosed } from './helpers/mqtt';

const DOOR = { id: 'door-b01-u1', kind: 'face_terminal', secret: 'door-secret-0001' } as const;
const LAMP = { id: 'lamp-001', kind: 'streetlight', secret: 'lamp-secret-0001' } as const;
const OFF = { id: 'door-b09-u9', kind: 'face_terminal', secret: 'disabled-secret-1', enabled: false } as const;

const doorState = (eventId: string) =>
  JSON.stringify(DoorState.parse({ eventId, ts: new Date().toISOString(), state: 'open', cause: 'grant' }));

describe('embedded broker', () => {
  let t: TestGateway;
  const login = (d: { id: string; secret: string }) => ({ clientId: d.id, username: d.id, password: d.secret });

  beforeAll(async () => {
    t = await startGateway({ MQTT_CONNECT_TIMEOUT_MS: '400', MQTT_MAX_PACKET_BYTES: '4096', AUTH_FAIL_LIMIT: '1000' });
    for (const d of [DOOR, LAMP, OFF]) await addDevice(t.gw.db.prisma, d);
  });
  afterAll(() => t.close());

  describe('allowed paths', () => {
    it('accepts a device with its secret and commits its QoS 1 event before the PUBACK', async () => {
      const c = await connectClient(t.mqttUrl, login(DOOR));
      await c.publishAsync(topicFor('doorState', DOOR.id), doorState('ev-allowed-1'), { qos: 1 });
      const row = await t.gw.db.prisma.deviceEvent.findUnique({ where: { deviceId_eventId: { deviceId: DOOR.id, eventId: 'ev-allowed-1' } } });
      expect(row?.channel).toBe('door/state');
      await c.endAsync();
    });

    it('grants a subscription to the device’s own inbound channel and delivers to it', async () => {
      const c = await connectClient(t.mqttUrl, login(DOOR));
      const granted = await c.subscribeAsync(topicFor('command', DOOR.id), { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
      const got = nextMessage(c, topicFor('command', DOOR.id));
      await t.gw.broker.publishTo(DOOR.id, 'command', { type: 'open', commandId: 'cmd-1', reason: 'test', ts: new Date().toISOString() });
      expect(JSON.parse((await got).toString())).toMatchObject({ type: 'open', commandId: 'cmd-1' });
      await c.endAsync();
    });

    it('records the device online in the database while connected', async () => {
      const c = await connectClient(t.mqttUrl, login(LAMP));
      await expect.poll(async () => (await t.gw.db.prisma.device.findUnique({ where: { id: LAMP.id } }))?.online).toBe(true);
      await c.endAsync();
      await expect.poll(async () => (await t.gw.db.prisma.device.findUnique({ where: { id: LAMP.id } }))?.online).toBe(false);
    });

    it('accepts MQTT over WebSocket at /mqtt', async () => {
      const c = await connectClient(t.wsUrl, login(LAMP));
      expect(c.connected).toBe(true);
      await c.endAsync();
    });
  });

  describe('refusals at login', () => {
    it('refuses a wrong secret with CONNACK 4 (bad user name or password)', async () => {
      expect(await refusal(t.mqttUrl, { ...login(DOOR), password: 'wrong' })).toBe(4);
    });
    it('refuses an unknown device with CONNACK 5 (not authorised)', async () => {
      expect(await refusal(t.mqttUrl, login({ id: 'door-unknown', secret: 'x' }))).toBe(5);
    });
    it('refuses a disabled device with CONNACK 5', async () => {
      expect(await refusal(t.mqttUrl, login(OFF))).toBe(5);
    });
    it('refuses an anonymous client with CONNACK 5', async () => {
      expect(await refusal(t.mqttUrl, { clientId: DOOR.id })).toBe(5);
    });
    it('refuses an empty client id with a persistent session with CONNACK 2 (identifier rejected)', async () => {
      // Neither MQTT.js nor mqtt-packet will produce this packet, so its bytes are written out (MQTT 3.1.1 §3.1).
      const str = (v: string) => {
        const b = Buffer.from(v, 'utf8');
        return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
      };
      const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc0, 0, 30]), str(''), str(DOOR.id), str(DOOR.secret)]);
      const s = await rawSocket(t.ports.mqtt);
      const connack = new Promise<Buffer>((resolve) => s.once('data', resolve));
      s.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
      expect([...(await connack)]).toEqual([0x20, 0x02, 0x00, 0x02]);
      s.destroy();
    });
    it('refuses a username that is not the client id', async () => {
      expect(await refusal(t.mqttUrl, { clientId: DOOR.id, username: LAMP.id, password: LAMP.secret })).toBe(4);
    });
    it('refuses a Will on another device’s topic', async () => {
      const will = { topic: topicFor('presence', LAMP.id), payload: Buffer.from('{}'), qos: 1 as const, retain: true };
      expect(await refusal(t.mqttUrl, { ...login(DOOR), will })).toBe(5);
    });
  });

  describe('refusals after login', () => {
    it('disconnects a device that publishes to another device’s topic, and stores nothing', async () => {
      const c = await connectClient(t.mqttUrl, login(DOOR));
      const closed = closedBy(c);
      c.publish(topicFor('doorState', 'door-b02-u1'), doorState('ev-cross-1'), { qos: 1 });
      await closed;
      expect(await t.gw.db.prisma.deviceEvent.count({ where: { eventId: 'ev-cross-1' } })).toBe(0);
    });

    it('disconnects a device that publishes on a channel of another kind', async () => {
      const c = await connectClient(t.mqttUrl, login(LAMP));
      const closed = closedBy(c);
      c.publish(topicFor('doorState', LAMP.id), doorState('ev-kind-1'), { qos: 1 });
      await closed;
      expect(await t.gw.db.prisma.deviceEvent.count({ where: { eventId: 'ev-kind-1' } })).toBe(0);
    });

    it('disconnects a publish whose topic holds a NUL', async () => {
      const c = await connectClient(t.mqttUrl, login(DOOR));
      const closed = closedBy(c);
      c.publish(`v1/devices/${DOOR.id}/door\u0000/state`, doorState('ev-nul-1'), { qos: 1 });
      await closed;
    });

    it('refuses # and $SYS subscriptions and another device’s topics with a negative SUBACK', async () => {
      const c = await connectClient(t.mqttUrl, login(DOOR));
      const refused = c.subscribeAsync(['#', '$SYS/#', `v1/devices/${DOOR.id}/#`, topicFor('command', LAMP.id), topicFor('doorState', DOOR.id)], { qos: 1 });
      await expect(refused).rejects.toMatchObject({ packet: { granted: [128, 128, 128, 128, 128] } });
      expect(c.connected).toBe(true);
      await c.endAsync();
    });
  });

  describe('hardening', () => {
    it('closes a connection whose first packet announces more than the size limit, before reading it', async () => {
      const s = await rawSocket(t.ports.mqtt);
      const closed = timeUntilClosed(s);
      // CONNECT with a remaining length of 200 MB: only the 5 header bytes are ever sent.
      s.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x60]));
      expect(await closed).toBeLessThan(1_000);
    });

    it('closes a connection whose first packet is not a CONNECT', async () => {
      const s = await rawSocket(t.ports.mqtt);
      const closed = timeUntilClosed(s);
      s.write(Buffer.from([0x30, 0x02, 0x00, 0x00]));
      expect(await closed).toBeLessThan(1_000);
    });

    it('closes an idle socket that never sends CONNECT after the connect timeout', async () => {
      const s = await rawSocket(t.ports.mqtt);
      const ms = await timeUntilClosed(s);
      expect(ms).toBeGreaterThanOrEqual(300);
      expect(ms).toBeLessThan(5_000);
    });

    it('counts a second connection with an already-connected device id as a possible clone', async () => {
      const first = await connectClient(t.mqttUrl, login(LAMP));
      // Taken over, the first client's socket may be reset under it: that is the point, not a test failure.
      first.on('error', () => {});
      const taken = closedBy(first);
      const second = await connectClient(t.mqttUrl, login(LAMP));
      await taken;
      const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/linli_mqtt_duplicate_client_total [1-9]/);
      await second.endAsync();
    });
  });
});

describe('login throttling', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ AUTH_FAIL_LIMIT: '3', AUTH_FAIL_ADDRESS_LIMIT: '8', AUTH_FAIL_WINDOW_MS: '60000' });
    await addDevice(t.gw.db.prisma, DOOR);
    await addDevice(t.gw.db.prisma, LAMP);
  });
  afterAll(() => t.close());

  it('refuses a device id that kept failing, even with the right secret, while its neighbour behind the same NAT logs in', async () => {
    for (let i = 0; i < 3; i++) expect(await refusal(t.mqttUrl, { clientId: DOOR.id, username: DOOR.id, password: 'bad' })).toBe(4);
    expect(await refusal(t.mqttUrl, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret })).toBe('closed');
    // Same address (127.0.0.1), another device: unaffected by its misconfigured neighbour.
    const good = await connectClient(t.mqttUrl, { clientId: LAMP.id, username: LAMP.id, password: LAMP.secret });
    expect(good.connected).toBe(true);
    await good.endAsync();
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/linli_mqtt_throttled_connections_total [1-9]/);
  });

  it('refuses the whole address past its ceiling, and good logins in between do not reset it', async () => {
    // 3 failures above; 5 more across other ids, with a good login after each but the last, reach the ceiling of 8.
    const guess = (i: number) => refusal(t.mqttUrl, { clientId: `door-guess-${i}`, username: `door-guess-${i}`, password: 'bad' });
    for (let i = 0; i < 4; i++) {
      expect(await guess(i)).toBe(5);
      const good = await connectClient(t.mqttUrl, { clientId: LAMP.id, username: LAMP.id, password: LAMP.secret });
      await good.endAsync();
    }
    expect(await guess(4)).toBe(5);
    expect(await refusal(t.mqttUrl, { clientId: LAMP.id, username: LAMP.id, password: LAMP.secret })).toBe('closed');
  });
});

describe('keepalive bound', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ MQTT_MAX_KEEPALIVE_SEC: '120' });
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(() => t.close());

  it('refuses a CONNECT without keepalive or with one above the bound, and accepts one within it', async () => {
    const as = (keepalive: number) => ({ clientId: DOOR.id, username: DOOR.id, password: DOOR.secret, keepalive });
    expect(await refusal(t.mqttUrl, as(0))).not.toBe(0);
    expect(await refusal(t.mqttUrl, as(121))).not.toBe(0);
    const ok = await connectClient(t.mqttUrl, as(120));
    expect(ok.connected).toBe(true);
    await ok.endAsync();
  });
});

describe('offline queue', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ MQTT_OFFLINE_QUEUE_LIMIT: '5' });
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(() => t.close());

  it('keeps the newest messages up to the configured number for an offline persistent session', async () => {
    const opts = { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret, clean: false };
    const first = await connectClient(t.mqttUrl, opts);
    await first.subscribeAsync(topicFor('command', DOOR.id), { qos: 1 });
    await first.endAsync();
    for (let i = 0; i < 12; i++) {
      await t.gw.broker.publishTo(DOOR.id, 'command', { type: 'sync_credentials', commandId: `c-${i}`, ts: new Date().toISOString() });
    }
    const received: string[] = [];
    const again = mqtt.connect(t.mqttUrl, { ...opts, reconnectPeriod: 0 });
    again.on('message', (_t, p) => received.push(Command.parse(JSON.parse(p.toString())).commandId));
    await expect.poll(() => received.length).toBe(5);
    await new Promise((r) => setTimeout(r, 200));
    // A door wants the latest commands (a newer credential sync supersedes older ones): the oldest were dropped.
    expect(received).toEqual(['c-7', 'c-8', 'c-9', 'c-10', 'c-11']);
    expect(await (await fetch(`${t.httpUrl}/metrics`)).text()).toMatch(/linli_mqtt_offline_queue_dropped_total 7/);
    await again.endAsync();
  });
});

describe('MQTT over TLS', () => {
  let t: TestGateway;
  beforeAll(async () => {
    const { dir } = await import('./helpers/gateway').then((m) => m.freshDatabase());
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    t = await startGateway({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(() => t.close());

  it('accepts a device over TLS when a certificate is configured', async () => {
    const c = await connectClient(`mqtts://127.0.0.1:${t.ports.mqtts}`, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret, rejectUnauthorized: false });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});

describe('device secrets: keyed hash, argon2id rows upgraded', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
    // addDevice stores argon2id, as every device enrolled before keyed hashes.
    await addDevice(t.gw.db.prisma, DOOR);
  });
  afterAll(() => t.close());

  it('an argon2id row logs in once and is upgraded to the keyed hash; a rotated secret replaces it at once', async () => {
    const login = { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret };
    const stored = async () => (await t.gw.db.prisma.device.findUniqueOrThrow({ where: { id: DOOR.id } })).secretHash;
    expect(await stored()).toMatch(/^\$argon2id\$/);
    await (await connectClient(t.mqttUrl, login)).endAsync();
    await expect.poll(stored, { timeout: 10_000 }).toMatch(/^hmac-sha256\$[\w-]{43}$/);
    expect(await stored()).not.toContain(DOOR.secret);
    // The keyed hash opens with the secret and nothing else.
    await (await connectClient(t.mqttUrl, login)).endAsync();
    expect(await refusal(t.mqttUrl, { ...login, password: `${DOOR.secret}x` })).toBe(4);
    expect(await refusal(t.mqttUrl, { ...login, password: '' })).toBe(4);
    // Rotate the secret: the old one no longer opens.
    const { hashDeviceSecret } = await import('../gateway/src/auth/hash');
    await t.gw.db.prisma.device.update({ where: { id: DOOR.id }, data: { secretHash: hashDeviceSecret(t.gw.credentialKey, DOOR.id, 'rotated-secret-0001') } });
    expect(await refusal(t.mqttUrl, login)).toBe(4);
    await (await connectClient(t.mqttUrl, { ...login, password: 'rotated-secret-0001' })).endAsync();
  });
});
