import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredChange } from '../db/alerts';
import { SETTINGS } from '../rules/testing';
import type { Decision, RaiseDecision } from '../rules/types';
import { createActions } from './actions';
import type { Places } from './places';
import { REPEAT_MIN_INTERVAL_MS, createLifecycle } from './service';
import { AlertStore } from './store';
import { MemoryRepo, silentLog } from './testing';

const places: Places = {
  device: async (id) => ({
    place: { label: `${id} 的位置`, kind: 'household', buildingId: 'b1', unitId: 'u1', householdId: 'hh-1', x: 1, y: 2 },
    tags: ['elderly_alone'],
    householdId: 'hh-1',
    kind: 'indoor_alarm',
    latitude: 34.2583,
    longitude: 108.9286,
  }),
  household: async () => null,
};

const press = (at: Date, over: Partial<RaiseDecision> = {}): Decision => ({
  kind: 'raise', type: 'alarm_press', severity: 'critical', key: 'alarm_press:a1', deviceId: 'a1', householdId: null, at, detail: {}, mode: 'event', ...over,
});

describe('alert lifecycle', () => {
  let repo: MemoryRepo;
  let store: AlertStore;
  let published: StoredChange[];
  let lifecycle: ReturnType<typeof createLifecycle>;
  let actions: ReturnType<typeof createActions>;
  const now = () => new Date();

  beforeEach(async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T12:00:00Z'), toFake: ['Date'] });
    repo = new MemoryRepo();
    published = [];
    store = new AlertStore(repo, silentLog, (c) => published.push(c));
    await store.load();
    lifecycle = createLifecycle({ store, places, settings: SETTINGS, log: silentLog, now, outboxFor: (a, level) => (level > 0 ? [{ id: `n-${a.id}-${level}`, level, target: 'http://x', body: '{}' }] : []) });
    actions = createActions({ store, repo, log: silentLog, now });
  });
  afterEach(() => vi.useRealTimers());

  it('raises an alert with its place, tags, priority and first deadline', async () => {
    lifecycle.apply(press(now()));
    await store.idle();
    const [a] = store.all();
    expect(a).toMatchObject({ status: 'open', latched: true, count: 1, householdId: 'hh-1', tags: ['elderly_alone'], place: { label: 'a1 的位置' }, deadlineKind: 'ack', nextDeadlineAt: '2026-11-21T12:01:00.000Z' });
    expect(published.map((c) => c.action)).toEqual(['raised']);
  });

  it('folds repeated occurrences into the open alert: count and last time, one write for a burst', async () => {
    lifecycle.apply(press(now()));
    await store.idle();
    vi.advanceTimersByTime(5_000);
    for (let i = 0; i < 5; i++) lifecycle.apply(press(now()));
    await store.idle();
    expect(store.all()).toHaveLength(1);
    expect(store.all()[0]).toMatchObject({ count: 6, lastAt: '2026-11-21T12:00:05.000Z' });
    expect(repo.actions()).toEqual(['raised', 'repeated']);
  });

  it('marks every outbox entry of a burst done with the writes that count it, and skips an entry already in flight', async () => {
    // Presses arrive before the first one's alert is written: they fold into one write after the raise.
    for (let i = 1; i <= 50; i++) lifecycle.judge([press(now())], i);
    lifecycle.judge([press(now())], 7);
    expect(lifecycle.inFlight(7)).toBe(true);
    lifecycle.flush();
    await store.idle();
    const alarm = store.all().find((a) => a.type === 'alarm_press');
    expect(alarm).toMatchObject({ count: 50 });
    expect(repo.actions(alarm?.id)).toEqual(['raised', 'repeated']);
    expect([...repo.done].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(lifecycle.inFlight(7)).toBe(false);
  });

  it('raises a press storm once when a button presses faster than the storm rate, and still counts every press', async () => {
    for (let i = 1; i <= 30; i++) lifecycle.judge([press(now())], i);
    lifecycle.flush();
    await store.idle();
    for (let i = 31; i <= 60; i++) lifecycle.judge([press(now())], i);
    lifecycle.flush();
    await store.idle();
    lifecycle.flush();
    await store.idle();
    const byType = Object.fromEntries(store.all().map((a) => [a.type, a]));
    expect(byType.alarm_press).toMatchObject({ count: 60 });
    expect(byType.press_storm).toMatchObject({ severity: 'major', count: 1, deviceId: 'a1' });
    expect(repo.done).toHaveLength(60);
  });

  it('marks an entry done alone when its event changes no alert', async () => {
    lifecycle.judge([], 100);
    lifecycle.judge([{ kind: 'note', key: 'alarm_press:nobody', action: 'cancel_requested', actor: 'device:x', at: now(), note: 'resident_cancel' }], 101);
    lifecycle.flush();
    await store.idle();
    expect(repo.done).toEqual([100, 101]);
    expect(repo.actions()).toEqual([]);
  });

  it('writes the repeats of a flapping condition at most once per interval, folding the rest in', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T12:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    lifecycle.apply(press(now()));
    await store.idle();
    for (let i = 0; i < 40; i++) {
      vi.advanceTimersByTime(100);
      lifecycle.apply(press(now()));
      await store.idle();
    }
    vi.advanceTimersByTime(REPEAT_MIN_INTERVAL_MS);
    await store.idle();
    lifecycle.flush();
    await store.idle();
    const writes = repo.actions().filter((a) => a === 'repeated').length;
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(writes).toBeLessThanOrEqual(3);
    expect(store.all()[0]?.count).toBe(41);
  });

  it('does not count a condition again when it is merely re-evaluated (state mode)', async () => {
    const offline = (at: Date): Decision => ({ kind: 'raise', type: 'device_offline', severity: 'major', key: 'device_offline:a1', deviceId: 'a1', householdId: null, at, detail: {}, mode: 'state' });
    lifecycle.apply(offline(now()));
    await store.idle();
    lifecycle.apply(offline(now()));
    await store.idle();
    expect(store.all()[0]?.count).toBe(1);
    expect(repo.actions()).toEqual(['raised']);
  });

  it('latches a one-key alarm: neither an end of condition nor the device\'s cancel clears it (GB 50394)', async () => {
    lifecycle.apply(press(now()));
    lifecycle.apply({ kind: 'note', key: 'alarm_press:a1', action: 'cancel_requested', actor: 'device:a1', at: now(), note: 'resident_cancel' });
    lifecycle.apply({ kind: 'end', key: 'alarm_press:a1', at: now(), note: 'back_to_normal' });
    await store.idle();
    expect(store.all()[0]).toMatchObject({ status: 'open', cancelRequestedAt: '2026-11-21T12:00:00.000Z' });
    expect(repo.actions()).toEqual(['raised', 'cancel_requested']);
    const id = store.all()[0]!.id;
    expect(await actions.clear(id, 'guard1', '到场复位')).toMatchObject({ ok: true, alert: { status: 'cleared', clearedBy: 'guard1', ackedBy: 'guard1' } });
    expect(repo.actions()).toEqual(['raised', 'cancel_requested', 'acknowledged', 'cleared']);
    // After the reset, a new press is a new alert.
    lifecycle.apply(press(now()));
    await store.idle();
    expect(store.all()).toHaveLength(1);
    expect(store.all()[0]?.id).not.toBe(id);
  });

  it('clears an auto-clearing condition when it ends, and only records the end of a security incident', async () => {
    lifecycle.apply({ kind: 'raise', type: 'light_not_lit', severity: 'minor', key: 'light_not_lit:l1', deviceId: 'l1', householdId: null, at: now(), detail: {}, mode: 'state' });
    lifecycle.apply({ kind: 'raise', type: 'door_held_open', severity: 'major', key: 'door_held_open:d1', deviceId: 'd1', householdId: null, at: now(), detail: {}, mode: 'event' });
    lifecycle.apply({ kind: 'end', key: 'light_not_lit:l1', at: now(), note: 'light_lit' });
    lifecycle.apply({ kind: 'end', key: 'door_held_open:d1', at: now(), note: 'door_closed' });
    lifecycle.apply({ kind: 'end', key: 'door_held_open:d1', at: now(), note: 'door_closed' });
    await store.idle();
    expect(store.all().map((a) => a.type)).toEqual(['door_held_open']);
    expect(repo.history.map((h) => `${h.alert.type}:${h.action}`)).toEqual(['light_not_lit:raised', 'door_held_open:raised', 'light_not_lit:cleared', 'door_held_open:condition_ended']);
  });

  it('escalates once per passed deadline, up the chain, with the notification in the same write', async () => {
    lifecycle.apply(press(now()));
    await store.idle();
    expect(await lifecycle.escalateDue()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(await lifecycle.escalateDue()).toBe(1);
    expect(await lifecycle.escalateDue()).toBe(0);
    expect(store.all()[0]).toMatchObject({ escalationLevel: 1, escalationTarget: 'grid_worker', nextDeadlineAt: '2026-11-21T12:02:00.000Z' });
    expect(repo.outbox.map((o) => o.level)).toEqual([1]);
    // Each level waits its own deadline, counted from when it was told.
    vi.advanceTimersByTime(120_000);
    expect(await lifecycle.escalateDue()).toBe(1);
    expect(await lifecycle.escalateDue()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(await lifecycle.escalateDue()).toBe(1);
    expect(store.all()[0]).toMatchObject({ escalationLevel: 3, escalationTarget: 'street_office', nextDeadlineAt: null });
    expect(repo.actions().filter((a) => a === 'escalated')).toHaveLength(3);
  });

  it('does not escalate twice when the stored level moved on underneath (another process, a restart)', async () => {
    lifecycle.apply(press(now()));
    await store.idle();
    vi.advanceTimersByTime(60_000);
    repo.interfere = true;
    expect(await lifecycle.escalateDue()).toBe(0);
    expect(repo.outbox).toEqual([]);
    expect(store.all()[0]?.escalationLevel).toBe(1);
  });

  it('stops the acknowledgement deadline on acknowledgement, and answers a second one with who was first', async () => {
    lifecycle.apply(press(now()));
    await store.idle();
    const id = store.all()[0]!.id;
    expect(await actions.acknowledge(id, 'guard1', null)).toMatchObject({ ok: true, alert: { nextDeadlineAt: null } });
    expect(await actions.acknowledge(id, 'guard2', null)).toMatchObject({ ok: false, reason: 'already_acknowledged', alert: { ackedBy: 'guard1' } });
    vi.advanceTimersByTime(3_600_000);
    expect(await lifecycle.escalateDue()).toBe(0);
  });

  it('ignores disabled types, but never the one-key alarm (config refuses to disable it)', async () => {
    const l = createLifecycle({ store, places, settings: { ...SETTINGS, disabledTypes: new Set(['clock_drift']) }, log: silentLog, now, outboxFor: () => [] });
    l.apply({ kind: 'raise', type: 'clock_drift', severity: 'warning', key: 'clock_drift:a1', deviceId: 'a1', householdId: null, at: now(), detail: {}, mode: 'state' });
    await store.idle();
    expect(store.all()).toEqual([]);
  });
});
