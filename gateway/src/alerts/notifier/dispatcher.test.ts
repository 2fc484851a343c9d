import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Delivery, NotificationRepo } from '../../db/notifications';
import { silentLog } from '../testing';
import { createDispatcher } from './dispatcher';
import type { Notifier, SendOutcome } from './index';
import { sign, verify } from './webhook';

type Row = Delivery & { status: string; nextTryAt: Date | null; lastError: string | null };

function memoryRepo(rows: Row[]): NotificationRepo {
  const find = (id: string) => rows.find((r) => r.id === id)!;
  // Only what the dispatcher calls; the rest of the repository is not used by it.
  return {
    due: async (now: Date) => rows.filter((r) => r.status === 'pending' && r.nextTryAt !== null && r.nextTryAt <= now),
    nextDue: async () => rows.filter((r) => r.status === 'pending').map((r) => r.nextTryAt!).sort((a, b) => a.getTime() - b.getTime())[0] ?? null,
    startAttempt: async (id: string, attempts: number) => void (find(id).attempts = attempts),
    delivered: async (id: string) => void Object.assign(find(id), { status: 'delivered', nextTryAt: null }),
    retryLater: async (id: string, error: string, nextTryAt: Date) => void Object.assign(find(id), { lastError: error, nextTryAt }),
    failed: async (id: string, error: string) => void Object.assign(find(id), { status: 'failed', lastError: error, nextTryAt: null }),
  } as unknown as NotificationRepo;
}

describe('notification dispatcher', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-11-21T12:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  const setup = (outcomes: SendOutcome[], maxAttempts = 5) => {
    const row: Row = { id: 'd1', alertId: 'a1', level: 1, target: 'http://grid', body: '{}', attempts: 0, status: 'pending', nextTryAt: new Date(), lastError: null };
    const times: number[] = [];
    const notifier: Notifier = { send: async () => (times.push(Date.now()), outcomes.shift() ?? { ok: true, status: 200 }) };
    const recorded: Array<[boolean, string]> = [];
    const d = createDispatcher(
      { maxAttempts, backoffMs: 1_000, backoffMaxMs: 8_000, chain: ['guard_station', 'grid_worker'] },
      { repo: memoryRepo([row]), notifier, record: async (_a, ok, note) => void recorded.push([ok, note]), log: silentLog, now: () => new Date(), random: () => 1 },
    );
    return { row, times, recorded, d };
  };

  it('retries with exponential backoff until the receiver answers, counting every attempt', async () => {
    const fail = { ok: false, error: 'HTTP 503', retryable: true } as const;
    const { row, times, recorded, d } = setup([fail, fail, fail]);
    d.kick();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(row).toMatchObject({ status: 'delivered', attempts: 4 });
    const t0 = times[0]!;
    expect(times.map((t) => t - t0)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(recorded).toEqual([[true, 'notify_delivered']]);
    await d.close();
  });

  it('gives up after the last attempt, records the failure, and does not retry what cannot succeed', async () => {
    const { row, recorded, d } = setup([{ ok: false, error: 'HTTP 410', retryable: false }]);
    d.kick();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 410' });
    expect(recorded).toEqual([[false, 'notify_failed']]);
    await d.close();
  });

  it('caps the backoff', async () => {
    const fail = { ok: false, error: 'timeout', retryable: true } as const;
    const { row, times, d } = setup([fail, fail, fail, fail, fail], 6);
    d.kick();
    await vi.advanceTimersByTimeAsync(60_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(row.status).toBe('delivered');
    await d.close();
  });
});

describe('webhook signature', () => {
  const secret = 'a-shared-secret-of-at-least-32-chars';
  it('signs the timestamp and the raw body, and verifies in constant time', () => {
    const sig = sign(secret, '1763726400', '{"a":1}');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify(secret, { timestamp: '1763726400', signature: sig }, '{"a":1}', 1763726400)).toBe(true);
    expect(verify(secret, { timestamp: '1763726400', signature: sig }, '{"a":2}', 1763726400)).toBe(false);
    expect(verify(secret, { timestamp: '1763726401', signature: sig }, '{"a":1}', 1763726400)).toBe(false);
    expect(verify(secret, { timestamp: '1763726400', signature: sig }, '{"a":1}', 1763726400 + 301)).toBe(false);
    expect(verify(secret, { timestamp: undefined, signature: sig }, '{"a":1}', 1763726400)).toBe(false);
  });
});
