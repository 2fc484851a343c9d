import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

/**
 * Every authenticated route without a limit of its own is limited per user by the HTTP kit (api/limits.ts), whatever
 * feature registered it: here an alerts route and a site route, which set none themselves.
 */
describe('per-user limit on authenticated routes (API_RATE_PER_MINUTE)', () => {
  let t: TestGateway;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    t = await startGateway({ API_RATE_PER_MINUTE: '4' });
    for (const username of ['guard-a', 'guard-b']) {
      await addUser(t.gw.db.prisma, { username, password: `${username}-password`, role: 'guard' });
      tokens[username] = await login(t.httpUrl, username, `${username}-password`);
    }
  });
  afterAll(() => t?.close());

  it('answers 429 RATE_LIMITED once one user exceeds the limit on a route, and only that user', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await api(t.httpUrl, tokens['guard-a']!, 'GET', '/api/v1/alerts')).status);
    expect(codes).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await api(t.httpUrl, tokens['guard-a']!, 'GET', '/api/v1/alerts')).body).toMatchObject({ error: 'RATE_LIMITED' });
    // Another guard (same address) is not affected.
    expect((await api(t.httpUrl, tokens['guard-b']!, 'GET', '/api/v1/alerts')).status).toBe(200);
  });

  it('limits a route of another feature too', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await api(t.httpUrl, tokens['guard-b']!, 'GET', '/api/v1/devices/states')).status);
    expect(codes).toEqual([200, 200, 200, 200, 429]);
  });

  it('leaves unauthenticated ops routes alone', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await fetch(`${t.httpUrl}/healthz`)).status);
    expect(codes).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
