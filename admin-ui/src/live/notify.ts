import type { Alert, AlertHistoryEntry } from '@linli/gateway/contracts/api/alerts';
import type { EscalationChain, NotifyOutcome } from '@linli/gateway/contracts/api/escalation';
import { api } from '../api';
import { createStore } from '../store';

/** The escalation chain (which levels can be told at all); null until loaded. */
export const chain = createStore<EscalationChain | null>(null);

/** Per alert, per level it reached: was anyone told? (Derived from the alert's history and the chain.) */
export const outcomes = createStore<Record<string, Record<number, NotifyOutcome>>>({});

/**
 * What became of the notification to each level the alert reached, level 0 (the guard station) first: delivered,
 * failed (gave up), pending (being sent or retried), or no_channel (nobody can be told at that level). The history
 * rows `notified` / `notification_failed` carry the level in their detail.
 */
export function stepOutcomes(alert: Alert, history: AlertHistoryEntry[], c: EscalationChain): Record<number, NotifyOutcome> {
  const out: Record<number, NotifyOutcome> = {};
  for (let level = 0; level <= alert.escalationLevel; level++) {
    const step = c.levels[level];
    if (!step || step.channel === null) {
      out[level] = 'no_channel';
      continue;
    }
    let o: NotifyOutcome = 'pending';
    for (const h of history) {
      if ((h.action === 'notified' || h.action === 'notification_failed') && h.detail?.level === level) o = h.action === 'notified' ? 'delivered' : 'failed';
    }
    out[level] = o;
  }
  return out;
}

export type PoliceOutcome = 'delivered' | 'failed' | 'no_channel';

/** Per alert, the latest police-link (警民一键通) outcome, for the card and the detail pane; absent if never used. */
export const police = createStore<Record<string, PoliceOutcome>>({});

/** A history note or live change note that is a police-link outcome (police_delivered, …), or null. */
export function policeOfNote(note: string | null | undefined): PoliceOutcome | null {
  return note === 'police_delivered' ? 'delivered' : note === 'police_failed' ? 'failed' : note === 'police_no_channel' ? 'no_channel' : null;
}

/** The latest police-link outcome in an alert's history (rows with `channel: police`). */
export function policeOf(history: AlertHistoryEntry[]): PoliceOutcome | null {
  let out: PoliceOutcome | null = null;
  for (const h of history) if (h.detail?.channel === 'police') out = policeOfNote(h.note) ?? out;
  return out;
}

export function setPolice(alertId: string, o: PoliceOutcome | null): void {
  if (o === null || police.get()[alertId] === o) return;
  police.set((m) => ({ ...m, [alertId]: o }));
}

/**
 * Levels reached by the alert that have a channel need the alert's history; so do critical alerts (alarms, the ones
 * police-linked points raise), for the police-link outcome on their card after a reload.
 */
const needsHistory = (a: Alert, c: EscalationChain) => a.severity === 'critical' || c.levels.some((l) => l.level <= a.escalationLevel && l.channel !== null);

export async function refreshOutcome(alert: Alert): Promise<void> {
  const c = chain.get();
  if (!c) return;
  if (!needsHistory(alert, c)) {
    outcomes.set((m) => ({ ...m, [alert.id]: stepOutcomes(alert, [], c) }));
    return;
  }
  try {
    const d = await api.alert(alert.id);
    outcomes.set((m) => ({ ...m, [alert.id]: stepOutcomes(d.alert, d.history, c) }));
    setPolice(alert.id, policeOf(d.history));
  } catch {
    // the next change or snapshot tries again
  }
}

export async function loadChain(): Promise<void> {
  try {
    chain.set(await api.escalationChain());
  } catch {
    chain.set(null);
  }
}
