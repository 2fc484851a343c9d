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

  it('brings up the gateway and the simulated community and shows a guard the staged alarm and forced door', async () => {
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
    // Generous bounds, one per stage, so a busy machine is slow rather than red: migrate, seed and build first,
    // then the stream opens, then the staged alarm press and forced door arrive (staged 8 s after readiness).
    await expect.poll(() => out, { timeout: 240_000, interval: 500 }).toMatch(/live alert stream \(guard1\)/);
    await expect.poll(() => out, { timeout: 120_000, interval: 500 }).toMatch(/\[紧急\] raised\s+alarm_press/);
    await expect.poll(() => out, { timeout: 120_000, interval: 500 }).toMatch(/forced_entry/);
    expect(out).not.toMatch(/clock_drift/);
  }, 500_000);
});
