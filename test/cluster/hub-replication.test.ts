// Cell → hub replication across real processes (docs/scale-out.md): PostgreSQL 15 and a 3-node NATS JetStream cluster
// from scripts/hub-up, a leaf node for the cell, the hub writer, and one cell gateway with devices publishing over
// MQTT: door states, heartbeats, access requests (stored decisions) and tamper reports (alerts raised, then changed by
// repeats), while a guard and an admin log in and out over HTTP, the admin creates grids (audit records) and one more
// device keeps connecting and disconnecting (presence transitions). The hub writer is killed with SIGKILL mid-stream and
// restarted, and a NATS node is stopped. Afterwards every committed cell row except heartbeats is in PostgreSQL exactly
// once per table, no table's sequence has a gap there, the hub's alerts are in the cell's state, and the cell's resend
// point was never ahead of the hub's committed watermark. Every process is stopped by its PID.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccessRequest, DoorState, Heartbeat, Tamper, topicFor } from '../../gateway/src/contracts';
import { REPLICATED_TABLES } from '../../gateway/src/contracts/replication';
import { openDb } from '../../gateway/src/db/client';
import { api, login } from '../helpers/alert-fixtures';
import { addDevice, addUser } from '../helpers/fixtures';
import { freshDatabase } from '../helpers/gateway';
import { type GatewayProcess, spawnGateway } from '../helpers/process';
import { type CellReader, type Hub, type Proc, cellReader, expectUnbroken, hubReader, hubUp, run, startLeaf, startWriter, stopByPid } from './harness';

const DEVICES = Array.from({ length: 6 }, (_, i) => ({ id: `door-hub-${i}`, kind: 'face_terminal' as const, secret: `hub-secret-${i}-xyzw` }));
const COMPOUND = 'test-community';
/** Connects and disconnects over and over: its presence transitions replicate (its heartbeats would not). */
const FLAPPER = { id: 'door-hub-flap', kind: 'face_terminal' as const, secret: 'hub-secret-flap-xyzw' };

/** Rounds of staff work at least, however slow the machine: the checks below count on their rows. */
const MIN_ROUNDS = 4;

/**
 * Staff at work until `stop()` (and at least MIN_ROUNDS rounds): a guard and an admin each log in and out, the admin
 * creates a grid each round (one audit record), and the flapping device connects and disconnects.
 */
