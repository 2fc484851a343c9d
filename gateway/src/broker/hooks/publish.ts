import type { AedesOptions } from 'aedes';
import { decidePublish } from '../acl';
import type { BrokerContext } from './context';

/**
 * PUBLISH from a device: the ACL, then the whole ingest pipeline *inside* this hook — Aedes writes a QoS 1 PUBACK
 * as soon as the callback fires, so it fires only once the event is durable (docs/architecture.md).
 */
export function authorizePublishHook(ctx: BrokerContext): NonNullable<AedesOptions['authorizePublish']> {
  const { opts, ports, log, metrics } = ctx;
  return (client, packet, callback) => {
    // Internal publishes (client === null) come from the gateway itself and are validated in publishTo.
    if (!client) return callback(null);
    const device = ctx.identities.get(client);
    if (!device) return callback(new Error('not authenticated'));
    const verdict = decidePublish(device, packet.topic, opts.maxTopicLevels);
    if (verdict.ok === false) {
      metrics.mqttAclDenied.inc({ op: 'publish', reason: verdict.reason });
      log.warn({ deviceId: device.id, topic: packet.topic, reason: verdict.reason }, 'publish refused');
      return callback(new Error(`publish refused: ${verdict.reason}`));
    }
    // Nobody may subscribe to another device's topics, and presence lives in the database, so a retained copy
    // serves no one — and Aedes' memory persistence scans every retained message on every SUBSCRIBE, which makes
    // a reconnect storm quadratic in the number of devices (10,000 devices: minutes). Wills included.
    packet.retain = false;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (verdict.ok === 'unknown_channel') {
      ports.unknownChannel(device, packet.topic, payload);
      return callback(null);
    }
    ports.ingest(device, verdict.name, packet.topic, payload, packet.qos, packet.dup).then(
      () => callback(null),
      (err: unknown) => {
        log.error({ err, deviceId: device.id, topic: packet.topic }, 'ingest failed: dropping connection without acknowledging');
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}

/**
 * Every PUBLISH a device may send goes up (the ACL refuses any other), and nobody may subscribe to another device's
 * topics nor to upward ones (acl.ts decideSubscribe): once authorizePublishHook has taken a device's message, Aedes'
 * fan-out (offline-queue lookup, emitter match, `published`) could reach no one. The patched Aedes acknowledges it and
 * skips that work (patches/aedes+1.2.0.patch, docs/architecture.md "The broker's own guards").
 */
export function consumedPublishHook(ctx: BrokerContext): NonNullable<AedesOptions['consumedPublish']> {
  return (client) => ctx.identities.has(client);
}

/** Outgoing PUBLISH: devices only ever receive what the gateway publishes to them; never another device's message. */
export function authorizeForwardHook(ctx: BrokerContext): NonNullable<AedesOptions['authorizeForward']> {
  return (client, packet) => {
    const device = ctx.identities.get(client);
    if (!device || !packet.topic.startsWith(`v1/devices/${device.id}/`)) return null;
    return packet;
  };
}
