import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** One address or CIDR block, IPv4 or IPv6 (`10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`). */
const AddressOrCidr = z.string().refine((s) => {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || ip === undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}, 'must be an IP address or a CIDR block such as 10.0.0.0/8');

/** A comma-separated list of addresses/CIDR blocks from the environment. */
export const AddressList = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(AddressOrCidr));

/** Whether an address (as a socket reports it, IPv4-mapped IPv6 included) is in the list. */
export function addressMatcher(list: readonly string[]): (address: string) => boolean {
  if (list.length === 0) return () => false;
  const block = new BlockList();
  for (const entry of list) {
    const [ip = '', bits] = entry.split('/');
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) block.addAddress(ip, type);
    else block.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && block.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address for a request that may have come through trusted proxies: X-Forwarded-For read from the
 * right, skipping trusted hops, as Fastify's trustProxy does for HTTP routes (used for MQTT over WebSocket, which
 * upgrades before Fastify sees the request).
 */
export function forwardedClient(peer: string, forwardedFor: string | string[] | undefined, isTrusted: (address: string) => boolean): string {
  if (!isTrusted(peer) || forwardedFor === undefined) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => s.trim()).filter((s) => isIP(s) !== 0);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    client = hops[i] ?? client;
    if (!isTrusted(client)) break;
  }
  return client;
}
