// The alert path on a real PostgreSQL 15 (docs/storage.md, "Alerts on PostgreSQL"): the alert write path's rows
// (alert, history with snapshot, audit, notification deliveries, outbox entries done) in one transaction with its
// conditional update; the outbox sweep judging every entry exactly once while pages are read asynchronously; door
// history for a stored opening; the data migrations that fill the outbox and scrub stored credentials.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayStoredOpening } from '../../gateway/src/access/door-watch';
import { createAlertsFeature } from '../../gateway/src/alerts';
import { silentLog } from '../../gateway/src/alerts/testing';
import { lookupHash } from '../../gateway/src/auth/hash';
import { Bus } from '../../gateway/src/bus';
import { loadConfig } from '../../gateway/src/config';
import { Alert } from '../../gateway/src/contracts/api/alerts';
import { alertRepo } from '../../gateway/src/db/alerts';
import { runStoreDataMigrations } from '../../gateway/src/db/data-migrations';
import { doorHistoryRepo } from '../../gateway/src/db/door-history';
import { type PgDb, migrateCellPg, openPgDb } from '../../gateway/src/db/pg-client';
import { SETTINGS } from '../../gateway/src/rules/testing';
import { MONITOR, addAlertDevices, storeEvent, sweepWhileLiveJudges } from '../helpers/outbox-race';
import { type TestPg, startPg } from './pg';

const alertOf = (over: Partial<Alert> = {}): Alert =>
  Alert.parse({
    id: 'al-1', type: 'alarm_press', severity: 'critical', category: 'security', status: 'open', latched: true, priority: 10,
    deviceId: 'btn-1', householdId: 'hh-1', place: { label: '1号楼1单元hh-1', kind: 'household', buildingId: 'b01', unitId: 'b01-u1', householdId: 'hh-1', x: 12, y: 34 },
    tags: ['elderly_alone'], count: 1, firstAt: '2026-12-02T03:00:00.000Z', lastAt: '2026-12-02T03:00:00.000Z', detail: {}, cancelRequestedAt: null,
    ackedBy: null, ackedAt: null, ackNote: null, onSiteBy: null, onSiteAt: null, clearedBy: null, clearedAt: null, clearNote: null, assignedTo: null,
    escalationLevel: 0, escalationTarget: 'guard_station', nextDeadlineAt: '2026-12-02T03:01:00.000Z', deadlineKind: 'ack',
    ...over,
  });

