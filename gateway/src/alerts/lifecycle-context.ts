import type { Alert } from '../contracts/api/alerts';
import type { OutboxRow } from '../db/alerts';
import type { Logger } from '../log';
import type { AlertSettings, Decision, RaiseDecision } from '../rules/types';
import { type FailureLog, failureLog } from './failure-log';
import type { Places } from './places';
import type { AlertStore } from './store';

export interface LifecycleDeps {
  store: AlertStore;
  places: Places;
  settings: AlertSettings;
  log: Logger;
  now: () => Date;
  /** Notifications owed when an alert reaches a level (an outbox row per configured webhook). */
  outboxFor: (alert: Alert, level: number, event: 'raised' | 'escalated', reason: string | null) => OutboxRow[];
  /** Alert changes that could not be stored: warned once, then once when they work again (metrics in index.ts). */
  writes?: FailureLog;
}

/** Occurrences of one key folded into a single write, with the alert outbox entries they judge. */
export interface Repeats {
  n: number;
  first: Date;
  last: RaiseDecision;
  done: number[];
}

/**
 * What the alert lifecycle's parts share (service.ts sequences decisions; raise.ts, cancel-end.ts and escalate.ts
 * write them): the dependencies and the bookkeeping of changes on their way to the store. createLifecycle builds it
 * once; each part reads and writes only the maps it names.
 */
export interface LifecycleContext extends Omit<LifecycleDeps, 'writes'> {
  readonly writes: FailureLog;
  /**
   * Occurrences of a key waiting to be folded into one write (a flood of repeats is one write, not hundreds), with
   * the alert outbox entries they judge. Each entry has exactly one write scheduled for it (`flushRepeats`).
   */
  readonly repeats: Map<string, Repeats>;
  /** Keys with a raise queued but not yet written: an end or a cancel for them must wait its turn, not be dropped. */
  readonly raising: Map<string, number>;
  /** When each open alert's repeats were last written (for REPEAT_MIN_INTERVAL_MS). */
  readonly lastRepeatAt: Map<string, number>;
  /** Repeats waiting for their interval, by key (flushed at once by `flush`). */
  readonly delayed: Map<string, { timer: NodeJS.Timeout; go: () => void }>;
  /** Alert outbox entries being judged (decided, their write queued or waiting): a sweep skips them. */
  readonly inFlight: Set<number>;
  /**
   * Watches of the outbox sweep, each collecting the entries that leave `inFlight` while it is open: a page read
   * before an entry was written and deleted can still hold it, and must not hand it to the engine again.
   */
  readonly settled: Set<Set<number>>;
  /** Entries judged without an alert change, marked done together in one small transaction. */
  readonly idle: { entries: number[]; timer: NodeJS.Timeout | null };
  /** The lifecycle's entry point, for a change that causes another (a press storm raises its own alert). */
  readonly apply: (d: Decision, done?: readonly number[]) => void;
}

export function lifecycleContext(deps: LifecycleDeps, apply: LifecycleContext['apply']): LifecycleContext {
  return {
    store: deps.store,
    places: deps.places,
    settings: deps.settings,
    log: deps.log,
    now: deps.now,
    outboxFor: deps.outboxFor,
    writes: deps.writes ?? failureLog(deps.log, 'storing an alert change'),
    repeats: new Map(),
    raising: new Map(),
    lastRepeatAt: new Map(),
    delayed: new Map(),
    inFlight: new Set(),
    settled: new Set(),
    idle: { entries: [], timer: null },
    apply,
  };
}

const RETRIES = 5;

export const mayBeOpen = (ctx: LifecycleContext, key: string) => ctx.store.byKey(key) !== undefined || ctx.raising.has(key);

function finished(ctx: LifecycleContext, done: readonly number[]) {
  for (const id of done) {
    ctx.inFlight.delete(id);
    for (const watch of ctx.settled) watch.add(id);
  }
}

/** Entries whose event changes no alert: done without one (batched; they stay in flight until written). */
export function doneAlone(ctx: LifecycleContext, done: readonly number[]): void {
  if (done.length === 0) return;
  ctx.idle.entries.push(...done);
  ctx.idle.timer ??= setTimeout(() => writeIdle(ctx), 20);
}

export function writeIdle(ctx: LifecycleContext): void {
  ctx.idle.timer = null;
  const batch = ctx.idle.entries.splice(0);
  if (batch.length === 0) return;
  const task = () => ctx.store.run(() => ctx.store.markDone(batch));
  retry(ctx, task, batch, 'outbox_done');
}

/**
 * Runs a queued write until it succeeds, RETRIES times at most. A change that still fails leaves its outbox
 * entries in the table (and out of flight), so the next outbox sweep judges them again: nothing is lost.
 */
export function retry(
  ctx: LifecycleContext,
  task: () => Promise<unknown>,
  done: readonly number[] | (() => readonly number[]),
  key: string,
  attempt = 1,
): void {
  const entries = () => (typeof done === 'function' ? done() : done);
  task().then(
    () => {
      ctx.writes.ok();
      finished(ctx, entries());
    },
    (err: unknown) => {
      if (attempt >= RETRIES) {
        // During a database outage this happens on every change: one warning, then one line when it recovers.
        ctx.writes.failed(err, { key, outboxEntries: entries().length, note: 'its events stay in the alert outbox for the next sweep' });
        finished(ctx, entries());
        return;
      }
      ctx.log.debug({ err, key, attempt }, 'alert change failed; retrying');
      setTimeout(() => retry(ctx, task, done, key, attempt + 1), 100 * 2 ** attempt).unref();
    },
  );
}
