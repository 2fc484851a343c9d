import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Admitted, createAdmission } from './admission';

const released = (a: Admitted) => {
  if (!a.ok) throw new Error(`refused: ${a.reason}`);
  return a.release;
};

describe('createAdmission', () => {
  afterEach(() => vi.useRealTimers());

  it('admits up to its concurrency at once, then queues in arrival order', async () => {
    const adm = createAdmission({ concurrency: 2, queueLimit: 10, maxWaitMs: 60_000 });
    const a = released(await adm.enter());
    released(await adm.enter());
    const order: number[] = [];
    const third = adm.enter().then((r) => (order.push(3), r));
    const fourth = adm.enter().then((r) => (order.push(4), r));
    expect(adm.active()).toBe(2);
    expect(adm.waiting()).toBe(2);
    a();
    a(); // a second release of the same slot frees nothing more
    expect(released(await third)).toBeTypeOf('function');
    expect(adm.active()).toBe(2);
    expect(adm.waiting()).toBe(1);
    expect(order).toEqual([3]);
    await Promise.resolve();
    expect(order).toEqual([3]);
    void fourth;
  });

  it('refuses at once when the queue is full', async () => {
    const adm = createAdmission({ concurrency: 1, queueLimit: 1, maxWaitMs: 60_000 });
    await adm.enter();
    void adm.enter();
    expect(await adm.enter()).toEqual({ ok: false, reason: 'queue_full' });
  });

  it('refuses a login that waited longer than the bound, and forgets it', async () => {
    vi.useFakeTimers();
    const adm = createAdmission({ concurrency: 1, queueLimit: 5, maxWaitMs: 1_000 });
    const first = released(await adm.enter());
    const waiting = adm.enter();
    vi.advanceTimersByTime(1_001);
    expect(await waiting).toEqual({ ok: false, reason: 'waited_too_long' });
    expect(adm.waiting()).toBe(0);
    first();
    expect(adm.active()).toBe(0);
  });
});
