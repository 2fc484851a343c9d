// The alert outbox sweep racing the live path, on either store (test/outbox-sweep.test.ts on SQLite,
// test/cluster/pg-alerts.test.ts on PostgreSQL): the scenario that would judge an entry twice if the sweep trusted
// a page read before the entry was judged, stored and deleted (docs/storage.md, "Each outbox entry judged exactly once").
import { Registry } from 'prom-client';
import { replayStoredOpening } from '../../gateway/src/access/door-watch';
import type { MonitorSettings } from '../../gateway/src/access/monitor';
import { failureLog } from '../../gateway/src/alerts/failure-log';
import { alertMetrics } from '../../gateway/src/alerts/metrics';
import { type JudgeOpening, createOutboxSweep, decisionsOfEntry } from '../../gateway/src/alerts/outbox';
import { createPlaces } from '../../gateway/src/alerts/places';
import { createLifecycle } from '../../gateway/src/alerts/service';
import { AlertStore, type StoreRepo } from '../../gateway/src/alerts/store';
import { silentLog } from '../../gateway/src/alerts/testing';
import { alertSourceRepo } from '../../gateway/src/db/alert-sources';
import { alertRepo } from '../../gateway/src/db/alerts';
import { doorHistoryRepo } from '../../gateway/src/db/door-history';
import { type OutboxEntry, type OutboxRepo, outboxRepo } from '../../gateway/src/db/outbox';
import type { Store } from '../../gateway/src/db/pg-client';
import { SETTINGS } from '../../gateway/src/rules/testing';
import { addPlacedDevice } from './alert-fixtures';

export const MONITOR: MonitorSettings = { grantWindowMs: 10_000, heldOpenMs: 60_000, denialCount: 5, denialWindowMs: 60_000 };

/** The alarm button btn-1 of household hh-1 and the unit doors door-1, door-2. */
export async function addAlertDevices(db: Store): Promise<void> {
  await addPlacedDevice(db.prisma, { id: 'btn-1', kind: 'indoor_alarm', secret: 's', placeKind: 'household', householdId: 'hh-1' });
  for (const id of ['door-1', 'door-2']) await addPlacedDevice(db.prisma, { id, kind: 'face_terminal', secret: 's', placeKind: 'unit_door' });
}

/** A stored event and (unless `outbox: false`) its alert outbox entry, as ingest writes them. */
export async function storeEvent(
  db: Store,
  e: { deviceId: string; eventId: string; channel: string; payload: object; at: Date; outbox?: boolean },
): Promise<{ seq: number; outboxId: number | null }> {
  const ev = await db.prisma.deviceEvent.create({ data: { deviceId: e.deviceId, eventId: e.eventId, channel: e.channel, payload: JSON.stringify(e.payload), deviceTime: e.at, receivedAt: e.at } });
  if (e.outbox === false) return { seq: ev.seq, outboxId: null };
  const o = await db.prisma.alertOutbox.create({ data: { eventSeq: ev.seq, deviceId: e.deviceId, priority: 1, createdAt: e.at } });
  return { seq: ev.seq, outboxId: o.id };
}

/** What the race left: for the test's assertions. */
export interface RaceOutcome {
  /** Every outbox entry the scenario stored. */
  entries: number[];
  /** The entries the live path judged while the first page was on its way; their changes were stored before it arrived. */
  live: number[];
  /** Whether the live path's changes were stored (entries out of flight and deleted) before the page reached the sweep. */
  liveStoredFirst: boolean;
  /** Entries stored changes marked done, in order (each must appear once). */
  marked: number[];
  /** What the sweep's two passes said they judged. */
  judged: number;
  pagesRead: number;
  outboxLeft: number;
  alerts: Array<{ type: string; deviceId: string | null; count: number }>;
}

/**
 * 12 presses of btn-1 10 s apart, an opening of door-1 nobody explained and one of door-2 right after a live grant,
 * each with its outbox entry; the engine as createAlertsFeature builds it on `db`; then the sweep (pages of 4, two
 * passes back to back) while the live path judges the first three entries of the first page between its read and
 * its arrival, and stores their changes.
 */
