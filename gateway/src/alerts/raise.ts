import { randomUUID } from 'node:crypto';
import type { Alert } from '../contracts/api/alerts';
import type { PlaceInfo } from '../db/alert-sources';
import { firstDeadline } from '../rules/escalation';
import { type AlertSettings, type RaiseDecision, TYPES, keyOf, priorityOf } from '../rules/types';
import { traceAlarm } from '../metrics/alarm-trace';
import { type LifecycleContext, type Repeats, doneAlone, retry } from './lifecycle-context';

/**
 * A device repeating a condition (a flapping lamp, a stuck door sensor) writes the open alert's count at most this
 * often; the occurrences in between are folded in. Without it a device at 100 messages/s would cost an fsync'd
 * transaction per burst, and the alert writes would crowd out ingest. A new alert is never delayed.
 */
export const REPEAT_MIN_INTERVAL_MS = 2_000;
/**
 * Presses of one alarm button per second, over a burst of at least STORM_MIN_PRESSES, that make the rate itself an
 * alert (press_storm: a stuck or abused button; every press is still stored and counted on the alarm).
 */
export const STORM_PRESSES_PER_SEC = 5;
export const STORM_MIN_PRESSES = 10;

/** A raise decision: a new alert, or one more occurrence of the open (or opening) one with its key. */
export function applyRaise(ctx: LifecycleContext, d: RaiseDecision, done: readonly number[]): void {
  if (ctx.settings.disabledTypes.has(d.type)) return doneAlone(ctx, done);
  const open = ctx.store.byKey(d.key);
  if ((open || ctx.raising.has(d.key)) && d.mode === 'state') return doneAlone(ctx, done);
  if (open || ctx.raising.has(d.key)) return foldRepeat(ctx, d, open !== undefined, done);
  const { raising } = ctx;
  raising.set(d.key, (raising.get(d.key) ?? 0) + 1);
  const task = () =>
    ctx.store.run(() =>
      raise(ctx, d, 1, [...done]).finally(() => {
        const n = (raising.get(d.key) ?? 1) - 1;
        if (n > 0) raising.set(d.key, n);
        else raising.delete(d.key);
      }),
    );
  retry(ctx, task, done, d.key);
}

/** Folds an occurrence into the open (or opening) alert: one write for the whole burst, after the raise if one is queued. */
function foldRepeat(ctx: LifecycleContext, d: RaiseDecision, open: boolean, done: readonly number[]): void {
  const { repeats } = ctx;
  const r = repeats.get(d.key);
  if (r) {
    r.n++;
    r.last = d;
    r.done.push(...done);
    return;
  }
  repeats.set(d.key, { n: 1, first: d.at, last: d, done: [...done] });
  const go = () => {
    ctx.delayed.delete(d.key);
    let taken: Repeats | undefined;
    const task = () =>
      ctx.store.run(async () => {
        taken ??= repeats.get(d.key);
        if (repeats.get(d.key) === taken) repeats.delete(d.key);
        if (taken) await flushRepeats(ctx, d.key, taken);
      });
    retry(ctx, task, () => taken?.done ?? [], d.key);
  };
  const wait = open ? REPEAT_MIN_INTERVAL_MS - (ctx.now().getTime() - (ctx.lastRepeatAt.get(d.key) ?? 0)) : 0;
  if (wait > 0) ctx.delayed.set(d.key, { timer: setTimeout(go, wait).unref(), go });
  else go();
}

/** Writes a burst of occurrences: one more count on the open alert, or a new alert if it was cleared meanwhile. */
async function flushRepeats(ctx: LifecycleContext, key: string, r: Repeats): Promise<void> {
  const storm = stormOf(r);
  if (storm) ctx.apply(storm);
  const { store, now } = ctx;
  const open = store.byKey(key);
  if (!open) return raise(ctx, r.last, r.n, r.done);
  const after: Alert = { ...open, count: open.count + r.n, lastAt: r.last.at.toISOString(), detail: { ...open.detail, ...r.last.detail } };
  ctx.lastRepeatAt.set(key, now().getTime());
  await store.update(open, after, key, { action: 'repeated', actor: 'system', at: now(), note: null, detail: { occurrences: r.n }, source: r.last.source ?? null }, [], r.done);
}

