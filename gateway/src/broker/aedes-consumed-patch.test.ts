import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';

// patches/aedes+1.2.0.patch adds the optional `consumedPublish(client, packet)`: a client's QoS 0/1 message that it
// answers true for is acknowledged as usual and not fanned out (no offline-queue lookup, emitter match or
// `published`). The gateway answers true for every device (hooks/publish.ts); these tests fail without the patch.

let broker: Aedes | undefined;
let server: Server | undefined;
let client: mqtt.MqttClient | undefined;
afterEach(async () => {
  await client?.endAsync(true);
  client = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
  broker = undefined;
  server = undefined;
});

async function start(opts: AedesOptions) {
  broker = await Aedes.createBroker(opts);
  const aedes = broker;
  server = createServer((socket) => aedes.handle(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const fanned: string[] = [];
  aedes.on('publish', (packet, client) => {
    if (client) fanned.push(`${packet.topic}:${packet.payload.toString()}`);
  });
  const { port } = server.address() as AddressInfo;
  client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'door-1', reconnectPeriod: 0 });
  return { fanned, client };
}

describe('Aedes consumedPublish, as patched', () => {
  it('acknowledges a consumed QoS 1 message and a QoS 0 one without fanning them out, and still fans out the rest', async () => {
    const taken: string[] = [];
    const { fanned, client } = await start({
      authorizePublish: (_client, packet, callback) => {
        taken.push(packet.topic);
        callback(null);
      },
      consumedPublish: (_client, packet) => packet.topic.startsWith('v1/'),
    });
    // publishAsync at QoS 1 resolves on the PUBACK.
    await client.publishAsync('v1/devices/door-1/events', 'a', { qos: 1 });
    await client.publishAsync('v1/devices/door-1/heartbeat', 'b', { qos: 0 });
    await client.publishAsync('other/topic', 'c', { qos: 1 });
    await expect.poll(() => fanned, { timeout: 30_000 }).toEqual(['other/topic:c']);
    expect(taken).toEqual(['v1/devices/door-1/events', 'v1/devices/door-1/heartbeat', 'other/topic']);
  });

  it('fans out as before when the option is absent', async () => {
    const { fanned, client } = await start({});
    await client.publishAsync('v1/devices/door-1/events', 'a', { qos: 1 });
    await expect.poll(() => fanned, { timeout: 30_000 }).toEqual(['v1/devices/door-1/events:a']);
  });
});
