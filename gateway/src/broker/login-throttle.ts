import { LRUCache } from 'lru-cache';

export interface LoginThrottleOptions {
  /** Failed logins of one client id from one address within the window before that pair is refused. */
  perClientLimit: number;
  /** Failed logins from one address, all client ids together, before the whole address is refused. */
  perAddressLimit: number;
  windowMs: number;
  /** Entries kept at most per table (oldest forgotten first), so a scan of ids costs bounded memory. */
  maxEntries?: number;
}

export type ThrottleVerdict = { refused: false } | { refused: true; scope: 'client' | 'address' };

/**
 * MQTT login failures, counted per (address, client id) and per address. A misconfigured device behind a NAT or
 * a load balancer (every device shares its address) locks out only itself; the per-address ceiling, well above one
 * device's share, still stops one address from guessing across many ids. A success clears only its own pair's
 * count — never the address's, so interleaving good logins does not reset a guessing run (issue #20, item 7).
 * Counts are fixed windows from the first failure.
 */
export class LoginThrottle {
  private readonly pairs: LRUCache<string, { count: number }>;
  private readonly addresses: LRUCache<string, { count: number }>;

  constructor(
    private readonly opts: LoginThrottleOptions,
    now: () => number = () => performance.now(),
  ) {
    const common = { max: opts.maxEntries ?? 20_000, ttl: opts.windowMs, ttlResolution: 0, perf: { now } };
    this.pairs = new LRUCache(common);
    this.addresses = new LRUCache(common);
  }

  check(address: string, clientId: string): ThrottleVerdict {
    if ((this.addresses.get(address)?.count ?? 0) >= this.opts.perAddressLimit) return { refused: true, scope: 'address' };
    if ((this.pairs.get(pairKey(address, clientId))?.count ?? 0) >= this.opts.perClientLimit) return { refused: true, scope: 'client' };
    return { refused: false };
  }

  failed(address: string, clientId: string): void {
    bump(this.pairs, pairKey(address, clientId));
    bump(this.addresses, address);
  }

  succeeded(address: string, clientId: string): void {
    this.pairs.delete(pairKey(address, clientId));
  }
}

const pairKey = (address: string, clientId: string) => `${address}\0${clientId}`;

function bump(cache: LRUCache<string, { count: number }>, key: string): void {
  const entry = cache.get(key) ?? { count: 0 };
  entry.count++;
  // The window runs from the first failure: later ones do not extend it.
  cache.set(key, entry, { noUpdateTTL: entry.count > 1 });
}
