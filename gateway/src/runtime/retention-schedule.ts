import type { Store } from '../db/pg-client';
import { auditPurge, purgeExpired, type PurgeCounts, type RetentionPolicy } from '../db/retention';
import type { Logger } from '../log';

const DAY_MS = 24 * 3_600_000;

export interface RetentionSchedule {
  /** Resolves when no purge is running any more (the batch in progress finishes first). */
  stop(): Promise<void>;
}

/**
 * The daily purge of records past their retention (docs/privacy.md) in the gateway's store, SQLite or PostgreSQL
 * (db/retention.ts runs the same steps on either). The first run waits `firstDelayMs` after start, so it never
 * competes with the reconnect storm that follows a restart; then one run a day. A run that fails (the database
 * locked for long, a full disk) is logged and retried at the next tick: retention is never urgent.
 */
export function startRetentionSchedule(
  db: Store,
  policy: RetentionPolicy,
  opts: { log: Logger; firstDelayMs?: number; everyMs?: number; onPurged?: (counts: PurgeCounts) => void; keepUnconfirmed?: boolean },
): RetentionSchedule {
  let stopping = false;
  let running: Promise<void> | null = null;
  const run = () => {
    if (running || stopping) return;
    const started = Date.now();
    running = purgeExpired(db, policy, new Date(), { stopped: () => stopping, keepUnconfirmed: opts.keepUnconfirmed ?? false })
      .then(async ({ deleted, failed }) => {
        const total = Object.values(deleted).reduce((a, b) => a + b, 0);
        if (total > 0) await auditPurge(db, deleted, policy, new Date());
        opts.onPurged?.(deleted);
        if (failed.length > 0) opts.log.warn({ deleted, failed, ms: Date.now() - started }, 'retention purge incomplete; resumed at the next run');
        else opts.log.info({ deleted, ms: Date.now() - started }, 'retention purge done');
      })
      .catch((err: unknown) => opts.log.warn({ err }, 'retention purge failed; retried at the next run'))
      .finally(() => (running = null));
  };
  const first = setTimeout(run, opts.firstDelayMs ?? 60_000);
  const timer = setInterval(run, opts.everyMs ?? DAY_MS);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopping = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
