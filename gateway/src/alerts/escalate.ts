import type { SystemNote } from '../contracts/api/alert-notes';
import type { Alert, Detail } from '../contracts/api/alerts';
import { escalationDue } from '../rules/escalation';
import type { LifecycleContext } from './lifecycle-context';

/** Escalates every alert whose deadline has passed (called by the scheduler's sweep; idempotent). */
export function escalateDue(ctx: LifecycleContext): Promise<number> {
  const { store, settings, log } = ctx;
  return store.run(async () => {
    let n = 0;
    const t = ctx.now();
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
      const stored = await store.update(a, after, found.key, { action: 'escalated', actor: 'system', at: t, note: step.reason, detail }, ctx.outboxFor(after, step.toLevel, 'escalated', step.reason));
      if (stored) {
        n++;
        log.error({ alertId: a.id, type: a.type, place: a.place.label, escalationLevel: step.toLevel, target: step.target, reason: step.reason }, 'alert escalated');
      }
    }
    return n;
  });
}
