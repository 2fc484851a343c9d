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

/** Levels reached by the alert that have a channel: only those need the alert's history to be known. */
const needsHistory = (a: Alert, c: EscalationChain) => c.levels.some((l) => l.level <= a.escalationLevel && l.channel !== null);

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
