import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginReply } from '../gateway/src/contracts/api/auth';
import { SetupChecklist } from '../gateway/src/contracts/api/setup';
import { UserList, UserView, UserWithPassword } from '../gateway/src/contracts/api/users';
import { api, login } from './helpers/alert-fixtures';
import { addUser, ensureHousehold } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

const loginReply = async (httpUrl: string, username: string, password: string) => {
  const res = await fetch(`${httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return { status: res.status, body: res.status === 200 ? LoginReply.parse(await res.json()) : null };
};

/** Users and roles over HTTP: who may manage accounts, one-time passwords, the policy, disabling, the audit trail. */
describe('users and roles', () => {
  let t: TestGateway;
  let admin: string;
  let guard: string;
  let resident: string;
  const call = (token: string | null, method: string, path: string, body?: unknown) => api(t.httpUrl, token, method, path, body);
  const auditOf = (entityId: string) => t.gw.db.prisma.auditLog.findMany({ where: { entity: 'User', entityId }, orderBy: { id: 'asc' } });

  beforeAll(async () => {
    t = await startGateway();
    const prisma = t.gw.db.prisma;
    await addUser(prisma, { username: 'boss', password: 'admin-password-1', role: 'admin' });
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
    await prisma.resident.create({ data: { id: 'res-new', householdId: 'hh-501', name: '李四' } });
    admin = await login(t.httpUrl, 'boss', 'admin-password-1');
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
    resident = await login(t.httpUrl, 'r-501', 'resident-pw-1');
  });
  afterAll(() => t.close());

  it('refuses guards and residents (403) and the anonymous (401) on every user route', async () => {
    for (const token of [guard, resident]) {
      expect((await call(token, 'GET', '/api/v1/users')).status).toBe(403);
      expect((await call(token, 'POST', '/api/v1/users', { username: 'x-user', displayName: 'X', role: 'guard' })).status).toBe(403);
      expect((await call(token, 'PATCH', '/api/v1/users/user-guard1', { disabled: true })).status).toBe(403);
      expect((await call(token, 'POST', '/api/v1/users/user-guard1/reset-password')).status).toBe(403);
    }
    expect((await call(null, 'GET', '/api/v1/users')).status).toBe(401);
    expect((await call(null, 'POST', '/api/v1/auth/password', { currentPassword: 'anything', newPassword: 'harbour-kettle-95' })).status).toBe(401);
  });

  it('answers invalid accounts with 400 and the field, and a taken name with 409', async () => {
    const cases: Array<[unknown, string]> = [
      [{ username: 'A B', displayName: 'x', role: 'guard' }, '/username'],
      [{ username: 'res-acct', displayName: 'x', role: 'resident' }, 'residentId'],
      [{ username: 'pm-acct', displayName: 'x', role: 'property_manager' }, 'communityId'],
      [{ username: 'g-acct', displayName: 'x', role: 'guard', communityId: 'test-community' }, 'communityId'],
      [{ username: 'g-acct', displayName: 'x', role: 'superuser' }, '/role'],
    ];
    for (const [body, path] of cases) {
      const r = await call(admin, 'POST', '/api/v1/users', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(path);
    }
    expect((await call(admin, 'POST', '/api/v1/users', { username: 'guard1', displayName: 'x', role: 'guard' })).status).toBe(409);
    expect((await call(admin, 'POST', '/api/v1/users', { username: 'r-new', displayName: 'x', role: 'resident', residentId: 'res-nope' })).status).toBe(400);
  });

  it('creates a guard with a one-time password that opens only the change-password route until changed', async () => {
    const r = await call(admin, 'POST', '/api/v1/users', { username: 'guard2', displayName: '王师傅', role: 'guard' });
    expect(r.status).toBe(201);
    const created = UserWithPassword.parse(r.body);
    expect(created.user).toMatchObject({ username: 'guard2', role: 'guard', mustChangePassword: true, disabled: false });
    const otp = created.oneTimePassword;

    const first = await loginReply(t.httpUrl, 'guard2', otp);
    expect(first.status).toBe(200);
    expect(first.body?.user.mustChangePassword).toBe(true);
    const token = first.body!.token;
    const blocked = await call(token, 'GET', '/api/v1/alerts');
    expect(blocked).toMatchObject({ status: 403, body: { error: 'PASSWORD_CHANGE_REQUIRED' } });
    expect((await call(token, 'GET', '/api/v1/auth/me')).body).toMatchObject({ username: 'guard2', mustChangePassword: true });

    // The policy: too short, a common password, the user name inside, the same as before.
    for (const [newPassword, reason] of [['short1', 'at least 10'], ['1234567890', 'commonly used'], ['qwertyuiop', 'commonly used'], ['my-guard2-password', 'user name']] as const) {
      const bad = await call(token, 'POST', '/api/v1/auth/password', { currentPassword: otp, newPassword });
      expect(bad.status, newPassword).toBe(400);
      expect(JSON.stringify(bad.body), newPassword).toContain(reason);
    }
    expect((await call(token, 'POST', '/api/v1/auth/password', { currentPassword: 'wrong-one-123', newPassword: 'gate-lamp-orchid-42' })).status).toBe(400);
    expect((await call(token, 'POST', '/api/v1/auth/password', { currentPassword: otp, newPassword: 'gate-lamp-orchid-42' })).status).toBe(204);

    // The same token now works everywhere a guard may go; the one-time password is spent.
    expect((await call(token, 'GET', '/api/v1/alerts')).status).toBe(200);
    expect((await loginReply(t.httpUrl, 'guard2', otp)).status).toBe(401);
    expect((await loginReply(t.httpUrl, 'guard2', 'gate-lamp-orchid-42')).body?.user.mustChangePassword).toBe(false);

    const rows = await auditOf(created.user.id);
    expect(rows.map((x) => [x.actor, x.action])).toEqual([['admin:boss', 'user.create'], ['guard:guard2', 'user.change_password']]);
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ before: null, after: { username: 'guard2', role: 'guard', mustChangePassword: true } });
    expect(JSON.parse(rows[1]!.detail)).toMatchObject({ before: { mustChangePassword: true }, after: { mustChangePassword: false } });
    for (const row of rows) {
      expect(row.detail).not.toContain(otp);
      expect(row.detail).not.toContain('gate-lamp-orchid-42');
      expect(row.detail).not.toContain('argon2');
    }
  });

  it('lets every user change their own password (a resident too)', async () => {
    expect((await call(resident, 'POST', '/api/v1/auth/password', { currentPassword: 'resident-pw-1', newPassword: 'balcony-tulip-2026' })).status).toBe(204);
    expect((await loginReply(t.httpUrl, 'r-501', 'balcony-tulip-2026')).status).toBe(200);
  });

  it('disables an account: its live token stops at once, login is refused; enabling lets it in again', async () => {
    const created = UserWithPassword.parse((await call(admin, 'POST', '/api/v1/users', { username: 'worker1', displayName: '网格员张', role: 'grid_worker' })).body);
    const token = (await loginReply(t.httpUrl, 'worker1', created.oneTimePassword)).body!.token;
    expect((await call(token, 'POST', '/api/v1/auth/password', { currentPassword: created.oneTimePassword, newPassword: 'street-grid-maple-7' })).status).toBe(204);
    expect((await call(token, 'GET', '/api/v1/auth/me')).status).toBe(200);

    const off = await call(admin, 'PATCH', `/api/v1/users/${created.user.id}`, { disabled: true });
    expect(UserView.parse(off.body).disabled).toBe(true);
    expect((await call(token, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await loginReply(t.httpUrl, 'worker1', 'street-grid-maple-7')).status).toBe(401);
    const revoked = await t.gw.db.prisma.session.findMany({ where: { userId: created.user.id } });
    expect(revoked.every((s) => s.revokedAt !== null)).toBe(true);

    expect((await call(admin, 'PATCH', `/api/v1/users/${created.user.id}`, { disabled: false })).status).toBe(200);
    expect((await loginReply(t.httpUrl, 'worker1', 'street-grid-maple-7')).status).toBe(200);
    const actions = (await auditOf(created.user.id)).map((x) => x.action);
    expect(actions).toEqual(['user.create', 'user.change_password', 'user.disable', 'user.enable']);
    const disable = (await auditOf(created.user.id))[2]!;
    expect(JSON.parse(disable.detail)).toMatchObject({ before: { disabled: false }, after: { disabled: true } });
  });

  it('resets a password: a new one-time password, the old sessions end, a change is forced', async () => {
    const token = await login(t.httpUrl, 'guard1', 'night-shift-pw');
    const r = await call(admin, 'POST', '/api/v1/users/user-guard1/reset-password');
    const reset = UserWithPassword.parse(r.body);
    expect(reset.user.mustChangePassword).toBe(true);
    expect((await call(token, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await loginReply(t.httpUrl, 'guard1', 'night-shift-pw')).status).toBe(401);
    const again = await loginReply(t.httpUrl, 'guard1', reset.oneTimePassword);
    expect(again.body?.user.mustChangePassword).toBe(true);
    expect((await call(again.body!.token, 'GET', '/api/v1/site')).body).toMatchObject({ error: 'PASSWORD_CHANGE_REQUIRED' });
  });

  it('keeps an admin: no disabling oneself, nor the last enabled admin', async () => {
    expect((await call(admin, 'PATCH', '/api/v1/users/user-boss', { disabled: true })).status).toBe(409);
    const list = UserList.parse((await call(admin, 'GET', '/api/v1/users?role=admin')).body);
    expect(list.users.map((u) => u.username)).toEqual(['boss']);
    expect(JSON.stringify(list)).not.toMatch(/argon2|passwordHash/);
  });

  it('creates a property manager scoped to an existing compound and a resident account for a resident', async () => {
    await ensureHousehold(t.gw.db.prisma, 'hh-502');
    expect((await call(admin, 'POST', '/api/v1/users', { username: 'pm-x', displayName: 'x', role: 'property_manager', communityId: 'nope' })).status).toBe(400);
    const pm = await call(admin, 'POST', '/api/v1/users', { username: 'pm-1', displayName: '物业经理', role: 'property_manager', communityId: 'test-community' });
    expect(UserWithPassword.parse(pm.body).user.communityId).toBe('test-community');
    const res = await call(admin, 'POST', '/api/v1/users', { username: 'li-si', displayName: '李四', role: 'resident', residentId: 'res-new' });
    expect(UserWithPassword.parse(res.body).user.residentId).toBe('res-new');
    expect((await call(admin, 'POST', '/api/v1/users', { username: 'li-si-2', displayName: '李四', role: 'resident', residentId: 'res-new' })).status).toBe(409);
  });

  it('shows the setup checklist to admins only, with what is done', async () => {
    expect((await call(guard, 'GET', '/api/v1/setup')).status).toBe(401); // guard1's password was reset above
    expect((await call(resident, 'GET', '/api/v1/setup')).status).toBe(403);
    const r = await call(admin, 'GET', '/api/v1/setup');
    const c = SetupChecklist.parse(r.body);
    expect(Object.fromEntries(c.steps.map((s) => [s.step, s.done]))).toEqual({ admin_password: true, compound: true, buildings: true, households: true, devices: false, guards: true });
    expect(c.next).toBe('devices');
  });
});
