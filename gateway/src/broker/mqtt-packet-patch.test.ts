import { createRequire } from 'node:module';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';

// patches/mqtt-packet+9.0.2.patch (applied by patch-package on install): the parser Aedes keeps for every connection
// buffers into a plain BufferList instead of a BufferListStream (a Duplex with two stream states and its listeners,
// ~600 bytes a connection for nothing), and no longer keeps the whole CONNECT packet — the device's password among
// it — for as long as the connection lives; it needs only the protocol version. docs/benchmarks.md has the numbers.
describe('mqtt-packet as patched', () => {
  const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'door-1', username: 'door-1', password: Buffer.from('s3cret-device-key'), keepalive: 30, clean: true });
  const publish = mqttPacket.generate({ cmd: 'publish', topic: 'v1/devices/door-1/heartbeat', payload: Buffer.from('{"seq":1}'), qos: 1, messageId: 7, retain: false, dup: false });

  it('parses packets split at every byte, and keeps neither a stream nor the CONNECT packet', () => {
    const parser = mqttPacket.parser();
    const packets: mqttPacket.Packet[] = [];
    parser.on('packet', (p: mqttPacket.Packet) => packets.push(p));
    for (const byte of Buffer.concat([connect, publish])) parser.parse(Buffer.from([byte]));
    expect(packets.map((p) => p.cmd)).toEqual(['connect', 'publish']);
    const pub = packets[1] as mqttPacket.IPublishPacket;
    expect(pub.payload.toString()).toBe('{"seq":1}');
    expect(pub.messageId).toBe(7);

    const internals = parser as unknown as { _list: object; settings: Record<string, unknown> };
    expect(internals._list.constructor.name).toBe('BufferList');
    expect(internals.settings).toEqual({ protocolVersion: 4, bridgeMode: undefined });
  });

  it('is the only mqtt-packet installed (the patch covers what Aedes and MQTT.js load)', () => {
    const require = createRequire(import.meta.url);
    const fromAedes = createRequire(require.resolve('aedes')).resolve('mqtt-packet');
    const fromMqtt = createRequire(require.resolve('mqtt')).resolve('mqtt-packet');
    expect(fromAedes).toBe(require.resolve('mqtt-packet'));
    expect(fromMqtt).toBe(require.resolve('mqtt-packet'));
  });
});
