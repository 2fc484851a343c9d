import type { SystemNote } from '../../contracts/api/alert-notes';
import type { Detail } from '../../contracts/api/alerts';
import type { Delivery, NotificationRepo } from '../../db/notifications';
import type { Logger } from '../../log';
import { backoff } from '../../api/webhook';
import type { Notifier } from './index';

export interface DispatcherOptions {
  maxAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  concurrency?: number;
  /** Level names, for the history note. */
  chain: readonly string[];
}

export interface DispatcherDeps {
  repo: NotificationRepo;
  notifier: Notifier;
  /** Writes the outcome into the alert's history. */
  record: (alertId: string, ok: boolean, note: SystemNote, detail: Detail) => Promise<void>;
  log: Logger;
  now: () => Date;
  random?: () => number;
}

export { backoff };

/** One attempt at one delivery: delivered, retried later, or failed for good (an error a person must see). */
async function attempt(opts: DispatcherOptions, deps: DispatcherDeps, d: Delivery, random: () => number): Promise<void> {
  const { repo, log, now } = deps;
  const n = d.attempts + 1;
  await repo.startAttempt(d.id, n);
  const outcome = await deps.notifier.send({ deliveryId: d.id, target: d.target, body: d.body, attempt: n });
  const level = opts.chain[d.level] ?? `level_${d.level}`;
  if (outcome.ok) {
    await repo.delivered(d.id, now());
    log.info({ deliveryId: d.id, alertId: d.alertId, escalationLevel: level, attempts: n }, 'notification delivered');
    await deps.record(d.alertId, true, 'notify_delivered', { deliveryId: d.id, level: d.level, attempts: n, status: outcome.status });
    return;
  }
  if (outcome.retryable && n < opts.maxAttempts) {
    const wait = backoff(opts, n, random);
    await repo.retryLater(d.id, outcome.error, new Date(now().getTime() + wait));
    log.warn({ deliveryId: d.id, alertId: d.alertId, escalationLevel: level, attempts: n, error: outcome.error, retryInMs: wait }, 'notification failed; will retry');
    return;
  }
  await repo.failed(d.id, outcome.error);
  log.error({ deliveryId: d.id, alertId: d.alertId, escalationLevel: level, attempts: n, error: outcome.error }, 'notification failed for good; tell the level by phone');
  await deps.record(d.alertId, false, 'notify_failed', { deliveryId: d.id, level: d.level, attempts: n, error: outcome.error });
}

/**
 * Sends the outbox (NotificationDelivery rows) outside every request and ingest path: rows are picked when due,
 * each attempt is counted in its row, failures are retried with exponential backoff and jitter, and a delivery
 * that gives up is an error a person must see. Pending rows survive a restart and are sent after it.
 */
export function createDispatcher(opts: DispatcherOptions, deps: DispatcherDeps) {
  const { repo, log, now } = deps;
  const random = deps.random ?? Math.random;
  const concurrency = opts.concurrency ?? 4;
  const inFlight = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  async function pass(): Promise<void> {
    do {
      again = false;
      const due = (await repo.due(now(), 50)).filter((d) => !inFlight.has(d.id));
      for (const d of due) {
        while (inFlight.size >= concurrency) await Promise.race(inFlight.values());
        if (closed) return;
        const p = attempt(opts, deps, d, random)
          .catch((err: unknown) => log.error({ err, deliveryId: d.id }, 'notification attempt crashed'))
          .finally(() => inFlight.delete(d.id));
        inFlight.set(d.id, p);
      }
      await Promise.all(inFlight.values());
    } while (again && !closed);
  }

  async function arm(): Promise<void> {
    if (closed) return;
    const next = await repo.nextDue();
    if (next === null || closed) return;
    const wait = Math.max(0, next.getTime() - now().getTime());
    if (timer) clearTimeout(timer);
    timer = setTimeout(kick, Math.min(wait, 2 ** 31 - 1));
  }

  /** Sends what is due now (new outbox rows, retries); safe to call any time, from anywhere. */
  function kick(): void {
    if (closed) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .then(arm)
      .catch((err: unknown) => {
        log.error({ err }, 'notification dispatcher failed; retrying in a minute');
        timer = setTimeout(kick, 60_000);
      })
      .finally(() => {
        running = null;
      });
  }

  return {
    kick,
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
      await Promise.all(inFlight.values());
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