/** A burst of alarm presses faster than STORM_PRESSES_PER_SEC is itself an alert (once while it stays open). */
export function stormOf(r: Pick<Repeats, 'n' | 'first' | 'last'>): RaiseDecision | null {
  if (r.last.type !== 'alarm_press' || r.last.deviceId === null || r.n < STORM_MIN_PRESSES) return null;
  const sec = Math.max(1, (r.last.at.getTime() - r.first.getTime()) / 1000);
  const rate = r.n / sec;
  if (rate < STORM_PRESSES_PER_SEC) return null;
  return {
    kind: 'raise',
    type: 'press_storm',
    severity: 'major',
    key: keyOf('press_storm', r.last.deviceId),
    deviceId: r.last.deviceId,
    householdId: null,
    at: r.last.at,
    detail: { presses: r.n, ratePerSec: Math.round(rate * 10) / 10 },
    mode: 'state',
  };
}

async function raise(ctx: LifecycleContext, d: RaiseDecision, count: number, done: number[]): Promise<void> {
  const { store, places, log } = ctx;
  if (d.type === 'alarm_press' && d.deviceId !== null) traceAlarm('store-turn', d.deviceId);
  const open = store.byKey(d.key);
  if (open) {
    // Opened between the decision and its turn (an alert loaded or raised by another path): count it there.
    if (d.mode === 'state') return store.markDone(done);
    return flushRepeats(ctx, d.key, { n: count, first: d.at, last: d, done });
  }
  ctx.lastRepeatAt.delete(d.key);
  const info = d.deviceId !== null ? await places.device(d.deviceId) : d.householdId !== null ? await places.household(d.householdId) : null;
  const at = ctx.now();
  const alert = newAlert(d, info, count, at, ctx.settings);
  const change = { action: 'raised', actor: 'system', at, note: null, detail: d.detail, source: d.source ?? null } as const;
  await store.insert(alert, d.key, change, ctx.outboxFor(alert, 0, 'raised', null), done);
  const fields = { alertId: alert.id, type: alert.type, severity: alert.severity, place: alert.place.label, deviceId: alert.deviceId };
  log.info(fields, 'alert raised');
}

/** The alert a raise decision opens: its place and tags, its priority, its first escalation deadline. */
export function newAlert(d: RaiseDecision, info: PlaceInfo | null, count: number, at: Date, settings: AlertSettings): Alert {
  const spec = TYPES[d.type];
  const deadline = firstDeadline(d.type, d.severity, settings, at);
  const tags = info?.tags ?? [];
  return {
    id: randomUUID(),
    type: d.type,
    severity: d.severity,
    category: spec.category,
    status: 'open',
    latched: spec.latched,
    priority: priorityOf(d.severity, tags),
    deviceId: d.deviceId,
    householdId: d.householdId ?? info?.householdId ?? null,
    place: info?.place ?? { label: d.deviceId ?? d.householdId ?? d.placeLabel ?? d.place ?? 'unknown_place', kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null },
    tags,
    count,
    firstAt: d.at.toISOString(),
    lastAt: d.at.toISOString(),
    detail: d.detail,
    cancelRequestedAt: null,
    ackedBy: null,
    ackedAt: null,
    ackNote: null,
    onSiteBy: null,
    onSiteAt: null,
    clearedBy: null,
    clearedAt: null,
    clearNote: null,
    assignedTo: null,
    escalationLevel: 0,
    escalationTarget: settings.chain[0] ?? 'guard_station',
    nextDeadlineAt: deadline?.at.toISOString() ?? null,
    deadlineKind: deadline?.kind ?? null,
  };
}
