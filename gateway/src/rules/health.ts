import type { DeviceHealth, IngestedEvent } from '../bus';
import { type AlertSettings, type Decision, keyOf } from './types';

/** Ingest's device-health observations: a device that keeps sending invalid payloads, or whose clock is far off. */
export function healthRule(h: DeviceHealth): Decision[] {
  switch (h.type) {
    case 'invalid_payloads':
      return [
        {
          kind: 'raise',
          type: 'invalid_payloads',
          severity: 'warning',
          key: keyOf('invalid_payloads', h.deviceId),
          deviceId: h.deviceId,
          householdId: null,
          at: h.at,
          detail: { count: h.count, windowSec: h.windowSec },
          mode: 'event',
        },
      ];
    case 'clock_drift':
      return [
        {
          kind: 'raise',
          type: 'clock_drift',
          severity: 'warning',
          key: keyOf('clock_drift', h.deviceId),
          deviceId: h.deviceId,
          householdId: null,
          at: h.at,
          detail: { driftSec: Math.round(h.driftSec * 10) / 10 },
          mode: 'state',
        },
      ];
    case 'event_id_reused':
      // The counter went backwards (a reset after a reboot): each occurrence is counted on one open alert.
      return [
        {
          kind: 'raise',
          type: 'event_id_reused',
          severity: 'warning',
          key: keyOf('event_id_reused', h.deviceId),
          deviceId: h.deviceId,
          householdId: null,
          at: h.at,
          detail: { eventId: h.eventId },
          mode: 'event',
        },
      ];
  }
}

/** A heartbeat whose time is within tolerance again ends a clock-drift condition (the device was resynchronised). */
export function clockRule(ev: IngestedEvent, settings: Pick<AlertSettings, 'clockDriftToleranceSec'>): Decision[] {
  if (ev.name !== 'heartbeat') return [];
  const driftSec = Math.abs(ev.deviceTime.getTime() - ev.receivedAt.getTime()) / 1000;
  if (driftSec > settings.clockDriftToleranceSec) return [];
  return [{ kind: 'end', key: keyOf('clock_drift', ev.deviceId), at: ev.receivedAt, note: 'clock_ok' }];
}
