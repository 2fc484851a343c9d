// The hub's HTTP API over a real PostgreSQL 15 that this test starts (test/cluster/pg.ts) and stops by its PID:
// sign-in of hub users made by the hub CLI and the registry, and every reply filtered by the caller's scope — a street
// user never sees another street's compound, alerts, history or stats, and cannot annotate there. The tables are
// filled through the hub's own writer path (hub/store.ts); no NATS is needed for this.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorReply } from '../../gateway/src/contracts/api/auth';
import { HubAlertList, HubCompoundHistory, HubCompoundList, HubLoginReply, HubNote, HubStatsReply, HubUser } from '../../gateway/src/contracts/api/hub';
import { C1, C2, C3, C9, PASSWORDS, STREET_A, fillDistrict, hubCli, registerDistrict, listenLocal, testHubHttp } from './hub-fixtures';
import { type TestPg, startPg } from './pg';

describe('hub API: users, scopes and the district overview (PostgreSQL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-hubapi-'));
  let db: TestPg | undefined;
  let app: FastifyInstance | undefined;
  let base = '';
  let districtPassword = '';

  beforeAll(async () => {
    db = await startPg(dir);
    ({ districtPassword } = await registerDistrict(db.pool, db.url));
    await fillDistrict(db.pool);
    app = await testHubHttp(db.pool, 'hub-api-test');
    base = await listenLocal(app);
  });

  afterAll(async () => {
    await app?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string | null, body?: unknown) {
    const res = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? null : (JSON.parse(text) as unknown), headers: res.headers };
  }
  const get = async <S extends z.ZodType>(schema: S, path: string, token: string): Promise<z.infer<S>> => {
    const r = await call('GET', path, token);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return schema.parse(r.json);
  };
  async function login(username: string, password: string): Promise<string> {
    const r = await call('POST', '/api/hub/auth/login', null, { username, password });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return HubLoginReply.parse(r.json).token;
  }

  it('signs in users made by the CLI and the registry; a wrong password, no token or a revoked one is 401', async () => {
    const bad = await call('POST', '/api/hub/auth/login', null, { username: 'street-a', password: 'wrong-password-1' });
    expect(bad.status).toBe(401);
    expect(ErrorReply.parse(bad.json).error).toBe('UNAUTHENTICATED');
    const unknown = await call('POST', '/api/hub/auth/login', null, { username: 'nobody', password: 'wrong-password-1' });
    expect(unknown.status).toBe(401);
    expect((await call('GET', '/api/hub/compounds', null)).status).toBe(401);

    const district = await login('district1', districtPassword);
    expect(HubUser.parse((await call('GET', '/api/hub/auth/me', district)).json)).toMatchObject({ username: 'district1', displayName: '区值班', scope: { kind: 'district' } });
    const street = await login('street-a', PASSWORDS.street);
    const me = HubUser.parse((await call('GET', '/api/hub/auth/me', street)).json);
    expect(me).toMatchObject({ scope: { kind: 'street', id: STREET_A.id }, scopeName: STREET_A.name });
    const login2 = await call('POST', '/api/hub/auth/login', null, { username: 'street-a', password: PASSWORDS.street });
    expect(login2.headers.get('cache-control')).toBe('no-store');

    const t = HubLoginReply.parse(login2.json).token;
    expect((await call('POST', '/api/hub/auth/logout', t)).status).toBe(204);
    expect((await call('GET', '/api/hub/auth/me', t)).status).toBe(401);

    // Disabled by the CLI: its sessions end at once and it cannot sign in again.
    const c2 = await login('c2-office', PASSWORDS.compound);
    await hubCli(db!.url, ['disable', 'c2-office']);
    expect((await call('GET', '/api/hub/compounds', c2)).status).toBe(401);
    expect((await call('POST', '/api/hub/auth/login', null, { username: 'c2-office', password: PASSWORDS.compound })).status).toBe(401);
    await hubCli(db!.url, ['user', 'c2-office', `compound:${C2.id}`, '--password-stdin'], `${PASSWORDS.compound}\n`);
    expect((await call('GET', '/api/hub/compounds', await login('c2-office', PASSWORDS.compound))).status).toBe(200);
  });

  it('lists compounds by scope: the district sees every one (the unregistered as such), a street its own, a compound itself', async () => {
    const district = await get(HubCompoundList, '/api/hub/compounds', await login('district1', districtPassword));
    expect(district.compounds.map((c) => c.id).sort()).toEqual([C1.id, C2.id, C3.id, C9].sort());
    const byId = new Map(district.compounds.map((c) => [c.id, c]));
    expect(byId.get(C9)).toMatchObject({ name: null, street: null });
    // Compound 3's 小区网关离线 is open: offline, listed first, its open alerts counted with the hub's own.
    expect(district.compounds[0]).toMatchObject({ id: C3.id, state: 'offline', openAlerts: 2, openCritical: 2, street: { id: 'zhangjiabu' } });
    expect(byId.get(C1.id)).toMatchObject({ name: C1.name, state: 'unknown', openAlerts: 1, openCritical: 1, street: { id: STREET_A.id, name: STREET_A.name } });
    expect(byId.get(C1.id)?.lastReplicatedAt).not.toBeNull();

    const street = await get(HubCompoundList, '/api/hub/compounds', await login('street-a', PASSWORDS.street));
    expect(street.compounds.map((c) => c.id).sort()).toEqual([C1.id, C2.id]);
    const compound = await get(HubCompoundList, '/api/hub/compounds', await login('c2-office', PASSWORDS.compound));
    expect(compound.compounds.map((c) => c.id)).toEqual([C2.id]);
  });

  it('lists open alerts by scope and filters them by compound, severity, type and age', async () => {
    const district = await login('district1', districtPassword);
    const street = await login('street-a', PASSWORDS.street);
    const all = await get(HubAlertList, '/api/hub/alerts', district);
    // Cleared a2 is not open; the hub's own offline alert is.
    expect(all.alerts.filter((a) => a.source === 'cell').map((a) => a.id).sort()).toEqual(['a1-alarm', 'b1-tamper', 'c1-alarm', 'd1-battery']);
    expect(all.alerts.filter((a) => a.source === 'hub')).toHaveLength(1);
    expect(all.alerts.find((a) => a.source === 'hub')).toMatchObject({ compound: C3.id, type: 'gateway_offline', severity: 'critical', status: 'open' });
    // Most severe first.
    expect(all.alerts.slice(0, 3).every((a) => a.severity === 'critical')).toBe(true);

    const mine = await get(HubAlertList, '/api/hub/alerts', street);
    expect(mine.alerts.map((a) => a.id).sort()).toEqual(['a1-alarm', 'b1-tamper']);
    expect(mine.alerts.find((a) => a.id === 'b1-tamper')).toMatchObject({ compoundName: C2.name, status: 'acknowledged', ackedBy: 'guard1', place: '东门门禁' });
    expect((await get(HubAlertList, '/api/hub/alerts?severity=critical', street)).alerts.map((a) => a.id)).toEqual(['a1-alarm']);
    expect((await get(HubAlertList, '/api/hub/alerts?type=tamper', street)).alerts.map((a) => a.id)).toEqual(['b1-tamper']);
    expect((await get(HubAlertList, '/api/hub/alerts?minAgeMinutes=30', street)).alerts.map((a) => a.id)).toEqual(['a1-alarm']);
    expect((await get(HubAlertList, `/api/hub/alerts?compound=${C2.id}`, street)).alerts.map((a) => a.id)).toEqual(['b1-tamper']);
    // Another street's compound named in the filter: nothing, not its alerts.
    expect((await get(HubAlertList, `/api/hub/alerts?compound=${C3.id}`, street)).alerts).toEqual([]);
    expect((await call('GET', '/api/hub/alerts?severity=loud', street)).status).toBe(400);
  });

  it("shows a compound's alert history with its changes inside the scope, and 404 outside it", async () => {
    const street = await login('street-a', PASSWORDS.street);
    const h = await get(HubCompoundHistory, `/api/hub/compounds/${C1.id}/alerts`, street);
    expect(h.compound).toMatchObject({ id: C1.id, name: C1.name });
    expect(h.alerts.map((a) => a.id)).toEqual(['a1-alarm', 'a2-forced']);
    expect(h.alerts[1]?.changes.map((c) => [c.action, c.actor])).toEqual([['raised', 'system'], ['acknowledged', 'guard1'], ['cleared', 'guard1']]);
    expect(h.alerts[1]).toMatchObject({ status: 'cleared', ackedBy: 'guard1' });

    expect((await call('GET', `/api/hub/compounds/${C3.id}/alerts`, street)).status).toBe(404);
    expect((await call('GET', `/api/hub/compounds/${C9}/alerts`, street)).status).toBe(404);
    const district = await login('district1', districtPassword);
    const c3 = await get(HubCompoundHistory, `/api/hub/compounds/${C3.id}/alerts`, district);
    expect(c3.alerts.find((a) => a.source === 'hub')?.changes.map((c) => c.action)).toEqual(['raised']);
    expect((await call('GET', '/api/hub/compounds/no-such-compound/alerts', district)).status).toBe(404);
  });

  it('keeps notes on alerts inside the scope only, shown with the alert', async () => {
    const street = await login('street-a', PASSWORDS.street);
    const created = await call('POST', `/api/hub/compounds/${C1.id}/alerts/a1-alarm/notes`, street, { body: '已电话联系物业经理，10分钟内到场' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(HubNote.parse(created.json)).toMatchObject({ author: 'street-a', body: '已电话联系物业经理，10分钟内到场' });

    const open = await get(HubAlertList, '/api/hub/alerts', street);
    expect(open.alerts.find((a) => a.id === 'a1-alarm')?.notes.map((n) => n.body)).toEqual(['已电话联系物业经理，10分钟内到场']);
    const hist = await get(HubCompoundHistory, `/api/hub/compounds/${C1.id}/alerts`, street);
    expect(hist.alerts.find((a) => a.id === 'a1-alarm')?.notes).toHaveLength(1);
    // The note does not acknowledge: the alert is still open, as the cell's guards left it.
    expect(open.alerts.find((a) => a.id === 'a1-alarm')?.status).toBe('open');

    expect((await call('POST', `/api/hub/compounds/${C3.id}/alerts/c1-alarm/notes`, street, { body: '越权' })).status).toBe(404);
    expect((await call('POST', `/api/hub/compounds/${C1.id}/alerts/no-such-alert/notes`, street, { body: 'x' })).status).toBe(404);
    expect((await call('POST', `/api/hub/compounds/${C1.id}/alerts/a1-alarm/notes`, street, { body: '   ' })).status).toBe(400);
    const count = z.object({ n: z.coerce.number() }).parse((await db!.pool.query('SELECT count(*) AS n FROM hub_alert_note')).rows[0]).n;
    expect(count).toBe(1);

    // The district may annotate the hub's own offline alert.
    const district = await login('district1', districtPassword);
    const offline = (await get(HubAlertList, `/api/hub/alerts?compound=${C3.id}&type=gateway_offline`, district)).alerts[0];
    expect(offline).toBeDefined();
    expect((await call('POST', `/api/hub/compounds/${C3.id}/alerts/${offline!.id}/notes`, district, { body: '已派人去小区查看网络' })).status).toBe(201);
  });

  it('reports response times per compound within the scope', async () => {
    const street = await get(HubStatsReply, '/api/hub/stats?days=7', await login('street-a', PASSWORDS.street));
    expect(street.days).toBe(7);
    expect(street.compounds.map((s) => s.compound)).toEqual([C1.id, C2.id]);
    expect(street.compounds[0]).toMatchObject({ compoundName: C1.name, raised: 2, acknowledged: 1, cleared: 1, unanswered: 1, medianAckSeconds: 180, p90AckSeconds: 180, medianCloseSeconds: 1200 });
    expect(street.compounds[1]).toMatchObject({ raised: 1, acknowledged: 1, cleared: 0, unanswered: 0, medianAckSeconds: 60, medianCloseSeconds: null });
    const district = await get(HubStatsReply, '/api/hub/stats', await login('district1', districtPassword));
    expect(district.compounds.map((s) => s.compound)).toEqual([C1.id, C2.id, C3.id, C9]);
  });

  it('counts the signed-in API per hub user: one desk over its limit gets 429, another desk is not slowed', async () => {
    if (!db) throw new Error('no PostgreSQL');
    const limited = await testHubHttp(db.pool, 'hub-api-limit-test', { apiPerMinute: 3 });
    try {
      const street = await login('street-a', PASSWORDS.street);
      const district = await login('district1', districtPassword);
      const inject = (token: string) => limited.inject({ method: 'GET', url: '/api/hub/compounds', headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 3; i++) expect((await inject(street)).statusCode).toBe(200);
      const over = await inject(street);
      expect(over.statusCode).toBe(429);
      expect(ErrorReply.parse(over.json()).error).toBe('RATE_LIMITED');
      expect((await inject(district)).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
