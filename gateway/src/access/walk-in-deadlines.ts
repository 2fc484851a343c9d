import type { WalkInRecord } from '../db/walk-ins';
import type { WalkInContext } from './walk-in-context';

/**
 * The answer deadline of each pending walk-in request: nobody answering by `answerBy` records it `unanswered`
 * (audited; only one of an answer and the deadline wins, db/walk-ins.ts `settle`) and the guard phones instead.
 */
export function walkInDeadlines(ctx: WalkInContext) {
  const { access, repo } = ctx;
  const timers = new Map<string, NodeJS.Timeout>();

  async function expire(id: string): Promise<void> {
    timers.delete(id);
    try {
      const r = await repo.settle(id, 'unanswered', access.now(), null, { actor: 'system', action: 'walk_in.unanswered', entity: 'WalkInRequest', entityId: id });
      if (r) {
        access.log.info({ walkInId: id, householdId: r.householdId }, 'walk-in request unanswered; the guard phones');
        ctx.changed(r);
      }
    } catch (err) {
      access.log.error({ err, walkInId: id }, 'could not record an unanswered walk-in request');
    }
  }

  return {
    /** Starts the deadline of a pending request (a new one, or one still pending after a restart). */
    schedule(r: WalkInRecord): void {
      if (r.status !== 'pending') return;
      const timer = setTimeout(() => void expire(r.id), Math.max(0, r.answerBy.getTime() - access.now().getTime()));
      timer.unref();
      timers.set(r.id, timer);
    },

    /** The request was answered: its deadline no longer runs. */
    cancel(id: string): void {
      clearTimeout(timers.get(id));
      timers.delete(id);
    },

    stop(): void {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
