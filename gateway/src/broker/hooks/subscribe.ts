import type { AedesOptions } from 'aedes';
import { decideSubscribe } from '../acl';
import type { BrokerContext } from './context';

// U+0000, or U+FFFD — what Node decodes ill-formed UTF-8 into.
const isMalformedFilter = (filter: string) => filter.includes('\u0000') || filter.includes('\uFFFD');

/** SUBSCRIBE: a device may only subscribe inside its own namespace (acl.ts). */
export function authorizeSubscribeHook(ctx: BrokerContext): NonNullable<AedesOptions['authorizeSubscribe']> {
  const { opts, log, metrics } = ctx;
  return (client, sub, callback) => {
    const device = ctx.identities.get(client);
    if (isMalformedFilter(sub.topic)) {
      // MQTT 3.1.1 §1.5.3: a UTF-8 string with U+0000 or ill-formed UTF-8 (decoded as U+FFFD) is a protocol
      // violation, and the server closes the connection — unlike a well-formed filter it merely refuses (below).
      metrics.mqttAclDenied.inc({ op: 'subscribe', reason: 'malformed_filter' });
      log.warn({ deviceId: device?.id }, 'subscription with a malformed filter: closing the connection');
      return callback(new Error('malformed topic filter'), null);
    }
    const verdict = device ? decideSubscribe(device, sub.topic, opts.maxTopicLevels) : ({ ok: false, reason: 'outside_namespace' } as const);
    if (!verdict.ok) {
      metrics.mqttAclDenied.inc({ op: 'subscribe', reason: verdict.reason });
      log.warn({ deviceId: device?.id, topic: sub.topic, reason: verdict.reason }, 'subscription refused');
      // A negative SUBACK (0x80) refuses the filter and keeps the connection, so the device can report it.
      return callback(null, null);
    }
    callback(null, sub);
  };
}
