// Escalation at the hub (docs/scale-out.md "Escalation at the hub") over a real PostgreSQL 15 this test starts and
// stops by its PID, with a real HTTP webhook receiver on 127.0.0.1 that checks every signature. No NATS: the hub's
// 小区网关离线 is raised through hub/cells.ts and the replicated alerts are committed through hub/store.ts, as the hub
// writer does. Chains are set with the hub CLI; deadlines are short through the settings; every wait is on an event.
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verify, webhookNotifier } from '../../gateway/src/api/webhook';
import { HubAckReply, HubAlertList, HubAlertNotification, HubChain, HubCompoundHistory, HubEscalateReply, HubLoginReply } from '../../gateway/src/contracts/api/hub';
import { ReplicationMessage } from '../../gateway/src/contracts/replication';
import { hubAlerts } from '../../gateway/src/hub/cells';
import { createHubEscalation } from '../../gateway/src/hub/escalation';
import { createHubNotifier } from '../../gateway/src/hub/notify';
import { hubStore } from '../../gateway/src/hub/store';
import { hubRegistry } from '../../gateway/src/hub/users';
import { createLogger } from '../../gateway/src/log';
import { freePort } from '../helpers/process';
import { C1, C2, C3, PASSWORDS, STREET_A, STREET_B, hubCli, testHubHttp } from './hub-fixtures';
import { type TestPg, startPg } from './pg';

const SECRET = 'hub-webhook-secret-for-the-test-0123456789';
const ACK_SEC = 3;
const log = createLogger({ level: 'warn', name: 'hub-escalation-test' });
/** Every attempt's outcome as the notifier counts it for /metrics. */
const outcomes: string[] = [];

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: HubAlertNotification;
  status: number;
}

