import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli';
import { fixtureSecrets } from '../testing/fixture';
import { UsageError, parseCli } from './args';

const dir = mkdtempSync(join(tmpdir(), 'devices-sim-cli-'));
const secrets = join(dir, 'secrets.json');
writeFileSync(secrets, JSON.stringify(fixtureSecrets()));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

describe('cli', () => {
  it.each([
    [['load', '--rate', 'fast']],
    [['load', '--qos', '2']],
    [['load', '--mix', 'alarmPress=1,teleport=2']],
    [['community', '--duration', 'forever']],
    [['scenario']],
    [['scenario', 'elderly-alarm', '--start', 'yesterday']],
    [['launch']],
    [['list', '--colour']],
  ])('exits 2 with a message for %j', async (argv) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^devices-sim: /);
  });

  it('exits 2 for an unknown scenario, a missing pass code and an option of another scenario', async () => {
    expect((await run('scenario', 'alien-landing', '--secrets', secrets)).code).toBe(2);
    expect((await run('scenario', 'visitor-with-pass', '--secrets', secrets)).stderr).toContain('--pass');
    expect((await run('scenario', 'elderly-alarm', '--pass', 'x', '--secrets', secrets)).code).toBe(2);
  });

  it('exits 1 when the secrets file is missing', async () => {
    const r = await run('scenario', 'elderly-alarm', '--secrets', join(dir, 'nope.json'), '--dry-run');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('npm run seed');
  });

  it('documents every option in --help', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const opt of ['--url', '--secrets', '--seed', '--speed', '--json', '--dry-run', '--connections', '--rate', '--topic-mode', '--mix', '--window', '--pass']) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('prints a dry run as JSON lines and the report as JSON', async () => {
    const r = await run('scenario', 'forced-entry-night', '--secrets', secrets, '--dry-run', '--json', '--quiet', '--start', '2025-03-01T02:10:00+08:00');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l): unknown => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ scenario: 'forced-entry-night', result: { holdSec: 45 } });
    expect(lines[0]).toMatchObject({ t: '2025-03-01T02:10:00.000+08:00', topic: expect.stringMatching(/\/status$/) });
  });

  it('parses load options into numbers and a mix', () => {
    const p = parseCli(['load', '--rate', 'max', '--qos', '0', '--mix', 'doorState=2,heartbeat', '--connections', '7', '--topic-mode', 'bare']);
    expect(p).toMatchObject({ command: 'load', load: { rate: 'max', qos: 0, mix: { doorState: 2, heartbeat: 1 }, connections: 7, topicMode: 'bare' } });
    expect(() => parseCli(['load', '--connections', '0'])).toThrow(UsageError);
  });
});
