import { BarrierState, DoorState, LightState, LowBattery } from '../contracts';
import type { DoorStateView, LampStateView } from '../contracts/api/site';

/**
 * What the site plan shows of one device, folded from its messages: a pure reducer (no clock, no I/O), so the
 * same function starts the states from the stored latest messages and keeps them current from the bus.
 */
export interface DeviceState {
  lastSeenAt: Date | null;
  door: DoorStateView | null;
  lamp: LampStateView | null;
  batteryPercent: number | null;
}

export const EMPTY_STATE: DeviceState = { lastSeenAt: null, door: null, lamp: null, batteryPercent: null };

/** A device message by its protocol channel (as stored and as on the bus), with when the gateway received it. */
export interface StateMessage {
  channel: string;
  payload: unknown;
  receivedAt: Date;
}

/** Returns the next state, or the same object when nothing a person would see changed. */
export function foldMessage(prev: DeviceState, m: StateMessage): DeviceState {
  const at = m.receivedAt.toISOString();
  const seen = prev.lastSeenAt === null || prev.lastSeenAt < m.receivedAt ? { lastSeenAt: m.receivedAt } : {};
  switch (m.channel) {
    case 'door/state': {
      const p = DoorState.safeParse(m.payload);
      if (!p.success) return { ...prev, ...seen };
      return { ...prev, ...seen, door: prev.door?.state === p.data.state ? prev.door : { state: p.data.state, cause: p.data.cause, since: at } };
    }
    case 'barrier/state': {
      const p = BarrierState.safeParse(m.payload);
      if (!p.success) return { ...prev, ...seen };
      const state = p.data.state === 'raised' ? 'open' : 'closed';
      return { ...prev, ...seen, door: prev.door?.state === state ? prev.door : { state, cause: p.data.cause, since: at } };
    }
    case 'light/state': {
      const p = LightState.safeParse(m.payload);
      if (!p.success) return { ...prev, ...seen };
      const { on, brightness, powerW, voltage, fault } = p.data;
      return { ...prev, ...seen, lamp: { on, brightness, powerW, voltage, fault, at } };
    }
    case 'battery/low': {
      const p = LowBattery.safeParse(m.payload);
      return p.success ? { ...prev, ...seen, batteryPercent: p.data.percent } : { ...prev, ...seen };
    }
    default:
      return 'lastSeenAt' in seen ? { ...prev, ...seen } : prev;
  }
}

/** A primitive-only view of a payload for a person to read (nested objects become `a.b` keys, arrays their length). */
export function flatten(payload: unknown, prefix = '', out: Record<string, string | number | boolean | null> = {}): Record<string, string | number | boolean | null> {
  if (payload === null || typeof payload !== 'object') {
    if (prefix !== '') out[prefix] = typeof payload === 'string' || typeof payload === 'number' || typeof payload === 'boolean' ? payload : null;
    return out;
  }
  if (Array.isArray(payload)) {
    out[prefix === '' ? 'items' : `${prefix}.count`] = payload.length;
    return out;
  }
  for (const [k, v] of Object.entries(payload)) {
    // Event ids are for machines; the time is shown separately.
    if (prefix === '' && (k === 'eventId' || k === 'ts')) continue;
    // A credential's value (card number, PIN, pass code) is a secret even in a guard's view.
    if (k === 'value' && prefix.endsWith('credential')) continue;
    flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  }
  return out;
}
