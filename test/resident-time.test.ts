import { describe, expect, it } from 'vitest';
import { formatWindow, fromLocalInput, presetWindow, toLocalInput, wallTime, zonedToUtc } from '../admin-ui/src/m/time';

/** The resident app's invitation windows are in the compound's time zone, not the phone's and not UTC+8 by fiat. */
describe('resident app: compound time', () => {
  it('turns wall-clock times of several zones into instants', () => {
    expect(new Date(zonedToUtc({ year: 2026, month: 12, day: 1, hour: 19, minute: 0 }, 'Asia/Shanghai')).toISOString()).toBe('2026-12-01T11:00:00.000Z');
    expect(new Date(zonedToUtc({ year: 2026, month: 12, day: 1, hour: 19, minute: 0 }, 'Asia/Urumqi')).toISOString()).toBe('2026-12-01T13:00:00.000Z');
    // Daylight saving: New York is UTC-4 in July, UTC-5 in December.
    expect(new Date(zonedToUtc({ year: 2026, month: 7, day: 1, hour: 19, minute: 0 }, 'America/New_York')).toISOString()).toBe('2026-07-01T23:00:00.000Z');
    expect(new Date(zonedToUtc({ year: 2026, month: 12, day: 32, hour: 0, minute: 0 }, 'Asia/Shanghai')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
  });

  it('computes the presets in the compound zone', () => {
    const morning = Date.parse('2026-12-01T00:30:00Z'); // 08:30 in Shanghai
    expect(presetWindow('tonight', morning, 'Asia/Shanghai')).toEqual({ from: Date.parse('2026-12-01T09:00:00Z'), until: Date.parse('2026-12-01T16:00:00Z') });
    expect(presetWindow('today', morning, 'Asia/Shanghai')).toEqual({ from: morning, until: Date.parse('2026-12-01T16:00:00Z') });
    expect(presetWindow('tomorrow', morning, 'Asia/Shanghai')).toEqual({ from: Date.parse('2026-12-01T16:00:00Z'), until: Date.parse('2026-12-02T16:00:00Z') });
    // 20:00 in Shanghai: tonight starts now. The same instant is 07:00 in New York: tonight starts at 17:00 there.
    const evening = Date.parse('2026-12-01T12:00:00Z');
    expect(presetWindow('tonight', evening, 'Asia/Shanghai').from).toBe(evening);
    expect(presetWindow('tonight', evening, 'America/New_York')).toEqual({ from: Date.parse('2026-12-01T22:00:00Z'), until: Date.parse('2026-12-02T05:00:00Z') });
  });

  it('formats windows and round-trips the custom inputs', () => {
    const from = Date.parse('2026-12-01T09:00:00Z');
    expect(formatWindow(from, Date.parse('2026-12-01T16:00:00Z'), 'Asia/Shanghai', 'zh')).toBe('12月1日 17:00 – 24:00');
    expect(formatWindow(from, Date.parse('2026-12-01T12:30:00Z'), 'Asia/Shanghai', 'en')).toBe('Dec 1, 17:00 – 20:30');
    expect(toLocalInput(from, 'Asia/Shanghai')).toBe('2026-12-01T17:00');
    expect(fromLocalInput('2026-12-01T17:00', 'Asia/Shanghai')).toBe(from);
    expect(wallTime(from, 'Europe/London').hour).toBe(9);
  });
});
