import { describe, expect, it } from 'vitest';
import { Random } from './index';

describe('Random', () => {
  it('repeats its sequence for a seed', () => {
    const a = new Random(42);
    const b = new Random(42);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(new Random('x').int(0, 1_000_000)).toBe(new Random('x').int(0, 1_000_000));
  });

  it('forks streams that do not depend on how far the parent was drawn', () => {
    const a = new Random(1);
    const b = new Random(1);
    b.next();
    b.next();
    expect(a.fork('resident:1').next()).toBe(b.fork('resident:1').next());
    expect(a.fork('resident:1').next()).not.toBe(a.fork('resident:2').next());
  });

  it('stays within bounds', () => {
    const r = new Random(9);
    for (let i = 0; i < 1_000; i++) {
      const n = r.int(3, 5);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
      expect(r.exponential(10)).toBeGreaterThanOrEqual(0);
    }
    expect(r.weighted([['only', 1]])).toBe('only');
  });
});
