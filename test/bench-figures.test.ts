// The benchmarks' figures (test/bench/lib.ts): a window that left requests unanswered must not report the answered
// ones' p99 as its own — a gateway that answered 5 % of its requests printed "0 ms, ratio 0.00" beside a target.
import { describe, expect, it } from 'vitest';
import { figureRow, parseFigures, reportFigures, windowP99 } from './bench/lib';

describe('benchmark figures', () => {
  it('has no p99 for a window with over 1 % unanswered, and prints it as none with an infinite ratio', () => {
    expect(windowP99(8.2, 40_000, 40_000)).toBe(8.2);
    expect(windowP99(8.2, 40_000, 39_600)).toBe(8.2); // exactly 1 %
    expect(windowP99(0, 40_000, 2_217)).toBe(Infinity);
    const row = figureRow({ name: '2000/s p99', unit: 'ms', linli: Infinity, mosquitto: 16.4, target: '≤ 0.5' });
    expect(row).toBe('| 2000/s p99 | none (over 1 % unanswered) ms | 16.4 ms | ∞ | ≤ 0.5 |');
    expect(figureRow({ name: 'x', unit: 'ms', linli: 8, mosquitto: Infinity })).toContain('| – |');
  });

  it('carries a missing figure through the printed result line and back', () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      reportFigures('access', [{ name: 'a', unit: 'ms', linli: Infinity, mosquitto: 3.5 }]);
    } finally {
      console.log = log;
    }
    expect(parseFigures(lines.join('\n'))?.figures[0]).toEqual({ name: 'a', unit: 'ms', linli: Infinity, mosquitto: 3.5 });
  });
});
