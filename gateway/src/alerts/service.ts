import type { Decision } from '../rules/types';
import { end, note } from './cancel-end';
import { escalateDue } from './escalate';
import { type LifecycleContext, type LifecycleDeps, doneAlone, lifecycleContext, mayBeOpen, retry, writeIdle } from './lifecycle-context';
import { applyRaise } from './raise';

export type { LifecycleDeps } from './lifecycle-context';
export { REPEAT_MIN_INTERVAL_MS } from './raise';

/**
 * Turns rule decisions into alert changes: a new alert, one more occurrence of an open one, the resident's cancel
 * request, the end of a condition, an escalation step. Every change goes through the store's serial queue.
 * The parts share one LifecycleContext (lifecycle-context.ts, with the retrying write queue): raise.ts writes new
 * alerts and folded repeats, cancel-end.ts cancel requests and ended conditions, escalate.ts escalation steps.
 */
export function createLifecycle(deps: LifecycleDeps) {
  let closed = false;
  const ctx: LifecycleContext = lifecycleContext(deps, (d, done) => apply(d, done));
  const { store, log } = ctx;

  /**
   * Judges one event's decisions (from the bus, or from the outbox after a crash). `outboxId` is the event's outbox
   * entry, marked done in the same transaction as the alert change it causes; an entry already in flight is skipped.
   */
  function judge(ds: readonly Decision[], outboxId: number | null = null): void {
    if (closed) return;
    if (outboxId !== null) {
      if (ctx.inFlight.has(outboxId)) return;
      ctx.inFlight.add(outboxId);
    }
    const done = outboxId === null ? [] : [outboxId];
    if (ds.length === 0) return doneAlone(ctx, done);
    // The entry rides on the last decision: it is done once the event's last change is stored.
    ds.forEach((d, i) => apply(d, i === ds.length - 1 ? done : []));
  }

  /** Entry point for the engine: synchronous, cheap when nothing changes (most device events). */
  function apply(d: Decision, done: readonly number[] = []): void {
    if (closed) return;
    switch (d.kind) {
      case 'raise':
        return applyRaise(ctx, d, done);
      case 'note':
        if (!mayBeOpen(ctx, d.key)) {
          log.info({ key: d.key }, 'cancel request without an active alarm; kept in the device log only');
          return doneAlone(ctx, done);
        }
        retry(ctx, () => store.run(() => note(ctx, d, done)), done, d.key);
        return;
      case 'end':
        // Heartbeats and closing doors end conditions that are rarely open: only queue when one is (or is coming).
        if (!mayBeOpen(ctx, d.key)) return doneAlone(ctx, done);
        retry(ctx, () => store.run(() => end(ctx, d, done)), done, d.key);
        return;
    }
  }

  return {
    apply,
    judge,
    /** True while this outbox entry is being judged (the sweep skips it). */
    inFlight: (id: number) => ctx.inFlight.has(id),
    /**
     * Collects the outbox entries that leave flight (their change written, or given up) from now until `end()`.
     * The sweep opens one before it reads a page and skips what it collected: an entry that was in flight when the
     * page was read and has finished since is in the page, yet no longer in flight (alerts/outbox.ts).
     */
    watchSettled(): SettledWatch {
      const ids = new Set<number>();
      ctx.settled.add(ids);
      return { has: (id) => ids.has(id), end: () => void ctx.settled.delete(ids) };
    },
    escalateDue: () => escalateDue(ctx),
    /** Writes the repeats still waiting for their interval now (idle/shutdown: the counts are not lost). */
    flush() {
      for (const { timer, go } of [...ctx.delayed.values()]) {
        clearTimeout(timer);
        go();
      }
      if (ctx.idle.timer) clearTimeout(ctx.idle.timer);
      writeIdle(ctx);
    },
    close() {
      closed = true;
      if (ctx.idle.timer) clearTimeout(ctx.idle.timer);
      writeIdle(ctx);
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;

/** See Lifecycle.watchSettled. */
export interface SettledWatch {
  has(id: number): boolean;
  end(): void;
}
