/**
 * The one seeded PRNG (mulberry32), for the demo seed (demo/seed: which households, names, plates) and for everything
 * the simulator decides (devices-sim: who walks in when, which lamp fails). The same seed gives the same community
 * and the same day on every machine, so tests, screenshots and bug reports can say "seed 7" and mean one exact
 * sequence. Not for secrets (device secrets, cards and PINs come from node:crypto) and not for reconnect jitter
 * (which must differ between devices and runs; see devices-sim/src/devices/backoff.ts).
 */
export class Random {
  private state: number;
  private readonly origin: number;

  constructor(seed: number | string) {
    this.origin = typeof seed === 'number' ? seed >>> 0 : hash32(seed);
    this.state = this.origin;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform float in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }

  /** Waiting time of a Poisson process with the given mean (arrivals that do not coordinate, like visitors). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Box-Muller; enough for "about 7:45, give or take 20 minutes". */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.int(0, 0xffff).toString(16).padStart(4, '0');
    return s.slice(0, chars);
  }

  /**
   * An independent stream named by `label`, derived from this stream's seed and not from how far it has been drawn:
   * a resident whose door was denied (and so did something different) does not shift any other resident's day.
   */
  fork(label: string): Random {
    return new Random(hash32(`${this.origin}:${label}`));
  }
}

/** cyrb53's mixing, folded to 32 bits: a string seed or label → a well-spread integer. */
export function hash32(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}
