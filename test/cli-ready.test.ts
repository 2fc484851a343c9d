import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/gateway';
import { type GatewayProcess, freePort, spawnGateway, runLinli } from './helpers/process';


// deploy/linli.service runs `linli ready` as ExecStartPost: the unit is active only once /readyz says ready.
describe('linli ready', () => {
  let gw: GatewayProcess | undefined;
  afterAll(async () => {
    gw?.child.kill('SIGTERM');
    await gw?.exited;
  });

  it('waits while the gateway starts and exits 0 once /readyz answers ready', async () => {
    const { dbFile } = freshDatabase();
    const http = await freePort();
    const env = { DATABASE_URL: `file:${dbFile}`, HTTP_PORT: String(http), HTTP_HOST: '127.0.0.1' };
    // Started before the gateway: it must keep polling through connection refusals.
    const waiting = runLinli(['ready', '--timeout', '150'], env);
    gw = await spawnGateway({ ...env, MQTT_PORT: '0' });
    const r = await waiting;
    expect(r.out).toMatch(/ready after \d+\.\d s/);
    expect(r.code).toBe(0);
  }, 200_000);

  it('exits 1 with the last answer when nothing becomes ready in time, and 64 on a bad timeout', async () => {
    const { dbFile } = freshDatabase();
    const env = { DATABASE_URL: `file:${dbFile}`, HTTP_PORT: String(await freePort()) };
    const r = await runLinli(['ready', '--timeout', '1'], env);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/readyz not ready after 1 s \(last: .+\)/);
    const bad = await runLinli(['ready', '--timeout', 'soon'], env);
    expect(bad.code).toBe(64);
  }, 120_000);
});
