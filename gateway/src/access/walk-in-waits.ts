import { EventEmitter } from 'node:events';
import type { WalkInRequestView, WalkInState } from '../contracts/api/walk-ins';
import { notFound } from './context';
import type { WalkInContext } from './walk-in-context';
import { guardView, walkInState } from './walk-in-request';

/** How long the guard station waits, and for a change away from which state. */
export interface WalkInWait {
  unlessState?: WalkInState | undefined;
  waitSec: number;
}

/**
 * The guard station's long poll on a walk-in request: it answers as soon as the request changes (wake), at the
 * request's own deadline, after waitSec, or when the client goes, whichever comes first.
 */
export function walkInWaits(ctx: WalkInContext) {
  const { access, repo } = ctx;
  /** One event per request id when it changes. */
  const changes = new EventEmitter();
  changes.setMaxListeners(0);

  /** Resolves when request `id` changes, after `ms`, or when `abort` fires, whichever comes first. */
  function waitForChange(id: string, ms: number, abort: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        changes.off(id, done);
        abort.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      changes.on(id, done);
      abort.addEventListener('abort', done);
    });
  }

  return {
    wake(id: string): void {
      changes.emit(id);
    },

    /** The guard station's view; with waitSec, a long poll that answers as soon as the state leaves `unlessState`. */
    async view(id: string, wait: WalkInWait, abort: AbortSignal): Promise<WalkInRequestView> {
      let r = await repo.find(id);
      if (!r) throw notFound('walk-in request');
      if (wait.waitSec > 0 && wait.unlessState !== undefined && walkInState(r, access.now().getTime()) === wait.unlessState) {
        // A pending request also changes by itself at its deadline: never wait past it.
        const untilDeadline = r.status === 'pending' ? Math.max(0, r.answerBy.getTime() - access.now().getTime()) + 50 : Infinity;
        await waitForChange(id, Math.min(wait.waitSec * 1000, untilDeadline), abort);
        r = (await repo.find(id)) ?? r;
      }
      return guardView(access, r);
    },

    /** Answers every waiting long poll now (the HTTP server is closing: nothing may hold it open). */
    releaseAll(): void {
      for (const name of changes.eventNames()) changes.emit(name);
    },
  };
}
