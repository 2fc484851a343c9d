import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The systemd unit is checked by systemd's own tools (.ci/run installs them when missing).
describe('deploy/linli.service', () => {
  it('passes systemd-analyze verify without a warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', 'deploy/linli.service'], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    // verify exits 0 on unknown keys and only warns: any output is a finding.
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
  it('is hardened: systemd-analyze security rates its exposure OK or better', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', 'deploy/linli.service'], { encoding: 'utf8' });
    const level = /Overall exposure level for linli\.service: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`);
    expect(level, r.stderr).not.toBeNull();
    expect(Number(level![1])).toBeLessThanOrEqual(4);
  });
});
