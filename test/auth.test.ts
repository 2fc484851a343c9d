import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginReply, Principal } from '../gateway/src/contracts/api/auth';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

describe('API authentication', () => {
  let t: TestGateway;
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${t.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const get = (path: string, token?: string) => fetch(`${t.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const login = async (username: string, password: string) => LoginReply.parse(await (await post('/api/v1/auth/login', { username, password })).json());

  beforeAll(async () => {
    t = await startGateway({ LOGIN_RATE_PER_MINUTE: '5' });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
    await addUser(t.gw.db.prisma, { username: 'guard2', password: 'day-shift-pw', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'gone', password: 'disabled-pw-1', role: 'guard', disabled: true });
  });
  afterAll(() => t.close());

  it('logs a guard in and answers /me with the role', async () => {
    const { token, user } = await login('guard1', 'night-shift-pw');
    expect(user).toMatchObject({ role: 'guard', householdId: null });
    const me = Principal.parse(await (await get('/api/v1/auth/me', token)).json());
    expect(me.username).toBe('guard1');
  });

  it('tells a resident which household is theirs', async () => {
    const { user } = await login('r-501', 'resident-pw-1');
    expect(user).toMatchObject({ role: 'resident', householdId: 'hh-501' });
  });

  it('stores only a hash of the token', async () => {
    const { token } = await login('guard1', 'night-shift-pw');
    const rows = await t.gw.db.prisma.session.findMany();
    expect(rows.some((r) => r.tokenHash === token)).toBe(false);
  });

  it('answers a wrong password, an unknown user and a disabled user with the same 401', async () => {
    for (const [u, p] of [['guard1', 'nope'], ['nobody', 'nope'], ['gone', 'disabled-pw-1']] as const) {
      const r = await post('/api/v1/auth/login', { username: u, password: p });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ error: 'UNAUTHENTICATED', message: 'wrong user name or password' });
    }
  });

  it('answers a malformed body with 400 and the issues', async () => {
    const r = await post('/api/v1/auth/login', { username: '', extra: 1 });
    expect(r.status).toBe(400);
    expect((await r.json()).issues.length).toBeGreaterThan(0);
  });

  it('revokes the token on logout', async () => {
    const { token } = await login('guard1', 'night-shift-pw');
    expect((await post('/api/v1/auth/logout', {}, token)).status).toBe(204);
    expect((await get('/api/v1/auth/me', token)).status).toBe(401);
  });

  it('refuses requests without a token, and expired tokens', async () => {
    expect((await get('/api/v1/auth/me')).status).toBe(401);
    const { token } = await login('guard1', 'night-shift-pw');
    await t.gw.db.prisma.session.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await get('/api/v1/auth/me', token)).status).toBe(401);
  });

  it('rate-limits repeated logins for one user name with 429', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await post('/api/v1/auth/login', { username: 'r-501', password: 'guess' })).status);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes.at(-1)).toBe(429);
    // Another user name from the same address is not locked out by it.
    expect((await post('/api/v1/auth/login', { username: 'guard2', password: 'day-shift-pw' })).status).toBe(200);
  });
});
