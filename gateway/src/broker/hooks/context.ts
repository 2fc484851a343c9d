import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import type { Logger } from '../../log';
import type { Metrics } from '../../metrics';
import type { DeviceIdentity } from '../acl';
import type { Admission } from '../admission';
import type { LoginThrottle } from '../login-throttle';
import type { boundedPersistence } from '../offline-queue';
import type { BrokerOptions } from '../options';
import type { BrokerPorts } from '../ports';

/**
 * What the broker's hooks (one file per packet type, as Aedes does in lib/handlers/), its presence tracking and its
 * listeners share. createBroker builds it once; each part reads and writes only the maps it names.
 */
export interface BrokerContext {
  readonly opts: BrokerOptions;
  readonly ports: BrokerPorts;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Who a client logged in as; set by authenticate, read by every later hook. */
  readonly identities: WeakMap<Client, DeviceIdentity>;
  /** The device's address per connection stream (from the socket or a PROXY header), for logs and the throttle. */
  readonly addresses: WeakMap<object, string>;
  /** The one open client per online device (diagnostic sessions never appear here). */
  readonly live: Map<string, Client>;
  readonly throttle: LoginThrottle;
  readonly admission: Admission;
  readonly queue: ReturnType<typeof boundedPersistence>;
  /** A login's admission slot, held from its secret check until the client is ready or gone. */
  readonly slots: WeakMap<Client, () => void>;
}

export const addressOf = (ctx: BrokerContext, client: Client) => ctx.addresses.get(client.conn) ?? 'unknown';

export function releaseSlot(ctx: BrokerContext, client: Client): void {
  ctx.slots.get(client)?.();
  ctx.slots.delete(client);
}

/** The transport under a client is closed or closing. */
export function isGone(client: Client): boolean {
  const conn = client.conn as Partial<Duplex>;
  return conn.destroyed === true;
}
