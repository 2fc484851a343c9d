import { describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { failureLog } from './failure-log';

function capture() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { log, lines };
}

describe('failureLog', () => {
  it('warns at the first failure, is quiet while it repeats, and says once when it works again with how long and how many', () => {
    const { log, lines } = capture();
    let t = 1_000;
    const counted: boolean[] = [];
    const f = failureLog(log, 'escalation sweep', { now: () => t, onFailure: () => counted.push(true), onState: (s) => counted.push(s) });
    f.ok();
    for (let i = 0; i < 50; i++) {
      f.failed(new Error('SQLITE_BUSY'));
      t += 100;
    }
    expect(f.failing).toBe(true);
    f.ok();
    f.ok();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'escalation sweep failed; retried, and logged again once it succeeds'],
      [30, 'escalation sweep works again'],
    ]);
    expect(lines[1]).toMatchObject({ failures: 50, durationMs: 5_000 });
    expect(counted.filter((c) => c === true)).toHaveLength(51);
    expect(counted.at(-1)).toBe(false);
    f.failed(new Error('disk full'));
    expect(lines).toHaveLength(3);
  });
});
