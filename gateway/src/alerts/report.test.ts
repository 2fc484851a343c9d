import { describe, expect, it } from 'vitest';
import { localDay, percentile, responseTimes } from './report';

const at = (s: string) => new Date(s);

describe('response-time report', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 90)).toBe(9);
    expect(percentile([42], 90)).toBe(42);
    expect(percentile([], 50)).toBeNull();
  });

  it('groups by the Beijing calendar day', () => {
    expect(localDay(at('2026-11-21T16:30:00Z'))).toBe('2026-11-22');
    expect(localDay(at('2026-11-21T15:59:00Z'))).toBe('2026-11-21');
  });

  it('reports ack and clear times per day and type, leaving automatic clears out', () => {
    const rows = responseTimes([
      { type: 'alarm_press', firstAt: at('2026-11-21T12:00:00Z'), ackedAt: at('2026-11-21T12:00:30Z'), clearedAt: at('2026-11-21T12:10:00Z'), clearedBy: 'guard1' },
      { type: 'alarm_press', firstAt: at('2026-11-21T13:00:00Z'), ackedAt: at('2026-11-21T13:01:30Z'), clearedAt: null, clearedBy: null },
      { type: 'device_offline', firstAt: at('2026-11-21T13:00:00Z'), ackedAt: null, clearedAt: at('2026-11-21T13:00:20Z'), clearedBy: 'system' },
    ]);
    expect(rows).toEqual([
      { day: '2026-11-21', type: 'all', raised: 3, acknowledged: 2, ackP50Sec: 30, ackP90Sec: 90, cleared: 1, clearP50Sec: 600, clearP90Sec: 600 },
      { day: '2026-11-21', type: 'alarm_press', raised: 2, acknowledged: 2, ackP50Sec: 30, ackP90Sec: 90, cleared: 1, clearP50Sec: 600, clearP90Sec: 600 },
      { day: '2026-11-21', type: 'device_offline', raised: 1, acknowledged: 0, ackP50Sec: null, ackP90Sec: null, cleared: 0, clearP50Sec: null, clearP90Sec: null },
    ]);
  });
});
