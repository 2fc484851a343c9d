import type { Alert, Detail } from '../contracts/api/alerts';
import { type EndDecision, type NoteDecision, TYPES } from '../rules/types';
import type { LifecycleContext } from './lifecycle-context';

/** The resident's cancel request on an open alarm: recorded and shown; the alarm stays latched. */
export async function note(ctx: LifecycleContext, d: NoteDecision, done: readonly number[]): Promise<void> {
  const { store, log } = ctx;
  const open = store.byKey(d.key);
  if (!open) {
    log.info({ key: d.key }, 'cancel request without an active alarm');
    return store.markDone(done);
  }
  // GB 50394: the request is recorded and shown; the alarm stays latched.
  const after: Alert = { ...open, cancelRequestedAt: d.at.toISOString() };
  await store.update(open, after, d.key, { action: d.action, actor: d.actor, at: ctx.now(), note: d.note, source: d.source ?? null }, [], done);
  log.info({ alertId: open.id, deviceId: open.deviceId }, 'resident asked to cancel the alarm; it stays latched');
}

/** A condition ended: its alert clears itself, or keeps the end in its detail for the guard (TypeSpec.onEnd). */
export async function end(ctx: LifecycleContext, d: EndDecision, done: readonly number[]): Promise<void> {
  const { store } = ctx;
  const open = store.byKey(d.key);
  const spec = open ? TYPES[open.type] : undefined;
  if (!open || !spec || spec.latched) return store.markDone(done);
  const at = ctx.now();
  if (spec.onEnd === 'clear') {
    const after: Alert = { ...open, status: 'cleared', clearedBy: 'system', clearedAt: at.toISOString(), clearNote: d.note, nextDeadlineAt: null, deadlineKind: null };
    await store.update(open, after, d.key, { action: 'cleared', actor: 'system', at, note: d.note }, [], done);
    ctx.log.info({ alertId: open.id, type: open.type }, 'alert cleared: condition ended');
    return;
  }
  if (typeof open.detail.conditionEndedAt === 'string' && open.detail.conditionEndedAt >= open.lastAt) return store.markDone(done);
  const detail: Detail = { ...open.detail, conditionEndedAt: d.at.toISOString() };
  await store.update(open, { ...open, detail }, d.key, { action: 'condition_ended', actor: 'system', at, note: d.note }, [], done);
}
