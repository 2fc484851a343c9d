import { z } from 'zod';
import { examples } from './examples';
import { type ChannelName, TOPIC_PREFIX, catalogue } from './topics';

/**
 * AsyncAPI 3.0 document of protocol v1, generated from the topic catalogue so it cannot drift from what the broker
 * enforces. Served at /asyncapi.json and checked in as docs/asyncapi.json (see docs/protocol.md).
 */
export function asyncApiDocument(): Record<string, unknown> {
  const names = Object.keys(catalogue) as ChannelName[];
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const name of names) {
    const spec = catalogue[name];
    messages[name] = {
      name,
      title: spec.channel,
      summary: spec.summary,
      contentType: 'application/json',
      payload: z.toJSONSchema(spec.payload, { unrepresentable: 'any' }),
      examples: [{ name: 'example', payload: examples[name] }],
    };
    channels[name] = {
      address: `${TOPIC_PREFIX}/{deviceId}/${spec.channel}`,
      description: `${spec.summary} Device kinds: ${spec.kinds.join(', ')}. QoS ${spec.qos}${spec.retain ? ', retained' : ''}.`,
      parameters: { deviceId: { description: 'The device id (also its MQTT client id and username).' } },
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    operations[name] = {
      // From the gateway's point of view: it receives what devices send and sends what devices receive.
      action: spec.direction === 'up' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${name}` },
      summary: spec.summary,
      bindings: { mqtt: { qos: spec.qos, retain: spec.retain } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Linli device protocol',
      version: '1.0.0',
      description:
        'MQTT 3.1.1 protocol between community devices and the Linli gateway. Client id = username = device id; ' +
        'password = the device secret. A device publishes only to its own up channels and subscribes only to its own ' +
        'down channels, each by exact topic. A QoS 1 message is acknowledged only after the gateway has committed it.',
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: { host: 'gateway:1883', protocol: 'mqtt', description: 'Plain MQTT (also MQTT over TLS on 8883 and over WebSocket at /mqtt when enabled).' },
    },
    channels,
    operations,
    components: { messages },
  };
}
