import type { IngestedEvent } from '../bus';
import { type Decision, keyOf } from './types';

/**
 * One-key alarm (一键报警). GB 50394 requires a panic alarm to latch: once raised it stays active until a guard
 * resets it by hand. A "cancel" from the device therefore never clears it; it is recorded as the resident's request
 * so the guard sees it (and still goes to look). The rule has no settings: it can never be disabled.
 */
export function alarmRules(ev: IngestedEvent): Decision[] {
  const source = `${ev.deviceId}:${eventIdOf(ev)}`;
  // A rule reads only the channels it is about (if, not switch: the catalogue grows, the rule does not).
  if (ev.name === 'alarmPress') {
    return [
      {
        kind: 'raise',
        type: 'alarm_press',
        severity: 'critical',
        key: keyOf('alarm_press', ev.deviceId),
        deviceId: ev.deviceId,
        householdId: null,
        at: ev.receivedAt,
        detail: { deviceTime: ev.deviceTime.toISOString(), deviceKind: ev.kind },
        mode: 'event',
        source,
      },
    ];
  }
  if (ev.name === 'alarmCancel') {
    return [
      {
        kind: 'note',
        key: keyOf('alarm_press', ev.deviceId),
        action: 'cancel_requested',
        actor: `device:${ev.deviceId}`,
        at: ev.receivedAt,
        note: 'resident_cancel',
        source,
      },
    ];
  }
  if (ev.name === 'lowBattery') {
    return [
      {
        kind: 'raise',
        type: 'low_battery',
        // A one-key alarm with a flat battery cannot call for help.
        severity: ev.payload.percent <= 10 ? 'major' : 'minor',
        key: keyOf('low_battery', ev.deviceId),
        deviceId: ev.deviceId,
        householdId: null,
        at: ev.receivedAt,
        detail: { percent: ev.payload.percent },
        mode: 'state',
        source,
      },
    ];
  }
  return [];
}

export function eventIdOf(ev: IngestedEvent): string {
  const p: { eventId?: string; ts: string } = ev.payload;
  return p.eventId ?? p.ts;
}
