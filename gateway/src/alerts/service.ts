import type { SystemNote } from '../contracts/api/alert-notes';
import { randomUUID } from 'node:crypto';
import type { Alert, Detail } from '../contracts/api/alerts';
import type { OutboxRow } from '../db/alerts';
import type { Logger } from '../log';
import { escalationDue, firstDeadline } from '../rules/escalation';
import { type AlertSettings, type Decision, type EndDecision, type NoteDecision, type RaiseDecision, TYPES, priorityOf } from '../rules/types';
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
}

const RETRIES = 5;
/**
 * A device repeating a condition (a flapping lamp, a stuck door sensor) writes the open alert's count at most this
 * often; the occurrences in between are folded in. Without it a device at 100 messages/s would cost an fsync'd
 * transaction per burst, and the alert writes would crowd out ingest. A new alert is never delayed.
 */
export const REPEAT_MIN_INTERVAL_MS = 2_000;

/**
 * Turns rule decisions into alert changes: a new alert, one more occurrence of an open one, the resident's cancel
 * request, the end of a condition, an escalation step. Every change goes through the store's serial queue.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const { store, places, settings, log, now } = deps;
  /** Occurrences waiting to be folded into one update per alert (a flood of repeats is one write, not hundreds). */
  const repeats = new Map<string, { n: number; last: RaiseDecision }>();
  /** Keys with a raise queued but not yet written: an end or a cancel for them must wait its turn, not be dropped. */
  const raising = new Map<string, number>();
  /** When each open alert's repeats were last written (for REPEAT_MIN_INTERVAL_MS). */
  const lastRepeatAt = new Map<string, number>();
  /** Repeats waiting for their interval, by key (flushed at once by `flush`). */
  const delayed = new Map<string, { timer: NodeJS.Timeout; go: () => void }>();
  let closed = false;
  const mayBeOpen = (key: string) => store.byKey(key) !== undefined || raising.has(key);

  /** Entry point for the engine: synchronous, cheap when nothing changes (most device events). */
  function apply(d: Decision): void {
    if (closed) return;
    switch (d.kind) {
      case 'raise': {
        if (settings.disabledTypes.has(d.type)) return;
        const open = store.byKey(d.key);
        if (open && d.mode === 'state') return;
        if (open) {
          const r = repeats.get(d.key);
          if (r) {
            r.n++;
            r.last = d;
            return;
          }
          repeats.set(d.key, { n: 1, last: d });
        }
        const go = () => {
          delayed.delete(d.key);
          raising.set(d.key, (raising.get(d.key) ?? 0) + 1);
          schedule(d, () =>
            raise(d).finally(() => {
              const n = (raising.get(d.key) ?? 1) - 1;
              if (n > 0) raising.set(d.key, n);
              else raising.delete(d.key);
            }),
          );
        };
        const wait = open ? REPEAT_MIN_INTERVAL_MS - (now().getTime() - (lastRepeatAt.get(d.key) ?? 0)) : 0;
        if (wait > 0) delayed.set(d.key, { timer: setTimeout(go, wait).unref(), go });
        else go();
        return;
      }
      case 'note':
        if (!mayBeOpen(d.key)) return log.info({ key: d.key }, 'cancel request without an active alarm; kept in the device log only');
        schedule(d, () => note(d));
        return;
      case 'end':
        // Heartbeats and closing doors end conditions that are rarely open: only queue when one is (or is coming).
        if (!mayBeOpen(d.key)) return;
        schedule(d, () => end(d));
        return;
    }
  }

  function schedule(d: Decision, task: () => Promise<void>, attempt = 1): void {
    store.run(task).catch((err: unknown) => {
      if (attempt >= RETRIES) {
        // A person must act: the event is stored (DeviceEvent), but the guard station does not show it.
        log.error({ err, decision: d.kind, key: d.key }, 'alert change could not be stored');
        return;
      }
      log.warn({ err, key: d.key, attempt }, 'alert change failed; retrying');
      setTimeout(() => schedule(d, task, attempt + 1), 100 * 2 ** attempt).unref();
    });
  }

  async function raise(d: RaiseDecision): Promise<void> {
    const open = store.byKey(d.key);
    if (open) {
      const r = repeats.get(d.key);
      repeats.delete(d.key);
      if (d.mode === 'state' && !r) return;
      const n = r?.n ?? 1;
      const last = r?.last ?? d;
      const after: Alert = { ...open, count: open.count + n, lastAt: last.at.toISOString(), detail: { ...open.detail, ...last.detail } };
      lastRepeatAt.set(d.key, now().getTime());
      await store.update(open, after, d.key, { action: 'repeated', actor: 'system', at: now(), note: null, detail: { occurrences: n }, source: last.source ?? null });
      return;
    }
    repeats.delete(d.key);
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
      place: info?.place ?? { label: d.deviceId ?? d.householdId ?? '未知位置', kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null },
      tags,
      count: 1,
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
    await store.insert(alert, d.key, change, deps.outboxFor(alert, 0, 'raised', null));
    const fields = { alertId: alert.id, type: alert.type, severity: alert.severity, place: alert.place.label, deviceId: alert.deviceId };
    log.info(fields, 'alert raised');
  }

  async function note(d: NoteDecision): Promise<void> {
    const open = store.byKey(d.key);
    if (!open) return log.info({ key: d.key }, 'cancel request without an active alarm');
    // GB 50394: the request is recorded and shown; the alarm stays latched.
    const after: Alert = { ...open, cancelRequestedAt: d.at.toISOString() };
    await store.update(open, after, d.key, { action: d.action, actor: d.actor, at: now(), note: d.note, source: d.source ?? null });
    log.info({ alertId: open.id, deviceId: open.deviceId }, 'resident asked to cancel the alarm; it stays latched');
  }

  async function end(d: EndDecision): Promise<void> {
    const open = store.byKey(d.key);
    if (!open) return;
    const spec = TYPES[open.type];
    const at = now();
    if (spec.latched) return;
    if (spec.onEnd === 'clear') {
      const after: Alert = { ...open, status: 'cleared', clearedBy: 'system', clearedAt: at.toISOString(), clearNote: d.note, nextDeadlineAt: null, deadlineKind: null };
      await store.update(open, after, d.key, { action: 'cleared', actor: 'system', at, note: d.note });
      log.info({ alertId: open.id, type: open.type }, 'alert cleared: condition ended');
      return;
    }
    if (typeof open.detail.conditionEndedAt === 'string' && open.detail.conditionEndedAt >= open.lastAt) return;
    const detail: Detail = { ...open.detail, conditionEndedAt: d.at.toISOString() };
    await store.update(open, { ...open, detail }, d.key, { action: 'condition_ended', actor: 'system', at, note: d.note });
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
          log.error({ alertId: a.id, type: a.type, place: a.place.label, level: step.toLevel, target: step.target, reason: step.reason }, 'alert escalated');
        }
      }
      return n;
    });
  }

  return {
    apply,
    escalateDue,
    /** Writes the repeats still waiting for their interval now (idle/shutdown: the counts are not lost). */
    flush() {
      for (const { timer, go } of [...delayed.values()]) {
        clearTimeout(timer);
        go();
      }
    },
    close() {
      closed = true;
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
