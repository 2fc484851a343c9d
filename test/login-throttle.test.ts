import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

describe('HTTP login throttling', () => {
  let t: TestGateway;
  /** A login as if from `client` behind the trusted proxy (127.0.0.1 here). */
  const attempt = async (client: string, username: string, password: string) =>
    (await fetch(`${t.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ username, password }),
    })).status;

  beforeAll(async () => {
    t = await startGateway({
      HTTP_TRUSTED_PROXIES: '127.0.0.1',
      LOGIN_RATE_PER_MINUTE: '3',
      LOGIN_RATE_PER_ADDRESS_PER_MINUTE: '6',
      LOGIN_RATE_PER_NAME_PER_MINUTE: '5',
    });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw1', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'guard2', password: 'night-shift-pw2', role: 'guard' });
  });
  afterAll(async () => t?.close());

  it('limits one address spraying user names, unknown ones included, without touching other addresses', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push(await attempt('203.0.113.10', `nobody-${i}`, 'x'));
    expect(codes).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    expect(await attempt('203.0.113.11', 'guard2', 'night-shift-pw2')).toBe(200);
  });

  it('limits one user name guessed from many addresses, and one address guessing one name', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push(await attempt(`198.51.100.${i + 1}`, 'guard1', `guess-${i}`));
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    // Per address and name: the third wrong password from one place is the last before 429.
    const pair: number[] = [];
    for (let i = 0; i < 4; i++) pair.push(await attempt('192.0.2.77', 'guard2', `guess-${i}`));
    expect(pair).toEqual([401, 401, 401, 429]);
  });
});
