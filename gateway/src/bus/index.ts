import { EventEmitter } from 'node:events';
import type { DeviceKind, PayloadOf, UpChannel } from '../contracts';

/** A device message that has been validated and committed. */
export type IngestedEvent = {
  [N in UpChannel]: {
    seq?: number;
    deviceId: string;
    kind: DeviceKind;
    name: N;
    payload: PayloadOf<N>;
    deviceTime: Date;
    receivedAt: Date;
  };
}[UpChannel];

/** Device health observations the alert engine turns into alerts (invalid payloads, clock drift). */
export type DeviceHealth =
  | { type: 'invalid_payloads'; deviceId: string; count: number; windowSec: number; at: Date }
  | { type: 'clock_drift'; deviceId: string; driftSec: number; at: Date };

export type Presence = { deviceId: string; kind: DeviceKind; online: boolean; cause: string; at: Date };

/** Every door decision (access/), stored as an AccessEvent; alerts/ uses residents' grants for welfare checks. */
export type AccessDecision = {
  accessEventId: string;
  deviceId: string;
  decision: 'grant' | 'deny';
  reason: string;
  credentialType: string;
  residentId: string | null;
  householdId: string | null;
  passId: string | null;
  offline: boolean;
  at: Date;
};

/** Alert-worthy observations of door monitoring (access/); alerts/ turns them into alerts. Stored before emitted. */
export type AccessIncident = {
  type: 'forced_entry' | 'held_open' | 'repeated_denials' | 'blacklisted_credential';
  deviceId: string;
  at: Date;
  /** Human-readable specifics (e.g. how long the door was open, how many denials). */
  detail: Record<string, string | number | boolean | null>;
};

interface BusEvents {
  'device-event': [IngestedEvent];
  'device-health': [DeviceHealth];
  presence: [Presence];
  'access-decision': [AccessDecision];
  'access-incident': [AccessIncident];
}

/**
 * The in-process event bus: ingest publishes, rules/alerts/live subscribe. Features talk only through it (the
 * zigbee2mqtt controller model), so each can be read and tested alone.
 */
export class Bus extends EventEmitter<BusEvents> {
  constructor() {
    super({ captureRejections: true });
    this.setMaxListeners(50);
  }
}
