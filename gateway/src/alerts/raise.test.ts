import { describe, expect, it } from 'vitest';
import type { AlertPlace } from '../contracts/api/alerts';
import type { PlaceInfo } from '../db/alert-sources';
import { SETTINGS } from '../rules/testing';
import type { RaiseDecision } from '../rules/types';
import { STORM_MIN_PRESSES, newAlert, stormOf } from './raise';

const t0 = new Date('2026-11-21T12:00:00Z');
const press = (over: Partial<RaiseDecision> = {}): RaiseDecision => ({
  kind: 'raise', type: 'alarm_press', severity: 'critical', key: 'alarm_press:a1', deviceId: 'a1', householdId: null, at: t0, detail: {}, mode: 'event', ...over,
});
const later = (sec: number) => new Date(t0.getTime() + sec * 1000);

describe('stormOf', () => {
  it('raises press_storm for a burst of presses faster than five a second', () => {
    const storm = stormOf({ n: 20, first: t0, last: press({ at: later(2) }) });
    expect(storm).toMatchObject({ type: 'press_storm', severity: 'major', key: 'press_storm:a1', deviceId: 'a1', mode: 'state', detail: { presses: 20, ratePerSec: 10 } });
  });
  it('ignores short bursts, slow presses and other alert types', () => {
    expect(stormOf({ n: STORM_MIN_PRESSES - 1, first: t0, last: press({ at: later(0.5) }) })).toBeNull();
    expect(stormOf({ n: 20, first: t0, last: press({ at: later(10) }) })).toBeNull();
    expect(stormOf({ n: 20, first: t0, last: press({ type: 'door_held_open', at: later(1) }) })).toBeNull();
  });
});

describe('newAlert', () => {
  it('opens at level 0 of the chain, with the place and tags it was given and the first deadline', () => {
    const place: AlertPlace = { label: '3-2-501', kind: 'household', buildingId: 'b3', unitId: 'u2', householdId: 'hh-1', x: 1, y: 2 };
    const info: PlaceInfo = { place, tags: ['elderly_alone'], householdId: 'hh-1', kind: 'indoor_alarm', latitude: 34.2583, longitude: 108.9286 };
    const a = newAlert(press(), info, 3, t0, SETTINGS);
    expect(a).toMatchObject({ status: 'open', latched: true, count: 3, householdId: 'hh-1', place, tags: ['elderly_alone'], escalationLevel: 0, deadlineKind: 'ack' });
    expect(a.escalationTarget).toBe(SETTINGS.chain[0] ?? 'guard_station');
    expect(a.firstAt).toBe(t0.toISOString());
  });
  it('names the place after the device when it has none on record', () => {
    expect(newAlert(press(), null, 1, t0, SETTINGS).place).toMatchObject({ label: 'a1', kind: null, householdId: null });
  });
});
