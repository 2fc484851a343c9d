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
import type { Lifecycle } from './service';
import type { AlertStore } from './store';

/** Door monitoring's verdict on a stored door or barrier opening (access/: live verdict or replay of stored rows). */
export type JudgeOpening = (ev: IngestedEvent, eventSeq: number, outboxId: number) => AccessIncident | null;

export interface OutboxSweepDeps {
  judgeOpening: JudgeOpening;
  outbox: OutboxRepo;
  lifecycle: Pick<Lifecycle, 'judge' | 'inFlight'>;
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
export function decisionsOfEntry(e: OutboxEntry, settings: AlertSettings, judgeOpening: JudgeOpening): Decision[] | null {
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
    const incident = judgeOpening(ev, e.eventSeq, e.id);
    return incident ? incidentRule(incident) : [];
  }
  return decisionsFor(ev, settings);
}

/**
 * The alert outbox's consumer for whatever the live path did not finish: at start (a crash between an event's
 * commit and its alert), and on a timer (an alert write that kept failing). No time window and no row cap: every
 * entry still in the table is judged, critical first, then oldest first, one page at a time, so a backlog of any
 * size neither blocks the event loop nor sits in the store's queue ahead of a new alarm for more than one page.
 */
export function createOutboxSweep(deps: OutboxSweepDeps) {
  const { outbox, lifecycle, store, settings, log, metrics } = deps;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const failed = (err: unknown) => log.error({ err }, 'alert outbox sweep failed');

  async function pass(): Promise<number> {
    let after: OutboxCursor | null = null;
    let judged = 0;
    for (;;) {
      let page: OutboxEntry[];
      try {
        page = outbox.page(after, deps.batch);
        deps.reads.ok();
      } catch (err) {
        // Locked or broken database: the entries stay; the next sweep tries again.
        deps.reads.failed(err);
        break;
      }
      for (const e of page) {
        if (lifecycle.inFlight(e.id)) continue;
        const ds = decisionsOfEntry(e, settings, deps.judgeOpening);
        if (ds === null) log.warn({ outboxId: e.id, deviceId: e.deviceId, channel: e.channel }, 'stored event cannot be judged (unknown device or channel); marked done');
        lifecycle.judge(ds ?? [], e.id);
        judged++;
      }
      const last = page.at(-1);
      if (!last || page.length < deps.batch) break;
      after = { priority: last.priority, id: last.id };
      await store.idle();
      await new Promise((r) => setImmediate(r));
    }
    if (judged > 0) {
      metrics.outboxRecovered.inc(judged);
      log.warn({ judged }, 'stored events judged from the alert outbox (they had not become alerts yet)');
    }
    try {
      metrics.outboxPending.set(outbox.size());
    } catch {
      // the gauge keeps its last value while the database is unreadable
    }
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
      const backlog = outbox.size();
      if (backlog > 0) log.warn({ backlog }, 'stored events not yet judged by the alert engine; judging them now');
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
