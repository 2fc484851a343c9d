import type { IngestedEvent } from '../bus';
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

/** What the site plan shows of one message, typed: a door or barrier position, a lamp reading, a battery level. */
type Shown =
  | { kind: 'door'; state: 'open' | 'closed'; cause: DoorStateView['cause'] }
  | { kind: 'lamp'; reading: Omit<LampStateView, 'at'> }
  | { kind: 'battery'; percent: number }
  | { kind: 'other' };

const OTHER: Shown = { kind: 'other' };
const lampOf = ({ on, brightness, powerW, voltage, fault }: LightState): Shown => ({ kind: 'lamp', reading: { on, brightness, powerW, voltage, fault } });

/** A stored message (any row, any age): validated here, since it was written by whatever version was running then. */
function shownFromStored(m: StateMessage): Shown | null {
  switch (m.channel) {
    case 'door/state': {
      const p = DoorState.safeParse(m.payload);
      return p.success ? { kind: 'door', state: p.data.state, cause: p.data.cause } : null;
    }
    case 'barrier/state': {
      const p = BarrierState.safeParse(m.payload);
      return p.success ? { kind: 'door', state: p.data.state === 'raised' ? 'open' : 'closed', cause: p.data.cause } : null;
    }
    case 'light/state': {
      const p = LightState.safeParse(m.payload);
      return p.success ? lampOf(p.data) : null;
    }
    case 'battery/low': {
      const p = LowBattery.safeParse(m.payload);
      return p.success ? { kind: 'battery', percent: p.data.percent } : null;
    }
    default:
      return OTHER;
  }
}

/** A live event from the bus: ingest validated its payload against the same contract, so it is not parsed again. */
function shownFromEvent(e: IngestedEvent): Shown {
  switch (e.name) {
    case 'doorState':
      return { kind: 'door', state: e.payload.state, cause: e.payload.cause };
    case 'barrierState':
      return { kind: 'door', state: e.payload.state === 'raised' ? 'open' : 'closed', cause: e.payload.cause };
    case 'lightState':
      return lampOf(e.payload);
    case 'lowBattery':
      return { kind: 'battery', percent: e.payload.percent };
    // Every other channel only says the device was there (listed so a new channel is a decision, not a default).
    case 'accessRequest':
    case 'alarmCancel':
    case 'alarmPress':
    case 'commandAck':
    case 'heartbeat':
    case 'offlineLog':
    case 'plateRead':
    case 'presence':
    case 'tamper':
      return OTHER;
  }
}

/** Returns the next state, or the same object when nothing a person would see changed. */
export function foldMessage(prev: DeviceState, m: StateMessage): DeviceState {
  return fold(prev, shownFromStored(m), m.receivedAt);
}

/** The same fold for an event as the bus carries it (the hot path: every ingested event passes here). */
export function foldEvent(prev: DeviceState, e: IngestedEvent): DeviceState {
  return fold(prev, shownFromEvent(e), e.receivedAt);
}

/** `shown` null: a message that did not validate still says the device was there. */
function fold(prev: DeviceState, shown: Shown | null, receivedAt: Date): DeviceState {
  const newer = prev.lastSeenAt === null || prev.lastSeenAt < receivedAt;
  const seen = newer ? { lastSeenAt: receivedAt } : {};
  if (shown === null) return { ...prev, ...seen };
  switch (shown.kind) {
    case 'door':
      return { ...prev, ...seen, door: prev.door?.state === shown.state ? prev.door : { state: shown.state, cause: shown.cause, since: receivedAt.toISOString() } };
    case 'lamp':
      return { ...prev, ...seen, lamp: { ...shown.reading, at: receivedAt.toISOString() } };
    case 'battery':
      return { ...prev, ...seen, batteryPercent: shown.percent };
    case 'other':
      return newer ? { ...prev, ...seen } : prev;
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
