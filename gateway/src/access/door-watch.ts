import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { AccessIncident, IngestedEvent, UnsavedOpening } from '../bus';
import { BarrierState, DoorState } from '../contracts';
import type { DoorHistoryRepo, StoredDoorReport } from '../db/door-history';
import type { EventWriter } from '../db/event-writer';
import { isoStored } from '../db/time';
import type { AccessContext } from './context';
import { type DoorReport, type DoorWatch, type IncidentDraft, type MonitorInput, type MonitorSettings, type OpenCause, closedDoor, judgeStoredOpening, step } from './monitor';

/** A door report that reaches us this long after the device's own time was held back by an outage. */
const LATE_MS = 30_000;

/** A door or barrier event as door monitoring reads it; null for any other channel. */
function doorReportOf(e: IngestedEvent): Omit<DoorReport, 'at'> | null {
  const late = e.receivedAt.getTime() - e.deviceTime.getTime() > LATE_MS;
  if (e.name === 'doorState') return { state: e.payload.state, cause: e.payload.cause, late };
  if (e.name === 'barrierState') return { state: e.payload.state === 'raised' ? 'open' : 'closed', cause: e.payload.cause, late };
  return null;
}

/** A stored door or barrier report (DeviceEvent row), at the time the gateway received it; null if unreadable. */
function storedReport(r: StoredDoorReport): DoorReport | null {
  let json: unknown;
  try {
    json = JSON.parse(r.payload);
  } catch {
    return null;
  }
  const door = r.channel === 'door/state' ? DoorState.safeParse(json) : BarrierState.safeParse(json);
  if (!door.success) return null;
  const receivedAt = Date.parse(r.receivedAt);
  const state = door.data.state === 'open' || door.data.state === 'raised' ? 'open' : 'closed';
  return { state, cause: door.data.cause, at: receivedAt, late: receivedAt - Date.parse(door.data.ts) > LATE_MS };
}

/**
 * Door monitoring's live side: one DoorWatch per door (the pure reducer in monitor.ts), fed by grants and denials,
 * door reports, remote opens and the once-a-second tick; incidents are stored (as gateway events) before they go on
 * the bus. Also judges openings again for the alert outbox sweep, and peeks at unsaved ones.
 */
export function createDoorWatch(ctx: AccessContext, deps: { events: EventWriter; history: DoorHistoryRepo; incidents: Counter }) {
  const { settings, log } = ctx;
  const { incidents } = deps;
  const watches = new Map<string, DoorWatch>();
  let seq = 0;
  /**
   * The live verdict on each recent opening, by its alert outbox entry: if the alert write fails and the outbox
   * sweep judges the opening again, it gets the same answer the live path gave (the replay from stored rows is for
   * openings nobody judged before a crash).
   */
  const verdicts = new LRUCache<number, { incident: AccessIncident | null }>({ max: 10_000 });

  function monitor(deviceId: string, input: MonitorInput): void {
    const result = step(watches.get(deviceId) ?? closedDoor(), input, settings);
    watches.set(deviceId, result.watch);
    for (const draft of result.incidents) raise(deviceId, draft, new Date(input.at));
  }

  /** An incident door monitoring found live: counted, logged, then stored and put on the bus (storeIncident). */
  function raise(deviceId: string, draft: IncidentDraft, at: Date): void {
    const incident: AccessIncident = { ...draft, deviceId, at };
    incidents.inc({ type: draft.type });
    log.warn({ deviceId, type: draft.type, detail: draft.detail }, 'access incident');
    storeIncident(ctx, deps.events, incident, `incident:${draft.type}:${at.getTime()}:${++seq}`);
  }

  /**
   * A stored door report. An opening carries its alert outbox entry (written with the event, before the PUBACK):
   * the verdict goes on the bus with it, so the alert engine marks the entry done with the forced-entry alert in one
   * transaction; a crash before that leaves the entry for the outbox sweep, which asks `judgeStored`.
   */
  function doorReport(e: IngestedEvent, state: 'open' | 'closed', cause: OpenCause): void {
    const late = e.receivedAt.getTime() - e.deviceTime.getTime() > LATE_MS;
    const input: MonitorInput = { type: 'door', state, cause, at: ctx.now().getTime(), late };
    const outboxId = e.outboxId ?? null;
    if (outboxId === null) return monitor(e.deviceId, input);
    const result = step(watches.get(e.deviceId) ?? closedDoor(), input, settings);
    watches.set(e.deviceId, result.watch);
    const forced = result.incidents.find((i) => i.type === 'forced_entry');
    for (const draft of result.incidents) if (draft !== forced) raise(e.deviceId, draft, new Date(input.at));
    const incident: AccessIncident | null = forced ? { ...forced, deviceId: e.deviceId, at: new Date(input.at) } : null;
    if (incident) {
      incidents.inc({ type: incident.type });
      log.warn({ deviceId: e.deviceId, type: incident.type, detail: incident.detail }, 'access incident');
    }
    verdicts.set(outboxId, { incident });
    ctx.bus.emit('door-judged', { outboxId, incident });
  }

  /** An opening from the alert outbox nobody finished judging: the live verdict if there was one, else a replay. */
  async function judgeStored(e: IngestedEvent, eventSeq: number, outboxId: number): Promise<AccessIncident | null> {
    const known = verdicts.get(outboxId);
    if (known) return known.incident;
    const draft = await replayStoredOpening(deps.history, settings, e, eventSeq);
    if (!draft) return null;
    incidents.inc({ type: draft.type });
    log.warn({ deviceId: e.deviceId, type: draft.type, detail: draft.detail }, 'access incident judged from the stored opening (after a restart)');
    return { ...draft, deviceId: e.deviceId, at: e.receivedAt };
  }

  return {
    monitor,
    raise,
    doorReport,
    judgeStored,
    unsavedOpening: unsavedOpenings(ctx, (deviceId) => watches.get(deviceId) ?? closedDoor()),
    tick(): void {
      const at = ctx.now().getTime();
      for (const [deviceId, w] of watches) if (w.open) monitor(deviceId, { type: 'tick', at });
    },
    openSince(deviceId: string): Date | null {
      const w = watches.get(deviceId);
      return w?.open && w.openedAt !== null ? new Date(w.openedAt) : null;
    },
  };
}