describe('alerts on PostgreSQL', () => {
  let server: TestPg;
  const dbs: PgDb[] = [];

  /** A database of its own, migrated, with the alarm button btn-1 of household hh-1 and the doors door-1, door-2 (unless `devices: false`). */
  async function freshDb(name: string, opts: { devices?: boolean } = {}): Promise<PgDb> {
    await server.pool.query(`CREATE DATABASE ${name}`);
    const db = await openPgDb(server.url.replace(/\/linli_hub$/, `/${name}`));
    dbs.push(db);
    await migrateCellPg(db.pool);
    if (opts.devices !== false) await addAlertDevices(db);
    return db;
  }

  beforeAll(async () => {
    server = await startPg(mkdtempSync(join(tmpdir(), 'linli-pg-alerts-')));
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await server?.stop();
  });

  it('writes a change in one transaction: the alert, its history with the snapshot, the audit entry, the deliveries, the outbox entries done; the conditional update refuses a stale expectation', async () => {
    const db = await freshDb('linli_alert_writes');
    const repo = alertRepo(db, SETTINGS.chain);
    const { outboxId: pressEntry } = await storeEvent(db, { deviceId: 'btn-1', eventId: 'p1', channel: 'alarm/press', payload: { eventId: 'p1', ts: '2026-12-02T03:00:00.000Z' }, at: new Date('2026-12-02T03:00:00.000Z') });
    const { outboxId: repeatEntry } = await storeEvent(db, { deviceId: 'btn-1', eventId: 'p2', channel: 'alarm/press', payload: { eventId: 'p2', ts: '2026-12-02T03:00:20.000Z' }, at: new Date('2026-12-02T03:00:20.000Z') });
    const change = (action: 'raised' | 'repeated' | 'acknowledged' | 'cleared', at: string, actor = 'system') => ({ action, actor, at: new Date(at), note: action === 'acknowledged' ? '马上到' : null, source: action === 'raised' ? 'btn-1:p1' : null });

    // Raise: the alert row, and a notification delivery owed with it.
    const open = alertOf();
    const raised = await repo.insert(open, 'alarm_press:btn-1', change('raised', '2026-12-02T03:00:00.000Z'), [{ id: 'n-1', level: 0, target: 'https://hooks.example/guard', body: '{"alert":"al-1"}' }], [pressEntry!]);
    // Repeat: one more count on the open alert, conditional on it being open at level 0.
    const repeated = await repo.update({ ...open, count: 2, lastAt: '2026-12-02T03:00:20.000Z' }, 'alarm_press:btn-1', change('repeated', '2026-12-02T03:00:20.000Z'), { status: 'open', escalationLevel: 0 }, [], [repeatEntry!]);
    expect(repeated?.id).toBeGreaterThan(raised.id);
    // Acknowledge; a second writer that still believes the alert open is refused, and writes nothing at all.
    const acked = alertOf({ count: 2, lastAt: '2026-12-02T03:00:20.000Z', status: 'acknowledged', ackedBy: 'guard-1', ackedAt: '2026-12-02T03:00:40.000Z', ackNote: '马上到', nextDeadlineAt: null, deadlineKind: null });
    expect(await repo.update(acked, 'alarm_press:btn-1', change('acknowledged', '2026-12-02T03:00:40.000Z', 'guard-1'), { status: 'open', escalationLevel: 0 })).not.toBeNull();
    const stale = await repo.update({ ...acked, escalationLevel: 1, escalationTarget: 'grid_worker' }, 'alarm_press:btn-1', change('repeated', '2026-12-02T03:00:50.000Z'), { status: 'open', escalationLevel: 0 }, [{ id: 'n-stale', level: 1, target: 'https://hooks.example/grid', body: '{}' }]);
    expect(stale).toBeNull();
    // Clear, conditional on the acknowledged state.
    const cleared = { ...acked, status: 'cleared' as const, clearedBy: 'guard-1', clearedAt: '2026-12-02T03:05:00.000Z', clearNote: '误按' };
    expect(await repo.update(cleared, 'alarm_press:btn-1', change('cleared', '2026-12-02T03:05:00.000Z', 'guard-1'), { status: 'acknowledged', escalationLevel: 0 })).not.toBeNull();

    const row = await db.prisma.alert.findUniqueOrThrow({ where: { id: 'al-1' } });
    expect(row).toMatchObject({ status: 'cleared', count: 2, latched: true, escalationLevel: 0, ackedBy: 'guard-1', ackNote: '马上到', clearedBy: 'guard-1', clearNote: '误按', dedupKey: 'alarm_press:btn-1' });
    expect(row.ackedAt?.toISOString()).toBe('2026-12-02T03:00:40.000Z');
    expect(row.clearedAt?.toISOString()).toBe('2026-12-02T03:05:00.000Z');
    expect(repo.toAlert(row)).toEqual(cleared);

    // History: one row per stored change (the refused one left none), each with the alert right after it.
    const history = await repo.changesSince(0, 10);
    expect(history.map((h) => [h.action, h.actor, h.alert.status, h.alert.count])).toEqual([
      ['raised', 'system', 'open', 1],
      ['repeated', 'system', 'open', 2],
      ['acknowledged', 'guard-1', 'acknowledged', 2],
      ['cleared', 'guard-1', 'cleared', 2],
    ]);
    expect(history[2]!.alert).toEqual(acked);
    const got = await repo.get('al-1');
    expect(got?.history.map((h) => [h.action, h.at, h.note])).toEqual([
      ['raised', '2026-12-02T03:00:00.000Z', null],
      ['repeated', '2026-12-02T03:00:20.000Z', null],
      ['acknowledged', '2026-12-02T03:00:40.000Z', '马上到'],
      ['cleared', '2026-12-02T03:05:00.000Z', null],
    ]);
    expect((await db.prisma.alertHistory.findFirstOrThrow({ where: { action: 'raised' } })).source).toBe('btn-1:p1');

    const audit = await db.prisma.auditLog.findMany({ orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.actor, a.entity, a.entityId, JSON.parse(a.detail).status])).toEqual([
      ['alert.raised', 'system', 'Alert', 'al-1', 'open'],
      ['alert.repeated', 'system', 'Alert', 'al-1', 'open'],
      ['alert.acknowledged', 'guard-1', 'Alert', 'al-1', 'acknowledged'],
      ['alert.cleared', 'guard-1', 'Alert', 'al-1', 'cleared'],
    ]);
    expect(audit[0]!.at.toISOString()).toBe('2026-12-02T03:00:00.000Z');

    const deliveries = await db.prisma.notificationDelivery.findMany();
    expect(deliveries.map((d) => ({ id: d.id, alertId: d.alertId, level: d.level, target: d.target, body: d.body, status: d.status, attempts: d.attempts, nextTryAt: d.nextTryAt?.toISOString() }))).toEqual([
      { id: 'n-1', alertId: 'al-1', level: 0, target: 'https://hooks.example/guard', body: '{"alert":"al-1"}', status: 'pending', attempts: 0, nextTryAt: '2026-12-02T03:00:00.000Z' },
    ]);
    // Both outbox entries were marked done with the changes that judged them.
    expect(await db.prisma.alertOutbox.count()).toBe(0);
  });

  it('rolls the whole change back when a part of it fails: a second open alert for the same condition leaves no row', async () => {
    const db = await freshDb('linli_alert_rollback');
    const repo = alertRepo(db, SETTINGS.chain);
    const { outboxId } = await storeEvent(db, { deviceId: 'btn-1', eventId: 'p1', channel: 'alarm/press', payload: { eventId: 'p1', ts: '2026-12-02T03:00:00.000Z' }, at: new Date('2026-12-02T03:00:00.000Z') });
    const c = { action: 'raised' as const, actor: 'system', at: new Date('2026-12-02T03:00:00.000Z'), note: null };
    await repo.insert(alertOf(), 'alarm_press:btn-1', c);
    // The partial unique index (one open alert per condition) refuses the second; its outbox entry stays to be judged again.
    await expect(repo.insert(alertOf({ id: 'al-2' }), 'alarm_press:btn-1', c, [{ id: 'n-2', level: 0, target: 'https://hooks.example/guard', body: '{}' }], [outboxId!])).rejects.toThrow(/Alert_one_open_per_condition/);
    expect(await db.prisma.alert.count()).toBe(1);
    expect(await db.prisma.alertHistory.count()).toBe(1);
    expect(await db.prisma.auditLog.count()).toBe(1);
    expect(await db.prisma.notificationDelivery.count()).toBe(0);
    expect(await db.prisma.alertOutbox.count()).toBe(1);
    expect(await repo.lastHistoryId()).toBe((await db.prisma.alertHistory.findFirstOrThrow()).id);
  });

  it('the outbox sweep judges every entry exactly once, even when a page is read while its entries are being judged', async () => {
    const r = await sweepWhileLiveJudges(await freshDb('linli_alert_sweep', { devices: false }));
    expect(r.liveStoredFirst).toBe(true);
    expect(r.pagesRead).toBeGreaterThanOrEqual(4);
    // The sweep skipped the three the live path had judged; every entry was marked done by exactly one stored change.
    expect(r.judged).toBe(r.entries.length - r.live.length);
    expect([...r.marked].sort((a, b) => a - b)).toEqual(r.entries);
    expect(r.outboxLeft).toBe(0);
    // Every press counted once; the unexplained opening is a forced entry (door history replayed); the granted one is not.
    expect(r.alerts).toEqual([
      { type: 'alarm_press', deviceId: 'btn-1', count: 12 },
      { type: 'forced_entry', deviceId: 'door-1', count: 1 },
    ]);
  });

  it('runs the alert feature on PostgreSQL: the start-up sweep counts a stored press nobody judged, a press from the bus repeats it', async () => {
    const db = await freshDb('linli_alert_feature');
    const t = (s: number) => new Date(Date.now() - 60_000 + s * 1000);
    // Stored with its outbox entry before the gateway (re)started: a crash came before its alert.
    await storeEvent(db, { deviceId: 'btn-1', eventId: 'p0', channel: 'alarm/press', payload: { eventId: 'p0', ts: t(0).toISOString() }, at: t(0) });
    const loaded = loadConfig({});
    if (!loaded.ok) throw new Error(loaded.message);
    const bus = new Bus();
    const published: string[] = [];
    bus.on('alert-change', (c) => published.push(`${c.type}:${c.action}`));
    const feature = await createAlertsFeature({ config: loaded.config, store: db, bus, log: silentLog, registry: new Registry(), judgeOpening: async () => null });
    await feature.start();
    const drained = async () => {
      for (let i = 0; i < 500 && (await db.prisma.alertOutbox.count()) > 0; i++) {
        await feature.idle();
        await new Promise((r) => setTimeout(r, 10));
      }
      await feature.idle();
      return db.prisma.alertOutbox.count();
    };
    expect(await drained()).toBe(0);

    // A press as ingest puts it on the bus once committed, with its outbox entry.
    const live = await storeEvent(db, { deviceId: 'btn-1', eventId: 'p1', channel: 'alarm/press', payload: { eventId: 'p1', ts: t(10).toISOString() }, at: t(10) });
    bus.emit('device-event', { deviceId: 'btn-1', kind: 'indoor_alarm', name: 'alarmPress', payload: { eventId: 'p1', ts: t(10).toISOString() }, deviceTime: t(10), receivedAt: t(10), outboxId: live.outboxId });
    expect(await drained()).toBe(0);
    await feature.stop();

    const alarm = await db.prisma.alert.findFirstOrThrow({ where: { type: 'alarm_press' }, include: { history: { orderBy: { id: 'asc' } } } });
    expect(alarm).toMatchObject({ deviceId: 'btn-1', householdId: 'hh-1', status: 'open', count: 2, latched: true, dedupKey: 'alarm_press:btn-1' });
    expect(JSON.parse(alarm.place)).toMatchObject({ kind: 'household', householdId: 'hh-1' });
    expect(alarm.history.map((h) => [h.action, JSON.parse(h.snapshot).count])).toEqual([
      ['raised', 1],
      ['repeated', 2],
    ]);
    expect(published.filter((p) => p.startsWith('alarm_press:'))).toEqual(['alarm_press:raised', 'alarm_press:repeated']);
  });

  it('reads a door history: the report before the window, the reports and the live grants inside it', async () => {
    const db = await freshDb('linli_door_history');
    const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 3, 0, s));
    const door = (eventId: string, s: number, state: 'open' | 'closed', cause: string) =>
      storeEvent(db, { deviceId: 'door-1', eventId, channel: 'door/state', payload: { eventId, ts: at(s).toISOString(), state, cause }, at: at(s), outbox: false });
    await door('d0', 0, 'open', 'key');
    await door('d1', 5, 'closed', 'key');
    await door('d2', 52, 'open', 'grant');
    await door('d3', 55, 'closed', 'grant');
    await storeEvent(db, { deviceId: 'door-2', eventId: 'x', channel: 'door/state', payload: { eventId: 'x', ts: at(56).toISOString(), state: 'open', cause: 'unknown' }, at: at(56), outbox: false });
    const opening = await door('d4', 60, 'open', 'unknown');
    const grant = (id: string, s: number, decision: string, offline: boolean) =>
      db.prisma.accessEvent.create({ data: { id, deviceId: 'door-1', requestId: id, at: at(s), receivedAt: at(s), direction: 'in', credentialType: 'card', decision, reason: 'resident', offline } });
    await grant('g-before', 40, 'grant', false);
    await grant('g-live', 51, 'grant', false);
    await grant('g-offline', 53, 'grant', true);
    await grant('g-deny', 54, 'deny', false);

    const h = await doorHistoryRepo(db).around('door-1', opening.seq, at(60), 10_000);
    expect(h.before).toEqual({ channel: 'door/state', payload: JSON.stringify({ eventId: 'd1', ts: at(5).toISOString(), state: 'closed', cause: 'key' }), receivedAt: at(5).toISOString() });
    expect(h.reports.map((r) => [JSON.parse(r.payload).eventId, r.receivedAt])).toEqual([
      ['d2', at(52).toISOString()],
      ['d3', at(55).toISOString()],
    ]);
    expect(h.grants).toEqual([at(51).toISOString()]);
    // The grant at :51 was used by the opening at :52: the opening at :60 is forced.
    const e = { deviceId: 'door-1', kind: 'face_terminal', name: 'doorState', payload: { eventId: 'd4', ts: at(60).toISOString(), state: 'open', cause: 'unknown' }, deviceTime: at(60), receivedAt: at(60) } as const;
    expect(await replayStoredOpening(doorHistoryRepo(db), MONITOR, e, opening.seq)).toMatchObject({ type: 'forced_entry' });
  });

  it('runs the data migrations once: the outbox backfill of presses and unexplained openings no alert counts, and the credential scrub', async () => {
    const db = await freshDb('linli_alert_backfill');
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo);
    for (let i = 0; i < 6; i++) await storeEvent(db, { deviceId: 'btn-1', eventId: `p${i}`, channel: 'alarm/press', payload: { eventId: `p${i}`, ts: at(600_000 - i * 10_000).toISOString() }, at: at(600_000 - i * 10_000), outbox: false });
    // The first three presses are counted in a cleared alert; the others never were.
    await db.prisma.alert.create({
      data: { id: 'old', type: 'alarm_press', severity: 'critical', status: 'cleared', latched: true, deviceId: 'btn-1', place: '{}', dedupKey: 'alarm_press:btn-1', count: 3, firstAt: at(600_000), lastAt: at(580_000), clearedBy: 'guard-1', clearedAt: at(500_000) },
    });
    const door = (deviceId: string, eventId: string, payload: string, msAgo: number) =>
      db.prisma.deviceEvent.create({ data: { deviceId, eventId, channel: 'door/state', payload, deviceTime: at(msAgo), receivedAt: at(msAgo) } });
    const forced = await door('door-1', 'd1', JSON.stringify({ eventId: 'd1', ts: at(60_000).toISOString(), state: 'open', cause: 'unknown' }), 60_000);
    await door('door-2', 'd1', JSON.stringify({ eventId: 'd1', ts: at(60_000).toISOString(), state: 'open', cause: 'exit_button' }), 60_000);
    await door('door-2', 'd2', '{not json', 50_000);
    await door('door-1', 'd0', JSON.stringify({ eventId: 'd0', ts: at(3 * 86_400_000).toISOString(), state: 'open', cause: 'unknown' }), 3 * 86_400_000);
    const request = { eventId: 'r1', ts: at(1000).toISOString(), requestId: 'r1', credential: { type: 'card', value: '0123456789' }, direction: 'in' };
    const req = await db.prisma.deviceEvent.create({ data: { deviceId: 'door-1', eventId: 'r1', channel: 'access/request', payload: JSON.stringify(request), deviceTime: at(1000), receivedAt: at(1000) } });

    const first = await runStoreDataMigrations(db, 'k'.repeat(64));
    expect(first).toEqual([
      { name: 'access-request-credential-hash', rows: 1 },
      { name: 'alert-outbox-backfill', rows: 4 },
    ]);
    const outbox = await db.prisma.alertOutbox.findMany({ orderBy: { id: 'asc' } });
    const pressSeqs = (await db.prisma.deviceEvent.findMany({ where: { channel: 'alarm/press' }, orderBy: { seq: 'asc' } })).map((e) => e.seq).slice(3);
    expect(outbox.map((o) => o.eventSeq)).toEqual([...pressSeqs, forced.seq]);
    const scrubbed = JSON.parse((await db.prisma.deviceEvent.findUniqueOrThrow({ where: { seq: req.seq } })).payload);
    expect(scrubbed.credential).toEqual({ type: 'card', valueHash: lookupHash('k'.repeat(64), 'card', '0123456789') });
    expect(await runStoreDataMigrations(db, 'k'.repeat(64))).toEqual([]);
    expect((await db.prisma.dataMigration.findMany()).map((m) => m.name).sort()).toEqual(['access-request-credential-hash', 'alert-outbox-backfill']);
  });
});
