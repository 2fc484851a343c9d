import { once } from 'node:events';
import { type Socket, createServer } from 'node:net';
import { CommandAck, DoorState, LightState, Presence, topicFor } from '@linli/gateway/contracts';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceleratedClock } from './clock';
import { FaceTerminal, Streetlight, mqttLinks } from './devices';
import { runLoad } from './load';

/** A bare Aedes broker on a real port, which can be killed and brought back on the same port (a gateway restart). */
async function startBroker(port = 0) {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  const publishes: string[] = [];
  broker.on('publish', (packet, client) => {
    if (client) publishes.push(packet.topic);
  });
  return {
    url: `mqtt://127.0.0.1:${bound}`,
    port: bound,
    publishes,
    async stop() {
      // Sockets first: an abrupt end, like a killed process, rather than a polite DISCONNECT.
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

type Broker = Awaited<ReturnType<typeof startBroker>>;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function watcher(url: string, topics: string[]) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  cleanups.push(() => client.endAsync(true));
  const seen: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  await client.subscribeAsync(topics, { qos: 1 });
  return { client, seen };
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('devices over real MQTT (Aedes)', () => {
  let broker: Broker;

  it('announces itself online, counts PUBACKs as acked, and leaves an offline Will when cut off', async () => {
    broker = await startBroker();
    cleanups.push(() => broker.stop());
    const w = await watcher(broker.url, ['v1/devices/+/status', 'v1/devices/+/door/state']);
    const door = new FaceTerminal({ id: 'door-b01-u1', secret: 'secret-0123456789', link: mqttLinks({ url: broker.url }), clock: new AcceleratedClock() });
    cleanups.push(() => door.close());
    expect(await door.start()).toEqual({ ok: true });
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => door.reportDoor(i % 2 === 0 ? 'open' : 'closed', 'grant')));
    expect(sent.every((s) => s.ok)).toBe(true);
    await until(() => door.acked >= 21);
    expect(door.latency.count).toBe(21);
    await until(() => w.seen.filter((m) => m.topic.endsWith('door/state')).length === 20);
    for (const m of w.seen.filter((x) => x.topic.endsWith('door/state'))) DoorState.parse(JSON.parse(m.payload));

    await door.close({ abrupt: true });
    await until(() => w.seen.some((m) => m.topic === topicFor('presence', 'door-b01-u1') && m.payload.includes('offline')));
    const statuses = w.seen.filter((m) => m.topic.endsWith('/status')).map((m) => Presence.parse(JSON.parse(m.payload)).status);
    expect(statuses).toEqual(['online', 'offline']);
  });

  it('reconnects with jittered backoff after the broker goes away and resends what was not acknowledged', async () => {
    broker = await startBroker();
    const port = broker.port;
    const delays: [number, number][] = [];
    const door = new FaceTerminal({
      id: 'door-b01-u2',
      link: mqttLinks({ url: broker.url, backoff: { baseMs: 40, capMs: 200 } }),
      clock: new AcceleratedClock(),
    });
    // Abrupt: the broker may be gone when this runs, and a graceful close would wait for a PUBACK.
    cleanups.push(() => door.close({ abrupt: true }));
    door.events.on('reconnecting', (delay, attempt) => delays.push([delay, attempt]));
    expect((await door.start()).ok).toBe(true);
    await until(() => door.acked === 1);

    await broker.stop();
    await until(() => !door.connected);
    // Published while the gateway is down: held by the client and sent on the next session.
    const pending = Array.from({ length: 5 }, () => door.reportDoor('open', 'grant'));
    await until(() => delays.length >= 3);
    broker = await startBroker(port);
    cleanups.push(() => broker.stop());

    const outcomes = await Promise.all(pending);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await until(() => broker.publishes.filter((t) => t.endsWith('door/state')).length === 5);
    await until(() => door.acked === door.sent);
    for (const [delay, attempt] of delays) expect(delay).toBeLessThanOrEqual(Math.min(200, 40 * 2 ** attempt));
    expect(delays.map(([, a]) => a).slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('obeys a set_light command from the broker: new state, then the ack', async () => {
    broker = await startBroker();
    cleanups.push(() => broker.stop());
    const w = await watcher(broker.url, ['v1/devices/lamp-001/light/state', 'v1/devices/lamp-001/commands/ack']);
    const lamp = new Streetlight({ id: 'lamp-001', link: mqttLinks({ url: broker.url }), clock: new AcceleratedClock() });
    cleanups.push(() => lamp.close());
    await lamp.start();
    await until(() => lamp.acked === 1);
    await w.client.publishAsync(
      topicFor('command', 'lamp-001'),
      JSON.stringify({ type: 'set_light', commandId: 'cmd-9', on: true, brightness: 70, ts: '2025-03-01T18:30:00+08:00' }),
      { qos: 1 },
    );
    await until(() => w.seen.length === 2);
    expect(LightState.parse(JSON.parse(w.seen[0]?.payload ?? ''))).toMatchObject({ on: true, brightness: 70 });
    expect(CommandAck.parse(JSON.parse(w.seen[1]?.payload ?? ''))).toMatchObject({ commandId: 'cmd-9', result: 'done' });
  });

  it('load mode drives a bare broker at a fixed rate and counts every delivery', async () => {
    broker = await startBroker();
    cleanups.push(() => broker.stop());
    const report = await runLoad({ url: broker.url, topicMode: 'bare', connections: 4, rate: 200, durationSec: 1, quiet: true, rampIntervalMs: 0 });
    expect(report).toMatchObject({ sent: 200, acked: 200, errors: 0, delivered: 200, connectFailures: 0 });
    expect(report.latencyMs.count).toBe(200);
  });

  it('load mode saturates with device identities and bounded windows', async () => {
    broker = await startBroker();
    cleanups.push(() => broker.stop());
    const devices = [
      { id: 'door-b01-u1', kind: 'face_terminal' as const },
      { id: 'lamp-001', kind: 'streetlight' as const },
      { id: 'gate-vehicle', kind: 'vehicle_gate' as const },
    ];
    const report = await runLoad({ url: broker.url, devices, connections: 3, rate: 'max', durationSec: 0.5, window: 4, quiet: true });
    expect(report.sent).toBeGreaterThan(50);
    expect(report.acked).toBe(report.sent);
    expect(report.errors).toBe(0);
    expect(broker.publishes.some((t) => t === 'v1/devices/lamp-001/light/state')).toBe(true);
    expect(broker.publishes.some((t) => t.startsWith('v1/devices/lamp-001/door'))).toBe(false);
  });
});
