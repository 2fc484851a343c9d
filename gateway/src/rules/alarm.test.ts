import { describe, expect, it } from 'vitest';
import { alarmRules } from './alarm';
import { deviceEvent } from './testing';
import { TYPES, priorityOf } from './types';

const ts = '2026-11-21T20:00:00+08:00';

describe('alarm rules', () => {
  it('raises a critical alarm on a press, keyed by the device, as a new occurrence', () => {
    const [d] = alarmRules(deviceEvent('alarmPress', { eventId: 'p1', ts }));
    expect(d).toMatchObject({ kind: 'raise', type: 'alarm_press', severity: 'critical', key: 'alarm_press:alarm-in-3-2-501', mode: 'event', source: 'alarm-in-3-2-501:p1' });
  });

  it('latches: the alarm type ends only by a guard (GB 50394)', () => {
    expect(TYPES.alarm_press).toMatchObject({ latched: true, onEnd: 'record' });
  });

  it('records a device cancel as the resident\'s request and never ends the alarm', () => {
    const decisions = alarmRules(deviceEvent('alarmCancel', { eventId: 'c1', ts }));
    expect(decisions).toEqual([expect.objectContaining({ kind: 'note', action: 'cancel_requested', key: 'alarm_press:alarm-in-3-2-501', actor: 'device:alarm-in-3-2-501' })]);
    expect(decisions.some((d) => d.kind === 'end')).toBe(false);
  });

  it('raises low battery, major when the button could soon not call for help', () => {
    expect(alarmRules(deviceEvent('lowBattery', { eventId: 'b1', ts, percent: 18 }))[0]).toMatchObject({ type: 'low_battery', severity: 'minor', mode: 'state' });
    expect(alarmRules(deviceEvent('lowBattery', { eventId: 'b2', ts, percent: 8 }))[0]).toMatchObject({ severity: 'major' });
  });

  it('ignores events that are not the alarm\'s', () => {
    expect(alarmRules(deviceEvent('heartbeat', { eventId: 'h1', ts, uptimeSec: 5 }))).toEqual([]);
  });

  it('sorts an elderly person living alone above other alarms of the same severity, never above a higher severity', () => {
    expect(priorityOf('critical', ['elderly_alone'])).toBeGreaterThan(priorityOf('critical', []));
    expect(priorityOf('critical', ['elderly_alone'])).toBeGreaterThan(priorityOf('critical', ['elderly']));
    expect(priorityOf('major', ['elderly_alone'])).toBeLessThan(priorityOf('critical', []));
  });
});