/** The levels' systems: one server, a path per level; each body is parsed only after its signature checked out. */
async function receiver(port: number, respond: (path: string, n: number) => number) {
  const calls: Received[] = [];
  const bad: string[] = [];
  let waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const path = req.url ?? '';
      const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);
      const ok = verify(SECRET, { timestamp: one(req.headers['x-linli-timestamp']), signature: one(req.headers['x-linli-signature']) }, raw, Math.floor(Date.now() / 1000));
      if (!ok) bad.push(path);
      const status = ok ? respond(path, calls.filter((c) => c.path === path).length + 1) : 401;
      if (ok) calls.push({ path, headers: req.headers, body: HubAlertNotification.parse(JSON.parse(raw)), status });
      res.statusCode = status;
      res.end();
      for (const w of waiters) w();
      waiters = [];
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    calls,
    bad,
    /** Resolves with the calls matching `pred` once there are at least `n` (generous bound). */
    async until(pred: (c: Received) => boolean, n = 1, timeoutMs = 60_000): Promise<Received[]> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = calls.filter(pred);
        if (got.length >= n) return got;
        if (Date.now() > end) throw new Error(`receiver: ${got.length} of ${n} calls; all: ${JSON.stringify(calls.map((c) => [c.path, c.body.alert.id, c.body.event, c.status]))}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1_000);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function hubProcess(pool: TestPg['pool']) {
  const notifier = createHubNotifier(pool, webhookNotifier({ secret: SECRET, timeoutMs: 5_000, userAgent: 'linli-hub' }), { maxAttempts: 5, backoffMs: 300, backoffMaxMs: 1_000, timeoutMs: 5_000, checkMs: 200, counted: (o) => outcomes.push(o) }, log);
  const escalation = createHubEscalation(pool, { offlineAckSec: ACK_SEC, graceSec: 60, checkMs: 200 }, log, notifier.kick);
  return {
    escalation,
    start() {
      notifier.start();
      escalation.start();
    },
    async stop() {
      await escalation.stop();
      await notifier.stop();
    },
  };
}

const Step = z.object({ alert_id: z.string(), action: z.string(), actor: z.string(), level: z.number(), code: z.string(), at: z.date(), detail: z.record(z.string(), z.unknown()) });
const Delivery = z.object({ id: z.string(), level: z.number(), status: z.string(), attempts: z.number() });

describe('hub escalation: chains, deadlines, acknowledgement and the outbox (PostgreSQL, webhooks)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-hubesc-'));
  let db: TestPg | undefined;
  let app: FastifyInstance | undefined;
  let hook: Awaited<ReturnType<typeof receiver>> | undefined;
  let hub: ReturnType<typeof hubProcess> | undefined;
  let base = '';
  let districtPassword = '';

  beforeAll(async () => {
    db = await startPg(dir);
    const port = await freePort();
    // The street's 街道办 answers 500 the first time: the delivery is retried.
    hook = await receiver(port, (path, n) => (path === '/l2' && n === 1 ? 500 : 200));
    const url = `http://127.0.0.1:${port}`;
    const reg = hubRegistry(db.pool);
    await reg.street(STREET_A.id, STREET_A.name);
    await reg.street(STREET_B.id, STREET_B.name);
    await reg.compound(C1.id, C1.name, STREET_A.id);
    await reg.compound(C2.id, C2.name, STREET_A.id);
    await reg.compound(C3.id, C3.name, STREET_B.id);
    await reg.user({ username: 'street-a', displayName: '咸宁路值班', password: PASSWORDS.street, scope: { kind: 'street', id: STREET_A.id } });
    districtPassword = 'district-desk-pw-0001';
    await reg.user({ username: 'district1', displayName: '区值班', password: districtPassword, scope: { kind: 'district' } });
    // Street A's default chain (its third level has no channel), and the district's default for everyone else.
    await hubCli(db.url, ['chain', `street:${STREET_A.id}`, `物业公司=${url}/l1`, `街道办=${url}/l2`, '区']);
    await hubCli(db.url, ['chain', 'district', `区值班=${url}/d1`]);
    app = await testHubHttp(db.pool, 'hub-escalation-test', { log });
    await app.listen({ host: '127.0.0.1', port: await freePort() });
    const a = app.server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
    hub = hubProcess(db.pool);
    hub.start();
  });

  afterAll(async () => {
    await hub?.stop();
    await app?.close();
    await hook?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string | null) {
    const res = await fetch(base + path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return { status: res.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
  }
  async function login(username: string, password: string): Promise<string> {
    const res = await fetch(`${base}/api/hub/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    return HubLoginReply.parse(await res.json()).token;
  }
  const steps = async (alertId: string) =>
    (await db!.pool.query('SELECT alert_id, action, actor, level, code, at, detail FROM hub_escalation_step WHERE alert_id = $1 ORDER BY at, id', [alertId])).rows.map((r) => Step.parse(r));
  const deliveries = async (alertId: string) =>
    (await db!.pool.query('SELECT id, level, status, attempts FROM hub_notification WHERE alert_id = $1 ORDER BY level, created_at', [alertId])).rows.map((r) => Delivery.parse(r));
  const offlineId = async (compound: string) =>
    z.object({ id: z.string() }).parse((await db!.pool.query("SELECT id FROM hub_alert WHERE compound = $1 AND status = 'open'", [compound])).rows[0]).id;

  it('shows the chain read-only, without URLs, inside the scope only', async () => {
    const street = await login('street-a', PASSWORDS.street);
    const r = await call('GET', `/api/hub/compounds/${C1.id}/chain`, street);
    expect(r.status).toBe(200);
    expect(HubChain.parse(r.json)).toEqual({
      compound: C1.id,
      source: 'street',
      levels: [{ level: 1, name: '物业公司', channel: 'webhook' }, { level: 2, name: '街道办', channel: 'webhook' }, { level: 3, name: '区', channel: null }],
      working: true,
    });
    expect(JSON.stringify(r.json)).not.toContain('127.0.0.1');
    expect((await call('GET', `/api/hub/compounds/${C3.id}/chain`, street)).status).toBe(404);
    const district = await login('district1', districtPassword);
    expect(HubChain.parse((await call('GET', `/api/hub/compounds/${C3.id}/chain`, district)).json)).toMatchObject({ source: 'district', levels: [{ name: '区值班', channel: 'webhook' }] });
    expect(await hubCli(db!.url, ['chain-show', C1.id])).toContain('3 区 (no channel: nobody is told)');
    // The CLI refuses what is not an http(s) webhook, and changes nothing then.
    await expect(hubCli(db!.url, ['chain', 'district', '区值班=ftp://example.org/x'])).rejects.toThrow('the webhook must be an http(s) URL');
    expect(HubChain.parse((await call('GET', `/api/hub/compounds/${C3.id}/chain`, district)).json).levels).toHaveLength(1);
  });

  it('tells 小区网关离线 to level 1, escalates it after its deadline (retrying a 500), and an acknowledgement stops it', async () => {
    const alerts = hubAlerts(db!.pool);
    const now = new Date();
    expect(await alerts.raiseOffline(C1.id, new Date(now.getTime() - 60_000), now)).toBe(true);
    const id = await offlineId(C1.id);
    const [told] = await hook!.until((c) => c.path === '/l1' && c.body.alert.id === id);
    expect(told!.body).toMatchObject({ event: 'alert.raised', level: 1, levelName: '物业公司', reason: 'raised', source: 'hub', compound: C1.id, compoundName: C1.name });
    expect(told!.body.alert).toMatchObject({ type: 'gateway_offline', severity: 'critical', title: '小区网关离线' });
    expect(told!.headers['user-agent']).toBe('linli-hub');

    // Nobody acknowledges: level 2 after the deadline. Its first answer is a 500; the same delivery is sent again.
    const l2 = await hook!.until((c) => c.path === '/l2' && c.body.alert.id === id, 2);
    expect(l2.map((c) => c.status)).toEqual([500, 200]);
    expect(l2[0]!.headers['x-linli-delivery']).toBe(l2[1]!.headers['x-linli-delivery']);
    expect(l2[1]!.body).toMatchObject({ event: 'alert.escalated', level: 2, levelName: '街道办', reason: 'escalated_no_ack' });
    // The receiver answered; the hub records it right after.
    await expect.poll(async () => (await deliveries(id)).map((x) => [x.level, x.status, x.attempts]), { timeout: 30_000, interval: 200 }).toEqual([[1, 'delivered', 1], [2, 'delivered', 2]]);
    expect(outcomes.filter((o) => o === 'retry')).toHaveLength(1);
    const s = await steps(id);
    expect(s.map((x) => [x.action, x.level, x.code])).toEqual([['raised', 1, 'raised'], ['escalated', 2, 'escalated_no_ack']]);
    // The step waited for its deadline: not before HUB_OFFLINE_ACK_SEC after level 1 was told.
    expect(s[1]!.at.getTime() - s[0]!.at.getTime()).toBeGreaterThanOrEqual(ACK_SEC * 1000);
    expect(s[1]!.detail).toMatchObject({ fromLevel: 1, toLevel: 2, target: '街道办', waitedSec: ACK_SEC });

    // The desk sees the level and who was told, and acknowledges (a street user whose scope covers the compound).
    const street = await login('street-a', PASSWORDS.street);
    const open = HubAlertList.parse((await call('GET', `/api/hub/alerts?compound=${C1.id}`, street)).json).alerts.find((a) => a.id === id);
    expect(open?.hubEscalation).toMatchObject({ level: 2, levelName: '街道办', told: [{ level: 1, outcome: 'delivered' }, { level: 2, outcome: 'delivered' }] });
    expect(open?.hubEscalation.nextDeadlineAt).not.toBeNull();
    const ack = await call('POST', `/api/hub/compounds/${C1.id}/alerts/${id}/ack`, street);
    expect(ack.status, JSON.stringify(ack.json)).toBe(200);
    expect(HubAckReply.parse(ack.json)).toMatchObject({ compound: C1.id, id, ackedBy: 'street-a' });
    expect((await call('POST', `/api/hub/compounds/${C1.id}/alerts/${id}/ack`, street)).status).toBe(409);

    // The clock: compound 2 goes offline after the acknowledgement and reaches level 2 — later than compound 1's
    // level 3 would have been, had the acknowledgement not ended its escalation (one sweep takes both, oldest first).
    expect(await alerts.raiseOffline(C2.id, new Date(), new Date())).toBe(true);
    const id2 = await offlineId(C2.id);
    await hook!.until((c) => c.path === '/l2' && c.body.alert.id === id2 && c.status === 200);
    expect((await steps(id)).map((x) => [x.action, x.level, x.actor])).toEqual([['raised', 1, 'hub'], ['escalated', 2, 'hub'], ['acknowledged', 2, 'street-a']]);
    expect(await deliveries(id)).toHaveLength(2);
    const after = HubAlertList.parse((await call('GET', `/api/hub/alerts?compound=${C1.id}`, street)).json).alerts.find((a) => a.id === id);
    expect(after).toMatchObject({ status: 'acknowledged', ackedBy: 'street-a', hubEscalation: { level: 2, nextDeadlineAt: null } });

    // Compound 2's level 3 (区) has no channel: when its alert gets there, that is recorded, not silent.
    await expect.poll(async () => (await deliveries(id2)).map((x) => [x.level, x.status]), { timeout: 60_000, interval: 500 }).toContainEqual([3, 'no_channel']);
    const c2 = HubAlertList.parse((await call('GET', `/api/hub/alerts?compound=${C2.id}`, street)).json).alerts.find((a) => a.id === id2);
    expect(c2?.hubEscalation.told.map((t) => t.outcome)).toEqual(['delivered', 'delivered', 'no_channel']);

    // Another street's compound: told through the district's default chain; street A cannot acknowledge it (404).
    expect(await alerts.raiseOffline(C3.id, new Date(), new Date())).toBe(true);
    const id3 = await offlineId(C3.id);
    await hook!.until((c) => c.path === '/d1' && c.body.alert.id === id3);
    expect((await call('POST', `/api/hub/compounds/${C3.id}/alerts/${id3}/ack`, street)).status).toBe(404);
    const district = await login('district1', districtPassword);
    expect((await call('POST', `/api/hub/compounds/${C3.id}/alerts/${id3}/ack`, district)).status).toBe(200);
    // The cell returns: cleared; the history shows the hub's steps beside the raise and the clear.
    expect(await alerts.clearOffline(C3.id, new Date())).toBe(true);
    const h = HubCompoundHistory.parse((await call('GET', `/api/hub/compounds/${C3.id}/alerts`, district)).json);
    expect(h.alerts.find((a) => a.id === id3)?.changes.map((c) => c.action)).toEqual(['raised', 'hub_raised', 'hub_acknowledged', 'cleared']);
    expect(hook!.bad).toEqual([]);
  });

  it('escalates a replicated alert whose cell deadline passed once, across a hub restart and a second writer; the cell wins later', async () => {
    const now = Date.now();
    const min = (m: number) => new Date(now - m * 60_000).toISOString();
    const snapshot = (id: string, status: string, deadline: string | null, lastAt: string) => ({
      id, type: 'alarm_press', severity: 'critical', status, firstAt: min(10), lastAt, escalationLevel: 1,
      escalationTarget: 'grid_worker', nextDeadlineAt: deadline, deadlineKind: deadline === null ? null : 'ack',
      place: { label: '5号楼1单元301', kind: null }, ackedBy: status === 'acknowledged' ? 'guard1' : null,
    });
    // r1: its deadline passed 5 minutes ago, nothing since. r2: passed 10 s ago (inside the grace). r3: the cell wrote
    // a change after its deadline (it is alive and answering): the hub leaves both alone.
    const changes: [string, string, string, ReturnType<typeof snapshot>][] = [
      ['r1-alarm', 'raised', min(10), snapshot('r1-alarm', 'open', min(5), min(10))],
      ['r2-alarm', 'raised', min(10), snapshot('r2-alarm', 'open', new Date(now - 10_000).toISOString(), min(10))],
      ['r3-alarm', 'raised', min(10), snapshot('r3-alarm', 'open', min(5), min(10))],
      ['r3-alarm', 'repeated', min(2), snapshot('r3-alarm', 'open', min(5), min(2))],
    ];
    const message = (seq: number, [alertId, action, at, snap]: (typeof changes)[number]) => ReplicationMessage.parse({
      v: 2, compound: C2.id, generation: 'genesc0001', base: 0, table: 'alert_change', seq, prev: seq - 1,
      row: { alertId, at, action, actor: 'system', note: null, detail: null, source: null, snapshot: snap },
    });
    await hubStore(db!.pool).commit(changes.map((c, i) => message(i + 1, c)));

    const [told] = await hook!.until((c) => c.body.alert.id === 'r1-alarm');
    expect(told!.path).toBe('/l1');
    expect(told!.body).toMatchObject({ event: 'alert.escalated', level: 1, levelName: '物业公司', reason: 'cell_deadline_passed', source: 'cell', compound: C2.id });
    expect(told!.body.alert).toMatchObject({ type: 'alarm_press', place: '5号楼1单元301', cellLevel: 1, status: 'open' });

    // The hub restarts, and a second hub writer sweeps at the same time: neither takes the step again.
    await hub!.stop();
    const restarted = hubProcess(db!.pool);
    const second = hubProcess(db!.pool);
    for (let i = 0; i < 3; i++) await Promise.all([restarted.escalation.sweep(), second.escalation.sweep()]);
    hub = restarted;
    hub.start();
    const r1 = await steps('r1-alarm');
    expect(r1.map((x) => [x.action, x.level, x.code])).toEqual([['escalated', 1, 'cell_deadline_passed']]);
    expect(r1[0]!.detail).toMatchObject({ toLevel: 1, target: '物业公司', cellLevel: 1, waitedFor: 'ack' });
    expect(await deliveries('r1-alarm')).toHaveLength(1);
    expect(await steps('r2-alarm')).toEqual([]);
    expect(await steps('r3-alarm')).toEqual([]);

    // The cell's own change arrives later: it wins for the alert's state; the hub's step stays as history.
    await hubStore(db!.pool).commit([message(5, ['r1-alarm', 'acknowledged', new Date().toISOString(), snapshot('r1-alarm', 'acknowledged', null, new Date().toISOString())])]);
    const street = await login('street-a', PASSWORDS.street);
    const h = HubCompoundHistory.parse((await call('GET', `/api/hub/compounds/${C2.id}/alerts`, street)).json);
    const a = h.alerts.find((x) => x.id === 'r1-alarm');
    expect(a).toMatchObject({ status: 'acknowledged', ackedBy: 'guard1', hubEscalation: { level: 1, levelName: '物业公司', told: [{ level: 1, outcome: 'delivered' }] } });
    expect(a?.changes.map((c) => [c.action, c.note])).toEqual([['raised', null], ['hub_escalated', 'cell_deadline_passed'], ['acknowledged', null]]);
    // A cell alert is the cell's to acknowledge: not through the hub (404, no hub alert of that id).
    expect((await call('POST', `/api/hub/compounds/${C2.id}/alerts/r1-alarm/ack`, street)).status).toBe(404);
    // Exactly one notification for it reached the receiver.
    expect(hook!.calls.filter((c) => c.body.alert.id === 'r1-alarm')).toHaveLength(1);
  });

  it('lets a hub user escalate a cell alert by hand, level by level with a reason, and says when no level is left', async () => {
    const street = await login('street-a', PASSWORDS.street);
    const escalate = async (compound: string, alertId: string, body: unknown, token: string | null = street) => {
      const res = await fetch(`${base}/api/hub/compounds/${compound}/alerts/${alertId}/escalate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as unknown };
    };
    // r3-alarm (previous test) is open and its cell is alive: the sweep never stepped for it.
    expect(await steps('r3-alarm')).toEqual([]);
    expect((await escalate(C2.id, 'r3-alarm', { reason: '   ' })).status).toBe(400);
    expect((await escalate(C2.id, 'r3-alarm', { reason: 'x' }, null)).status).toBe(401);
    // Outside the street's scope, and an alert that does not exist: 404 alike.
    expect((await escalate(C3.id, 'r3-alarm', { reason: '越权' })).status).toBe(404);
    expect((await escalate(C2.id, 'no-such-alert', { reason: '无此报警' })).status).toBe(404);

    const reason = '业主电话反映无人到场，请物业经理立即处理';
    const first = await escalate(C2.id, 'r3-alarm', { reason });
    expect(first.status).toBe(200);
    expect(HubEscalateReply.parse(first.json)).toEqual({ compound: C2.id, id: 'r3-alarm', level: 1, levelName: '物业公司', by: 'street-a' });
    const [told] = await hook!.until((c) => c.body.alert.id === 'r3-alarm');
    expect(told!.path).toBe('/l1');
    expect(told!.body).toMatchObject({ event: 'alert.escalated', level: 1, levelName: '物业公司', reason: 'hub_manual', note: reason, source: 'cell', compound: C2.id });
    // Next level, then the third (no channel: nobody is told, and the card says so), then nothing is left.
    expect(HubEscalateReply.parse((await escalate(C2.id, 'r3-alarm', { reason: '十分钟无人响应' })).json).levelName).toBe('街道办');
    await hook!.until((c) => c.body.alert.id === 'r3-alarm' && c.path === '/l2' && c.status === 200);
    expect(HubEscalateReply.parse((await escalate(C2.id, 'r3-alarm', { reason: '报区里' })).json)).toMatchObject({ level: 3, levelName: '区' });
    const top = await escalate(C2.id, 'r3-alarm', { reason: '再升' });
    expect(top.status).toBe(409);
    expect(top.json).toMatchObject({ error: 'CONFLICT', details: { refused: 'at_top', level: 3, levelName: '区' } });

    const r3 = await steps('r3-alarm');
    expect(r3.map((x) => [x.action, x.actor, x.level, x.code])).toEqual([
      ['escalated', 'street-a', 1, 'hub_manual'],
      ['escalated', 'street-a', 2, 'hub_manual'],
      ['escalated', 'street-a', 3, 'hub_manual'],
    ]);
    expect(r3[0]!.detail).toMatchObject({ toLevel: 1, target: '物业公司', cellLevel: 1, reason });
    // The desk sees the level, who was told, the steps in the history and the reasons as notes; the cell's state is
    // untouched (still open, unacknowledged: acknowledging stays with the compound's guards).
    const h = HubCompoundHistory.parse((await call('GET', `/api/hub/compounds/${C2.id}/alerts`, street)).json);
    const a = h.alerts.find((x) => x.id === 'r3-alarm');
    expect(a).toMatchObject({ status: 'open', ackedBy: null, hubEscalation: { level: 3, levelName: '区' } });
    expect(a?.hubEscalation.told.map((x) => [x.levelName, x.outcome])).toEqual([['物业公司', 'delivered'], ['街道办', 'delivered'], ['区', 'no_channel']]);
    expect(a?.changes.filter((c) => c.action === 'hub_escalated').map((c) => [c.actor, c.note])).toEqual([
      ['street-a', 'hub_manual'], ['street-a', 'hub_manual'], ['street-a', 'hub_manual'],
    ]);
    expect(a?.notes.map((n) => [n.author, n.body])).toEqual([['street-a', reason], ['street-a', '十分钟无人响应'], ['street-a', '报区里']]);

    // A cleared alert is not escalated.
    await hubStore(db!.pool).commit([ReplicationMessage.parse({
      v: 2, compound: C2.id, generation: 'genesc0001', base: 0, table: 'alert_change', seq: 6, prev: 5,
      row: { alertId: 'r2-alarm', at: new Date().toISOString(), action: 'cleared', actor: 'guard1', note: null, detail: null, source: null,
        snapshot: { id: 'r2-alarm', type: 'alarm_press', severity: 'critical', status: 'cleared', firstAt: new Date().toISOString(), lastAt: new Date().toISOString(), escalationLevel: 1, escalationTarget: null, nextDeadlineAt: null, deadlineKind: null, place: null, ackedBy: 'guard1' } },
    })]);
    const cleared = await escalate(C2.id, 'r2-alarm', { reason: '已处理的也升级' });
    expect(cleared).toMatchObject({ status: 409, json: { details: { refused: 'cleared' } } });
    expect(await steps('r2-alarm')).toEqual([]);
  });
});
