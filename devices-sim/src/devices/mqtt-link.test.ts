import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from './mqtt-link';

/** CONNACK, session not present, accepted (MQTT 3.1.1 §3.2). */
const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

/**
 * A broker that accepts the CONNECT and then never acknowledges a PUBLISH: `onPublish` decides whether it keeps the
 * connection (a broker stuck on a write) or drops it (a gateway that refused the message, or a cut link).
 */
async function silentBroker(onPublish: (socket: Socket) => void): Promise<{ url: string; server: Server; published: () => number }> {
  let published = 0;
  const server = createServer((socket) => {
    let connected = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      if (!connected) {
        connected = true;
        socket.write(CONNACK);
        return;
      }
      // PUBLISH is packet type 3; PINGREQ (12) and the rest are ignored.
      if (chunk[0] !== undefined && chunk[0] >> 4 === 3) {
        published++;
        onPublish(socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, server, published: () => published };
}

describe('MqttLink.close', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r) ?? r(undefined));
  });

  // MQTT.js's polite end() waits for every in-flight QoS 1 publish to be acknowledged: forever when the connection
  // is lost meanwhile (nothing will acknowledge it) or the broker never answers.
  for (const [what, onPublish] of [
    ['the connection is lost while a QoS 1 publish waits for its PUBACK', (s: Socket) => setTimeout(() => s.destroy(), 50)],
    ['the broker never acknowledges a QoS 1 publish', () => undefined],
  ] as const) {
    it(`ends when ${what}`, async () => {
      const broker = await silentBroker(onPublish);
      server = broker.server;
      server.on('connection', (s: Socket) => sockets.add(s));
      const link = new MqttLink({ clientId: 'door-1', username: 'door-1', password: 'x' }, { url: broker.url, reconnect: false });
      expect(await link.open()).toEqual({ ok: true });
      const publishing = link.publish('v1/devices/door-1/presence', '{}', { qos: 1, retain: false });
      for (let i = 0; i < 6_000 && broker.published() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(broker.published()).toBe(1);
      await link.close();
      expect(link.connected).toBe(false);
      // The publish never completed: whatever it says, it must not claim success.
      const outcome = await Promise.race([publishing, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 100))]);
      expect(outcome === 'pending' || outcome.ok === false).toBe(true);
    });
  }
});
