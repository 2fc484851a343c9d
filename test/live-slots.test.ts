import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveHello } from '../gateway/src/contracts/live';
import { login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { SseClient } from './helpers/sse';

const LIVE = '/api/v1/live/alerts';

describe('live stream slots', () => {
  let t: TestGateway;
  const open: SseClient[] = [];
  const stream = async (token: string) => {
    const s = await SseClient.open(`${t.httpUrl}${LIVE}`, { token });
    open.push(s);
    LiveHello.parse((await s.next((f) => f.event === 'hello')).data);
    return s;
  };

  beforeAll(async () => {
    t = await startGateway({ LIVE_MAX_CLIENTS: '4', LIVE_MAX_CLIENTS_PER_USER: '2' });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw1', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'guard2', password: 'night-shift-pw2', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'guard3', password: 'night-shift-pw3', role: 'guard' });
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await t?.close();
  });

  it('lets one user\'s newest stream replace their oldest, so one token cannot take every slot', async () => {
    const g1 = await login(t.httpUrl, 'guard1', 'night-shift-pw1');
    const first = await stream(g1);
    const second = await stream(g1);
    const third = await stream(g1);
    // The oldest was ended by the server; the two newest are live.
    await first.closed;
    expect(second.res.closed).toBe(false);
    expect(third.res.closed).toBe(false);
    const again = await stream(g1);
    await second.closed;
    expect(third.res.closed).toBe(false);
    expect(again.res.closed).toBe(false);
    // Another guard still gets in, twice.
    const g2 = await login(t.httpUrl, 'guard2', 'night-shift-pw2');
    await stream(g2);
    await stream(g2);
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/linli_live_dropped_total\{reason="replaced"\} 2/);
  });

  it('still refuses beyond the total cap with 503', async () => {
    const g3 = await login(t.httpUrl, 'guard3', 'night-shift-pw3');
    await expect(SseClient.open(`${t.httpUrl}${LIVE}`, { token: g3 })).rejects.toMatchObject({ status: 503 });
  });
});