export async function sweepWhileLiveJudges(db: Store): Promise<RaceOutcome> {
  await addAlertDevices(db);
  const t0 = Date.now() - 600_000;
  const at = (s: number) => new Date(t0 + s * 1000);
  for (let i = 0; i < 12; i++) await storeEvent(db, { deviceId: 'btn-1', eventId: `p${i}`, channel: 'alarm/press', payload: { eventId: `p${i}`, ts: at(i * 10).toISOString() }, at: at(i * 10) });
  await db.prisma.accessEvent.create({ data: { id: 'g1', deviceId: 'door-2', requestId: 'r1', at: at(199), receivedAt: at(199), direction: 'in', credentialType: 'card', decision: 'grant', reason: 'resident' } });
  for (const id of ['door-1', 'door-2']) {
    await storeEvent(db, { deviceId: id, eventId: 'd0', channel: 'door/state', payload: { eventId: 'd0', ts: at(100).toISOString(), state: 'closed', cause: 'grant' }, at: at(100), outbox: false });
    await storeEvent(db, { deviceId: id, eventId: 'd1', channel: 'door/state', payload: { eventId: 'd1', ts: at(200).toISOString(), state: 'open', cause: 'unknown' }, at: at(200) });
  }
  const entries = (await db.prisma.alertOutbox.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((e) => e.id);

  const marked: number[] = [];
  const store = new AlertStore(recording(alertRepo(db, SETTINGS.chain), marked), silentLog, () => undefined);
  await store.load();
  const lifecycle = createLifecycle({ store, places: createPlaces(alertSourceRepo(db.prisma)), settings: SETTINGS, log: silentLog, now: () => new Date(), outboxFor: () => [] });
  const history = doorHistoryRepo(db);
  // Door monitoring's replay of a stored opening (access/door-watch.ts judgeStored after a restart): reads door history.
  const judgeOpening: JudgeOpening = async (e, seq) => {
    const draft = await replayStoredOpening(history, MONITOR, e, seq);
    return draft ? { ...draft, deviceId: e.deviceId, at: e.receivedAt } : null;
  };
  /** Until none of `ids` is in flight any more (their changes stored), writing waiting repeats at once. */
  const settle = async (ids: () => number[]) => {
    for (let i = 0; i < 500 && ids().some((id) => lifecycle.inFlight(id)); i++) {
      lifecycle.flush();
      await store.idle();
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const real = outboxRepo(db);
  const live: number[] = [];
  let liveStoredFirst = false;
  let pagesRead = 0;
  const liveJudges = async (page: OutboxEntry[]) => {
    for (const e of page.slice(0, 3)) {
      live.push(e.id);
      lifecycle.judge((await decisionsOfEntry(e, SETTINGS, judgeOpening)) ?? [], e.id);
    }
    await settle(() => live);
    const left = await db.prisma.alertOutbox.count({ where: { id: { in: live } } });
    liveStoredFirst = live.length === 3 && left === 0 && live.every((id) => !lifecycle.inFlight(id));
  };
  const outbox: OutboxRepo = {
    ...real,
    async page(after, limit) {
      const page = await real.page(after, limit);
      if (pagesRead++ === 0) await liveJudges(page);
      return page;
    },
  };
  const sweep = createOutboxSweep({ judgeOpening, outbox, lifecycle, store, settings: SETTINGS, log: silentLog, reads: failureLog(silentLog, 'reading the alert outbox'), metrics: alertMetrics(new Registry()), batch: 4 });
  // A second pass at once: entries of the first may still be waiting for their write (folded repeats).
  const judged = (await sweep.sweep()) + (await sweep.sweep());
  await settle(() => entries);
  lifecycle.close();
  await store.idle();
  return {
    entries,
    live,
    liveStoredFirst,
    marked,
    judged,
    pagesRead,
    outboxLeft: await db.prisma.alertOutbox.count(),
    alerts: await db.prisma.alert.findMany({ select: { type: true, deviceId: true, count: true }, orderBy: { deviceId: 'asc' } }),
  };
}

/** The alert repository, recording the outbox entries each stored change marks done. */
function recording(repo: ReturnType<typeof alertRepo>, marked: number[]): StoreRepo {
  return {
    loadOpen: () => repo.loadOpen(),
    lastHistoryId: () => repo.lastHistoryId(),
    byId: (id) => repo.byId(id),
    insert: async (a, key, c, o = [], done = []) => {
      const r = await repo.insert(a, key, c, o, done);
      marked.push(...done);
      return r;
    },
    update: async (a, key, c, expect, o = [], done = []) => {
      const r = await repo.update(a, key, c, expect, o, done);
      if (r) marked.push(...done);
      return r;
    },
    outboxDone: async (ids) => {
      await repo.outboxDone(ids);
      marked.push(...ids);
    },
  };
}
