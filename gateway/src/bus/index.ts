import { EventEmitter } from 'node:events';
import type { DeviceKind, PayloadOf, UpChannel } from '../contracts';
import type { StoredHealth, StoredIncident } from '../contracts/stored';

/** The alert outbox row written with the event (db/event-writer.ts); the alert engine marks it done. */
interface Judged {
  outboxId?: number | null;
}

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
  } & Judged;
}[UpChannel];

/** Device health observations the alert engine turns into alerts (invalid payloads, clock drift, reused ids). */
export type DeviceHealth = StoredHealth & Judged;

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
export type AccessIncident = StoredIncident & Judged;

/** An alarm received while the database cannot commit (ingest/), then once it is stored. */
export type UnsavedAlarm = { state: 'unsaved' | 'saved'; deviceId: string; eventId: string; at: Date };

/** The database's write health changed (the heartbeat write, db/heartbeat.ts). */
export type DbHealth = { ok: boolean; reason: string | null; at: Date };

/** An alert changed (stored and published to the guard station): the resident stream tells the household. */
export type AlertChanged = { alertId: string; type: string; householdId: string | null; action: string; at: Date };

interface BusEvents {
  'unsaved-alarm': [UnsavedAlarm];
  'db-health': [DbHealth];
  'device-event': [IngestedEvent];
  'device-health': [DeviceHealth];
  presence: [Presence];
  'access-decision': [AccessDecision];
  'access-incident': [AccessIncident];
  'alert-change': [AlertChanged];
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