function staffAtWork(httpUrl: string, mqttUrl: string, cell: CellReader) {
  const flapperOnline = () => cell.devicesOnline().find((d) => d.id === FLAPPER.id)?.online;
  let running = true;
  let rounds = 0;
  const loop = (async () => {
    while (running || rounds < MIN_ROUNDS) {
      for (const [user, password] of [['hub-guard', 'hub-guard-password'], ['hub-admin', 'hub-admin-password']] as const) {
        const token = await login(httpUrl, user, password);
        if (user === 'hub-admin') expect((await api(httpUrl, token, 'POST', '/api/v1/admin/grids', { compoundId: COMPOUND, name: `网格${rounds}` })).status).toBe(201);
        expect((await api(httpUrl, token, 'POST', '/api/v1/auth/logout')).status).toBeLessThan(300);
      }
      // Online, then offline, each stored before the next step: two transitions per round.
      const flap = await mqtt.connectAsync(mqttUrl, { clientId: FLAPPER.id, username: FLAPPER.id, password: FLAPPER.secret, reconnectPeriod: 0 });
      await expect.poll(flapperOnline, { timeout: 30_000, interval: 50 }).toBe(true);
      await flap.endAsync();
      await expect.poll(flapperOnline, { timeout: 30_000, interval: 50 }).toBe(false);
      rounds++;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })().then(
    () => null,
    (err: unknown) => err,
  );
  return {
    /** Ends the loop after its round (once MIN_ROUNDS are done); a failed request in any round fails here. */
    async stop() {
      running = false;
      const failed = await loop;
      if (failed !== null) throw failed;
    },
  };
}

describe('cell → hub replication (multi-process)', () => {
  const hubDir = mkdtempSync(join(tmpdir(), 'linli-hub-'));
  const { dir, dbFile } = freshDatabase();
  let hub: Hub | undefined;
  let leaf: Proc | undefined;
  let leafUrl = '';
  let writer: Proc | undefined;
  let gw: GatewayProcess | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    hub = await hubUp(hubDir);
    const l = await startLeaf(hubDir, COMPOUND, hub);
    leaf = l.proc;
    leafUrl = l.url;
    writer = await startWriter(hub);
    const db = await openDb(dbFile);
    for (const d of [...DEVICES, FLAPPER]) await addDevice(db.prisma, d);
    await addUser(db.prisma, { username: 'hub-guard', password: 'hub-guard-password', role: 'guard' });
    await addUser(db.prisma, { username: 'hub-admin', password: 'hub-admin-password', role: 'admin' });
    await db.close();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    if (gw) {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    await stopByPid(writer);
    await stopByPid(leaf);
    await hub?.pool.end();
    // scripts/hub-down stops the NATS nodes and PostgreSQL by the PIDs hub-up recorded.
    await run('scripts/hub-down', [hubDir], { timeout: 120_000 });
    rmSync(hubDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets every committed row of every table except heartbeats into PostgreSQL exactly once through a writer crash and a NATS node stop', async () => {
    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', HUB_NATS_URL: leafUrl, HUB_JS_DOMAIN: 'linli-hub', REPLICATION_POLL_MS: '100', REPLICATION_RESEND_AFTER_MS: '5000',
      // Staff log in again and again (staffAtWork): the login limits are not what this test is about.
      LOGIN_RATE_PER_MINUTE: '1000', LOGIN_RATE_PER_ADDRESS_PER_MINUTE: '1000', LOGIN_RATE_PER_NAME_PER_MINUTE: '1000' });
    for (const d of DEVICES) {
      clients.push(mqtt.connect(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: d.id, username: d.id, password: d.secret, clean: false, reconnectPeriod: 200 }));
    }
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));

    const cell = cellReader(dbFile);
    const h = hubReader(hub!);
    const hubRows = () => h.count('device_event', COMPOUND);
    await expect.poll(() => cell.generation(), { timeout: 30_000 }).not.toBeNull();
    const generation = cell.generation()!;
    // The invariant, sampled all along: no table's resend point is ever ahead of what PostgreSQL has committed.
    // Read the cursor first: the watermark only grows, so a later read of it can only be larger.
    const violations: string[] = [];
    let samples = 0;
    const sampler = setInterval(() => {
      for (const table of REPLICATED_TABLES) {
        const cur = cell.confirmed(table);
        void h.watermark(COMPOUND, generation, table).then((wm) => {
          samples++;
          if (cur > wm) violations.push(`${table}: cursor ${cur} > watermark ${wm}`);
        }, () => {});
      }
    }, 200);

    let n = 0;
    let published = 0;
    let acked = 0;
    let ackErrors = 0;
    const counted = (err?: Error) => {
      if (err) ackErrors++;
      else acked++;
    };
    const publish = (c: MqttClient, topic: string, body: unknown) => {
      published++;
      c.publish(topic, JSON.stringify(body), { qos: 1 }, counted);
    };
    const pump = setInterval(() => {
      for (const [i, c] of clients.entries()) {
        const id = DEVICES[i]!.id;
        const ts = new Date().toISOString();
        publish(c, topicFor('doorState', id), DoorState.parse({ eventId: `hub-${i}-${n}`, ts, state: n % 2 ? 'open' : 'closed', cause: 'grant' }));
        if (n % 5 === 0) c.publish(topicFor('heartbeat', id), JSON.stringify(Heartbeat.parse({ eventId: `hb-${i}-${n}`, ts, uptimeSec: n })), { qos: 1 });
        // A card nobody holds: a stored deny decision (AccessEvent) on every third round.
        if (n % 3 === 0) {
          publish(c, topicFor('accessRequest', id), AccessRequest.parse({ eventId: `ar-${i}-${n}`, ts, requestId: `rq-${i}-${n}`, credential: { type: 'card', value: `CARD${i}${n}` }, direction: 'in' }));
        }
        // Tamper: the first raises an alert, the next ones change it (count, last time): alert changes after insert.
        if (n % 25 === 0) publish(c, topicFor('tamper', id), Tamper.parse({ eventId: `tp-${i}-${n}`, ts, kind: 'case_open' }));
      }
      n++;
    }, 20);
    const staff = staffAtWork(`http://127.0.0.1:${gw.http}`, `mqtt://127.0.0.1:${gw.mqtt}`, cell);

    try {
      await expect.poll(hubRows, { timeout: 120_000, interval: 250 }).toBeGreaterThan(200);
      // The writer dies between a COMMIT and its ACK, for certain: PostgreSQL is told to wait for a synchronous standby
      // that does not exist, so the writer's next COMMIT is written but does not return (nor become visible) until the
      // wait is lifted. The writer is killed while it waits; lifting the wait then completes that commit, whose
      // messages JetStream never had acked and delivers again to the next writer (which must insert nothing twice).
      const q = async (sql: string) => hub!.q(sql);
      await q("ALTER SYSTEM SET synchronous_standby_names = 'linli_no_such_standby'");
      await q('SELECT pg_reload_conf()');
      const waiting = async () => z.object({ n: z.number() }).parse((await q("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'"))[0]).n;
      await expect.poll(waiting, { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
      writer!.child.kill('SIGKILL');
      await writer!.exited;
      // Every replicated table: the waiting batch may hold any of them.
      const allRows = async () => (await Promise.all(REPLICATED_TABLES.map((t) => h.count(t, COMPOUND)))).reduce((a, b) => a + b, 0);
      const beforeLift = await allRows();
      await q('ALTER SYSTEM RESET synchronous_standby_names');
      await q('SELECT pg_reload_conf()');
      // Only the dead writer's waiting commit can add rows now: it did commit, and nobody acked it.
      await expect.poll(allRows, { timeout: 60_000, interval: 100 }).toBeGreaterThan(beforeLift);
      await expect.poll(waiting, { timeout: 60_000, interval: 100 }).toBe(0);
      const whileDown = acked;
      await expect.poll(() => acked, { timeout: 60_000 }).toBeGreaterThan(whileDown + 300);
      writer = await startWriter(hub!);
      const afterRestart = await hubRows();
      await expect.poll(hubRows, { timeout: 120_000, interval: 250 }).toBeGreaterThan(afterRestart + 200);
      // One NATS node stops for good: the R3 stream and the watermark bucket keep a quorum on the other two.
      const n3 = Number(readFileSync(join(hubDir, 'pids', 'nats-n3.pid'), 'utf8'));
      process.kill(n3, 'SIGTERM');
      const afterNodeStop = acked;
      await expect.poll(() => acked, { timeout: 60_000 }).toBeGreaterThan(afterNodeStop + 300);
    } finally {
      clearInterval(pump);
      await staff.stop();
    }
    await expect.poll(() => acked + ackErrors, { timeout: 60_000 }).toBe(published);

    const cellRows = cell.deviceEventSeqs();
    expect(cell.heartbeats()).toBeGreaterThan(0);
    const lastSeq = cellRows[cellRows.length - 1]!;
    // Access decisions and alert changes are committed after their device event: wait until none is in flight (one
    // decision per stored request, every stored event judged by the alert engine).
    await expect.poll(() => cell.accessIds().length, { timeout: 60_000 }).toBe(cell.accessRequests());
    await expect.poll(() => cell.alertOutboxLeft(), { timeout: 60_000 }).toBe(0);
    const accessIds = cell.accessIds();
    expect(accessIds.length).toBeGreaterThan(100);
    expect(cell.alertChangeIds().length).toBeGreaterThan(DEVICES.length);
    const lastAccess = cell.logLastSeq('access_event');
    // Everything reaches PostgreSQL, and each watermark (hence each resend point) reaches its table's last row.
    try {
      await expect.poll(hubRows, { timeout: 240_000, interval: 500 }).toBe(cellRows.length);
      await expect.poll(() => cell.confirmed('device_event'), { timeout: 120_000, interval: 250 }).toBe(lastSeq);
      await expect.poll(() => cell.confirmed('access_event'), { timeout: 120_000, interval: 250 }).toBe(lastAccess);
      // Alerts may still change (an escalation deadline passing): the hub holds every change the cell holds, and the
      // cell's resend point is at its last one, at one moment.
      await expect
        .poll(async () => {
          const ids = cell.alertChangeIds();
          const atHub = (await h.chain('alert_change', COMPOUND, generation)).map((r) => r.seq);
          return JSON.stringify(atHub) === JSON.stringify(ids) && cell.confirmed('alert_change') === ids[ids.length - 1];
        }, { timeout: 120_000, interval: 500 })
        .toBe(true);
      // Audit records by their own id; sessions and presence changes until their log is empty (every log row of
      // theirs confirmed, i.e. at the hub in an unbroken chain up to the resend point).
      const auditIds = cell.auditIds();
      await expect.poll(() => cell.confirmed('audit_log'), { timeout: 120_000, interval: 250 }).toBe(auditIds[auditIds.length - 1]);
      for (const t of ['session_event', 'device_presence'] as const) await expect.poll(() => cell.logLeft(t), { timeout: 120_000, interval: 250 }).toBe(0);
    } catch (err) {
      const relayLog = gw.output().split('\n').filter((l) => l.includes('replication')).slice(-20).join('\n');
      throw new Error(`${String(err)}\ncell replication log:\n${relayLog}\nhub writer:\n${writer!.output().slice(-3000)}`, { cause: err });
    }
    clearInterval(sampler);

    // Device events: exactly the cell's rows, in one unbroken chain, no heartbeat.
    const events = await h.chain('device_event', COMPOUND, generation);
    expect(events.map((r) => r.seq)).toEqual(cellRows);
    expect(expectUnbroken(events)).toEqual([]);
    expect(await h.count('device_event', COMPOUND)).toBe(cellRows.length);
    expect(Number(z.object({ n: z.string() }).parse((await hub!.q("SELECT count(*) AS n FROM device_event WHERE channel = 'heartbeat'"))[0]).n)).toBe(0);
    expect(await h.watermark(COMPOUND, generation, 'device_event')).toBe(lastSeq);
    // Access decisions: each stored decision exactly once, the chain unbroken, the cell's log emptied as confirmed.
    const access = await h.chain('access_event', COMPOUND, generation);
    expect(access.length).toBe(accessIds.length);
    expect(expectUnbroken(access)).toEqual([]);
    expect((await h.accessIds(COMPOUND)).sort()).toEqual([...accessIds].sort());
    expect(cell.logLeft('access_event')).toBe(0);
    // Alert changes: every history row once, unbroken; each alert at the hub in the state the cell holds.
    const changes = await h.chain('alert_change', COMPOUND, generation);
    expect(changes.length).toBeGreaterThan(DEVICES.length);
    expect(expectUnbroken(changes)).toEqual([]);
    expect(cell.alerts().some((a) => a.count > 1)).toBe(true);
    await expect.poll(async () => JSON.stringify(await h.alerts(COMPOUND)), { timeout: 60_000, interval: 500 }).toBe(JSON.stringify(cell.alerts()));

    // Audit records: exactly the cell's ids, unbroken.
    const audit = await h.chain('audit_log', COMPOUND, generation);
    expect(audit.map((r) => r.seq)).toEqual(cell.auditIds());
    expect(audit.length).toBeGreaterThanOrEqual(MIN_ROUNDS);
    expect(expectUnbroken(audit)).toEqual([]);
    // Sessions: every staff login and logout once (none twice), unbroken; the cursor where the chain ends.
    const sessions = await h.chain('session_event', COMPOUND, generation);
    expect(expectUnbroken(sessions)).toEqual([]);
    const staffSessions = cell.staffSessions();
    expect(staffSessions.logins).toBeGreaterThanOrEqual(2 * MIN_ROUNDS);
    expect(await h.sessions(COMPOUND)).toEqual({ ...staffSessions, pairs: staffSessions.logins + staffSessions.logouts });
    expect(cell.confirmed('session_event')).toBe(sessions[sessions.length - 1]!.seq);
    // Presence: transitions only (each device alternates, starting online), unbroken, ending in the cell's state.
    const presence = await h.chain('device_presence', COMPOUND, generation);
    expect(expectUnbroken(presence)).toEqual([]);
    expect(cell.confirmed('device_presence')).toBe(presence[presence.length - 1]!.seq);
    const transitions = await h.presence(COMPOUND);
    expect(transitions.get(FLAPPER.id)!.length).toBeGreaterThanOrEqual(2 * MIN_ROUNDS);
    for (const [device, states] of transitions) expect(states.every((online, i) => online === (i % 2 === 0)), device).toBe(true);
    for (const d of cell.devicesOnline()) expect(transitions.get(d.id)?.at(-1) ?? false, d.id).toBe(d.online);

    // The cell's metrics tell the same: confirmed up to the last row, nothing in any backlog.
    const metrics = await (await fetch(`http://127.0.0.1:${gw.http}/metrics`)).text();
    expect(metrics).toContain(`linli_replication_confirmed_seq{table="device_event"} ${lastSeq}`);
    for (const table of REPLICATED_TABLES) {
      expect(metrics).toContain(`linli_replication_backlog_rows{table="${table}"} 0`);
      expect(metrics).toContain(`linli_replication_lag_seconds{table="${table}"} 0`);
    }
    expect(samples).toBeGreaterThan(10);
    expect(violations).toEqual([]);
    cell.close();
  });
});
