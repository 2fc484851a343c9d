import type { Logger } from '../log';

/**
 * One repeating failure (a write the database refuses during an outage) logged as two lines, not one per tick: the
 * first failure at warn, then its recovery once at info with how long it lasted and how many attempts failed.
 * Every failure still counts in the metric (`onFailure`); the database outage itself is logged by the heartbeat.
 */
export function failureLog(log: Logger, what: string, opts: { now?: () => number; onFailure?: () => void; onState?: (failing: boolean) => void } = {}) {
  const now = opts.now ?? Date.now;
  let since: number | null = null;
  let count = 0;
  return {
    failed(err: unknown, fields: Record<string, unknown> = {}): void {
      opts.onFailure?.();
      count++;
      if (since !== null) {
        log.debug({ err, ...fields, failures: count }, `${what} failed again`);
        return;
      }
      since = now();
      opts.onState?.(true);
      log.warn({ err, ...fields }, `${what} failed; retried, and logged again once it succeeds`);
    },
    ok(): void {
      if (since === null) return;
      log.info({ failures: count, durationMs: now() - since }, `${what} works again`);
      since = null;
      count = 0;
      opts.onState?.(false);
    },
    /** True between a failure and the next success. */
    get failing(): boolean {
      return since !== null;
    },
  };
}

export type FailureLog = ReturnType<typeof failureLog>;
