// The ingest and access write paths on a real PostgreSQL 15 (docs/storage.md, "Ingest and access on PostgreSQL"):
// the device events' group commit (event rows, outbox rows, lastSeenAt; retransmissions; the alarm lane; retries
// after failed commits), the access events' writer, presence, the heartbeat and the device auth read — each asserted
// on the rows PostgreSQL holds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus, type ArrivingRequest } from '../../gateway/src/bus';
import { type AccessEventRow, createAccessEventWriter } from '../../gateway/src/db/access';
import { deviceRepo } from '../../gateway/src/db/devices';
import { type EventRow, type WriteResult, createEventWriter, derivedEventId } from '../../gateway/src/db/event-writer';
import { type WriteHealth, startDbHeartbeat } from '../../gateway/src/db/heartbeat';
import { type PgDb, migrateCellPg, openPgDb } from '../../gateway/src/db/pg-client';
import { createPresenceWriter } from '../../gateway/src/db/presence';
import { createArrivals } from '../../gateway/src/ingest/arrivals';
import { createLogger } from '../../gateway/src/log';
import { freePort } from '../helpers/process';
import { type TestPg, startPg } from './pg';

const log = createLogger({ level: 'silent' });
const DEVICES = ['btn-1', 'btn-2', 'door-1', 'door-2'];

/** Resolves when `check` holds, polling; fails after a generous bound. */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
function event(deviceId: string, channel: string, over: Partial<EventRow> = {}): EventRow {
  n++;
  const at = new Date(Date.UTC(2026, 11, 2, 8, 0, 0, n)).toISOString();
  return { deviceId, eventId: `e-${n}`, channel, payload: JSON.stringify({ n }), deviceTime: at, receivedAt: at, ...over };
}

/**
 * An event writer on `store` that records each failed commit's SQLSTATE, given an alarm press and a door state whose
 * commits the test makes fail: resolves once three commits failed with `code` (degraded, nothing settled), then
 * `recover` lets the database take writes again, and both rows must be stored.
 */
async function refusedThenStored(store: PgDb, code: string, rows: [EventRow, EventRow], recover: () => Promise<unknown>): Promise<void> {
  const codes: unknown[] = [];
  const writer = createEventWriter(store, {
    maxBatch: 1_000,
    maxDelayMs: 5,
    maxPending: 10_000,
    onError: (err) => codes.push(typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined),
  });
  let settled = 0;
  const writes = rows.map((r, i) => writer.write(r, i === 0).finally(() => settled++));
  await until(() => codes.length >= 3, `three commits refused with ${code}`, 60_000);
  expect(codes.slice(0, 3)).toEqual([code, code, code]);
  expect(writer.degraded()).toBe(true);
  expect(settled).toBe(0);
  await recover();
  expect((await Promise.all(writes)).map((r) => r.status)).toEqual(['stored', 'stored']);
  expect(writer.degraded()).toBe(false);
  expect(await writer.drain(10_000)).toBe(true);
}

