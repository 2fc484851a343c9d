import { describe, expect, it } from 'vitest';
import { SETTINGS } from './testing';
import { welfareActivity, welfareRule } from './welfare';

const now = new Date('2026-11-22T09:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

describe('welfare check', () => {
  it('raises a welfare check after 24 hours without door activity', () => {
    const [d] = welfareRule({ householdId: 'hh-5-1-302', lastActivityAt: hoursAgo(24), watchedSince: hoursAgo(24 * 30) }, SETTINGS, now);
    expect(d).toMatchObject({ kind: 'raise', type: 'welfare_check', severity: 'major', key: 'welfare_check:hh-5-1-302', householdId: 'hh-5-1-302', deviceId: null, mode: 'state', detail: { silentHours: 24 } });
  });

  it('stays quiet while the household was active within the window', () => {
    expect(welfareRule({ householdId: 'hh', lastActivityAt: hoursAgo(23.9), watchedSince: hoursAgo(1000) }, SETTINGS, now)).toEqual([]);
  });

  it('measures a household never seen at a door from its enrolment', () => {
    expect(welfareRule({ householdId: 'hh', lastActivityAt: null, watchedSince: hoursAgo(2) }, SETTINGS, now)).toEqual([]);
    expect(welfareRule({ householdId: 'hh', lastActivityAt: null, watchedSince: hoursAgo(25) }, SETTINGS, now)[0]).toMatchObject({ detail: { lastActivityAt: null } });
  });

  it('honours a configured silence', () => {
    expect(welfareRule({ householdId: 'hh', lastActivityAt: hoursAgo(7), watchedSince: hoursAgo(100) }, { welfareSilenceHours: 6 }, now)).toHaveLength(1);
  });

  it('ends the condition on door activity', () => {
    expect(welfareActivity('hh-5-1-302', now)).toEqual([expect.objectContaining({ kind: 'end', key: 'welfare_check:hh-5-1-302' })]);
  });
});
