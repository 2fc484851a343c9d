import SunCalc from 'suncalc';
import { describe, expect, it } from 'vitest';
import type { AlertType } from '../contracts/api/alerts';
import { type LampReading, daylightAt, judgeLamp } from './streetlight';
import { SETTINGS } from './testing';

// The seeded community (长庆坊, Xi'an); China keeps UTC+8 all year.
const LAT = 34.2583;
const LNG = 108.9286;
const MARGIN = 20;
const local = (s: string) => new Date(`${s}+08:00`);
const min = (n: number) => n * 60_000;
const at = (d: Date, deltaMs: number) => new Date(d.getTime() + deltaMs);
const day = (d: Date) => daylightAt(d, LAT, LNG, MARGIN);

describe('daylight at the seeded coordinates', () => {
  const winter = SunCalc.getTimes(local('2026-12-21T12:00:00'), LAT, LNG);
  const summer = SunCalc.getTimes(local('2026-06-21T12:00:00'), LAT, LNG);

  it('puts sunset where Xi\'an has it: about 17:40 at the winter solstice, 20:00 at the summer solstice', () => {
    expect(winter.sunset.getTime()).toBeGreaterThan(local('2026-12-21T17:30:00').getTime());
    expect(winter.sunset.getTime()).toBeLessThan(local('2026-12-21T17:50:00').getTime());
    expect(summer.sunset.getTime()).toBeGreaterThan(local('2026-06-21T19:50:00').getTime());
    expect(summer.sunset.getTime()).toBeLessThan(local('2026-06-21T20:10:00').getTime());
  });

  it('is day until the margin before sunset, twilight around it, night after the margin', () => {
    for (const t of [winter, summer]) {
      expect(day(at(t.sunset, -min(MARGIN) - 1_000))).toBe('day');
      expect(day(at(t.sunset, -min(MARGIN) + 1_000))).toBe('twilight');
      expect(day(t.sunset)).toBe('twilight');
      expect(day(at(t.sunset, min(MARGIN) - 1_000))).toBe('twilight');
      expect(day(at(t.sunset, min(MARGIN) + 1_000))).toBe('night');
    }
  });

  it('is night until the margin before sunrise and day after the margin', () => {
    for (const t of [winter, summer]) {
      expect(day(at(t.sunrise, -min(MARGIN) - 1_000))).toBe('night');
      expect(day(t.sunrise)).toBe('twilight');
      expect(day(at(t.sunrise, min(MARGIN) + 1_000))).toBe('day');
    }
  });

  it('is night on both sides of midnight, whichever solar day the library picks', () => {
    for (const s of ['2026-12-21T23:59:59', '2026-12-22T00:00:01', '2026-06-21T23:30:00', '2026-06-22T00:30:00', '2026-11-21T03:00:00']) {
      expect(day(local(s))).toBe('night');
    }
    expect(day(local('2026-12-21T12:00:00'))).toBe('day');
  });

  it('changes exactly four times a day: day, twilight, night, twilight, day', () => {
    let changes = 0;
    let prev = day(local('2026-11-21T12:00:00'));
    for (let m = 1; m <= 24 * 60; m++) {
      const cur = day(at(local('2026-11-21T12:00:00'), min(m)));
      if (cur !== prev) changes++;
      prev = cur;
    }
    expect(changes).toBe(4);
  });

  it('falls back to the sun\'s altitude where it never sets', () => {
    expect(daylightAt(new Date('2026-06-21T12:00:00Z'), 78.2, 15.6, MARGIN)).toBe('day');
    expect(daylightAt(new Date('2026-12-21T12:00:00Z'), 78.2, 15.6, MARGIN)).toBe('night');
  });
});

describe('judging a streetlight', () => {
  const t = new Date('2026-11-21T14:00:00Z');
  const lamp = (over: Partial<LampReading> = {}): LampReading => ({ on: true, brightness: 100, powerW: 60, voltage: 221, fault: null, ...over });
  const judge = (held: AlertType[], r: LampReading, d: 'day' | 'night' | 'twilight') => judgeLamp('lamp-012', new Set(held), r, d, SETTINGS, t);
  const raised = (r: ReturnType<typeof judge>) => r.decisions.flatMap((x) => (x.kind === 'raise' ? [x.type] : []));
  const ended = (r: ReturnType<typeof judge>) => r.decisions.flatMap((x) => (x.kind === 'end' ? [x.key] : []));

  it('raises a dark lamp at night and a lit lamp by day', () => {
    expect(raised(judge([], lamp({ on: false, brightness: 0, powerW: 0.8 }), 'night'))).toEqual(['light_not_lit']);
    expect(raised(judge([], lamp(), 'day'))).toEqual(['light_lit_in_daylight']);
    expect(judge([], lamp(), 'night').decisions).toEqual([]);
  });

  it('judges neither in twilight, and keeps a held condition until day or night decides', () => {
    expect(judge([], lamp({ on: false, powerW: 0.8 }), 'twilight').decisions).toEqual([]);
    const kept = judge(['light_not_lit'], lamp({ on: false, powerW: 0.8 }), 'twilight');
    expect(kept.decisions).toEqual([]);
    expect([...kept.held]).toEqual(['light_not_lit']);
    expect(ended(judge(['light_not_lit'], lamp(), 'twilight'))).toEqual(['light_not_lit:lamp-012']);
  });

  it('ends not-lit when the lamp lights, and when the day comes', () => {
    expect(ended(judge(['light_not_lit'], lamp(), 'night'))).toEqual(['light_not_lit:lamp-012']);
    expect(ended(judge(['light_not_lit'], lamp({ on: false, powerW: 0.8 }), 'day'))).toEqual(['light_not_lit:lamp-012']);
  });

  it('reports a fault code once, and does not also call the lamp it darkens not-lit', () => {
    const r = judge([], lamp({ on: false, brightness: 0, powerW: 0, fault: 'driver_failure' }), 'night');
    expect(raised(r)).toEqual(['light_fault']);
    expect(r.decisions[0]).toMatchObject({ severity: 'minor', detail: { fault: 'driver_failure' } });
    expect(raised(judge([], lamp({ fault: 'leakage', powerW: 75 }), 'night'))).toEqual(['light_fault']);
    expect(judge([], lamp({ fault: 'leakage' }), 'night').decisions[0]).toMatchObject({ severity: 'major' });
  });

  it('flags abnormal power and voltage', () => {
    expect(judge([], lamp({ powerW: 1 }), 'night').decisions[0]).toMatchObject({ type: 'light_power_abnormal', detail: { reason: 'power_low' } });
    expect(judge([], lamp({ on: false, brightness: 0, powerW: 20 }), 'day').decisions[0]).toMatchObject({ detail: { reason: 'standby_high' } });
    expect(judge([], lamp({ voltage: 250 }), 'night').decisions[0]).toMatchObject({ detail: { reason: 'voltage_high' } });
    expect(judge([], lamp({ voltage: 190 }), 'night').decisions[0]).toMatchObject({ detail: { reason: 'voltage_low' } });
  });

  it('decides nothing when an unchanged lamp is judged again', () => {
    const first = judge([], lamp({ on: false, powerW: 0.8 }), 'night');
    expect(judgeLamp('lamp-012', first.held, lamp({ on: false, powerW: 0.8 }), 'night', SETTINGS, t).decisions).toEqual([]);
  });
});
