import type { DeviceKind } from '../contracts';
import type { Severity } from '../contracts/api/alerts';
import { type AlertSettings, type Decision, keyOf } from './types';

/**
 * Device supervision (GB 50394 calls it 防拆/故障 supervision of the alarm line): a device is offline when it
 * disconnected (clean close, keepalive expiry, or its Will) and did not come back within a short grace, or when it
 * stays connected but silent longer than the window of its kind.
 */
export interface DeviceWatch {
  deviceId: string;
  kind: DeviceKind;
  lastSeenMs: number;
  connected: boolean;
  /** When it disconnected and why ('closed', 'will', …); null while connected. */
  downSinceMs: number | null;
  downCause: string | null;
  /** An offline alert was raised and not yet ended. */
  offline: boolean;
  /** The device's own silence window (Device.supervisionSec, from its criticality); absent: its kind's default. */
  windowSec?: number | null;
}

export type Observation =
  | { type: 'seen'; atMs: number }
  | { type: 'connected'; atMs: number }
  | { type: 'disconnected'; atMs: number; cause: string };

/** A dead alarm button cannot call for help; a dark lamp can wait for the morning round. */
const OFFLINE_SEVERITY: Record<DeviceKind, Severity> = {
  indoor_alarm: 'major',
  outdoor_alarm: 'major',
  face_terminal: 'major',
  vehicle_gate: 'minor',
  streetlight: 'minor',
};

export function observe(w: DeviceWatch, o: Observation): { watch: DeviceWatch; decisions: Decision[] } {
  const back = (): Decision[] =>
    w.offline ? [{ kind: 'end', key: keyOf('device_offline', w.deviceId), at: new Date(o.atMs), note: 'device_online' }] : [];
  switch (o.type) {
    case 'seen':
      // A message proves life; a Will arriving after the disconnect is a 'disconnected' observation, not this.
      return { watch: { ...w, lastSeenMs: Math.max(w.lastSeenMs, o.atMs), offline: w.connected ? false : w.offline }, decisions: w.connected ? back() : [] };
    case 'connected':
      return { watch: { ...w, connected: true, downSinceMs: null, downCause: null, lastSeenMs: Math.max(w.lastSeenMs, o.atMs), offline: false }, decisions: back() };
    case 'disconnected':
      if (!w.connected && w.downSinceMs !== null) return { watch: { ...w, downCause: w.downCause === 'closed' ? o.cause : w.downCause }, decisions: [] };
      return { watch: { ...w, connected: false, downSinceMs: o.atMs, downCause: o.cause }, decisions: [] };
  }
}

/** Called on every sweep: raises device_offline once when the grace or the silence window has passed. */
export function supervise(w: DeviceWatch, settings: Pick<AlertSettings, 'supervisionSec' | 'supervisionGraceSec'>, nowMs: number): { watch: DeviceWatch; decisions: Decision[] } {
  if (w.offline) return { watch: w, decisions: [] };
  const windowSec = w.windowSec ?? settings.supervisionSec[w.kind];
  let cause: string | null = null;
  let sinceMs = 0;
  if (!w.connected && w.downSinceMs !== null && nowMs - w.downSinceMs >= settings.supervisionGraceSec * 1000) {
    cause = w.downCause ?? 'closed';
    sinceMs = w.downSinceMs;
  } else if (nowMs - w.lastSeenMs >= windowSec * 1000) {
    cause = 'silence';
    sinceMs = w.lastSeenMs;
  }
  if (cause === null) return { watch: w, decisions: [] };
  return {
    watch: { ...w, offline: true },
    decisions: [
      {
        kind: 'raise',
        type: 'device_offline',
        severity: OFFLINE_SEVERITY[w.kind],
        key: keyOf('device_offline', w.deviceId),
        deviceId: w.deviceId,
        householdId: null,
        at: new Date(nowMs),
        detail: { cause, since: new Date(sinceMs).toISOString(), lastSeenAt: new Date(w.lastSeenMs).toISOString(), windowSec },
        mode: 'state',
      },
    ],
  };
}
