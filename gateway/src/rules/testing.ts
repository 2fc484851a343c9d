import type { IngestedEvent } from '../bus';
import type { AlertSettings } from './types';

/** Settings as the defaults in config/ give them (tests override what they exercise). */
export const SETTINGS: AlertSettings = {
  ackSec: { critical: 60, major: 300, minor: 1800, warning: 0 },
  onSiteMin: 5,
  chain: ['guard_station', 'grid_worker', 'community_office', 'street_office'],
  supervisionSec: { face_terminal: 90, vehicle_gate: 90, indoor_alarm: 60, outdoor_alarm: 60, streetlight: 900 },
  supervisionGraceSec: 10,
  clockDriftToleranceSec: 10,
  welfareSilenceHours: 24,
  sunsetMarginMin: 20,
  streetlight: { litMinW: 3, maxW: 250, standbyMaxW: 5, voltageMin: 198, voltageMax: 235 },
  disabledTypes: new Set(),
};

/** A device event as ingest puts it on the bus. */
export function deviceEvent<N extends IngestedEvent['name']>(
  name: N,
  payload: Extract<IngestedEvent, { name: N }>['payload'],
  opts: { deviceId?: string; kind?: IngestedEvent['kind']; at?: Date; deviceTime?: Date } = {},
): IngestedEvent {
  const at = opts.at ?? new Date('2026-11-21T12:00:00Z');
  // The mapped union cannot be built generically; the fields are exactly those of the N member.
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions
  return { deviceId: opts.deviceId ?? 'alarm-in-3-2-501', kind: opts.kind ?? 'indoor_alarm', name, payload, deviceTime: opts.deviceTime ?? at, receivedAt: at } as IngestedEvent;
}
