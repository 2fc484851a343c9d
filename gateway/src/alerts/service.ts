import type { SystemNote } from '../contracts/api/alert-notes';
import { randomUUID } from 'node:crypto';
import type { Alert, Detail } from '../contracts/api/alerts';
import type { OutboxRow } from '../db/alerts';
import type { Logger } from '../log';
import { escalationDue, firstDeadline } from '../rules/escalation';
import { type AlertSettings, type Decision, type EndDecision, type NoteDecision, type RaiseDecision, TYPES, keyOf, priorityOf } from '../rules/types';
import { type FailureLog, failureLog } from './failure-log';
import type { Places } from './places';
import type { AlertStore } from './store';

export interface LifecycleDeps {
  store: AlertStore;
  places: Places;
  settings: AlertSettings;
  log: Logger;
  now: () => Date;
  /** Notifications owed when an alert reaches a level (an outbox row per configured webhook). */
  outboxFor: (alert: Alert, level: number, event: 'raised' | 'escalated', reason: string | null) => OutboxRow[];
  /** Alert changes that could not be stored: warned once, then once when they work again (metrics in index.ts). */
  writes?: FailureLog;
}

const RETRIES = 5;
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

/**
 * Turns rule decisions into alert changes: a new alert, one more occurrence of an open one, the resident's cancel
 * request, the end of a condition, an escalation step. Every change goes through the store's serial queue.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const { store, places, settings, log, now } = deps;
  const writes = deps.writes ?? failureLog(log, 'storing an alert change');
  /**
   * Occurrences of a key waiting to be folded into one write (a flood of repeats is one write, not hundreds), with
   * the alert outbox entries they judge. Each entry has exactly one write scheduled for it (`flushRepeats`).
   */
  const repeats = new Map<string, { n: number; first: Date; last: RaiseDecision; done: number[] }>();
  /** Keys with a raise queued but not yet written: an end or a cancel for them must wait its turn, not be dropped. */
  const raising = new Map<string, number>();
  /** When each open alert's repeats were last written (for REPEAT_MIN_INTERVAL_MS). */
  const lastRepeatAt = new Map<string, number>();
  /** Repeats waiting for their interval, by key (flushed at once by `flush`). */
  const delayed = new Map<string, { timer: NodeJS.Timeout; go: () => void }>();
  /** Alert outbox entries being judged (decided, their write queued or waiting): a sweep skips them. */
  const inFlight = new Set<number>();
  /** Entries judged without an alert change, marked done together in one small transaction. */
  let idle: number[] = [];
  let idleTimer: NodeJS.Timeout | null = null;
  let closed = false;
  const mayBeOpen = (key: string) => store.byKey(key) !== undefined || raising.has(key);
  const ids = (outboxId: number | null) => (outboxId === null ? [] : [outboxId]);

  function finished(done: readonly number[]) {
    for (const id of done) inFlight.delete(id);
  }

  /** Entries whose event changes no alert: done without one (batched; they stay in flight until written). */
  function doneAlone(done: readonly number[]) {
    if (done.length === 0) return;
    idle.push(...done);
    idleTimer ??= setTimeout(writeIdle, 20);
  }

  function writeIdle() {
    idleTimer = null;
    const batch = idle;
    idle = [];
    if (batch.length === 0) return;
    const task = () => store.run(() => store.markDone(batch));
    retry(task, batch, 'outbox_done');
  }

  /**
   * Judges one event's decisions (from the bus, or from the outbox after a crash). `outboxId` is the event's outbox
   * entry, marked done in the same transaction as the alert change it causes; an entry already in flight is skipped.
   */
  function judge(ds: readonly Decision[], outboxId: number | null = null): void {
    if (closed) return;
    if (outboxId !== null) {
      if (inFlight.has(outboxId)) return;
      inFlight.add(outboxId);
    }
    const done = ids(outboxId);
    if (ds.length === 0) return doneAlone(done);
    // The entry rides on the last decision: it is done once the event's last change is stored.
    ds.forEach((d, i) => apply(d, i === ds.length - 1 ? done : []));
  }

  /** Entry point for the engine: synchronous, cheap when nothing changes (most device events). */
  function apply(d: Decision, done: readonly number[] = []): void {
    if (closed) return;
    switch (d.kind) {
      case 'raise': {
        if (settings.disabledTypes.has(d.type)) return doneAlone(done);
        const open = store.byKey(d.key);
        if ((open || raising.has(d.key)) && d.mode === 'state') return doneAlone(done);
        if (open || raising.has(d.key)) {
          // Fold into the open (or opening) alert: one write for the whole burst, after the raise if one is queued.
          const r = repeats.get(d.key);
          if (r) {
            r.n++;
            r.last = d;
            r.done.push(...done);
            return;
          }
          repeats.set(d.key, { n: 1, first: d.at, last: d, done: [...done] });
          const go = () => {
            delayed.delete(d.key);
            let taken: { n: number; first: Date; last: RaiseDecision; done: number[] } | undefined;
            const task = () =>
              store.run(async () => {
                taken ??= repeats.get(d.key);
                if (repeats.get(d.key) === taken) repeats.delete(d.key);
                if (taken) await flushRepeats(d.key, taken);
              });
            retry(task, () => taken?.done ?? [], d.key);
          };
          const wait = open ? REPEAT_MIN_INTERVAL_MS - (now().getTime() - (lastRepeatAt.get(d.key) ?? 0)) : 0;
          if (wait > 0) delayed.set(d.key, { timer: setTimeout(go, wait).unref(), go });
          else go();
          return;
        }
        raising.set(d.key, (raising.get(d.key) ?? 0) + 1);
        const task = () =>
          store.run(() =>
            raise(d, 1, [...done]).finally(() => {
              const n = (raising.get(d.key) ?? 1) - 1;
              if (n > 0) raising.set(d.key, n);
              else raising.delete(d.key);
            }),
          );
        retry(task, done, d.key);
        return;
      }
      case 'note':
        if (!mayBeOpen(d.key)) {
          log.info({ key: d.key }, 'cancel request without an active alarm; kept in the device log only');
          return doneAlone(done);
        }
        retry(() => store.run(() => note(d, done)), done, d.key);
        return;
      case 'end':
        // Heartbeats and closing doors end conditions that are rarely open: only queue when one is (or is coming).
        if (!mayBeOpen(d.key)) return doneAlone(done);
        retry(() => store.run(() => end(d, done)), done, d.key);
        return;
    }
  }

  /**
   * Runs a queued write until it succeeds, RETRIES times at most. A change that still fails leaves its outbox
   * entries in the table (and out of flight), so the next outbox sweep judges them again: nothing is lost.
   */
  function retry(task: () => Promise<unknown>, done: readonly number[] | (() => readonly number[]), key: string, attempt = 1): void {
    const entries = () => (typeof done === 'function' ? done() : done);
    task().then(
      () => {
        writes.ok();
        finished(entries());
      },
      (err: unknown) => {
        if (attempt >= RETRIES) {
          // During a database outage this happens on every change: one warning, then one line when it recovers.
          writes.failed(err, { key, outboxEntries: entries().length, note: 'its events stay in the alert outbox for the next sweep' });
          finished(entries());
          return;
        }
        log.debug({ err, key, attempt }, 'alert change failed; retrying');
        setTimeout(() => retry(task, done, key, attempt + 1), 100 * 2 ** attempt).unref();
      },
    );
  }

  /** Writes a burst of occurrences: one more count on the open alert, or a new alert if it was cleared meanwhile. */
  async function flushRepeats(key: string, r: { n: number; first: Date; last: RaiseDecision; done: number[] }): Promise<void> {
    noteStorm(r);
    const open = store.byKey(key);
    if (!open) return raise(r.last, r.n, r.done);
    const after: Alert = { ...open, count: open.count + r.n, lastAt: r.last.at.toISOString(), detail: { ...open.detail, ...r.last.detail } };
    lastRepeatAt.set(key, now().getTime());
    await store.update(open, after, key, { action: 'repeated', actor: 'system', at: now(), note: null, detail: { occurrences: r.n }, source: r.last.source ?? null }, [], r.done);
  }

  /** A burst of alarm presses faster than STORM_PRESSES_PER_SEC is itself an alert (once while it stays open). */
  function noteStorm(r: { n: number; first: Date; last: RaiseDecision }) {
    if (r.last.type !== 'alarm_press' || r.last.deviceId === null || r.n < STORM_MIN_PRESSES) return;
    const sec = Math.max(1, (r.last.at.getTime() - r.first.getTime()) / 1000);
    const rate = r.n / sec;
    if (rate < STORM_PRESSES_PER_SEC) return;
    apply({
      kind: 'raise',
      type: 'press_storm',
      severity: 'major',
      key: keyOf('press_storm', r.last.deviceId),
      deviceId: r.last.deviceId,
      householdId: null,
      at: r.last.at,
      detail: { presses: r.n, ratePerSec: Math.round(rate * 10) / 10 },
      mode: 'state',
    });
  }

  async function raise(d: RaiseDecision, count: number, done: number[]): Promise<void> {
    const open = store.byKey(d.key);
    if (open) {
      // Opened between the decision and its turn (an alert loaded or raised by another path): count it there.
      if (d.mode === 'state') return store.markDone(done);
      return flushRepeats(d.key, { n: count, first: d.at, last: d, done });
    }
    lastRepeatAt.delete(d.key);
    const info = d.deviceId !== null ? await places.device(d.deviceId) : d.householdId !== null ? await places.household(d.householdId) : null;
    const at = now();
    const spec = TYPES[d.type];
    const deadline = firstDeadline(d.type, d.severity, settings, at);
    const tags = info?.tags ?? [];
    const alert: Alert = {
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
    const change = { action: 'raised', actor: 'system', at, note: null, detail: d.detail, source: d.source ?? null } as const;
    await store.insert(alert, d.key, change, deps.outboxFor(alert, 0, 'raised', null), done);
    const fields = { alertId: alert.id, type: alert.type, severity: alert.severity, place: alert.place.label, deviceId: alert.deviceId };
    log.info(fields, 'alert raised');
  }

  async function note(d: NoteDecision, done: readonly number[]): Promise<void> {
    const open = store.byKey(d.key);
    if (!open) {
      log.info({ key: d.key }, 'cancel request without an active alarm');
      return store.markDone(done);
    }
    // GB 50394: the request is recorded and shown; the alarm stays latched.
    const after: Alert = { ...open, cancelRequestedAt: d.at.toISOString() };
    await store.update(open, after, d.key, { action: d.action, actor: d.actor, at: now(), note: d.note, source: d.source ?? null }, [], done);
    log.info({ alertId: open.id, deviceId: open.deviceId }, 'resident asked to cancel the alarm; it stays latched');
  }

  async function end(d: EndDecision, done: readonly number[]): Promise<void> {
    const open = store.byKey(d.key);
    const spec = open ? TYPES[open.type] : undefined;
    if (!open || !spec || spec.latched) return store.markDone(done);
    const at = now();
    if (spec.onEnd === 'clear') {
      const after: Alert = { ...open, status: 'cleared', clearedBy: 'system', clearedAt: at.toISOString(), clearNote: d.note, nextDeadlineAt: null, deadlineKind: null };
      await store.update(open, after, d.key, { action: 'cleared', actor: 'system', at, note: d.note }, [], done);
      log.info({ alertId: open.id, type: open.type }, 'alert cleared: condition ended');
      return;
    }
    if (typeof open.detail.conditionEndedAt === 'string' && open.detail.conditionEndedAt >= open.lastAt) return store.markDone(done);
    const detail: Detail = { ...open.detail, conditionEndedAt: d.at.toISOString() };
    await store.update(open, { ...open, detail }, d.key, { action: 'condition_ended', actor: 'system', at, note: d.note }, [], done);
  }

  /** Escalates every alert whose deadline has passed (called by the scheduler's sweep; idempotent). */
  function escalateDue(): Promise<number> {
    return store.run(async () => {
      let n = 0;
      const t = now();
      for (const a of store.all()) {
        if (a.nextDeadlineAt === null || Date.parse(a.nextDeadlineAt) > t.getTime()) continue;
        const found = store.byId(a.id);
        if (!found) continue;
        const step = escalationDue({ ...a, nextDeadlineAt: new Date(a.nextDeadlineAt) }, settings, t);
        if (!step) {
          // Top of the chain: nobody further to tell. The deadline is dropped so it is not re-examined every sweep.
          await store.update(a, { ...a, nextDeadlineAt: null, deadlineKind: null }, found.key, { action: 'escalated', actor: 'system', at: t, note: 'escalation_top' satisfies SystemNote, detail: { level: a.escalationLevel, top: true } });
          log.error({ alertId: a.id, type: a.type, place: a.place.label }, 'alert unanswered at the top of the escalation chain');
          continue;
        }
        const after: Alert = { ...a, escalationLevel: step.toLevel, escalationTarget: step.target, nextDeadlineAt: step.next?.at.toISOString() ?? null, deadlineKind: step.next?.kind ?? null };
        const detail: Detail = { fromLevel: step.fromLevel, toLevel: step.toLevel, target: step.target, waitedFor: a.deadlineKind, waitedSec: step.waitedSec };
        const stored = await store.update(a, after, found.key, { action: 'escalated', actor: 'system', at: t, note: step.reason, detail }, deps.outboxFor(after, step.toLevel, 'escalated', step.reason));
        if (stored) {
          n++;
          log.error({ alertId: a.id, type: a.type, place: a.place.label, escalationLevel: step.toLevel, target: step.target, reason: step.reason }, 'alert escalated');
        }
      }
      return n;
    });
  }

  return {
    apply,
    judge,
    /** True while this outbox entry is being judged (the sweep skips it). */
    inFlight: (id: number) => inFlight.has(id),
    escalateDue,
    /** Writes the repeats still waiting for their interval now (idle/shutdown: the counts are not lost). */
    flush() {
      for (const { timer, go } of [...delayed.values()]) {
        clearTimeout(timer);
        go();
      }
      if (idleTimer) clearTimeout(idleTimer);
      writeIdle();
    },
    close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      writeIdle();
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
