import { LRUCache } from 'lru-cache';

export interface KeypadSettings {
  limit: number;
  windowMs: number;
  lockMs: number;
}

/**
 * Per-door keypad lockout: `limit` wrong codes within `windowMs` lock that door's keypad (PINs and QR codes) for
 * `lockMs`. Cards, faces and plates keep working, so a resident is never locked out of home by someone else guessing.
 * Times are passed in: the caller owns the clock.
 */
export class KeypadLockout {
  private readonly doors = new Map<string, { failures: number[]; lockedUntil: number }>();

  constructor(private readonly s: KeypadSettings) {}

  isLocked(doorId: string, nowMs: number): boolean {
    return (this.doors.get(doorId)?.lockedUntil ?? 0) > nowMs;
  }

  /** Records a wrong code; true when this one locked the keypad. */
  fail(doorId: string, nowMs: number): boolean {
    const d = this.doors.get(doorId) ?? { failures: [], lockedUntil: 0 };
    d.failures = d.failures.filter((t) => nowMs - t < this.s.windowMs);
    d.failures.push(nowMs);
    this.doors.set(doorId, d);
    if (d.failures.length < this.s.limit) return false;
    d.failures = [];
    d.lockedUntil = nowMs + this.s.lockMs;
    return true;
  }
}

/**
 * Anti-passback memory: the last direction each credential went through the perimeter. Forgotten after `resetMs`
 * (someone walked out behind another person), and bounded: it is a convenience check, not a record.
 */
export class PassbackMemory {
  private readonly last: LRUCache<string, { direction: 'in' | 'out'; at: number }>;

  constructor(private readonly resetMs: number) {
    // A 4,000-household compound has some 40,000 credentials; the cache preallocates its slots, so no more than that.
    this.last = new LRUCache({ max: 50_000 });
  }

  lastDirection(holderKey: string | null, nowMs: number): 'in' | 'out' | null {
    if (holderKey === null) return null;
    const e = this.last.get(holderKey);
    return e && nowMs - e.at < this.resetMs ? e.direction : null;
  }

  passed(holderKey: string | null, direction: 'in' | 'out', nowMs: number): void {
    if (holderKey !== null) this.last.set(holderKey, { direction, at: nowMs });
  }
}
