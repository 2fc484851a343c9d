import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSeedSecrets } from '../gateway/src/db/seed/secrets-file';
import { connectClient } from './helpers/mqtt';
import { type GatewayProcess, spawnGateway } from './helpers/process';

describe('README start command (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-start-'));
  let gw: GatewayProcess | undefined;
  afterAll(async () => {
    if (gw?.child.pid) process.kill(-gw.child.pid, 'SIGTERM');
    await gw?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates, seeds the demo community, answers /readyz and accepts a seeded device’s MQTT login', async () => {
    gw = await spawnGateway({ DATABASE_URL: `file:${join(dir, 'linli.db')}`, HTTP_PORT: '0', MQTT_PORT: '0' }, ['npm', 'start']);
    const ready = await fetch(`http://127.0.0.1:${gw.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });

    const secretsFile = join(dir, 'device-secrets.json');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const secrets = readSeedSecrets(secretsFile);
    const [id, device] = Object.entries(secrets.devices)[0]!;
    const client = await connectClient(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: id, username: id, password: device.secret });
    expect(client.connected).toBe(true);
    await client.endAsync();
    // Secrets go to the 0600 file only, never to the console or the log.
    expect(readFileSync(secretsFile, 'utf8')).toContain(device.secret);
    expect(gw.output()).not.toContain(device.secret);
    expect(gw.output()).toContain('gateway listening');
  }, 120_000);
});
