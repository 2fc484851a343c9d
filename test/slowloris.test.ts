import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, mqttLinks } from '../devices-sim/src/devices';
import { LiveAlertChange } from '../gateway/src/contracts/live';
import { addPlacedDevice, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { SseClient } from './helpers/sse';

const BUTTON = { id: 'alarm-in-0301', kind: 'indoor_alarm', secret: 'alarm-secret-0301', placeKind: 'household', householdId: 'hh-301' } as const;

/** A client that sends headers announcing a body (under the body limit, so it is read), then one byte a second, for as long as the server lets it. */
function slowBody(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - started)));
    let drip: NodeJS.Timeout | undefined;
    socket.once('connect', () => {
      socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{');
      drip = setInterval(() => socket.write(' '), 1_000);
      resolve({ socket, closed });
    });
    socket.once('close', () => clearInterval(drip));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

describe('HTTP socket bounds', () => {
  let t: TestGateway;
  let guard: string;

  beforeAll(async () => {
    t = await startGateway({
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_HEADERS_TIMEOUT_MS: '4000',
      // One address for all 1,000 here, so the per-address bound must not be what closes them.
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: '5000',
      HTTP_MAX_CONNECTIONS: '5000',
      LIVE_HEARTBEAT_SEC: '1',
    });
    await addPlacedDevice(t.gw.db.prisma, BUTTON);
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
  });
  afterAll(async () => t?.close());

  it('closes 1,000 slow request bodies at the request deadline while an alarm still reaches the live stream', async () => {
    const stream = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts`, { token: guard });
    await stream.next((f) => f.event === 'snapshot');
    const button = new AlarmButton({ id: BUTTON.id, kind: BUTTON.kind, secret: BUTTON.secret, link: mqttLinks({ url: t.mqttUrl }), clock: new AcceleratedClock() });
    try {
      const slow = await Promise.all(Array.from({ length: 1_000 }, () => slowBody(t.ports.http)));
      const opened = performance.now();

      // With all of them open: the gateway answers, a device logs in and its alarm reaches the guard.
      expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200);
      expect(await button.start()).toEqual({ ok: true });
      const pressed = performance.now();
      expect((await button.press()).ok).toBe(true);
      const alert = LiveAlertChange.parse((await stream.next((f) => f.event === 'alert', { timeoutMs: 30_000 })).data);
      expect(alert.alert).toMatchObject({ type: 'alarm_press', deviceId: BUTTON.id });
      const alarmMs = performance.now() - pressed;

      // Every slow client is closed by the server (we never close them), each at about the 4 s request deadline.
      const lifetimes = await Promise.all(slow.map((s) => s.closed));
      const longest = Math.max(...lifetimes);
      process.stdout.write(`slowloris: 1,000 slow bodies closed after ${Math.min(...lifetimes).toFixed(0)}–${longest.toFixed(0)} ms ` +
        `(deadline 4,000 ms, checked every 1,000 ms); alarm press → live frame ${alarmMs.toFixed(0)} ms; all closed ${(performance.now() - opened).toFixed(0)} ms after opening\n`);
      expect(slow.every((s) => s.socket.destroyed)).toBe(true);
      // Generous bound for a busy machine; without a request deadline they would stay open for as long as they drip.
      expect(longest).toBeLessThan(60_000);
      // The live stream outlived the request deadline: a completed request is never cut by it.
      expect(stream.res.closed).toBe(false);
    } finally {
      await button.close();
      await stream.close();
    }
  });

  it('closes connections beyond the per-address bound at once and serves the address again once it is under', async () => {
    const capped = await startGateway({ HTTP_MAX_CONNECTIONS_PER_ADDRESS: '10' });
    const sockets: Socket[] = [];
    try {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => new Promise<'refused' | 'held'>((resolve) => {
        const s = connect({ port: capped.ports.http, host: '127.0.0.1' });
        sockets.push(s);
        s.on('error', () => undefined);
        s.once('close', () => resolve('refused'));
        // Held: a complete request answered on this socket proves the server kept it.
        s.once('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n'));
        s.once('data', () => resolve('held'));
      })));
      expect(outcomes.filter((o) => o === 'held')).toHaveLength(10);
      expect(outcomes.filter((o) => o === 'refused')).toHaveLength(10);
      for (const s of sockets) s.destroy();
      await expect.poll(async () => (await fetch(`${capped.httpUrl}/healthz`).catch(() => null))?.status, { timeout: 10_000 }).toBe(200);
      const metrics = await (await fetch(`${capped.httpUrl}/metrics`)).text();
      // At least the 10 above (a poll may have met a socket not yet closed on the server's side).
      expect(Number(/linli_http_connections_refused_total\{reason="per_address"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(10);
    } finally {
      for (const s of sockets) s.destroy();
      await capped.close();
    }
  });
});
