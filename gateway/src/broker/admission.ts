/**
 * Admission control for CONNECT handling. After a restart every device of the compound reconnects within seconds;
 * each login costs a secret check and a session set-up. At most `concurrency` logins are in progress at once, the
 * next `queueLimit` wait their turn (first come, first served) for up to `maxWaitMs`, and anything beyond is refused
 * at once — the broker answers CONNACK 3 "server unavailable" and the device backs off and retries — so a storm is
 * absorbed at the pace the gateway can take it, never by running out of memory or stack.
 */
export interface AdmissionOptions {
  concurrency: number;
  queueLimit: number;
  maxWaitMs: number;
}

export type Admitted = { ok: true; release: () => void } | { ok: false; reason: 'queue_full' | 'waited_too_long' };

export interface Admission {
  /** Resolves when a slot is free (call `release` exactly when the login is over, either way), or with a refusal. */
  enter(): Promise<Admitted>;
  active(): number;
  waiting(): number;
}

interface Waiter {
  admit: (admitted: Admitted) => void;
  timer: NodeJS.Timeout;
}

export function createAdmission(opts: AdmissionOptions): Admission {
  let active = 0;
  const queue: Waiter[] = [];

  function slot(): Admitted {
    active++;
    let released = false;
    return {
      ok: true,
      release() {
        if (released) return;
        released = true;
        active--;
        const next = queue.shift();
        if (next) {
          clearTimeout(next.timer);
          next.admit(slot());
        }
      },
    };
  }

  return {
    enter() {
      if (active < opts.concurrency) return Promise.resolve(slot());
      if (queue.length >= opts.queueLimit) return Promise.resolve({ ok: false, reason: 'queue_full' });
      return new Promise<Admitted>((admit) => {
        const waiter: Waiter = {
          admit,
          timer: setTimeout(() => {
            const i = queue.indexOf(waiter);
            if (i >= 0) queue.splice(i, 1);
            admit({ ok: false, reason: 'waited_too_long' });
          }, opts.maxWaitMs),
        };
        queue.push(waiter);
      });
    },
    active: () => active,
    waiting: () => queue.length,
  };
}
