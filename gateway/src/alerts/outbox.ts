import type { AccessIncident, IngestedEvent } from '../bus';
import { type ChannelName, DeviceKind, type UpChannel, catalogue, isUpChannel } from '../contracts';
import { StoredHealth, StoredIncident } from '../contracts/stored';
import type { OutboxCursor, OutboxEntry, OutboxRepo } from '../db/outbox';
import { decode } from '../ingest/decode';
import type { Logger } from '../log';
import { healthRule } from '../rules/health';
import { incidentRule } from '../rules/security';
import type { AlertSettings, Decision } from '../rules/types';
import { decisionsFor } from './engine';
import type { FailureLog } from './failure-log';
import type { AlertMetrics } from './metrics';
import type { Lifecycle, SettledWatch } from './service';
import type { AlertStore } from './store';

/**
 * Door monitoring's verdict on a stored door or barrier opening (access/: the live verdict, or a replay of the stored
 * rows, which reads the database: asynchronous).
 */
export type JudgeOpening = (ev: IngestedEvent, eventSeq: number, outboxId: number) => Promise<AccessIncident | null>;

export interface OutboxSweepDeps {
  judgeOpening: JudgeOpening;
  outbox: OutboxRepo;
  lifecycle: Pick<Lifecycle, 'judge' | 'inFlight' | 'watchSettled'>;
  store: Pick<AlertStore, 'idle'>;
  settings: AlertSettings;
  log: Logger;
  /** Reads of the outbox that fail (a locked or broken database): warned once, then once when they work again. */
  reads: FailureLog;
  metrics: Pick<AlertMetrics, 'outboxPending' | 'outboxRecovered'>;
  /** Entries handed to the engine per page; the store's queue holds at most one page of backlog at a time. */
  batch: number;
}

const byChannel = new Map<string, UpChannel>(
  (Object.keys(catalogue) as ChannelName[]).flatMap((name) => (isUpChannel(name) ? [[catalogue[name].channel, name] as const] : [])),
);

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** What the rules decide about a stored event, or null when the row cannot be read back (logged, then done). */
export async function decisionsOfEntry(e: OutboxEntry, settings: AlertSettings, judgeOpening: JudgeOpening): Promise<Decision[] | null> {
  if (e.channel === 'gateway/health') {
    const h = StoredHealth.safeParse(parseJson(e.payload));
    return h.success ? healthRule(h.data) : null;
  }
  if (e.channel === 'gateway/access-incident') {
    const inc = StoredIncident.safeParse(parseJson(e.payload));
    return inc.success ? incidentRule(inc.data) : null;
  }
  const name = byChannel.get(e.channel);
  const kind = DeviceKind.safeParse(e.kind);
  if (name === undefined || !kind.success) return null;
  const decoded = decode(name, Buffer.from(e.payload, 'utf8'), Number.POSITIVE_INFINITY);
  if (!decoded.ok) return null;
  // As in ingest: decode() validated the (name, payload) pair, which TypeScript cannot tie for a generic channel.
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions
  const ev = { deviceId: e.deviceId, kind: kind.data, name, payload: decoded.payload, deviceTime: new Date(e.deviceTime), receivedAt: new Date(e.receivedAt) } as IngestedEvent;
  if (ev.name === 'doorState' || ev.name === 'barrierState') {
    // An opening: whether it was forced is door monitoring's call (its entry is the opening's own).
    const incident = await judgeOpening(ev, e.eventSeq, e.id);
    return incident ? incidentRule(incident) : [];
  }
  return decisionsFor(ev, settings);
}

/**
 * The alert outbox's consumer for whatever the live path did not finish: at start (a crash between an event's
 * commit and its alert), and on a timer (an alert write that kept failing). No time window and no row cap: every
 * entry still in the table is judged, critical first, then oldest first, one page at a time, so a backlog of any
 * size neither blocks the event loop nor sits in the store's queue ahead of a new alarm for more than one page.
 *
 * No entry is judged twice. The read of a page is asynchronous (PostgreSQL; on SQLite the sweep resumes a microtask
 * later), and so is judging a stored opening (door history): an entry in the page may meanwhile have been judged by
 * the live path, written and deleted, and so be out of flight again. A watch on the lifecycle (watchSettled), opened
 * before the read and closed after the page is handed over, collects every entry that left flight in between; an
 * entry is handed to the engine only if it is neither in flight nor collected, checked in the same tick as the hand-over.
 */
export function createOutboxSweep(deps: OutboxSweepDeps) {
  const { outbox, lifecycle, store, log, metrics } = deps;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const failed = (err: unknown) => log.error({ err }, 'alert outbox sweep failed');

  /** One page from `after` (the entries it hands over are counted in `tally`): its last entry; null when reading or judging failed. */
  async function page(after: OutboxCursor | null, tally: { judged: number }): Promise<{ last: OutboxEntry | undefined; full: boolean } | null> {
    const settled = lifecycle.watchSettled();
    try {
      const entries = await outbox.page(after, deps.batch);
      for (const e of entries) if (await judgeEntry(e, settled)) tally.judged++;
      deps.reads.ok();
      return { last: entries.at(-1), full: entries.length >= deps.batch };
    } catch (err) {
      // Locked or broken database: the entries stay; the next sweep tries again.
      deps.reads.failed(err);
      return null;
    } finally {
      settled.end();
    }
  }

  /** Hands one entry to the engine unless it is being judged, or was judged since its page was read. */
  async function judgeEntry(e: OutboxEntry, settled: SettledWatch): Promise<boolean> {
    const taken = () => lifecycle.inFlight(e.id) || settled.has(e.id);
    if (taken()) return false;
    const ds = await decisionsOfEntry(e, deps.settings, deps.judgeOpening);
    if (taken()) return false;
    if (ds === null) log.warn({ outboxId: e.id, deviceId: e.deviceId, channel: e.channel }, 'stored event cannot be judged (unknown device or channel); marked done');
    lifecycle.judge(ds ?? [], e.id);
    return true;
  }

  async function pass(): Promise<number> {
    let after: OutboxCursor | null = null;
    const tally = { judged: 0 };
    for (;;) {
      const r = await page(after, tally);
      if (r === null || !r.last || !r.full) break;
      after = { priority: r.last.priority, id: r.last.id };
      await store.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { judged } = tally;
    if (judged > 0) {
      metrics.outboxRecovered.inc(judged);
      log.warn({ judged }, 'stored events judged from the alert outbox (they had not become alerts yet)');
    }
    // The gauge keeps its last value while the database is unreadable.
    await outbox.size().then((n) => metrics.outboxPending.set(n), () => undefined);
    return judged;
  }

  /** One pass over the whole outbox (a pass already running is shared). Resolves with the entries it judged. */
  function sweep(): Promise<number> {
    running ??= pass().finally(() => (running = null));
    return running;
  }

  return {
    sweep,
    /** Works whatever a crash left unjudged, in the background (new events are judged on arrival meanwhile), then sweeps every `intervalMs`. */
    start(intervalMs: number): void {
      void outbox.size().then(
        (backlog) => (backlog > 0 ? log.warn({ backlog }, 'stored events not yet judged by the alert engine; judging them now') : undefined),
        () => undefined,
      );
      void sweep().catch(failed);
      timer = setInterval(() => void sweep().catch(failed), intervalMs);
    },
    /** Ends the timer, then one last pass (shutdown: the ingest writer is drained, nothing stored stays unjudged). */
    async stop(): Promise<void> {
      clearInterval(timer);
      await sweep().catch(failed);
    },
  };
}