export type DoorWatchService = ReturnType<typeof createDoorWatch>;

/**
 * Door monitoring's verdict on a stored opening nobody judged live (a crash in between), replayed through the same
 * pure reducer from what is stored: the door's state before, its reports and grants within the grant window.
 */
export async function replayStoredOpening(history: DoorHistoryRepo, settings: MonitorSettings, e: IngestedEvent, eventSeq: number): Promise<IncidentDraft | null> {
  const report = doorReportOf(e);
  if (!report || report.state !== 'open') return null;
  const at = e.receivedAt.getTime();
  const h = await history.around(e.deviceId, eventSeq, e.receivedAt, settings.grantWindowMs);
  const reports = h.reports.map(storedReport).filter((r) => r !== null);
  const before = h.before ? storedReport(h.before) : null;
  return judgeStoredOpening({ before, reports, grants: h.grants.map((g) => Date.parse(g)) }, { ...report, at }, settings);
}

/** Would this opening be a forced entry, given the door's watch now? Asks the reducer without keeping its state. */
export function looksForced(watch: DoorWatch, event: IngestedEvent, at: number, settings: MonitorSettings): boolean {
  const report = doorReportOf(event);
  if (!report || report.state !== 'open') return false;
  return step(watch, { type: 'door', ...report, at }, settings).incidents.some((i) => i.type === 'forced_entry');
}

/**
 * An opening the database could not store yet: if door monitoring would call it forced, the guard station shows
 * it at once, marked unsaved (the state is not changed: the stored event is judged again when it commits).
 */
function unsavedOpenings(ctx: AccessContext, watchOf: (deviceId: string) => DoorWatch) {
  // Openings shown unsaved as forced, until they are stored.
  const unsavedForced = new LRUCache<string, true>({ max: 1_000 });
  return (u: UnsavedOpening): void => {
    const key = `${u.event.deviceId}:${u.eventId}`;
    const base = { deviceId: u.event.deviceId, eventId: u.eventId, at: u.event.receivedAt, type: 'forced_entry' } as const;
    if (u.state === 'saved') {
      if (unsavedForced.delete(key)) ctx.bus.emit('unsaved-alarm', { ...base, state: 'saved' });
      return;
    }
    if (!looksForced(watchOf(u.event.deviceId), u.event, ctx.now().getTime(), ctx.settings)) return;
    unsavedForced.set(key, true);
    ctx.log.warn({ deviceId: u.event.deviceId, eventId: u.eventId }, 'door opening not stored yet looks forced; shown to the guard station as unsaved');
    ctx.bus.emit('unsaved-alarm', { ...base, state: 'unsaved' });
  };
}

/** Stored first (a gateway event row, like device health), then on the bus: nothing alert-worthy is lost. */
function storeIncident(ctx: AccessContext, events: EventWriter, incident: AccessIncident, eventId: string): void {
  const { deviceId, type } = incident;
  const ts = isoStored(incident.at);
  events
    .write({ deviceId, eventId, channel: 'gateway/access-incident', payload: JSON.stringify(incident), deviceTime: ts, receivedAt: ts })
    .then(
      (r) => {
        if (r.status !== 'duplicate') ctx.bus.emit('access-incident', { ...incident, outboxId: r.outboxId });
      },
      (err: unknown) => ctx.log.error({ err, deviceId, type }, 'could not store an access incident'),
    );
}
