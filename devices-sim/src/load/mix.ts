import { type DeviceKind, channelsFor } from '@linli/gateway/contracts';
import type { EventChannel } from '../devices';

/**
 * Door and lamp traffic, no alarm presses or tamper: a benchmark should not raise real alerts. Heartbeats (sent at
 * the run's QoS) let every kind of device take part, alarm buttons included.
 */
export const DEFAULT_MIX: Partial<Record<EventChannel, number>> = {
  doorState: 4,
  accessRequest: 3,
  lightState: 2,
  plateRead: 1,
  barrierState: 1,
  heartbeat: 1,
};

export function canSendAny(kind: DeviceKind, mix: readonly (readonly [EventChannel, number])[]): boolean {
  const up = new Set(channelsFor(kind, 'up'));
  return mix.some(([name, w]) => w > 0 && up.has(name));
}
