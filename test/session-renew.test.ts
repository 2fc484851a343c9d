import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginReply, RenewReply } from '../gateway/src/contracts/api/auth';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

/** A guard station in use keeps its sign-in: the expiry slides, up to a hard maximum per shift. */
describe('staff session renewal', () => {
  let t: TestGateway;
  const HOUR = 3_600_000;
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${t.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const login = async (username: string, password: string) => LoginReply.parse(await (await post('/api/v1/auth/login', { username, password })).json());
  const renew = (token?: string) => post('/api/v1/auth/renew', {}, token);
  const row = async (expiresAt: string) => {
    const rows = await t.gw.db.prisma.session.findMany({ where: { expiresAt: new Date(expiresAt) } });
    expect(rows).toHaveLength(1);
    return rows[0];
  };

  beforeAll(async () => {
    t = await startGateway({ SESSION_TTL_HOURS: '1', SESSION_MAX_HOURS: '2', LOGIN_RATE_PER_MINUTE: '50' });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
  });
  afterAll(() => t.close());

  it('slides the expiry of a guard in use by the TTL and stores it', async () => {
    const { token, expiresAt } = await login('guard1', 'night-shift-pw');
    const s = await row(expiresAt);
    // Most of the window has passed.
    await t.gw.db.prisma.session.update({ where: { tokenHash: s?.tokenHash }, data: { createdAt: new Date(Date.now() - 0.9 * HOUR), expiresAt: new Date(Date.now() + 0.1 * HOUR) } });
    const r = await renew(token);
    expect(r.status).toBe(200);
    const body = RenewReply.parse(await r.json());
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now() + 0.9 * HOUR);
    expect(Date.parse(body.hardExpiresAt)).toBeLessThan(Date.now() + 1.2 * HOUR);
    expect((await t.gw.db.prisma.session.findUnique({ where: { tokenHash: s?.tokenHash } }))?.expiresAt.toISOString()).toBe(body.expiresAt);
    expect((await fetch(`${t.httpUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('never renews beyond the hard maximum after sign-in', async () => {
    const { token, expiresAt } = await login('guard1', 'night-shift-pw');
    const s = await row(expiresAt);
    const createdAt = new Date(Date.now() - 1.8 * HOUR);
    await t.gw.db.prisma.session.update({ where: { tokenHash: s?.tokenHash }, data: { createdAt, expiresAt: new Date(Date.now() + 0.05 * HOUR) } });
    const body = RenewReply.parse(await (await renew(token)).json());
    const hard = createdAt.getTime() + 2 * HOUR;
    expect(body.hardExpiresAt).toBe(new Date(hard).toISOString());
    expect(body.expiresAt).toBe(new Date(hard).toISOString());
  });

  it('refuses a revoked or expired token (401); a resident phone app renews too (#16)', async () => {
    const a = await login('guard1', 'night-shift-pw');
    expect((await post('/api/v1/auth/logout', {}, a.token)).status).toBe(204);
    expect((await renew(a.token)).status).toBe(401);
    const b = await login('guard1', 'night-shift-pw');
    const s = await row(b.expiresAt);
    await t.gw.db.prisma.session.update({ where: { tokenHash: s?.tokenHash }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await renew(b.token)).status).toBe(401);
    expect((await renew()).status).toBe(401);
    const r = await login('r-501', 'resident-pw-1');
    expect((await renew(r.token)).status).toBe(200);
  });
});
