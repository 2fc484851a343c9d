import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/process';

describe('README demo command (npm run demo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-demo-'));
  let pid: number | undefined;
  afterAll(() => {
    if (pid) process.kill(-pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings up the gateway and the simulated community and shows a guard the alerts within a minute', async () => {
    const [http, mqtt] = [await freePort(), await freePort()];
    const child = spawn('npm', ['run', 'demo'], {
      env: { ...process.env, DATABASE_URL: `file:${join(dir, 'linli.db')}`, HTTP_PORT: String(http), MQTT_PORT: String(mqtt) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    pid = child.pid;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 60_000, interval: 500 }).toMatch(/\[紧急\] raised\s+alarm_press/);
    expect(out).toMatch(/forced_entry/);
    expect(out).not.toMatch(/clock_drift/);
  }, 120_000);
});