describe('ingest and access on PostgreSQL', () => {
  let server: TestPg;
  let db: PgDb;
  const dbUrl = (name: string, user = 'linli') => server.url.replace(/\/\/linli@/, `//${user}@`).replace(/\/linli_hub$/, `/${name}`);
  const q = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []) => (await db.pool.query<T>(sql, values)).rows;

  beforeAll(async () => {
    server = await startPg(mkdtempSync(join(tmpdir(), 'linli-pg-ingest-')));
    await server.pool.query('CREATE DATABASE linli_ingest');
    db = await openPgDb(dbUrl('linli_ingest'));
    await migrateCellPg(db.pool);
    await db.prisma.community.create({ data: { id: 'c1', name: '长庆坊', latitude: 34.25, longitude: 108.95 } });
    await db.prisma.building.create({ data: { id: 'b1', communityId: 'c1', number: 1, name: '1号楼', x: 0, y: 0 } });
    await db.prisma.unit.create({ data: { id: 'u1', buildingId: 'b1', number: 1 } });
    await db.prisma.household.create({ data: { id: 'h1', unitId: 'u1', room: '101', label: '1-1-101' } });
    for (const id of DEVICES) {
      const kind = id.startsWith('door') ? 'face_terminal' : 'indoor_alarm';
      await db.prisma.device.create({ data: { id, kind, name: id, communityId: 'c1', placeKind: 'unit_door', x: 0, y: 0, secretHash: `hash-${id}` } });
    }
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('commits a batch of events with their outbox rows and the devices’ lastSeenAt, in one transaction', async () => {
    const commits: number[] = [];
    const writer = createEventWriter(db, { maxBatch: 1_000, maxDelayMs: 50, maxPending: 10_000, onCommit: (size) => commits.push(size) });
    const rows = [
      event('btn-1', 'alarm/press'),
      event('btn-1', 'heartbeat'),
      event('btn-2', 'battery/low'),
      event('door-1', 'door/state', { priority: 1 }),
      event('door-1', 'door/state'),
      event('door-2', 'tamper'),
    ];
    const results = await Promise.all(rows.map((r) => writer.write(r)));
    expect(commits).toEqual([rows.length]);
    expect(results.map((r) => r.status)).toEqual(rows.map(() => 'stored'));
    const stored = results.filter((r): r is Extract<WriteResult, { seq: number }> => r.status !== 'duplicate');
    // Seqs follow the batch's order.
    expect(stored.map((r) => r.seq)).toEqual([...stored.map((r) => r.seq)].sort((a, b) => a - b));
    const events = await q<{ seq: number; deviceId: string; eventId: string; channel: string; payload: string; deviceTime: Date }>(
      'SELECT seq, "deviceId", "eventId", channel, payload, "deviceTime" FROM "DeviceEvent" WHERE seq = ANY($1) ORDER BY seq',
      [stored.map((r) => r.seq)],
    );
    expect(events.map((e) => [e.deviceId, e.eventId, e.channel, e.payload, e.deviceTime.toISOString()])).toEqual(rows.map((r) => [r.deviceId, r.eventId, r.channel, r.payload, r.deviceTime]));
    const outbox = await q<{ id: number; eventSeq: number; priority: number }>('SELECT id, "eventSeq", priority FROM "AlertOutbox" ORDER BY id');
    // alarm/press 1, battery/low 0, the door opening judged by content 1, tamper 0; heartbeat and the other door report none.
    expect(outbox.map((o) => [o.eventSeq, o.priority])).toEqual([
      [stored[0]!.seq, 1],
      [stored[2]!.seq, 0],
      [stored[3]!.seq, 1],
      [stored[5]!.seq, 0],
    ]);
    expect(stored.map((r) => r.outboxId)).toEqual([outbox[0]!.id, null, outbox[1]!.id, outbox[2]!.id, null, outbox[3]!.id]);
    const seen = await q<{ id: string; lastSeenAt: Date }>('SELECT id, "lastSeenAt" FROM "Device" ORDER BY id');
    expect(Object.fromEntries(seen.map((d) => [d.id, d.lastSeenAt.toISOString()]))).toEqual({
      'btn-1': rows[1]!.receivedAt,
      'btn-2': rows[2]!.receivedAt,
      'door-1': rows[4]!.receivedAt,
      'door-2': rows[5]!.receivedAt,
    });
    expect(await writer.isStored('btn-1', rows[0]!.eventId)).toBe(true);
    expect(await writer.isStored('btn-1', 'never-sent')).toBe(false);
    expect(await writer.drain(10_000)).toBe(true);
  });

  it('stores a repeated event once and reports it as a duplicate; a reused id with other content goes under its derived id', async () => {
    const writer = createEventWriter(db, { maxBatch: 1_000, maxDelayMs: 20, maxPending: 10_000 });
    const first = event('btn-2', 'alarm/press');
    expect((await writer.write(first)).status).toBe('stored');
    const reused = { ...first, payload: '{"other":true}' };
    const fresh = event('btn-2', 'heartbeat');
    // In one batch: the retransmission, the reused id twice, a new event twice.
    const results = await Promise.all([writer.write({ ...first }), writer.write(reused), writer.write({ ...reused }), writer.write(fresh), writer.write({ ...fresh })]);
    const derived = derivedEventId(reused);
    expect(results.map((r) => (r.status === 'duplicate' ? r.status : `${r.status} ${r.eventId}`))).toEqual(['duplicate', `reused ${derived}`, 'duplicate', `stored ${fresh.eventId}`, 'duplicate']);
    // And in a later batch, each is a duplicate.
    expect((await Promise.all([writer.write(first), writer.write(reused), writer.write(fresh)])).map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    const rows = await q<{ eventId: string; reusedEventId: boolean; payload: string }>(
      'SELECT "eventId", "reusedEventId", payload FROM "DeviceEvent" WHERE "deviceId" = $1 AND "eventId" = ANY($2) ORDER BY seq',
      ['btn-2', [first.eventId, derived, fresh.eventId]],
    );
    expect(rows).toEqual([
      { eventId: first.eventId, reusedEventId: false, payload: first.payload },
      { eventId: derived, reusedEventId: true, payload: reused.payload },
      { eventId: fresh.eventId, reusedEventId: false, payload: fresh.payload },
    ]);
    // One outbox row per stored press (the original and the reused one), none for the duplicates.
    const outbox = await q<{ n: string }>('SELECT count(*) AS n FROM "AlertOutbox" o JOIN "DeviceEvent" e ON e.seq = o."eventSeq" WHERE e."deviceId" = $1', ['btn-2']);
    expect(Number(outbox[0]!.n)).toBe(2 + 1); // the battery/low of the first test, the press, the reused press
    await writer.drain(10_000);
  });

  it('commits an urgent item before the bulk items queued ahead of it, with its own device’s items along', async () => {
    // The bulk items wait for companions for a minute: only the alarm lane commits them before the drain.
    const sizes: number[] = [];
    const writer = createEventWriter(db, { maxBatch: 1_000, maxDelayMs: 60_000, maxPending: 10_000, onCommit: (size) => sizes.push(size) });
    const other = [event('door-1', 'door/state'), event('door-2', 'door/state')];
    const own = event('btn-1', 'heartbeat');
    const bulk = [other[0]!, own, other[1]!].map((r) => writer.write(r));
    const press = await writer.write(event('btn-1', 'alarm/press'), true);
    expect(press.status).toBe('stored');
    expect(sizes).toEqual([2]); // the press and its device's earlier heartbeat, alone
    expect(writer.pending()).toBe(2);
    const ownSeq = await q<{ seq: number }>('SELECT seq FROM "DeviceEvent" WHERE "eventId" = $1', [own.eventId]);
    expect(ownSeq[0]!.seq).toBeLessThan(press.status === 'stored' ? press.seq : 0);
    expect(await q('SELECT seq FROM "DeviceEvent" WHERE "eventId" = ANY($1)', [other.map((r) => r.eventId)])).toEqual([]);
    expect(await writer.drain(10_000)).toBe(true);
    const results = await Promise.all(bulk);
    expect(results.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
    for (const r of [results[0]!, results[2]!]) if (r.status === 'stored' && press.status === 'stored') expect(r.seq).toBeGreaterThan(press.seq);
  });

  it('keeps the items of a failed commit and retries them until the database takes them: nothing is lost', async () => {
    await db.pool.query('CREATE ROLE ingest LOGIN');
    await db.pool.query('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ingest');
    await db.pool.query('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ingest');
    await db.pool.query('REVOKE INSERT ON "DeviceEvent" FROM ingest');
    const limited = await openPgDb(dbUrl('linli_ingest', 'ingest'));
    try {
      const errors: Array<{ code: unknown; attempt: number }> = [];
      const writer = createEventWriter(limited, {
        maxBatch: 1_000,
        maxDelayMs: 5,
        maxPending: 10_000,
        onError: (err, attempt) => errors.push({ code: typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined, attempt }),
      });
      const rows = [event('btn-2', 'alarm/press'), event('door-2', 'door/state'), event('btn-2', 'alarm/cancel')];
      let settled = 0;
      const writes = rows.map((r, i) => writer.write(r, i !== 1).finally(() => settled++));
      await until(() => errors.length >= 3, 'three failed commits');
      expect(errors.slice(0, 3)).toEqual([
        { code: '42501', attempt: 1 },
        { code: '42501', attempt: 2 },
        { code: '42501', attempt: 3 },
      ]);
      expect(writer.degraded()).toBe(true);
      expect(settled).toBe(0);
      expect(writer.pending()).toBe(rows.length);
      await db.pool.query('GRANT INSERT ON "DeviceEvent" TO ingest');
      const results = await Promise.all(writes);
      expect(results.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
      expect(writer.degraded()).toBe(false);
      const stored = await q<{ eventId: string }>('SELECT "eventId" FROM "DeviceEvent" WHERE "eventId" = ANY($1) ORDER BY seq', [rows.map((r) => r.eventId)]);
      // The urgent press and cancel kept their order ahead of the door report.
      expect(stored.map((r) => r.eventId)).toEqual([rows[0]!.eventId, rows[2]!.eventId, rows[1]!.eventId]);
      expect(await writer.drain(10_000)).toBe(true);
    } finally {
      await limited.close();
    }
  });

  it('fails a commit that waits for a lock beyond the writer’s bound, reports degraded, and stores everything once the lock is gone', async () => {
    // What SQLite's tests do with BEGIN EXCLUSIVE on a second connection.
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE "DeviceEvent" IN ACCESS EXCLUSIVE MODE');
      await refusedThenStored(db, '55P03', [event('btn-1', 'alarm/press'), event('door-1', 'door/state')], () => blocker.query('ROLLBACK'));
    } finally {
      blocker.release();
    }
  });

  it('cancels a statement that runs past the statement bound, reports degraded, and stores everything once the server is quick again', async () => {
    // A server that hangs without refusing: every insert into DeviceEvent sleeps (no lock is waited for, so only the
    // statement bound can end it).
    const slow = await openPgDb(dbUrl('linli_ingest'), { statementTimeoutMs: 1_000 });
    await db.pool.query(`CREATE FUNCTION linli_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$`);
    await db.pool.query('CREATE TRIGGER linli_test_slow BEFORE INSERT ON "DeviceEvent" FOR EACH ROW EXECUTE FUNCTION linli_test_slow()');
    try {
      const rows: [EventRow, EventRow] = [event('btn-2', 'alarm/press'), event('door-2', 'door/state')];
      await refusedThenStored(slow, '57014', rows, () => db.pool.query('DROP TRIGGER linli_test_slow ON "DeviceEvent"'));
      const stored = await q<{ n: string }>('SELECT count(*) AS n FROM "DeviceEvent" WHERE "eventId" = ANY($1)', [rows.map((r) => r.eventId)]);
      expect(Number(stored[0]!.n)).toBe(2);
    } finally {
      await db.pool.query('DROP TRIGGER IF EXISTS linli_test_slow ON "DeviceEvent"');
      await db.pool.query('DROP FUNCTION IF EXISTS linli_test_slow()');
      await slow.close();
    }
  });

  it('hands an access request on in arrival order once PostgreSQL answered whether it is fresh', async () => {
    const writer = createEventWriter(db, { maxBatch: 1_000, maxDelayMs: 5, maxPending: 10_000 });
    const old = event('door-1', 'access/request');
    await writer.write(old);
    const bus = new Bus();
    const seen: Array<{ deviceId: string; fresh: boolean; behindOpening: boolean }> = [];
    bus.on('device-request', (r: ArrivingRequest) => seen.push({ deviceId: r.event.deviceId, fresh: r.fresh, behindOpening: r.behindOpening }));
    const { announceArrival, trackOpening } = createArrivals({ writer, bus, log });
    const request = (deviceId: string) => ({ name: 'accessRequest', deviceId }) as unknown as ArrivingRequest['event'];
    const pending = new Promise<WriteResult>(() => undefined);
    trackOpening('door-2', pending);
    announceArrival(request('door-1'), old.eventId, writer.write(old), false);
    announceArrival(request('door-2'), 'new-1', pending, false);
    announceArrival(request('door-1'), 'new-2', pending, true);
    expect(seen).toEqual([]);
    await until(() => seen.length === 3, 'three requests on the bus');
    expect(seen).toEqual([
      { deviceId: 'door-1', fresh: false, behindOpening: false },
      { deviceId: 'door-2', fresh: true, behindOpening: true },
      { deviceId: 'door-1', fresh: false, behindOpening: false },
    ]);
    await writer.drain(10_000);
  });

  it('stores access decisions once and counts a visitor pass entry per stored grant', async () => {
    await db.prisma.visitorPass.create({
      data: { id: 'p1', householdId: 'h1', createdBy: 'u', visitorName: '王', validFrom: new Date('2026-12-01T00:00:00Z'), validUntil: new Date('2026-12-31T00:00:00Z'), allowedDoors: '[]', maxEntries: 5, codeHash: 'ch' },
    });
    const writer = createAccessEventWriter(db, { maxBatch: 1_000, maxDelayMs: 20, maxPending: 10_000 });
    const row = (id: string, requestId: string, over: Partial<AccessEventRow> = {}): AccessEventRow => ({
      id,
      deviceId: 'door-1',
      requestId,
      at: '2026-12-02T08:00:00.000+00:00',
      receivedAt: '2026-12-02T08:00:00.100+00:00',
      direction: 'in',
      credentialType: 'qr',
      decision: 'grant',
      reason: 'visitor_pass',
      residentId: null,
      passId: 'p1',
      householdId: 'h1',
      offline: false,
      ...over,
    });
    const first = await Promise.all([
      writer.write({ row: row('a1', 'r1'), countEntry: true }),
      writer.write({ row: row('a2', 'r2', { offline: true }), countEntry: true }),
      // The same request decided again (offline log uploaded): stored once, counted once.
      writer.write({ row: row('a3', 'r1'), countEntry: true }),
      writer.write({ row: row('a4', 'r3', { decision: 'deny', reason: 'expired', passId: null }), countEntry: false }),
    ]);
    expect(first).toEqual(['stored', 'stored', 'duplicate', 'stored']);
    expect(await writer.write({ row: row('a5', 'r2'), countEntry: true })).toBe('duplicate');
    const pass = await db.prisma.visitorPass.findUniqueOrThrow({ where: { id: 'p1' } });
    expect(pass.entriesUsed).toBe(2);
    const events = await q<{ id: string; offline: boolean; at: Date }>('SELECT id, offline, at FROM "AccessEvent" ORDER BY id');
    expect(events.map((e) => [e.id, e.offline, e.at.toISOString()])).toEqual([
      ['a1', false, '2026-12-02T08:00:00.000Z'],
      ['a2', true, '2026-12-02T08:00:00.000Z'],
      ['a4', false, '2026-12-02T08:00:00.000Z'],
    ]);
    expect(await writer.drain(10_000)).toBe(true);
    writer.close();
  });

  it('stores presence per device in order, and each transition reaches the replication log', async () => {
    await db.prisma.replicationCursor.create({ data: { stream: 'device_presence' } });
    const writer = createPresenceWriter(db, { maxBatch: 1_000, maxDelayMs: 20, maxPending: 10_000 });
    const at = (s: number) => `2026-12-02T09:00:0${s}.000+00:00`;
    await Promise.all([
      writer.write({ deviceId: 'door-1', online: true, at: at(1) }),
      writer.write({ deviceId: 'door-2', online: true, at: at(2) }),
      writer.write({ deviceId: 'door-1', online: false, at: at(3) }),
      writer.write({ deviceId: 'door-1', online: true, at: at(4) }),
    ]);
    const devices = await q<{ id: string; online: boolean; lastSeenAt: Date }>('SELECT id, online, "lastSeenAt" FROM "Device" WHERE id LIKE $1 ORDER BY id', ['door-%']);
    expect(devices.map((d) => [d.id, d.online, d.lastSeenAt.toISOString()])).toEqual([
      ['door-1', true, '2026-12-02T09:00:04.000Z'],
      ['door-2', true, '2026-12-02T09:00:02.000Z'],
    ]);
    const log = await q<{ rowId: string; op: string; at: Date }>('SELECT "rowId", op, at FROM "ReplicationLog" WHERE stream = $1 ORDER BY seq', ['device_presence']);
    expect(log.filter((l) => l.rowId === 'door-1').map((l) => [l.op, l.at.toISOString()])).toEqual([
      ['online', '2026-12-02T09:00:01.000Z'],
      ['offline', '2026-12-02T09:00:03.000Z'],
      ['online', '2026-12-02T09:00:04.000Z'],
    ]);
    expect(await deviceRepo(db).markAllOffline()).toBe(2);
    await db.prisma.replicationCursor.delete({ where: { stream: 'device_presence' } });
    await writer.drain(10_000);
  });

  it('reads a device for MQTT login through the pool', async () => {
    const until = new Date('2026-12-03T00:00:00.000Z');
    await db.prisma.device.update({ where: { id: 'btn-1' }, data: { prevSecretHash: 'old', prevSecretUntil: until } });
    await db.prisma.device.update({ where: { id: 'btn-2' }, data: { enabled: false } });
    const repo = deviceRepo(db);
    expect(await repo.findForAuth('btn-1')).toEqual({ id: 'btn-1', kind: 'indoor_alarm', enabled: true, secretHash: 'hash-btn-1', prevSecretHash: 'old', prevSecretUntil: until });
    expect(await repo.findForAuth('btn-2')).toMatchObject({ enabled: false, prevSecretUntil: null });
    expect(await repo.findForAuth('nobody')).toBeNull();
  });

  it('tells by a committed heartbeat whether the database takes writes', async () => {
    const results: WriteHealth[] = [];
    const ok = startDbHeartbeat(db, { intervalMs: 100, onResult: (h) => results.push(h) });
    await until(() => results.length > 0, 'a heartbeat');
    ok.stop();
    expect(results[0]).toMatchObject({ ok: true, reason: null });
    const row = await q<{ at: Date }>('SELECT at FROM "DbHeartbeat" WHERE id = 1');
    expect(row[0]!.at.getTime()).toBe(results[0]!.lastOkAt!.getTime());

    await db.pool.query('REVOKE INSERT, UPDATE ON "DbHeartbeat" FROM ingest');
    const limited = await openPgDb(dbUrl('linli_ingest', 'ingest'));
    const denied: WriteHealth[] = [];
    const hb = startDbHeartbeat(limited, { intervalMs: 100, onResult: (h) => denied.push(h) });
    await until(() => denied.length > 0, 'a denied heartbeat');
    hb.stop();
    await limited.close();
    expect(denied[0]).toEqual({ ok: false, reason: 'denied', lastOkAt: null });

    const nowhere = await openPgDb(`postgres://linli@127.0.0.1:${await freePort()}/linli_ingest`);
    const gone: WriteHealth[] = [];
    const off = startDbHeartbeat(nowhere, { intervalMs: 2_000, onResult: (h) => gone.push(h) });
    await until(() => gone.length > 0, 'a heartbeat without a server');
    off.stop();
    await nowhere.close();
    expect(gone[0]).toEqual({ ok: false, reason: 'unreachable', lastOkAt: null });
  });
});
