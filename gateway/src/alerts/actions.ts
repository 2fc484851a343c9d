import type { Alert, AlertAction, Detail } from '../contracts/api/alerts';
import type { AlertRepo } from '../db/alerts';
import type { Logger } from '../log';
import { deadlineAfterAck } from '../rules/escalation';
import { lateSeconds, onSiteLateMs } from '../rules/on-site';
import type { AlertStore } from './store';

export type ActionResult =
  | { ok: true; alert: Alert }
  | { ok: false; reason: 'not_found' | 'cleared' | 'already_acknowledged' | 'already_on_site'; alert?: Alert }
  /** Five-minute rule: on site later than `onSiteMin` after the alert was raised, and no reason given. */
  | { ok: false; reason: 'late_reason_required'; alert: Alert; lateSec: number; onSiteMin: number };

/** The alert once acknowledged at `at`: by whom, with what note, and the deadline that follows (rules/escalation.ts). */
export function acknowledged(a: Alert, actor: string, note: string | null, at: Date): Alert {
  const next = deadlineAfterAck(a.deadlineKind, a.nextDeadlineAt === null ? null : new Date(a.nextDeadlineAt));
  return { ...a, status: 'acknowledged', ackedBy: actor, ackedAt: at.toISOString(), ackNote: note, nextDeadlineAt: next?.at.toISOString() ?? null, deadlineKind: next?.kind ?? null };
}

/**
 * What people do with an alert: acknowledge (I have seen it, I am on it), confirm being on site, assign, clear (the
 * outcome; for a latched one-key alarm this is the guard's reset). Each is a value result, never an exception, and
 * each goes through the store's queue like every other change.
 */
export function createActions(deps: { store: AlertStore; repo: Pick<AlertRepo, 'byId'>; log: Logger; now: () => Date; onSiteMin?: number }) {
  const { store, repo, log, now } = deps;
  const onSiteMin = deps.onSiteMin ?? 5;

  /** Runs `change` on an alert that is not cleared; answers not_found / cleared otherwise. */
  function onOpen(id: string, change: (a: Alert, key: string) => Promise<ActionResult>): Promise<ActionResult> {
    return store.run(async () => {
      const found = store.byId(id);
      if (found) return change(found.alert, found.key);
      const stored = await repo.byId(id);
      return stored ? { ok: false, reason: 'cleared', alert: stored.alert } : { ok: false, reason: 'not_found' };
    });
  }

  async function write(before: Alert, after: Alert, key: string, action: AlertAction, actor: string, note: string | null, detail?: Detail): Promise<ActionResult> {
    const stored = await store.update(before, after, key, { action, actor, at: now(), note, ...(detail ? { detail } : {}) });
    return stored ? { ok: true, alert: stored.alert } : { ok: false, reason: 'cleared', alert: before };
  }

  const acked = (a: Alert, actor: string, note: string | null) => acknowledged(a, actor, note, now());

  /** An alert for the history, open or cleared (a call or a notification is recorded on either). */
  const anyAlert = async (id: string) => {
    const found = store.byId(id);
    return found ? { alert: found.alert, dedupKey: found.key } : await repo.byId(id);
  };

  return {
    acknowledge(id: string, actor: string, note: string | null): Promise<ActionResult> {
      return onOpen(id, async (a, key) => {
        if (a.status === 'acknowledged') return { ok: false, reason: 'already_acknowledged', alert: a };
        const r = await write(a, acked(a, actor, note), key, 'acknowledged', actor, note);
        if (r.ok) log.info({ alertId: id, type: a.type, actor }, 'alert acknowledged');
        return r;
      });
    },

    /** Clearing an unacknowledged alert acknowledges it first: two records, the same person and time. */
    clear(id: string, actor: string, note: string): Promise<ActionResult> {
      return onOpen(id, async (a, key) => {
        let before = a;
        if (a.status === 'open') {
          const r = await write(a, acked(a, actor, note), key, 'acknowledged', actor, note);
          if (!r.ok) return r;
          before = r.alert;
        }
        const after: Alert = { ...before, status: 'cleared', clearedBy: actor, clearedAt: now().toISOString(), clearNote: note, nextDeadlineAt: null, deadlineKind: null };
        const r = await write(before, after, key, 'cleared', actor, note);
        // GB 50394: a latched alarm ends only here, by a person.
        if (r.ok) log.info({ alertId: id, type: a.type, actor, latched: a.latched }, a.latched ? 'alarm reset by guard' : 'alert cleared');
        return r;
      });
    },

    assign(id: string, actor: string, assignee: string, note: string | null): Promise<ActionResult> {
      return onOpen(id, (a, key) => write(a, { ...a, assignedTo: assignee }, key, 'assigned', actor, note, { assignee }));
    },

    /**
     * Five-minute rule: the worker is there; the on-site deadline stops. Later than `onSiteMin` after the alert was
     * raised, the worker must say why (DOMAIN: "on site within five minutes, or record why not"): the reason and the
     * lateness go into the history row's detail.
     */
    onSite(id: string, actor: string, note: string | null, lateReason: string | null = null): Promise<ActionResult> {
      return onOpen(id, async (a, key) => {
        if (a.onSiteAt !== null) return { ok: false, reason: 'already_on_site', alert: a };
        const at = now();
        const lateMs = onSiteLateMs(new Date(a.firstAt), at, onSiteMin);
        const late = lateMs > 0;
        const lateSec = lateSeconds(lateMs);
        if (late && lateReason === null) return { ok: false, reason: 'late_reason_required', alert: a, lateSec, onSiteMin };
        const stop = a.deadlineKind === 'on_site';
        const after: Alert = { ...a, onSiteBy: actor, onSiteAt: at.toISOString(), ...(stop ? { nextDeadlineAt: null, deadlineKind: null } : {}) };
        const detail: Detail = late ? { late: true, lateSec, lateReason } : { late: false };
        const r = await write(a, after, key, 'on_site', actor, note, detail);
        if (r.ok) log.info({ alertId: id, type: a.type, actor, escalationLevel: a.escalationLevel }, 'on site');
        return r;
      });
    },

    /** A call to the household and what came of it, in the alert's history (also after the alert was cleared). */
    recordCall(id: string, actor: string, contactId: string, outcome: string): Promise<ActionResult> {
      return store.run(async () => {
        const stored = await anyAlert(id);
        if (!stored) return { ok: false, reason: 'not_found' };
        const r = await store.update(stored.alert, stored.alert, stored.dedupKey, { action: 'call_recorded', actor, at: now(), note: outcome, detail: { contactId, outcome } });
        if (r) log.info({ alertId: id, actor, outcome }, 'call to household recorded');
        return r ? { ok: true, alert: r.alert } : { ok: false, reason: 'not_found' };
      });
    },

    /** A notification's outcome, in the alert's history (also for alerts cleared meanwhile). */
    recordNotification(alertId: string, ok: boolean, note: string, detail: Detail): Promise<void> {
      return store.run(async () => {
        const stored = await anyAlert(alertId);
        if (!stored) return;
        await store.update(stored.alert, stored.alert, stored.dedupKey, { action: ok ? 'notified' : 'notification_failed', actor: 'system', at: now(), note, detail });
      });
    },
  };
}

export type Actions = ReturnType<typeof createActions>;
