import { LRUCache } from 'lru-cache';

/** Per-key token buckets (rate per second, burst), bounded in memory by an LRU. */
export class TokenBuckets {
  private readonly buckets = new LRUCache<string, { tokens: number; at: number }>({ max: 20_000 });

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
  ) {}

  take(key: string, nowMs: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.ratePerSec);
    b.at = nowMs;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }
}

export type Qos0Verdict = 'pass' | 'drop' | 'drop_and_answer';

/**
 * QoS 0 beyond the device's token bucket is dropped; the device is told on its error topic at most once a second,
 * so the error topic cannot amplify a flood.
 */
export function createQos0Gate(ratePerSec: number, burst: number) {
  const buckets = new TokenBuckets(ratePerSec, burst);
  // Bounded like the buckets: one entry per device.
  const answered = new LRUCache<string, true>({ max: 20_000, ttl: 1_000 });
  return (deviceId: string, nowMs: number): Qos0Verdict => {
    if (buckets.take(deviceId, nowMs)) return 'pass';
    if (answered.has(deviceId)) return 'drop';
    answered.set(deviceId, true);
    return 'drop_and_answer';
  };
}
