import { z } from 'zod';
import { examples } from './examples';
import { type ChannelName, TOPIC_PREFIX, catalogue } from './topics';

/** Where devices reach this gateway: the served document names the listeners the configuration enables. */
export interface ProtocolServers {
  /** Host name devices use (the listeners' bind address says nothing useful when it is 0.0.0.0). */
  host: string;
  mqttPort: number;
  /** The MQTT-over-TLS port, when TLS is configured. */
  tlsPort?: number | undefined;
  /** The HTTP port carrying MQTT over WebSocket at /mqtt. */
  wsPort?: number | undefined;
}

/** The checked-in docs/asyncapi.json describes a default installation. */
export const DEFAULT_SERVERS: ProtocolServers = { host: 'gateway', mqttPort: 1883, wsPort: 8080 };

const SECURITY = [{ $ref: '#/components/securitySchemes/deviceSecret' }];

function serversOf(s: ProtocolServers): Record<string, unknown> {
  const out: Record<string, unknown> = {
    mqtt: { host: `${s.host}:${s.mqttPort}`, protocol: 'mqtt', protocolVersion: '3.1.1', description: 'Plain MQTT.', security: SECURITY },
  };
  if (s.tlsPort !== undefined) out.mqtts = { host: `${s.host}:${s.tlsPort}`, protocol: 'secure-mqtt', protocolVersion: '3.1.1', description: 'MQTT over TLS.', security: SECURITY };
  if (s.wsPort !== undefined) out.ws = { host: `${s.host}:${s.wsPort}`, pathname: '/mqtt', protocol: 'ws', description: 'MQTT over WebSocket (same HTTP port as the API).', security: SECURITY };
  return out;
}

/**
 * AsyncAPI 3.0 document of protocol v1, generated from the topic catalogue so it cannot drift from what the broker
 * enforces. Served at /asyncapi.json (servers from the running configuration) and checked in as docs/asyncapi.json
 * (a default installation; see docs/protocol.md).
 */
export function asyncApiDocument(servers: ProtocolServers = DEFAULT_SERVERS): Record<string, unknown> {
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
    servers: serversOf(servers),
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        deviceSecret: {
          type: 'userPassword',
          description:
            'MQTT CONNECT with username = client id = the device id and password = the secret the device was given at ' +
            'enrolment. Wrong credentials are answered CONNACK 5 (not authorised); an address failing too often is cut off.',
        },
      },
    },
  };
}
